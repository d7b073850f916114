"""The standard platform sandbox's state: records in creation order, subscriptions, checkouts, events.

Every record type is a ``Table``: an id → record dict plus the creation sequence that orders every
listing (a key that never changes, as the Platform API requires). Every change goes through a
method here that stamps ``updated_at`` and emits the event a real platform would send; the caller
holds ``store.lock``.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.standard import seed

RESOURCES = {"products": "product", "customers": "customer", "orders": "order"}
DEFAULT_CAPABILITIES = (
    "customers.write",
    "sub_accounts",
    "addresses",
    "checkout",
    "metafields",
    "storefront.verify",
    "webhooks",
    "conformance",
)
METAFIELD_KEYS = (
    "customer.accounting_id",
    "customer.company_name",
    "customer.discount_percentage",
    "customer.price_lists",
    "customer.group",
    "customer.payment_on_account",
    "customer.billing_address_id",
    "customer.shipping_address_id",
)

Emit = Callable[[str, str], None]


def now() -> datetime:
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Table:
    """Records of one type in creation order; ``updated`` holds each record's ``updated_at``."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    seq: dict[str, int] = field(default_factory=dict)
    updated: dict[str, datetime] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)  # live sequence numbers, ascending
    by_seq: dict[int, str] = field(default_factory=dict)
    next_seq: int = 1

    def add(self, record: dict[str, Any], when: datetime) -> None:
        record_id = record["id"]
        number = self.next_seq
        self.next_seq += 1
        self.records[record_id] = record
        self.seq[record_id] = number
        self.by_seq[number] = record_id
        self.order.append(number)
        self.updated[record_id] = when

    def remove(self, record_id: str) -> None:
        number = self.seq.pop(record_id)
        del self.records[record_id], self.by_seq[number], self.updated[record_id]
        self.order.pop(bisect.bisect_left(self.order, number))

    def after(self, number: int) -> Iterator[str]:
        """Ids in creation order whose sequence number is above ``number``."""
        for position in range(bisect.bisect_right(self.order, number), len(self.order)):
            yield self.by_seq[self.order[position]]


class PlatformStore:
    """Thread-safe only under ``lock``, which every caller takes."""

    def __init__(
        self,
        *,
        products: int,
        customers: int,
        orders: int,
        seed_value: int,
        currency: str,
        base_url: str,
        capabilities: tuple[str, ...],
    ) -> None:
        self.lock = threading.RLock()
        self.counts = (products, customers, orders)
        self.seed_value = seed_value
        self.currency = currency
        self.base_url = base_url.rstrip("/")
        self.capabilities = list(capabilities)
        self.emit: Emit = lambda _type, _id: None
        self.reset()

    def reset(self) -> None:
        rng = random.Random(self.seed_value)
        self.tables = {name: Table() for name in RESOURCES}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.checkouts: dict[str, dict[str, Any]] = {}
        self.metafields = {key: ("enabled" if n < 4 else "disabled") for n, key in enumerate(METAFIELD_KEYS)}
        self.ids = itertools.count(1)
        products, customers, orders = self.counts
        previous_sku = None
        made: dict[str, list[dict[str, Any]]] = {"products": [], "customers": [], "orders": []}
        for n in range(1, products + 1):
            record = seed.product(rng, str(n), previous_sku=previous_sku)
            previous_sku = next((v["sku"] for v in record["variants"] if v["sku"]), previous_sku)
            made["products"].append(record)
        made["customers"] = [seed.customer(rng, str(n)) for n in range(1, customers + 1)]
        made["orders"] = [
            seed.order(rng, str(n), customers=made["customers"], products=made["products"], currency=self.currency)
            for n in range(1, orders + 1)
        ]
        for name, records in made.items():
            for record in records:
                self.tables[name].add(record, seed.moment(rng))
        self.next_ids = {name: len(records) + 1 for name, records in made.items()}

    # -- reading -----------------------------------------------------------------------------

    def render(self, name: str, record_id: str) -> dict[str, Any]:
        """A record as the API answers it (a copy, with ``updated_at`` and the admin link)."""
        table = self.tables[name]
        record = copy.deepcopy(table.records[record_id])
        record["updated_at"] = rfc3339(table.updated[record_id])
        record["admin_url"] = f"{self.base_url}/admin/{name}/{record_id}"
        for variant in record.get("variants") or []:  # images are stored as paths on this store
            if str(variant.get("image_url") or "").startswith("/"):
                variant["image_url"] = self.base_url + variant["image_url"]
        if name == "orders":
            record.setdefault("created_at", rfc3339(table.updated[record_id]))
        return record

    def get(self, name: str, record_id: str) -> dict[str, Any] | None:
        return self.tables[name].records.get(record_id)

    # -- writing (each emits its event) ---------------------------------------------------------

    def new_id(self, name: str) -> str:
        """The next id of a record type (or of ``addresses``, ``webhooks``)."""
        number = self.next_ids.get(name, 1)
        self.next_ids[name] = number + 1
        return str(number)

    def create(self, name: str, record: dict[str, Any]) -> dict[str, Any]:
        self.tables[name].add(record, now())
        if name == "orders":
            record["created_at"] = rfc3339(self.tables[name].updated[record["id"]])
        self.emit(f"{RESOURCES[name]}.created", record["id"])
        return record

    def touch(self, name: str, record_id: str) -> None:
        """The record changed: ``updated_at`` moves, subscribers hear of it."""
        self.tables[name].updated[record_id] = now()
        self.emit(f"{RESOURCES[name]}.updated", record_id)

    def delete(self, name: str, record_id: str) -> None:
        self.tables[name].remove(record_id)
        self.emit(f"{RESOURCES[name]}.deleted", record_id)

    def update_product(self, record_id: str, changes: dict[str, Any]) -> None:
        self.tables["products"].records[record_id].update(changes)
        self.touch("products", record_id)

    def set_stock(self, sku: str, level: int | None) -> str:
        """Set a variant's stock by SKU; returns the product id (whose webhook is sent)."""
        for record in self.tables["products"].records.values():
            for variant in record["variants"]:
                if variant.get("sku") == sku:
                    variant["stock"] = level
                    self.touch("products", record["id"])
                    return str(record["id"])
        raise KeyError(sku)

    def find_customer_by_email(self, email: str) -> dict[str, Any] | None:
        wanted = email.strip().casefold()
        for record in self.tables["customers"].records.values():
            if str(record.get("email") or "").casefold() == wanted:
                return record
        return None

    def variant_by_sku(self, sku: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for record in self.tables["products"].records.values():
            for variant in record["variants"]:
                if variant.get("sku") == sku:
                    return record, variant
        return None

    # -- records the conformance checker asks for ----------------------------------------------

    def conformance_record(self, name: str) -> dict[str, Any]:
        record_id = self.new_id(name)
        rng = random.Random(f"{self.seed_value}-{name}-{record_id}")
        if name == "products":
            record = seed.product(rng, record_id, previous_sku=None)
            record["status"] = "active"
            record["variants"] = record["variants"][:1] or [
                {"id": f"{record_id}-1", "sku": None, "status": "active", "options": [], "price": "1.00",
                 "rrp": None, "weight": None, "image_url": None, "stock": 1}
            ]  # fmt: skip
            record["variants"][0]["sku"] = f"CONF-{record_id}"
            return record
        if name == "customers":
            record = seed.customer(rng, record_id)
            record["email"] = f"conformance.{record_id}@example.com"
            return record
        products = list(self.tables["products"].records.values())[:20]
        customers = list(self.tables["customers"].records.values())[:20]
        return seed.order(rng, record_id, customers=customers, products=products, currency=self.currency)
