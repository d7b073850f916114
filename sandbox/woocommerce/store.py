"""The sandbox store's whole in-memory state, behind one lock.

Records start as catalogue headers and are generated on read; a record written through the API
is stored whole from then on. Every write bumps ``version`` (which invalidates cached listings)
and emits ``(topic, resource id)`` events that the webhook dispatcher turns into deliveries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sandbox.woocommerce.catalogue import START_TS, Catalogue, OrderHeader, PersonHeader, ProductHeader
from sandbox.woocommerce.common import date_fields, lru_get
from sandbox.woocommerce.store_config import StoreConfig

EventListener = Callable[[str, int], None]

LIST_CACHE_SIZE = 256
GENERATED_CACHE_SIZE = 8192  # generated records kept for re-reads: a listing page's products and variations


class WooStore:
    """State of one store. Callers hold ``lock`` around every read and write."""

    def __init__(
        self,
        *,
        seed: int,
        products: int,
        customers: int,
        orders: int,
        currency: str,
        weight_unit: str,
        prices_include_tax: bool,
        consumer_key: str,
        consumer_secret: str,
        base_url: str | None,
    ) -> None:
        self.lock = threading.RLock()
        self.sizes = {"products": products, "customers": customers, "orders": orders}
        self.seed = seed
        self.options = {"currency": currency, "weight_unit": weight_unit, "prices_include_tax": prices_include_tax}
        self.initial_key = (consumer_key, consumer_secret)
        self.configured_base_url = base_url
        self.listeners: list[EventListener] = []
        self.reset()

    def reset(self) -> None:
        """Back to the seeded starting state (webhooks, created keys and changes are forgotten)."""
        with self.lock:
            self.base_url = (self.configured_base_url or "").rstrip("/")
            self.catalogue = Catalogue(seed=self.seed, **self.sizes)
            self.config = StoreConfig.create(
                currency=str(self.options["currency"]),
                weight_unit=str(self.options["weight_unit"]),
                prices_include_tax=bool(self.options["prices_include_tax"]),
            )
            self.products: dict[int, ProductHeader] = self.catalogue.products
            self.variation_parent: dict[int, int] = self.catalogue.variation_parent
            self.product_records: dict[int, dict[str, Any]] = {}
            self.variation_records: dict[int, dict[str, Any]] = {}
            self.children: dict[int, list[int]] = {}  # only products whose variations changed
            self.customers: dict[int, PersonHeader] = self.catalogue.customers
            self.customer_records: dict[int, dict[str, Any]] = {}
            self.orders: dict[int, OrderHeader] = self.catalogue.orders
            self.order_records: dict[int, dict[str, Any]] = {}
            self.order_refunds: dict[int, list[dict[str, Any]]] = {}  # order id -> its refunds, newest first
            self.webhooks: dict[int, dict[str, Any]] = {}
            self.api_keys: dict[str, dict[str, Any]] = {}
            self.next_post_id = self.catalogue.next_post_id
            self.next_customer_id = max(self.customers, default=1) + 1
            self.next_order_id = max(self.orders, default=99) + 1
            self.next_webhook_id = 1
            self.next_key_id = 1
            self.next_meta_id = 900_000_000
            self.next_item_id = 800_000_000
            self.version = 0
            self.list_cache: dict[tuple[Any, ...], list[int]] = {}
            self.generated_cache: dict[tuple[int, int], dict[str, Any]] = {}
            self.sku_index: dict[str, set[int]] | None = None
            self.email_index: dict[str, int] | None = None
            self.add_api_key(*self.initial_key, permissions="read_write", description="sandbox")
            self._add_admin()

    def _add_admin(self) -> None:
        self.customers[1] = PersonHeader("administrator", START_TS, START_TS)
        self.customer_records[1] = {
            "id": 1, **date_fields("date_created", START_TS), **date_fields("date_modified", START_TS),
            "email": "admin@sandbox.example.com", "first_name": "Shop", "last_name": "Admin",
            "role": "administrator", "username": "admin",
            "billing": {k: "" for k in ("first_name", "last_name", "company", "address_1", "address_2", "city",
                                         "state", "postcode", "country", "email", "phone")},
            "shipping": {k: "" for k in ("first_name", "last_name", "company", "address_1", "address_2", "city",
                                          "state", "postcode", "country", "phone")},
            "is_paying_customer": False, "avatar_url": "", "meta_data": [],
        }  # fmt: skip

    # ---- keys ----

    def add_api_key(self, key: str, secret: str, *, permissions: str, description: str) -> dict[str, Any]:
        entry = {"key_id": self.next_key_id, "consumer_key": key, "consumer_secret": secret,
                 "permissions": permissions, "description": description, "user_id": 1}  # fmt: skip
        self.next_key_id += 1
        self.api_keys[key] = entry
        return entry

    # ---- bookkeeping every write goes through ----

    def changed(self) -> None:
        self.version += 1
        self.list_cache.clear()

    def emit(self, topic: str, resource_id: int) -> None:
        for listener in self.listeners:
            listener(topic, resource_id)

    def new_meta_id(self) -> int:
        self.next_meta_id += 1
        return self.next_meta_id

    def new_item_id(self) -> int:
        self.next_item_id += 1
        return self.next_item_id

    def cached_list(self, key: tuple[Any, ...], build: Callable[[], list[int]]) -> list[int]:
        """Filtered, sorted id lists are cached until the next write, so paging through 50,000 is cheap.

        Least recently used first out: a full sync interleaves the catalogue listing with one
        variations listing per variable product, and dropping everything when the cache filled up
        re-sorted the 50,000-id listing every page or two."""
        return lru_get(self.list_cache, key, build, LIST_CACHE_SIZE)

    def generated(self, kind: int, record_id: int, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """A never-written record as the catalogue generates it, shared: callers must not mutate it.

        Generation is deterministic (seed, kind and id), so keeping the result changes nothing a
        client sees; it saves regenerating a variation three times per full-sync page (its product's
        price, the variations listing's filter, the listing itself). Least recently used first out."""
        return lru_get(self.generated_cache, (kind, record_id), build, GENERATED_CACHE_SIZE)

    def effective_base_url(self, request_host_url: str) -> str:
        if not self.base_url:
            self.base_url = request_host_url.rstrip("/")
        return self.base_url

    def summary(self) -> dict[str, Any]:
        return {
            "products": len(self.products),
            "variations": len(self.variation_parent),
            "customers": len(self.customers),
            "orders": len(self.orders),
            "webhooks": len(self.webhooks),
            "api_keys": len(self.api_keys),
            "changed_records": len(self.product_records) + len(self.variation_records)
            + len(self.customer_records) + len(self.order_records),
            "version": self.version,
            "seed": self.seed,
            "base_url": self.base_url,
        }  # fmt: skip
