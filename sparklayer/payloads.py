"""Typed shapes of what the bridge sends to SparkLayer (docs/ignite-contract.md §2.3 to §2.7).

TypedDicts rather than classes: the mappers in ``platforms/`` build plain dicts that go straight to
JSON, and mypy still checks every key they set. Only the fields the bridge sends are listed;
SparkLayer accepts more.

``cap_sync_log_errors`` lives here because the 5,000-error, unique-``external_id`` rule is a
property of the sync-log payload: SparkLayer refuses the whole report (400) otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, NotRequired, TypedDict

#: SparkLayer's hard cap on errors in one sync-log request (docs/ignite-contract.md §2.7).
SYNC_LOG_ERROR_LIMIT = 5000

VariantStatus = Literal["live", "pending", "suspended", "discontinued"]


class Money(TypedDict):
    """``MonetaryObject``: ``number`` is a decimal string ("15.99"), ``currency`` lower-case ISO 4217."""

    number: str
    currency: str


class RrpPrice(TypedDict):
    currency_code: str
    price: str


class VariantOption(TypedDict):
    group: str
    value: str


class Variant(TypedDict):
    external_id: str
    sku: str
    weight_in_grams: NotRequired[float | None]
    position: NotRequired[int]
    cart_image_url: NotRequired[str | None]
    rrp: NotRequired[list[RrpPrice]]
    options: NotRequired[list[VariantOption]]
    status: NotRequired[VariantStatus]


class Product(TypedDict):
    external_id: str
    title: str
    slug: str
    variants: NotRequired[list[Variant]]


class StockRow(TypedDict):
    """One SKU's level at one location; SparkLayer also takes the location by its own id instead."""

    sku: str
    stock_location_external_id: str
    stock_level: int
    restock_date: NotRequired[str | None]
    stock_location_id: NotRequired[str]


class StockLocation(TypedDict):
    """``POST /api/v1/stock-locations``: both fields required; ``external_id`` unique per site."""

    external_id: str
    name: str


class CustomerGroup(TypedDict):
    """``POST /api/v1/customer-groups``: ``parent_slug`` must exist (SparkLayer's own ``base`` always does)."""

    slug: str
    name: str
    parent_slug: NotRequired[str]


#: the customer group every SparkLayer site has; customers without a group are in it
BASE_CUSTOMER_GROUP = "base"


def customer_group_for_slug(slug: str, *, name: str = "") -> CustomerGroup:
    """The group a customer's ``group`` slug needs, under ``base``: ``trade-gold`` → "Trade Gold"."""
    title = " ".join(word.capitalize() for word in slug.replace("_", "-").split("-") if word)
    return {"slug": slug, "name": name or title or slug, "parent_slug": BASE_CUSTOMER_GROUP}


class PriceList(TypedDict):
    slug: str
    name: str
    currency_code: str
    source: NotRequired[Literal["custom", "platform", "integration"]]
    tax_inclusive_display: NotRequired[bool]


class PriceBreak(TypedDict):
    quantity: int
    price: str


class PricingItem(TypedDict):
    """One (SKU, price list) pair; SparkLayer replaces that pair's prices with ``pricing``."""

    sku: str
    price_list_slug: str
    pricing: list[PriceBreak]


class Address(TypedDict):
    external_id: str
    address_line1: str
    city: str
    country_code: str
    address_line2: NotRequired[str | None]
    region_code: NotRequired[str | None]
    postal_code: NotRequired[str | None]
    first_name: NotRequired[str | None]
    last_name: NotRequired[str | None]
    company: NotRequired[str | None]
    phone: NotRequired[str | None]
    nickname: NotRequired[str | None]


class Customer(TypedDict):
    """A full-replace customer (v2 upsert): every field left out is cleared in SparkLayer."""

    external_id: str
    email: str
    first_name: NotRequired[str | None]
    last_name: NotRequired[str | None]
    company_name: NotRequired[str | None]
    accounting_id: NotRequired[str | None]
    group: NotRequired[str]
    role: NotRequired[str]
    status: NotRequired[str]
    tax_exempt: NotRequired[bool]
    discount_percentage: NotRequired[float | None]
    price_lists: NotRequired[list[str]]
    sales_agent_groups: NotRequired[list[str]]
    currency_code: NotRequired[str | None]
    addresses: NotRequired[list[Address]]
    default_billing_address_id: NotRequired[str | None]
    default_shipping_address_id: NotRequired[str | None]


class PurchaseIdentifiers(TypedDict):
    platform: str
    visible: NotRequired[str]
    sparklayer: NotRequired[str]
    internal: NotRequired[str]


class CustomerIdentifiers(TypedDict):
    platform: str


class Purchase(TypedDict):
    type: Literal["order"]
    purchase_identifiers: PurchaseIdentifiers
    customer_identifiers: CustomerIdentifiers
    dates: dict[str, str]
    currency_code: str
    calculated_total: Money
    billing_address: NotRequired[dict[str, object]]
    packages: list[dict[str, object]]
    accounting_files: list[dict[str, object]]
    custom_fields: list[dict[str, object]]


class Setting(TypedDict):
    key: str
    value: object


class MerchantSettings(TypedDict):
    """The merchant record's payload: ``settings`` is the body of ``PATCH /api/v1/settings``."""

    settings: list[Setting]


class SyncLogError(TypedDict):
    external_id: str
    message: str
    external_url: NotRequired[str]
    visible_id: NotRequired[str]


class SyncLogFull(TypedDict):
    """Full-sync report. Omitted timestamps are cleared; ``errors`` replace the stored ones."""

    started_full_sync: NotRequired[str | None]
    last_full_sync: NotRequired[str | None]
    last_full_sync_succeeded: NotRequired[bool]
    errors: NotRequired[list[SyncLogError]]


class SyncLogPartial(TypedDict):
    """Partial-sync report: bump ``last_partial_sync``, add errors, resolve errors by external id."""

    last_partial_sync: str
    errors_added: NotRequired[list[SyncLogError]]
    errors_resolved: NotRequired[list[str]]


def cap_sync_log_errors(
    errors: Iterable[SyncLogError], limit: int = SYNC_LOG_ERROR_LIMIT
) -> tuple[list[SyncLogError], int]:
    """Keep the first error per ``external_id``, at most ``limit`` of them; return them and how many were dropped.

    SparkLayer refuses a report with duplicate external ids or more than 5,000 errors, which would
    lose every error instead of a few; the caller records the dropped count in the job's result so
    nothing disappears silently.
    """
    kept: list[SyncLogError] = []
    seen: set[str] = set()
    dropped = 0
    for error in errors:
        external_id = error["external_id"]
        if external_id in seen or len(kept) >= limit:
            dropped += 1
            continue
        seen.add(external_id)
        kept.append(error)
    return kept, dropped
