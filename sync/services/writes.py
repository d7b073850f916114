"""The SparkLayer writes of a push, as plain functions run on the push thread pool.

Nothing here touches the database: each function makes one SparkLayer call (or one batch call)
and answers a ``WriteResult``. The calling thread turns results into RecordState updates, push
logs and issues. ``TransientError`` and ``AuthenticationError`` are carried in the result too, so
the caller can save what was accepted before it gives up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ignite_bridge.core.errors import IntegrationError
from platforms.types import DataType, SyncRecord
from sparklayer.client import SparkLayerClient

logger = logging.getLogger(__name__)

UPSERT = "upsert"
STOCK = "stock"
PRICING = "pricing"
SETTINGS = "settings"
DISCONTINUE = "discontinue"
DELETE = "delete"
STOCK_DELETE = "stock_delete"


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


def _guard(operation: str, external_ids: list[str], call: Callable[[], Any]) -> WriteResult:
    """Run ``call``; an integration error becomes the result's error (anything else is a bug and raises)."""
    try:
        answer = call()
    except IntegrationError as exc:
        return WriteResult(operation, external_ids, error=exc)
    created = answer if isinstance(answer, bool) else None
    return WriteResult(operation, external_ids, created=created)


def product_body(record: SyncRecord, removed_variants: Sequence[str] = ()) -> dict[str, Any]:
    """The product payload plus, for variants the platform no longer has, a ``discontinued`` stub.

    SparkLayer keeps variants a PATCH leaves out, so a deleted variation must be discontinued
    explicitly. The stubs are not part of the content hash: they follow from it.
    """
    assert record.payload is not None
    body = dict(record.payload)
    if removed_variants:
        body["variants"] = [
            *body.get("variants", []),
            *({"external_id": vid, "status": "discontinued"} for vid in removed_variants),
        ]
    return body


def write_record(
    client: SparkLayerClient, record: SyncRecord, *, known: bool, removed_variants: Sequence[str] = ()
) -> WriteResult:
    """The record's own endpoint: product upsert, customer full replace, purchase upsert, settings patch."""
    ids = [record.external_id]
    payload: Any = record.payload
    if record.data_type == DataType.PRODUCTS:
        body = product_body(record, removed_variants)
        if removed_variants:
            known = True  # stubs are only valid on an update; the product exists (it had those variants)
        return _guard(UPSERT, ids, lambda: client.upsert_product(body, known=known))  # type: ignore[arg-type]
    if record.data_type == DataType.CUSTOMERS:
        return _guard(UPSERT, ids, lambda: client.upsert_customer(record.external_id, payload))
    if record.data_type == DataType.PURCHASES:
        return _guard(UPSERT, ids, lambda: client.upsert_purchase(record.external_id, payload))
    if record.data_type == DataType.MERCHANT:
        return _guard(SETTINGS, ids, lambda: client.update_settings(payload["settings"]))
    raise ValueError(f"no SparkLayer write for data type {record.data_type}")


def write_stock(client: SparkLayerClient, external_ids: list[str], rows: list[dict[str, Any]]) -> WriteResult:
    """One ``batch-update-stock`` call (the client splits above ``batch_size``)."""
    return _guard(STOCK, external_ids, lambda: client.batch_update_stock(rows))  # type: ignore[arg-type]


def write_pricing(client: SparkLayerClient, external_ids: list[str], items: list[dict[str, Any]]) -> WriteResult:
    return _guard(PRICING, external_ids, lambda: client.batch_update_pricing(items))  # type: ignore[arg-type]


def write_discontinue(client: SparkLayerClient, external_id: str, variant_ids: Sequence[str]) -> WriteResult:
    """Every variant of the product ``discontinued`` (SparkLayer has no product delete the docs allow)."""
    body = {"external_id": external_id, "variants": [{"external_id": v, "status": "discontinued"} for v in variant_ids]}

    def call() -> Any:
        return client.update_product(external_id, body)  # type: ignore[arg-type]

    result = _guard(DISCONTINUE, [external_id], call)
    if result.error is not None and result.error.status == 404:
        return WriteResult(DISCONTINUE, [external_id], detail={"missing": True})  # already gone: nothing to do
    return result


def write_stock_delete(client: SparkLayerClient, external_ids: list[str], skus: list[str]) -> WriteResult:
    return _guard(STOCK_DELETE, external_ids, lambda: client.batch_delete_stock(skus))


def write_customer_delete(client: SparkLayerClient, external_id: str) -> WriteResult:
    return _guard(DELETE, [external_id], lambda: client.delete_customer(external_id))
