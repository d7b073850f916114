"""The SparkLayer writes of a push, as plain functions run on the push thread pool.

Nothing here touches the database: each function makes SparkLayer calls and answers
``WriteResult``s. The calling thread turns results into RecordState updates, push logs and issues.
``TransientError`` and ``AuthenticationError`` are carried in the result too, so the caller can
save what was accepted before it gives up.

Which call does what (``docs/sync-design.md``):

* a product is created or updated with its *whole* variants list, never a partial one;
* a variant the platform no longer has, or every variant of a product that is gone or can no
  longer be synced, is discontinued with ``PATCH /api/v1/variants/{external_id}``;
* stock of SKUs a record no longer has is removed with ``batch-delete-stock``, prices with
  ``SparkLayerClient.remove_pricing``;
* a customer the platform no longer has is deleted; purchases are never deleted in SparkLayer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from ignite_bridge.core.errors import IntegrationError
from platforms.types import DataType, SyncRecord
from sparklayer.client import SparkLayerClient
from sparklayer.payloads import Customer, MerchantSettings, Product, Purchase

logger = logging.getLogger(__name__)

UPSERT = "upsert"
STOCK = "stock"
PRICING = "pricing"
SETTINGS = "settings"
DISCONTINUE = "discontinue"
DELETE = "delete"
STOCK_DELETE = "stock_delete"
PRICING_REMOVE = "pricing_remove"
SKU_RELEASE = "sku_release"


@dataclass
class WriteResult:
    """One SparkLayer call made for ``external_ids`` (one record, or every record of a batch)."""

    operation: str
    external_ids: list[str]
    error: IntegrationError | None = None
    created: bool | None = None  # upserts: whether SparkLayer created the record
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int | None:
        if self.error is None:
            return 200
        return self.error.status


def _guard(
    operation: str, external_ids: list[str], call: Callable[[], Any], detail: dict[str, Any] | None = None
) -> WriteResult:
    """Run ``call``; an integration error becomes the result's error (anything else is a bug and raises)."""
    try:
        answer = call()
    except IntegrationError as exc:
        return WriteResult(operation, external_ids, error=exc, detail=dict(detail or {}))
    created = answer if isinstance(answer, bool) else None
    return WriteResult(operation, external_ids, created=created, detail=dict(detail or {}))


@dataclass
class RecordOps:
    """The per-record calls of one record, in the order they must be made."""

    record: SyncRecord
    upsert: bool = False
    known: bool = False
    discontinue: list[str] = field(default_factory=list)
    stock_delete: list[str] = field(default_factory=list)
    pricing_remove: list[tuple[str, str]] = field(default_factory=list)
    customer_delete: bool = False
    release: dict[str, str] = field(default_factory=dict)  # variant external id → tombstone SKU

    @property
    def empty(self) -> bool:
        return not (
            self.upsert
            or self.discontinue
            or self.stock_delete
            or self.pricing_remove
            or self.customer_delete
            or self.release
        )


def run_record_ops(client: SparkLayerClient, ops: RecordOps) -> list[WriteResult]:
    """Make the record's calls in order; stop at the first one that fails (its result says why).

    Releases first (a discontinued variant gives up a SKU this record needs), then the record
    itself, then what it no longer has."""
    external_id = ops.record.external_id
    steps: list[Callable[[], WriteResult]] = []
    for variant_id, tombstone in ops.release.items():
        steps.append(partial(_release, client, external_id, variant_id, tombstone))
    if ops.upsert:
        steps.append(lambda: write_record(client, ops.record, known=ops.known))
    for variant_id in ops.discontinue:
        steps.append(partial(write_discontinue, client, external_id, variant_id))
    if ops.stock_delete:
        steps.append(lambda: write_stock_delete(client, [external_id], ops.stock_delete))
    if ops.pricing_remove:
        steps.append(lambda: write_pricing_remove(client, [external_id], ops.pricing_remove))
    if ops.customer_delete:
        steps.append(lambda: write_customer_delete(client, external_id))
    results = []
    for step in steps:
        result = step()
        results.append(result)
        if not result.ok:
            break
    return results


def write_record(client: SparkLayerClient, record: SyncRecord, *, known: bool) -> WriteResult:
    """The record's own endpoint: product upsert, customer full replace, purchase upsert, settings patch."""
    ids = [record.external_id]
    payload = record.payload
    if record.data_type == DataType.PRODUCTS:
        return _guard(UPSERT, ids, lambda: client.upsert_product(cast(Product, payload), known=known))
    if record.data_type == DataType.CUSTOMERS:
        return _guard(UPSERT, ids, lambda: client.upsert_customer(record.external_id, cast(Customer, payload)))
    if record.data_type == DataType.PURCHASES:
        return _guard(UPSERT, ids, lambda: client.upsert_purchase(record.external_id, cast(Purchase, payload)))
    if record.data_type == DataType.MERCHANT:
        return _guard(SETTINGS, ids, lambda: client.update_settings(cast(MerchantSettings, payload)["settings"]))
    raise ValueError(f"no SparkLayer write for data type {record.data_type}")


def write_stock(client: SparkLayerClient, external_ids: list[str], rows: list[dict[str, Any]]) -> WriteResult:
    """One ``batch-update-stock`` call (the client splits above ``batch_size``)."""
    return _guard(STOCK, external_ids, lambda: client.batch_update_stock(rows))  # type: ignore[arg-type]


def write_pricing(client: SparkLayerClient, external_ids: list[str], items: list[dict[str, Any]]) -> WriteResult:
    return _guard(PRICING, external_ids, lambda: client.batch_update_pricing(items))  # type: ignore[arg-type]


def write_discontinue(client: SparkLayerClient, external_id: str, variant_id: str) -> WriteResult:
    """One variant ``discontinued``; a variant SparkLayer does not have counts as done."""
    result = _guard(DISCONTINUE, [external_id], lambda: client.discontinue_variant(variant_id), {"variant": variant_id})
    if result.ok and result.created is False:
        result.detail["missing"] = True
    result.created = None
    return result


def _release(client: SparkLayerClient, external_id: str, variant_id: str, tombstone: str) -> WriteResult:
    """Give a discontinued variant's SKU up (renamed to ``tombstone``) so a live variant can have it."""

    def call() -> Any:
        try:
            client.update_variant(variant_id, {"sku": tombstone})  # type: ignore[typeddict-item]
        except IntegrationError as exc:
            if exc.status == 404:  # SparkLayer no longer has it: the SKU is free already
                return None
            raise
        return None

    return _guard(SKU_RELEASE, [external_id], call, {"variant": variant_id, "sku": tombstone})


def write_stock_delete(client: SparkLayerClient, external_ids: list[str], skus: Sequence[str]) -> WriteResult:
    return _guard(STOCK_DELETE, external_ids, lambda: client.batch_delete_stock(list(skus)), {"skus": list(skus)})


def write_pricing_remove(
    client: SparkLayerClient, external_ids: list[str], keys: Sequence[tuple[str, str]]
) -> WriteResult:
    return _guard(PRICING_REMOVE, external_ids, lambda: client.remove_pricing(keys), {"keys": [list(k) for k in keys]})


def write_customer_delete(client: SparkLayerClient, external_id: str) -> WriteResult:
    return _guard(DELETE, [external_id], lambda: client.delete_customer(external_id))


def tombstone_sku(sku: str, variant_id: str) -> str:
    """The SKU a discontinued variant is given when a live variant needs its old one."""
    return f"{sku}~retired-{variant_id}"[:255]
