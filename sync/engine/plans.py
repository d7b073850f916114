"""What one record needs written to SparkLayer, decided from the record and its RecordState.

A record is in one of these situations (``docs/sync-design.md``):

* ``PUSH``: the platform has it and it maps: the parts whose hash differs from what SparkLayer holds
  are written, and what it no longer has (variants, stock rows, prices) is removed;
* ``RETIRE``: a product the platform no longer has, or one that can no longer be synced: every
  variant is discontinued and its stock and prices removed; the product stays in SparkLayer;
* ``DELETE``: a customer the platform no longer has: deleted in SparkLayer;
* ``FORGET``: a purchase the platform no longer has: SparkLayer keeps it (purchases are never
  deleted there); only the bridge's row changes;
* ``KEEP``: a customer or purchase that exists but can no longer be mapped: left as SparkLayer has
  it, with the record's issues saying why.

Pure functions: no database, no HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from platforms.types import DataType, SyncRecord
from sparklayer.payloads import PricingItem, Product, StockRow
from sync.engine.hashing import RecordHashes, record_hashes
from sync.engine.record_states import StateRow, Unchanged
from sync.engine.writes import RecordOps


class Mode(StrEnum):
    PUSH = "push"
    RETIRE = "retire"
    DELETE = "delete"
    FORGET = "forget"
    KEEP = "keep"


def gone_record(data_type: DataType | str, external_id: str, *, read_at: Any) -> SyncRecord:
    """A record the platform no longer has, as the write path takes it."""
    return SyncRecord(
        data_type=DataType(data_type), external_id=external_id, payload=None, deleted=True, read_at=read_at
    )


def record_mode(record: SyncRecord) -> Mode:
    if record.deleted:
        if record.data_type == DataType.PRODUCTS:
            return Mode.RETIRE
        if record.data_type == DataType.CUSTOMERS:
            return Mode.DELETE
        return Mode.FORGET
    if record.payload is not None:
        return Mode.PUSH
    return Mode.RETIRE if record.data_type == DataType.PRODUCTS else Mode.KEEP


def stock_keys(rows: Sequence[StockRow]) -> list[list[str]]:
    return sorted(
        [str(row.get("sku")), str(row.get("stock_location_external_id") or row.get("stock_location_id") or "")]
        for row in rows
    )


def pricing_keys(items: Sequence[PricingItem]) -> list[list[str]]:
    return sorted([str(item.get("sku")), str(item.get("price_list_slug"))] for item in items)


def current_variants(record: SyncRecord) -> dict[str, str]:
    if record.data_type != DataType.PRODUCTS or record.payload is None:
        return {}
    product = cast(Product, record.payload)
    return {str(v["external_id"]): str(v["sku"]) for v in product.get("variants", [])}


@dataclass
class Plan:
    """The writes one record needs, and the RecordState to save once they are all accepted."""

    record: SyncRecord
    mode: Mode
    state: StateRow  # as loaded under the record's lock; updated as writes are accepted
    hashes: RecordHashes | None
    ops: RecordOps
    stock: bool = False  # send the record's stock rows (batched)
    pricing: bool = False  # send the record's pricing items (batched)
    stale: bool = False  # SparkLayer holds data read later than this record: nothing is written
    pending: int = 0  # writes not answered yet
    failed: bool = False  # a write failed transiently: the row stays in doubt
    finished: bool = False  # every write was answered and the row to save is set
    refused: bool = False  # a write was refused: an issue says why
    retried_release: bool = False
    retried_pricing: bool = False

    @property
    def writes_anything(self) -> bool:
        return not self.ops.empty or self.stock or self.pricing


def is_stale(record: SyncRecord, state: StateRow) -> bool:
    """SparkLayer holds data read later than this record was: writing it would go backwards."""
    return record.read_at is not None and state.read_version is not None and state.read_version > record.read_at


def unchanged_candidate(record: SyncRecord, state: StateRow | None, *, force: bool) -> Unchanged | None:
    """The compare-and-set key of a record that needs no write, as far as an unlocked read says."""
    if force or state is None or record_mode(record) != Mode.PUSH or state.in_doubt or state.deleted:
        return None
    hashes = record_hashes(record)
    if (hashes.content, hashes.stock, hashes.pricing) != (state.content_hash, state.stock_hash, state.pricing_hash):
        return None
    raw = record.raw_hash if not record.issues else ""  # a record with issues is always mapped again
    return Unchanged(record.external_id, record.read_at, hashes.content, hashes.stock, hashes.pricing, raw)


def idle(record: SyncRecord, state: StateRow | None) -> bool:
    """A record that is not (or no longer) pushable and of which SparkLayer holds nothing live."""
    mode = record_mode(record)
    if mode == Mode.KEEP:
        return True
    if mode == Mode.PUSH:
        return False
    if state is None:
        return True
    if state.in_doubt or state.holds_anything:
        return False
    return state.deleted or not record.deleted


def plan_record(record: SyncRecord, state: StateRow, *, force: bool) -> Plan:
    """Decide the record's writes from its state, loaded under the record's lock."""
    mode = record_mode(record)
    hashes = record_hashes(record) if mode == Mode.PUSH else None
    plan = Plan(record=record, mode=mode, state=state, hashes=hashes, ops=RecordOps(record=record))
    if is_stale(record, state):
        plan.stale = True
        return plan
    doubt = force  # a part whose write was interrupted has no hash (``_claim_row``): it differs anyway
    if mode == Mode.PUSH:
        assert hashes is not None
        variants = current_variants(record)
        plan.ops.upsert = doubt or hashes.content != state.content_hash or not state.exists
        plan.ops.known = state.in_sparklayer
        plan.ops.discontinue = sorted(vid for vid in state.variants if vid not in variants)
        plan.stock = bool(record.stock) and (doubt or hashes.stock != state.stock_hash)
        plan.pricing = bool(record.pricing) and (doubt or hashes.pricing != state.pricing_hash)
        kept_stock = {key[0] for key in stock_keys(record.stock)}
        plan.ops.stock_delete = sorted({key[0] for key in state.stock_keys} - kept_stock)
        kept_pricing = {tuple(key) for key in pricing_keys(record.pricing)}
        plan.ops.pricing_remove = sorted(
            (key[0], key[1]) for key in state.pricing_keys if (key[0], key[1]) not in kept_pricing
        )
        if record.data_type != DataType.PRODUCTS:
            plan.ops.discontinue, plan.ops.stock_delete, plan.ops.pricing_remove = [], [], []
    elif mode == Mode.RETIRE:
        plan.ops.discontinue = sorted(state.variants)
        plan.ops.known = True
        plan.ops.stock_delete = sorted({key[0] for key in state.stock_keys})
        plan.ops.pricing_remove = sorted((key[0], key[1]) for key in state.pricing_keys)
    elif mode == Mode.DELETE:
        plan.ops.customer_delete = doubt or state.holds_anything or not state.deleted
    return plan
