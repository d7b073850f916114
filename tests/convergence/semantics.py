"""The expected semantics, in one place: what SparkLayer must hold once things are quiet, and which
store changes only a full sync can see. Adjust here when the product's promise changes.

"SparkLayer equals the mapping of the store": the expected state is the store read through the
bridge's own adapter (``iter_pages``), so a mapping decision never shows up as a divergence; what
is compared is whether the sync got that mapping into SparkLayer and into ``RecordState``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from connections.clients import connection_platform_adapter
from connections.models import Connection
from platforms.types import DataType, SyncRecord

#: every mapped variant must be in SparkLayer with these fields equal (a field the mapping leaves
#: out must be empty in SparkLayer)
VARIANT_FIELDS = ("sku", "status", "options", "rrp", "position", "weight_in_grams", "cart_image_url")
#: product fields compared
PRODUCT_FIELDS = ("title", "slug")
#: a variant SparkLayer holds that the store no longer maps (deleted variation, gone or unpushable
#: product) must have this status; its SKU is not compared
GONE_VARIANT_STATUS = "discontinued"

#: ``RecordState`` field → attribute of ``sync.engine.hashing.record_hashes(record)``
RECORD_STATE_HASHES = {"content_hash": "content", "stock_hash": "stock", "pricing_hash": "pricing"}
#: the ``RecordState`` flag saying SparkLayer no longer holds the record as live
RECORD_STATE_DELETED = "deleted"
#: types whose ``RecordState`` must agree with the mapping (products: all three hashes; others: content)
RECORD_STATE_TYPES = (DataType.PRODUCTS, DataType.CUSTOMERS, DataType.PURCHASES)

#: a record the store has but cannot push has an open ``SyncIssue``; with this on, a record that
#: maps cleanly, or that the store no longer has, has none left open (the data here is clean, so
#: an open issue on such a record is reporting drift)
CHECK_NO_STALE_ISSUES = True

#: Changes that fire no webhook and leave the product's ``date_modified`` alone (a silent stock
#: change, a deleted variation, an order's stock change whose webhook was lost) are invisible to
#: webhooks and to the modified-date catch-up: only a full sync reads them (see ``InvisibleChanges``).
#: Products with such a change not covered yet are left out of the first comparison (after the
#: catch-up and reconcile); with this on, a products full sync then runs and everything is compared.
FULL_SYNC_FOR_INVISIBLE_CHANGES = True
#: Saving a variation moves the variation's ``date_modified``, not its product's, and the catch-up
#: lists products by their own date: a variation change whose webhook was lost is invisible to it.
#: Turn on when the catch-up also lists variations by modified date.
CATCH_UP_SEES_VARIATION_CHANGES = False

#: webhook event states that end an event; anything else is still pending at quiescence
FINAL_EVENT_STATES = frozenset({"succeeded", "failed", "superseded", "ignored"})
#: sync job states that are not finished
ACTIVE_JOB_STATES = frozenset({"queued", "running"})


@dataclass
class Expected:
    """The store as the bridge maps it now."""

    products: dict[str, SyncRecord] = field(default_factory=dict)  # mapped with a payload
    unpushable: dict[str, SyncRecord] = field(default_factory=dict)  # in the store, payload None
    stock: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (sku, location) → row
    pricing: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (sku, price list) → item
    customers: dict[str, SyncRecord] = field(default_factory=dict)
    customers_unpushable: dict[str, SyncRecord] = field(default_factory=dict)
    purchases: dict[str, SyncRecord] = field(default_factory=dict)
    purchases_unpushable: dict[str, SyncRecord] = field(default_factory=dict)

    def of(self, data_type: DataType) -> dict[str, SyncRecord]:
        return {
            DataType.PRODUCTS: self.products,
            DataType.CUSTOMERS: self.customers,
            DataType.PURCHASES: self.purchases,
        }[data_type]

    def unpushable_of(self, data_type: DataType) -> dict[str, SyncRecord]:
        return {
            DataType.PRODUCTS: self.unpushable,
            DataType.CUSTOMERS: self.customers_unpushable,
            DataType.PURCHASES: self.purchases_unpushable,
        }[data_type]


def expected_from_store(connection: Connection) -> Expected:
    """Read the whole store through the connection's adapter (the store has no faults switched on)."""
    adapter = connection_platform_adapter(connection)
    expected = Expected()
    for data_type in (DataType.PRODUCTS, DataType.CUSTOMERS, DataType.PURCHASES):
        for page in adapter.iter_pages(data_type):
            for record in page.records:
                if record.deleted:
                    continue  # trashed: gone, like a record the listing does not return
                if record.payload is None:
                    expected.unpushable_of(data_type)[record.external_id] = record
                    continue
                expected.of(data_type)[record.external_id] = record
                if data_type == DataType.PRODUCTS:
                    for row in record.stock:
                        expected.stock[(row["sku"], row["stock_location_external_id"])] = row
                    for item in record.pricing:
                        expected.pricing[(item["sku"], item["price_list_slug"])] = item
    return expected


@dataclass
class InvisibleChanges:
    """Products with a change only a full sync can see, not covered yet, with the time of the latest.

    A change is covered by a webhook delivered after it (processing reads the record fresh), by a
    later change of the record that moved its ``date_modified`` (the catch-up reads it), or by a
    products full sync created after it that succeeded."""

    marks: dict[str, tuple[datetime, str]] = field(default_factory=dict)

    def mark(self, product_id: str, why: str) -> None:
        """From now on: a full sync covers the product only if it starts after its latest such change."""
        earlier = self.marks.get(product_id)
        self.marks[product_id] = (timezone.now(), f"{earlier[1]}; {why}" if earlier else why)

    def covered(self, product_id: str) -> None:
        self.marks.pop(product_id, None)

    def uncovered(self, connection: Connection) -> dict[str, tuple[datetime, str]]:
        from sync.models import SyncJob

        succeeded = SyncJob.objects.filter(connection=connection, kind="full", data_type="products", state="succeeded")
        starts = list(succeeded.values_list("created_at", flat=True))
        return {pid: mark for pid, mark in self.marks.items() if not any(start > mark[0] for start in starts)}
