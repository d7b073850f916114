"""What the store's records refer to in SparkLayer (stock location, customer groups), and one SKU's stock.

Mixed into ``WooCommerceAdapter``:

* ``stock_locations``: WooCommerce core keeps one stock pool, so one location, ``default``, named
  by the store's address (see ``mapping.products.stock_location_payloads``).
* ``customer_groups`` pages: WooCommerce has no customer groups of its own; the groups are the
  ones the store's customers are put in through their ``sparklayer_group`` meta (written by the
  customer endpoints), read exactly as the customer mapping reads them. The pages follow the
  customer listing, so the customer cursor resumes them; each group appears once per run.
* ``fetch_stock``: the stock row of one SKU, looked up with ``GET /products?sku=`` (which matches
  variations too) and mapped through the whole product, as the ``stock`` pages map it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from platforms.types import DataType, Page, SyncRecord
from platforms.woocommerce.mapping import StoreSettings, stock_location_payloads
from sparklayer.payloads import BASE_CUSTOMER_GROUP, StockLocation, customer_group_for_slug

if TYPE_CHECKING:
    from platforms.woocommerce.client import WooCommerceClient


def customer_group_records(customers: list[SyncRecord], seen: set[str]) -> list[SyncRecord]:
    """The groups ``customers`` are in that ``seen`` does not hold yet (``seen`` is updated)."""
    records: list[SyncRecord] = []
    for customer in customers:
        slug = str((customer.payload or {}).get("group") or "").strip()
        if not slug or slug == BASE_CUSTOMER_GROUP or slug in seen:
            continue
        seen.add(slug)
        records.append(
            SyncRecord(
                data_type=DataType.CUSTOMER_GROUPS,
                external_id=slug,
                payload=dict(customer_group_for_slug(slug)),
                platform_url=customer.platform_url,  # the first customer found in it
                visible_id=slug,
            )
        )
    return records


class WooCommerceOrganisationMixin:
    """Mixed into ``WooCommerceAdapter``, which provides the members declared below."""

    if TYPE_CHECKING:
        store_url: str

        @property
        def client(self) -> WooCommerceClient: ...

        def store_settings(self) -> StoreSettings: ...

        def fetch_record(self, data_type: DataType, record_id: str) -> SyncRecord | None: ...

        def iter_pages(
            self, data_type: DataType, *, cursor: str | None = None, modified_after: datetime | None = None
        ) -> Iterator[Page]: ...

    def stock_locations(self) -> list[StockLocation]:
        return stock_location_payloads(self.store_settings(), store_url=self.store_url)

    def customer_group_pages(self, cursor: str | None) -> Iterator[Page]:
        """One page per customer listing page, holding the groups first seen on it (maybe none)."""
        seen: set[str] = set()
        for page in self.iter_pages(DataType.CUSTOMERS, cursor=cursor):
            yield Page(
                records=customer_group_records(page.records, seen),
                next_cursor=page.next_cursor,
                total_pages=page.total_pages,
                total_records=page.total_records,
            )

    def fetch_stock(self, sku: str) -> SyncRecord | None:
        """The stock row of ``sku`` (or of the variant whose id ``sku`` is); None when nothing has stock there.

        A product whose stock is not managed has no row, exactly as the ``stock`` pages leave it out.
        """
        from platforms.woocommerce.adapter import stock_records  # the adapter imports this module

        matches = self.client.get_json("products", params={"sku": sku, "_fields": "id,parent_id,sku,type"}) or []
        owner = next((item for item in matches if isinstance(item, dict) and item.get("sku") == sku), None)
        wanted_sku: str | None = sku
        if owner is not None:
            record = self.fetch_record(DataType.PRODUCTS, str(owner.get("parent_id") or owner["id"]))
        elif sku.isdigit():  # a variant's external id, which SparkLayer also knows the row by
            record = self.fetch_record(DataType.PRODUCTS, sku)
            variants = (record.payload or {}).get("variants", []) if record is not None else []
            wanted_sku = next((str(v["sku"]) for v in variants if str(v.get("external_id")) == sku), None)
        else:
            return None
        if record is None or record.deleted or wanted_sku is None:
            return None
        return next((row for row in stock_records(record) if row.external_id == wanted_sku), None)
