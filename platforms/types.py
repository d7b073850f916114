"""Value types shared by every platform adapter and by the sync engine above them.

Plain dataclasses: no Django models live in ``platforms/``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sparklayer.payloads import PricingItem, StockRow


class DataType(StrEnum):
    """SparkLayer's sync data types (docs/ignite-contract.md §1.3, §1.4)."""

    PRODUCTS = "products"
    CUSTOMERS = "customers"
    PURCHASES = "purchases"
    MERCHANT = "merchant"
    CUSTOMER_GROUPS = "customer_groups"
    STOCK = "stock"


#: types a full sync can be triggered for (docs/ignite-contract.md §1.3)
TRIGGERABLE_DATA_TYPES = (
    DataType.CUSTOMERS,
    DataType.PRODUCTS,
    DataType.PURCHASES,
    DataType.MERCHANT,
    DataType.CUSTOMER_GROUPS,
)
#: types SparkLayer may pull page by page (docs/ignite-contract.md §1.4)
PULLABLE_DATA_TYPES = (DataType.CUSTOMERS, DataType.PRODUCTS, DataType.PURCHASES, DataType.STOCK)
#: types SparkLayer may fetch one record of (docs/ignite-contract.md §1.9): the same as it may pull
FETCHABLE_DATA_TYPES = PULLABLE_DATA_TYPES

#: the external id of the one stock location of a platform with a single stock pool
DEFAULT_STOCK_LOCATION = "default"


@dataclass(frozen=True)
class ConnectExample:
    """An ``extra_config`` that connects a store of one platform, shown in the connect call's API schema."""

    title: str
    extra_config: Mapping[str, str]


class WebhookAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    RESTORED = "restored"


@dataclass(frozen=True)
class RecordIssue:
    """Why one platform record (or part of it) cannot be synced. Becomes a ``SyncIssue``."""

    external_id: str
    code: str  # stable machine code, e.g. "variant_missing_sku"
    message: str  # human sentence naming the record and the problem
    platform_url: str = ""  # the record's admin page on the store
    visible_id: str = ""  # what a merchant recognises (SKU, email, order number)


@dataclass
class SyncRecord:
    """One platform record, validated and mapped to SparkLayer payloads.

    ``payload`` is the SparkLayer body for the record's own endpoint (a Product with its variants,
    a Customer v2, a Purchase, ``{"settings": [{key, value}]}`` for the merchant record (its
    ``payload["settings"]`` is the body of ``PATCH /api/v1/settings``), a stock row for the stock
    view), or None when the record cannot be pushed at all (then ``issues`` says why). ``issues``
    may be non-empty while ``payload`` is set: the record is pushed without its bad parts (e.g. a
    variation without SKU is left out).

    Products also carry the stock rows and pricing items of their SKUs, which SparkLayer takes
    through batch endpoints. ``deleted`` marks a record the platform no longer has (trashed or
    gone).

    ``read_at`` is when the platform read this record came from *started*, on the clock the sync
    engine handed the adapter (``ReadClock``): the write path never writes data read earlier than
    what SparkLayer already holds. The engine fills it in from the page when an adapter leaves it
    None.
    """

    data_type: DataType
    external_id: str
    payload: dict[str, Any] | None
    platform_url: str = ""
    visible_id: str = ""
    updated_at: datetime | None = None
    stock: list[StockRow] = field(default_factory=list)
    pricing: list[PricingItem] = field(default_factory=list)
    issues: list[RecordIssue] = field(default_factory=list)
    deleted: bool = False
    read_at: datetime | None = None
    #: hash of everything the mapping read (``DeferredMapping``); empty when the adapter gives none
    raw_hash: str = ""


@dataclass
class DeferredMapping:
    """A page read but not mapped yet, for a caller that may skip records (``defer_mapping``).

    ``raw_hashes``: external id → hash of everything mapping the record reads (its store payload
    with its variations, the store settings the mapper uses, the mapper's version), in page order.
    ``map(skip)``: the page's records, in order, mapped now, except those in ``skip`` (external id →
    the variant id → SKU map SparkLayer holds for it): their SKUs are taken as seen (duplicate
    detection across pages), unless one of them is already another variant's, and then that record
    is mapped as well. Each mapped record carries its ``raw_hash``."""

    raw_hashes: dict[str, str]
    map: Callable[[Mapping[str, Mapping[str, str]]], list[SyncRecord]]


#: the engine's clock: "now", on one time line shared by every worker (see ``sync.engine.clock``)
ReadClock = Callable[[], datetime]


@dataclass
class Page:
    """One page of platform records and the cursor that reads the page after it (None: done)."""

    records: list[SyncRecord]
    next_cursor: str | None
    total_pages: int | None = None
    total_records: int | None = None
    #: when the read of this page started (the ``clock`` given to ``iter_pages``); records without
    #: their own ``read_at`` take this one
    read_at: datetime | None = None
    #: set instead of ``records`` (empty) when the caller asked for deferred mapping
    deferred: DeferredMapping | None = None


@dataclass(frozen=True)
class WebhookDelivery:
    """What a verified webhook says happened. ``dedupe_key`` identifies the exact delivery.

    ``message_key``: the dedupe key is the platform's own id of one message (Standard Webhooks'
    ``webhook-id``), so a repeat is a retry of that message and never announces a change of its own.
    Without it (WooCommerce) the key is derived from the delivery's content, which an A-B-A change
    can repeat, and the intake is more careful (``sync/intake/intake.py`` ``delivery_is_repeat``)."""

    data_type: DataType
    record_id: str
    action: WebhookAction
    topic: str
    dedupe_key: str
    delivery_id: str = ""
    occurred_at: datetime | None = None
    message_key: bool = False


@dataclass(frozen=True)
class AuthorizationResult:
    """Credentials handed over by a platform's app-authorisation callback."""

    state: str  # the one-time token we embedded when starting the flow
    credentials: Mapping[str, str]


@dataclass(frozen=True)
class RegisteredWebhook:
    id: str
    topic: str
    delivery_url: str
    status: str = "active"
