"""The WooCommerce platform adapter: one store, read through REST ``wc/v3``, mapped for SparkLayer.

Reading is page by page (``per_page=100``, ordered by id ascending so new records land at the end
and a resumed run does not miss earlier ones), with an opaque cursor the sync engine stores after
each page. A page's variations come from WooCommerce 10.3's cross-product ``GET /variations``
listing (``parent=<the page's variable products>``, about one call per 100 variations) when the
store has it, else from one ``/products/<id>/variations`` call per variable product; either way
they run on a small thread pool while the next listing page is read (``LISTINGS_AHEAD``).

WooCommerce has no customer groups of its own: ``customer_groups`` pages hold the groups the store's
customers are put in through their ``sparklayer_*`` meta (``organisation``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterator, Mapping, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, cast

import orjson
import requests

from ignite_bridge.core.errors import AuthenticationError, PermanentError
from ignite_bridge.core.threads import ContextThreadPoolExecutor
from platforms.base import PlatformAdapter, register_platform
from platforms.prefetch import prefetched
from platforms.types import (
    AuthorizationResult,
    ConnectExample,
    DataType,
    DeferredMapping,
    Page,
    ReadClock,
    RegisteredWebhook,
    SyncRecord,
    WebhookDelivery,
)
from platforms.woocommerce import install, webhooks
from platforms.woocommerce.client import ListPage, WooCommerceClient, ensure_store_url, gmt_param
from platforms.woocommerce.cursor import PAGE_SIZE, ListingCursor
from platforms.woocommerce.customer_requests import WooCommerceCustomerRequestsMixin
from platforms.woocommerce.mapping import (
    StoreSettings,
    is_syncable_order,
    map_customer,
    map_merchant,
    map_order,
    map_product,
    option_values,
    parse_gmt,
    price_list_payloads,
    store_settings_from_options,
)
from platforms.woocommerce.mapping.products import PRODUCT_FIELDS, VARIATION_FIELDS, only_fields
from platforms.woocommerce.organisation import WooCommerceOrganisationMixin
from sparklayer.payloads import PriceList

#: the settings groups holding the options the mapping needs
SETTINGS_GROUPS = ("general", "products", "tax")
ORDERED_BY_ID = {"orderby": "id", "order": "asc"}
#: listing pages read ahead of the page being handed on, their variation calls running meanwhile
LISTINGS_AHEAD = 2


@dataclass(frozen=True)
class _ListingRead:
    """A listing page being read: its position, the read (listing + its variation reads), its read time."""

    position: ListingCursor
    future: Future[tuple[ListPage, list[Future[VariationsByProduct]]]]
    read_at: datetime | None


def _predicted_following(position: ListingCursor) -> ListingCursor | None:
    """The page after ``position`` if it comes back full and the listing's total stays; None when
    that cannot be told yet (no total known) or the listing would end there."""
    if position.total is None or position.offset + PAGE_SIZE >= position.total:
        return None
    return position.after(read=PAGE_SIZE, total=position.total)


def _drop(read: _ListingRead) -> None:
    """A predicted listing read that will not be handed on: cancel it if it has not started, and the
    variation reads it queued that have not started yet (now, or when its listing arrives)."""

    def cancel_variations(done: Future[tuple[ListPage, list[Future[VariationsByProduct]]]]) -> None:
        if done.cancelled() or done.exception() is not None:
            return
        for variations in done.result()[1]:
            variations.cancel()

    read.future.cancel()
    read.future.add_done_callback(cancel_variations)


#: what listing and variation reads ask for (``_fields``): the fields the mapping reads
PRODUCT_FIELDS_PARAM = ",".join(PRODUCT_FIELDS)
VARIATION_FIELDS_PARAM = ",".join(VARIATION_FIELDS)
#: what a single product read asks for (``fetch_record``): a variation's id names its parent
RECORD_FIELDS_PARAM = ",".join((*PRODUCT_FIELDS, "parent_id"))

#: variations asked for in one ``GET /variations?parent=...`` call (a listing page's worth)
VARIATIONS_PER_CALL = 100

VariationsByProduct = dict[Any, list[dict[str, Any]]]

#: bump whenever what ``map_product`` makes of the same input changes (mapping, validation, the
#: settings it reads): every product's raw hash changes with it, so none is skipped unmapped
PRODUCT_MAPPING_VERSION = "1"


def mapping_fingerprint(settings: StoreSettings, store_url: str) -> bytes:
    """What product mapping reads besides the product and its variations."""
    return json.dumps([PRODUCT_MAPPING_VERSION, store_url, repr(settings)], separators=(",", ":")).encode()


def raw_product_hash(product: Mapping[str, Any], variations: list[dict[str, Any]], fingerprint: bytes) -> str:
    """SHA-256 of the fields the mapping reads (``PRODUCT_FIELDS``, ``VARIATION_FIELDS``) of the product
    and its variations as the store sent them, and ``fingerprint``.

    Only those fields, in that order: whether the store honoured ``_fields`` or sent everything, the
    hash is the same, and a change to a field the mapping never reads is no change. Nested values keep
    the store's key order (a store that reorders them only costs a mapping). Serialised with orjson
    (every product of every full sync); what orjson refuses (an integer beyond 64 bits, a key that is
    not a string) with ``json``."""
    document = [only_fields(product, PRODUCT_FIELDS), [only_fields(v, VARIATION_FIELDS) for v in variations]]
    digest = hashlib.sha256(fingerprint)
    try:
        digest.update(orjson.dumps(document, default=str))
    except TypeError:
        digest.update(json.dumps(document, separators=(",", ":"), default=str).encode())
    return digest.hexdigest()


def variation_chunks(products: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Consecutive groups of variable products whose variations (by their ``variations`` id lists)
    fit one page of the cross-product listing; a product with more gets a group of its own."""
    chunk: list[dict[str, Any]] = []
    size = 0
    for product in products:
        count = len(product.get("variations") or [])
        if chunk and size + count > VARIATIONS_PER_CALL:
            yield chunk
            chunk, size = [], 0
        chunk.append(product)
        size += count
    if chunk:
        yield chunk


@register_platform
class WooCommerceAdapter(WooCommerceCustomerRequestsMixin, WooCommerceOrganisationMixin, PlatformAdapter):
    name: ClassVar[str] = "woocommerce"
    data_types: ClassVar[tuple[DataType, ...]] = (
        DataType.PRODUCTS,
        DataType.CUSTOMERS,
        DataType.PURCHASES,
        DataType.MERCHANT,
        DataType.STOCK,
        DataType.CUSTOMER_GROUPS,
    )
    credential_keys: ClassVar[tuple[str, ...]] = tuple(key for pair in install.CREDENTIAL_KEY_PAIRS for key in pair)
    connect_example: ClassVar[ConnectExample | None] = ConnectExample(
        "WooCommerce with API keys",
        {
            "store_url": "https://shop.example.com",
            "woocommerce_api_key": "ck_0123456789abcdef0123456789abcdef01234567",
            "woocommerce_api_secret": "cs_0123456789abcdef0123456789abcdef01234567",
        },
    )

    def __init__(
        self,
        *,
        store_url: str,
        credentials: Mapping[str, str],
        allow_insecure_http: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 5,
        variation_workers: int = 4,
        prefetch_pages: int = 1,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        app_name: str = install.APP_NAME,
    ) -> None:
        super().__init__(
            store_url=store_url,
            credentials=credentials,
            allow_insecure_http=allow_insecure_http,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_attempts=max_attempts,
        )
        self.variation_workers = max(1, variation_workers)
        self.prefetch_pages = max(0, prefetch_pages)
        self.app_name = app_name
        self._session = session
        self._sleep = sleep
        self._client: WooCommerceClient | None = None
        self._settings: StoreSettings | None = None
        self._has_variations_listing: bool | None = None
        self._lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------------

    @property
    def client(self) -> WooCommerceClient:
        """Built on first use so an adapter without keys can still run the install flow."""
        if self._client is None:
            key, secret = self.credentials.get("consumer_key"), self.credentials.get("consumer_secret")
            if not key or not secret:
                raise AuthenticationError("WooCommerce API keys are missing: connect the store first")
            extra: dict[str, Any] = {"session": self._session}
            if self._sleep is not None:
                extra["sleep"] = self._sleep
            self._client = WooCommerceClient(
                self.store_url,
                consumer_key=key,
                consumer_secret=secret,
                allow_insecure_http=self.allow_insecure_http,
                connect_timeout=self.connect_timeout,
                read_timeout=self.read_timeout,
                max_attempts=self.max_attempts,
                **extra,
            )
            self._client.success_log_level = self.success_log_level
        return self._client

    def forget_store_settings(self) -> None:
        """The next ``store_settings`` reads the store again (a settings change must be seen)."""
        with self._lock:
            self._settings = None

    def store_settings(self) -> StoreSettings:
        """Currency, weight unit and tax mode, read once per adapter instance: 3 cheap calls, sent at
        once (every full sync and webhook batch starts with them; against a store that takes 300 ms a
        call, one after the other they were most of a second)."""
        with self._lock:
            if self._settings is None:
                client = self.client  # built here, once, not by three threads at once
                with ContextThreadPoolExecutor(len(SETTINGS_GROUPS), thread_name_prefix="settings") as pool:
                    groups = list(pool.map(lambda group: client.get_or_none(f"settings/{group}"), SETTINGS_GROUPS))
                options: dict[str, Any] = {}
                for found in groups:  # in SETTINGS_GROUPS' order, whichever answered first
                    options.update(option_values(found or []))
                self._settings = store_settings_from_options(options)
            return self._settings

    # -- credentials and the install flow -------------------------------------------------------

    @classmethod
    def credentials_from_extra_config(cls, extra_config: Mapping[str, Any]) -> dict[str, str]:
        return install.credentials_from_extra_config(extra_config)

    def check_credentials(self) -> None:
        """``GET /settings/general``: needs ``manage_woocommerce``, like everything the bridge does."""
        self.client.get_json("settings/general")

    def authorization_url(self, *, callback_url: str, return_url: str, state: str) -> str:
        store = ensure_store_url(self.store_url, allow_insecure_http=self.allow_insecure_http)
        return install.authorization_url(
            store, callback_url=callback_url, return_url=return_url, state=state, app_name=self.app_name
        )

    def parse_authorization_callback(self, body: bytes, headers: Mapping[str, str]) -> AuthorizationResult:
        return install.parse_authorization_callback(body)

    # -- reading records ---------------------------------------------------------------------------

    def iter_pages(
        self,
        data_type: DataType,
        *,
        cursor: str | None = None,
        modified_after: datetime | None = None,
        clock: ReadClock | None = None,
    ) -> Iterator[Page]:
        """Pages from ``cursor``; a cursor carries its own filter, so ``modified_after`` only starts a run.

        Duplicate SKUs are detected across the pages of one call (the SKU map lives as long as
        this generator); a run resumed from a cursor starts a fresh map.
        """
        self._require(data_type)
        if data_type == DataType.MERCHANT:
            read_at = clock() if clock is not None else None
            self.forget_store_settings()  # a full read of the settings is a fresh read
            yield Page(
                records=[map_merchant(self.store_settings(), store_url=self.store_url)],
                next_cursor=None,
                total_pages=1,
                total_records=1,
                read_at=read_at,
            )
            return
        if data_type == DataType.CUSTOMER_GROUPS:
            yield from self.customer_group_pages(cursor)
            return
        state: ListingCursor | None = (
            ListingCursor.parse(cursor)
            if cursor
            else ListingCursor.start(data_type, gmt_param(modified_after) if modified_after else None)
        )
        pages = self._pages(data_type, state, clock)
        yield from prefetched(pages, depth=self.prefetch_pages, on_read=self.on_page_read)

    def _pages(self, data_type: DataType, state: ListingCursor | None, clock: ReadClock | None) -> Iterator[Page]:
        """Listing pages in order, each with its variable products' variations.

        Listing pages are read in parallel: once a listing's total is known, the pages after the
        one being read are predicted (full pages, the same total) and read at the same time, up to
        ``listings_ahead`` of them (the store's concurrency, ``read_limiter``, bounds the calls).
        Each page's variations are read as soon as its listing arrives. A prediction is checked
        against what the page before it actually answered (``_following``): when a page came back
        short or the total moved, the predicted reads are dropped and reading goes on from the
        real position, so the pages handed on are exactly those a one-at-a-time reader would hand
        on. A listing that fails is raised only after the pages before it were yielded, so they
        are checkpointed as they would be without the read-ahead."""
        seen_skus: dict[str, str] = {}
        limit = self.read_limiter.maximum if self.read_limiter else 0
        ahead = self._listings_ahead()
        pool = ThreadPoolExecutor(max_workers=max(self.variation_workers, limit), thread_name_prefix="variations")
        listings = ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="listings")
        pending: deque[_ListingRead] = deque()
        upcoming = state  # the next position to submit a read for (None: unknown until a page answers)

        def submit(position: ListingCursor) -> None:
            read_at = clock() if clock is not None else None  # before the read starts: never later
            future = listings.submit(self._read_listing_and_variations, data_type, position, pool)
            pending.append(_ListingRead(position, future, read_at))

        try:
            while pending or upcoming is not None:
                while upcoming is not None and len(pending) < ahead:
                    submit(upcoming)
                    upcoming = _predicted_following(upcoming)
                read = pending.popleft()
                listing, futures = read.future.result()  # a failed read raises here, in page order
                following = self._following(data_type, read.position, listing)
                if (pending[0].position if pending else upcoming) != following:
                    for dropped in pending:  # predicted from a page that came back otherwise
                        _drop(dropped)
                    pending.clear()
                    upcoming = following
                variations: VariationsByProduct = {}
                for future in futures:
                    variations.update(future.result())
                page = self._page(data_type, read.position, listing, variations, seen_skus)
                page.read_at = read.read_at
                yield page
        finally:
            listings.shutdown(wait=False, cancel_futures=True)
            pool.shutdown(wait=False, cancel_futures=True)

    def _read_listing_and_variations(
        self, data_type: DataType, state: ListingCursor, pool: ThreadPoolExecutor
    ) -> tuple[ListPage, list[Future[VariationsByProduct]]]:
        listing = self._read_listing(data_type, state)
        futures: list[Future[VariationsByProduct]] = []
        if data_type in (DataType.PRODUCTS, DataType.STOCK):
            futures = self._submit_variations(pool, listing.items)  # may ask the store once
        return listing, futures

    def _read_listing(self, data_type: DataType, state: ListingCursor) -> ListPage:
        path, params = self._listing(data_type, state)
        with self._store_slot("listing"):
            return self.client.list_page(path, params=params, offset=state.offset)

    def _listings_ahead(self) -> int:
        """Listing pages read at once: the store's maximum concurrency, when a sync set one, or ``LISTINGS_AHEAD``."""
        return max(LISTINGS_AHEAD, self.read_limiter.maximum if self.read_limiter else 0)

    @contextmanager
    def _store_slot(self, kind: str) -> Iterator[None]:
        """The store reads inside run within ``read_limiter`` (when a full sync set one), a slot an
        attempt (``WooCommerceClient.reads_within``): a refusal (429/502/503/504), a timeout or a dropped
        connection counts as an overload the moment it comes; latency is measured."""
        limiter = self.read_limiter
        if limiter is None:
            yield
            return
        with self.client.reads_within(limiter, kind):
            yield

    @staticmethod
    def _following(data_type: DataType, state: ListingCursor, listing: ListPage) -> ListingCursor | None:
        if listing.has_next and listing.items:
            return state.after(read=len(listing.items), total=listing.total_records)
        return state.next_phase(data_type)

    def _page(
        self,
        data_type: DataType,
        state: ListingCursor,
        listing: ListPage,
        variations: Mapping[Any, list[dict[str, Any]]],
        seen_skus: MutableMapping[str, str],
    ) -> Page:
        deferred: DeferredMapping | None = None
        if data_type == DataType.PRODUCTS and self.defer_mapping:
            records = []
            deferred = self._deferred_products(listing.items, variations, seen_skus)
        elif data_type in (DataType.PRODUCTS, DataType.STOCK):
            records = self._map_products(listing.items, variations, seen_skus)
            if data_type == DataType.STOCK:
                records = [stock for record in records for stock in stock_records(record)]
        elif data_type == DataType.CUSTOMERS:
            records = [map_customer(item, store_url=self.store_url) for item in listing.items]
            after = parse_gmt(state.modified_after)
            if after is not None:  # customers have no modified filter: filter here
                records = [r for r in records if r.updated_at is None or r.updated_at > after]
        else:
            records = [map_order(o, store_url=self.store_url) for o in listing.items if is_syncable_order(o)]
        following = self._following(data_type, state, listing)
        return Page(
            records=records,
            next_cursor=following.serialize() if following else None,
            total_pages=listing.total_pages,
            total_records=listing.total_records,
            deferred=deferred,
        )

    def _deferred_products(
        self,
        products: list[dict[str, Any]],
        variations: Mapping[Any, list[dict[str, Any]]],
        seen_skus: MutableMapping[str, str],
    ) -> DeferredMapping:
        """Hash the page now (on the reading thread); map it when the caller has chosen what to skip.

        ``seen_skus`` is only touched by ``map``, which the caller runs page after page, in order."""
        settings = self.store_settings()
        fingerprint = mapping_fingerprint(settings, self.store_url)
        hashes = {str(p.get("id")): raw_product_hash(p, variations.get(p["id"], []), fingerprint) for p in products}

        def map_page(skip: Mapping[str, Mapping[str, str]]) -> list[SyncRecord]:
            records = []
            for product in products:
                external_id = str(product.get("id"))
                held = skip.get(external_id)
                if held is not None and all(seen_skus.setdefault(sku.strip(), vid) == vid for vid, sku in held.items()):
                    continue
                record = map_product(
                    product,
                    variations.get(product["id"], []),
                    settings=settings,
                    store_url=self.store_url,
                    seen_skus=seen_skus,
                )
                record.raw_hash = hashes[external_id]
                records.append(record)
            return records

        return DeferredMapping(raw_hashes=hashes, map=map_page)

    def _listing(self, data_type: DataType, state: ListingCursor) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = dict(ORDERED_BY_ID)
        if data_type == DataType.CUSTOMERS:
            return "customers", {**params, "role": "all"}
        if state.modified_after:
            params.update({"modified_after": state.modified_after, "dates_are_gmt": "true"})
        if data_type == DataType.PURCHASES:
            return "orders", params
        params["status"] = state.status or "any"
        params["_fields"] = PRODUCT_FIELDS_PARAM
        return "products", params

    def _map_products(
        self,
        products: list[dict[str, Any]],
        variations: Mapping[Any, list[dict[str, Any]]],
        seen_skus: MutableMapping[str, str],
    ) -> list[SyncRecord]:
        settings = self.store_settings()
        return [
            map_product(
                product,
                variations.get(product["id"], []),
                settings=settings,
                store_url=self.store_url,
                seen_skus=seen_skus,
            )
            for product in products
        ]

    def _submit_variations(
        self, pool: ThreadPoolExecutor, products: list[dict[str, Any]]
    ) -> list[Future[VariationsByProduct]]:
        """Queue the reads of a page's variations: with ``GET /variations?parent=...`` (WooCommerce
        10.3+) about one call per 100 variations, otherwise one call per variable product."""
        variable = [p for p in products if p.get("type") == "variable"]
        if not variable:
            return []
        if self._variations_listing_available():
            return [pool.submit(self._limited, self._variations_of, chunk) for chunk in variation_chunks(variable)]
        return [pool.submit(self._limited, self._variations_by_product, p["id"]) for p in variable]

    def _limited(self, read: Callable[[Any], VariationsByProduct], arg: Any) -> VariationsByProduct:
        with self._store_slot("variations"):
            return read(arg)

    def _variations_listing_available(self) -> bool:
        """Whether the store has the cross-product ``GET /variations`` listing: asked once per adapter.

        Older stores answer ``404 rest_no_route``; any other failure is raised as usual. The probe
        asks for ``parent=0``, which no variation has (so the store reads none): a store that
        answers with variations ignores ``parent`` and is read per product too."""
        with self._lock:
            if self._has_variations_listing is None:
                try:
                    probe = self.client.list_page(
                        "variations", per_page=1, params={**ORDERED_BY_ID, "parent": 0, "_fields": "id"}
                    )
                    self._has_variations_listing = not probe.items
                except PermanentError as exc:
                    if exc.status != 404:
                        raise
                    self._has_variations_listing = False
            return self._has_variations_listing

    def _variations_of(self, products: list[dict[str, Any]]) -> VariationsByProduct:
        """The variations of ``products`` from the cross-product listing, grouped by parent, id order."""
        found: VariationsByProduct = {p["id"]: [] for p in products}
        parents = ",".join(str(p["id"]) for p in products)
        params = {**ORDERED_BY_ID, "parent": parents, "_fields": VARIATION_FIELDS_PARAM}
        for variation in self.client.iter_list("variations", params=params):
            siblings = found.get(variation.get("parent_id"))
            if siblings is None:  # not one of ours: the filter was not applied, so read these per product
                return {p["id"]: self._variations(p["id"]) for p in products}
            siblings.append(variation)
        for product in products:
            # A variation deleted while this listing was paged moves the later ones forward; one
            # that the product lists but the page lacks is read again with its product.
            listed = {str(v) for v in product.get("variations") or []}
            if not listed <= {str(v.get("id")) for v in found[product["id"]]}:
                found[product["id"]] = self._variations(product["id"])
        return found

    def _variations_by_product(self, product_id: Any) -> VariationsByProduct:
        return {product_id: self._variations(product_id)}

    def _variations(self, product_id: Any) -> list[dict[str, Any]]:
        try:
            params = {**ORDERED_BY_ID, "_fields": VARIATION_FIELDS_PARAM}
            return list(self.client.iter_list(f"products/{product_id}/variations", params=params))
        except PermanentError as exc:
            if exc.status == 404:  # deleted since the page was read: nothing to map
                return []
            raise

    def fetch_record(self, data_type: DataType, record_id: str) -> SyncRecord | None:
        self._require(data_type)
        if data_type == DataType.MERCHANT:
            return map_merchant(self.store_settings(), store_url=self.store_url)
        if data_type == DataType.PRODUCTS:
            fields = {"_fields": RECORD_FIELDS_PARAM}  # what the mapping reads, and where a variation belongs
            product = self.client.get_or_none(f"products/{record_id}", params=fields)
            if product is not None and product.get("type") == "variation" and product.get("parent_id"):
                product = self.client.get_or_none(f"products/{product['parent_id']}", params=fields)
            if product is None:
                return None
            found = self._variations(product["id"]) if product.get("type") == "variable" else []
            return map_product(product, found, settings=self.store_settings(), store_url=self.store_url)
        if data_type == DataType.CUSTOMERS:
            customer = self.client.get_or_none(f"customers/{record_id}")
            return map_customer(customer, store_url=self.store_url) if customer is not None else None
        if data_type == DataType.PURCHASES:
            order = self.client.get_or_none(f"orders/{record_id}")
            if order is None or not is_syncable_order(order):
                return None
            return map_order(order, store_url=self.store_url)
        if data_type == DataType.STOCK:
            raise ValueError("stock rows are read with their product: use fetch_stock(sku)")
        raise ValueError(f"WooCommerce has no single {data_type} record to fetch")

    def iter_record_ids(self, data_type: DataType) -> Iterator[str]:
        """Live ids via ``_fields``; trashed products and draft orders are not live. The id pages are
        read several at once (``read_limiter``, when set, bounds and adapts the calls)."""
        self._require(data_type)
        ahead = self._listings_ahead()

        def listing(path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
            return self.client.iter_list_by_offset(
                path, params={**ORDERED_BY_ID, **params}, ahead=ahead, slot=lambda: self._store_slot("ids")
            )

        if data_type == DataType.PRODUCTS:
            items = listing("products", {"_fields": "id"})
        elif data_type == DataType.CUSTOMERS:
            items = listing("customers", {"role": "all", "_fields": "id"})
        elif data_type == DataType.PURCHASES:
            items = (order for order in listing("orders", {"_fields": "id,status"}) if is_syncable_order(order))
        else:
            raise ValueError(f"{data_type} has no record ids on WooCommerce")
        for item in items:
            yield str(item["id"])

    def price_lists(self) -> list[PriceList]:
        return price_list_payloads(self.store_settings())

    def _require(self, data_type: DataType) -> None:
        if data_type not in self.data_types:
            raise ValueError(f"WooCommerce does not sync {data_type}")

    # -- webhooks ----------------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], secret: str) -> WebhookDelivery | None:
        return webhooks.verify_webhook(body, headers, secret)

    def register_webhooks(
        self, *, delivery_url: str, secret: str, data_types: Collection[DataType] | None = None
    ) -> list[RegisteredWebhook]:
        return webhooks.register_webhooks(self.client, delivery_url=delivery_url, secret=secret, data_types=data_types)

    def unregister_webhooks(self, *, delivery_url: str) -> int:
        return webhooks.unregister_webhooks(self.client, delivery_url=delivery_url)

    def repair_webhooks(
        self, *, delivery_url: str, secret: str, data_types: Collection[DataType] | None = None
    ) -> list[str]:
        return webhooks.repair_webhooks(self.client, delivery_url=delivery_url, secret=secret, data_types=data_types)


def stock_records(record: SyncRecord) -> list[SyncRecord]:
    """The stock-row view of a product record: one record per row, keyed by SKU (the pull endpoint's items)."""
    return [
        SyncRecord(
            data_type=DataType.STOCK,
            external_id=row["sku"],
            payload=cast(dict[str, Any], row),
            platform_url=record.platform_url,
            visible_id=row["sku"],
            updated_at=record.updated_at,
        )
        for row in record.stock
    ]
