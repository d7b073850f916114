"""Check records of one connection and data type against SparkLayer: read SparkLayer's side, compare, confirm.

A record that compares unequal is confirmed before it becomes a finding: under the record's write
lock (``record_locks``: no write of it can be in flight) the store record and SparkLayer's copy are
read again, prices per SKU instead of from the run's copy of the price list. A difference that was
only a write landing between the two reads disappears then; one that stays is drift, or a store
change not pushed yet, which ``belief`` tells apart (what the bridge's RecordState said).

Reads only: nothing here writes to SparkLayer or to RecordState.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

from connections.models import Connection
from platforms.base import SyncSource
from platforms.types import DataType, RecordIssue, SyncRecord
from sparklayer.payloads import Product
from sparklayer.reads import SparkLayerReader, Tiers
from sync.engine.hashing import record_hashes
from sync.engine.record_locks import locks_release, locks_try, record_lock_key
from sync.engine.record_states import StateRow, sku_holders, states_load
from sync.engine.skus import drop_duplicate_skus
from sync.models import Belief
from sync.scheduled.audit_compare import (
    EQUAL,
    Comparison,
    FieldDiff,
    ProductSide,
    compare_customer,
    compare_product,
    product_skus,
)

logger = logging.getLogger(__name__)

#: data types an audit can check (docs/ignite-contract.md §2.8)
AUDITED_DATA_TYPES = (DataType.PRODUCTS, DataType.CUSTOMERS)
UNMAPPABLE = "unmappable"
#: how long a confirmation waits for a record another writer holds before it reads without the lock
CONFIRM_LOCK_WAIT_SECONDS = 5.0


@dataclass
class Checked:
    """The outcome for one record: ``kind`` is equal, differs, missing, extra or unmappable."""

    external_id: str
    kind: str
    fields: list[FieldDiff] = field(default_factory=list)
    record: SyncRecord | None = None  # the store's record as mapped (None: gone from the store)
    belief: str = Belief.UNKNOWN
    issues: list[RecordIssue] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return self.kind not in (EQUAL, UNMAPPABLE)


def expected_of(record: SyncRecord | None) -> SyncRecord | None:
    """What SparkLayer should hold: the mapped record, or None (gone: trashed or deleted)."""
    return None if record is None or record.deleted else record


def belief_of(record: SyncRecord | None, state: StateRow | None) -> str:
    """What RecordState says of the store's current record: pushed, not pushed yet, in doubt, unknown."""
    if state is None:
        return Belief.UNKNOWN
    if state.in_doubt:
        return Belief.IN_DOUBT
    expected = expected_of(record)
    if expected is None or expected.payload is None:
        return Belief.PUSHED if state.deleted or not state.holds_anything else Belief.NOT_PUSHED
    if not state.content_hash:
        return Belief.UNKNOWN
    hashes = record_hashes(expected)
    pushed = (hashes.content, hashes.stock, hashes.pricing) == (
        state.content_hash,
        state.stock_hash,
        state.pricing_hash,
    )
    return Belief.PUSHED if pushed else Belief.NOT_PUSHED


class AuditChecker:
    """Compares records of one data type with SparkLayer; reads SparkLayer on ``pool`` threads."""

    def __init__(
        self,
        *,
        connection: Connection,
        data_type: DataType,
        adapter: SyncSource,
        reader: SparkLayerReader,
        pool: ThreadPoolExecutor,
    ) -> None:
        if data_type not in AUDITED_DATA_TYPES:
            raise ValueError(f"{data_type} cannot be audited")
        self.connection = connection
        self.data_type = data_type
        self.adapter = adapter
        self.reader = reader
        self.pool = pool
        self._slugs: list[str] | None = None
        self._pricing: dict[str, dict[str, Tiers]] | None = None

    # -- the store side -------------------------------------------------------------------------

    @property
    def slugs(self) -> list[str]:
        """The price lists the bridge writes prices to (read from the store's settings once)."""
        if self._slugs is None:
            self._slugs = [str(p["slug"]) for p in self.adapter.price_lists()] if self.is_products else []
        return self._slugs

    @property
    def is_products(self) -> bool:
        return self.data_type == DataType.PRODUCTS

    def read_store(self, external_ids: Sequence[str]) -> list[tuple[str, SyncRecord | None]]:
        """The records as the store has them now (None: gone), one read each, with duplicate SKUs left out
        as a full sync would leave them out (SKUs another record holds in SparkLayer)."""
        _ = self.slugs  # the store's settings are read once, before the pool threads need them
        records = list(self.pool.map(lambda eid: self.adapter.fetch_record(self.data_type, eid), external_ids))
        self.drop_held_skus([r for r in records if r is not None])
        return list(zip(external_ids, records, strict=True))

    def drop_held_skus(self, records: Sequence[SyncRecord]) -> dict[str, str]:
        """Leave out variants whose SKU another live record holds (SKU → that holder's variant): SparkLayer
        keeps SKUs unique, so a full sync leaves those out too, with a ``duplicate_sku`` issue."""
        if not self.is_products or not records:
            return {}
        mine = {r.external_id for r in records}
        skus = {str(v["sku"]) for r in records if r.payload for v in cast(Product, r.payload).get("variants", [])}
        holders = sku_holders(connection=self.connection, data_type=str(self.data_type), skus=skus, exclude=mine)
        held_by = {holder for owners in holders.values() for holder in owners}
        seen: dict[str, str] = {}
        for state in states_load(connection=self.connection, data_type=self.data_type, external_ids=held_by).values():
            for variant_id, sku in state.variants.items():
                if sku in holders:
                    seen.setdefault(str(sku), str(variant_id))
        for record in records:
            if seen:
                drop_duplicate_skus(record, dict(seen))
        return seen

    # -- the SparkLayer side --------------------------------------------------------------------

    def price_list_prices(self) -> dict[str, dict[str, Tiers]]:
        """slug → SKU → tiers for every list the bridge manages, read once per checker (one call a list)."""
        if self._pricing is None:
            self._pricing = {slug: self.reader.price_list_pricing(slug) or {} for slug in self.slugs}
        return self._pricing

    def _variant_ids(self, record: SyncRecord | None, state: StateRow | None) -> list[str]:
        variants = cast(Product, record.payload or {}).get("variants", []) if record else []
        ids = [str(v["external_id"]) for v in variants]
        if state is not None:
            ids += [*state.variants, *state.retired_variants]
        return ids

    def _products_side(
        self,
        items: Sequence[tuple[str, SyncRecord | None]],
        states: dict[str, StateRow],
        *,
        fresh_prices: bool,
    ) -> dict[str, ProductSide]:
        def read(item: tuple[str, SyncRecord | None]) -> dict[str, Any] | None:
            external_id, record = item
            return self.reader.product(external_id, variant_ids=self._variant_ids(record, states.get(external_id)))

        held = dict(zip([i[0] for i in items], self.pool.map(read, items), strict=True))
        skus_of = {eid: product_skus(record, held[eid]) for eid, record in items}
        every_sku = [sku for skus in skus_of.values() for sku in skus]
        stock = self.reader.stock(every_sku) if every_sku else {}
        if fresh_prices:
            by_sku = dict(zip(every_sku, self.pool.map(self.reader.sku_pricing, every_sku), strict=True))
            pricing: dict[str, dict[str, Tiers]] = {}
            for sku, lists in by_sku.items():
                for slug, tiers in lists.items():
                    pricing.setdefault(slug, {})[sku] = tiers
        else:
            pricing = self.price_list_prices()
        return {
            eid: ProductSide(
                product=held[eid], stock={s: stock[s] for s in skus_of[eid] if s in stock}, pricing=pricing
            )
            for eid, _record in items
        }

    def _compare(self, record: SyncRecord | None, side: Any) -> Comparison:
        if self.is_products:
            return compare_product(record, side, slugs=self.slugs)
        return compare_customer(record, side)

    def _sides(
        self, items: Sequence[tuple[str, SyncRecord | None]], states: dict[str, StateRow], *, fresh: bool
    ) -> Any:
        if self.is_products:
            return self._products_side(items, states, fresh_prices=fresh)
        ids = [eid for eid, _record in items]
        return dict(zip(ids, self.pool.map(self.reader.customer, ids), strict=True))

    # -- checking -------------------------------------------------------------------------------

    def check(self, items: Sequence[tuple[str, SyncRecord | None]]) -> list[Checked]:
        """Each record's outcome, in order. ``items``: (external id, store record mapped, None when gone)."""
        results: dict[str, Checked] = {}
        to_read: list[tuple[str, SyncRecord | None]] = []
        for external_id, record in items:
            expected = expected_of(record)
            if expected is not None and expected.payload is None:
                results[external_id] = Checked(external_id, UNMAPPABLE, record=expected, issues=list(expected.issues))
            else:
                to_read.append((external_id, expected))
        states = states_load(connection=self.connection, data_type=self.data_type, external_ids=[i[0] for i in to_read])
        sides = self._sides(to_read, states, fresh=False) if to_read else {}
        for external_id, expected in to_read:
            comparison = self._compare(expected, sides[external_id])
            if comparison.equal:
                issues = list(expected.issues) if expected else []
                results[external_id] = Checked(external_id, EQUAL, record=expected, issues=issues)
            else:
                results[external_id] = self.confirm(external_id)
        return [results[external_id] for external_id, _record in items]

    def confirm(self, external_id: str) -> Checked:
        """Read the record and SparkLayer's copy again, holding the record's write lock if it comes free."""
        key = record_lock_key(self.connection.pk, str(self.data_type), external_id)
        deadline = time.monotonic() + CONFIRM_LOCK_WAIT_SECONDS
        taken = locks_try([key])
        while not taken and time.monotonic() < deadline:
            time.sleep(0.1)
            taken = locks_try([key])
        try:
            if not taken:
                logger.info("audit confirms a busy record without its lock", extra={"external_id": external_id})
            ((_eid, record),) = self.read_store([external_id])
            expected = expected_of(record)
            if expected is not None and expected.payload is None:
                return Checked(external_id, UNMAPPABLE, record=record, issues=list(expected.issues))
            states = states_load(connection=self.connection, data_type=self.data_type, external_ids=[external_id])
            side = self._sides([(external_id, expected)], states, fresh=True)[external_id]
            comparison = self._compare(expected, side)
            return Checked(
                external_id,
                comparison.kind,
                fields=comparison.fields,
                record=expected,
                belief=belief_of(record, states.get(external_id)) if not comparison.equal else Belief.PUSHED,
                issues=list(expected.issues) if expected else [],
            )
        finally:
            locks_release(taken)


def issues_of(checked: Iterable[Checked]) -> list[RecordIssue]:
    return [issue for item in checked for issue in item.issues]
