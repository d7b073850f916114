"""The standard platform adapter: one store that implements the Platform API (``docs/platform-api.md``).

Reading is page by page with the platform's own stable cursor (``limit=PAGE_SIZE``), the next page
read while the current one is handled (``platforms.prefetch``). Records are already close to
SparkLayer's shapes, so the mapping is thin and the bridge's validation rules still report the
merchant's data problems as issues. Webhooks follow the Standard Webhooks specification
(``signatures``, ``webhooks``); customer requests map one to one onto the API's
(``customer_requests``), each refused with a 501 problem when the platform does not announce the
capability it needs.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from ignite_bridge.core.errors import AuthenticationError, PermanentError
from platforms.base import StorefrontRequests, SyncSource, WebhookSource, register_platform
from platforms.prefetch import prefetched
from platforms.standard import capabilities as caps
from platforms.standard import install, signatures, webhooks
from platforms.standard.client import IDS_LIMIT, StandardClient, path_id
from platforms.standard.cursor import ListingCursor
from platforms.standard.customer_requests import StandardCustomerRequestsMixin
from platforms.standard.mapping import (
    StoreSettings,
    map_customer,
    map_merchant,
    map_order,
    map_product,
    price_list_payloads,
    stock_records,
    store_settings,
)
from platforms.types import (
    DataType,
    Page,
    ReadClock,
    RegisteredWebhook,
    SyncRecord,
    WebhookDelivery,
)
from sparklayer.payloads import PriceList

#: records asked for per listing page
PAGE_SIZE = 100
#: the Platform API resource of each data type read from a listing (stock rows come with products)
RESOURCES = {
    DataType.PRODUCTS: "products",
    DataType.STOCK: "products",
    DataType.CUSTOMERS: "customers",
    DataType.PURCHASES: "orders",
}


#: ``Page`` field for the bridge-side time a page's read started, when the sync engine has one
@register_platform
class StandardAdapter(StandardCustomerRequestsMixin, SyncSource, WebhookSource, StorefrontRequests):
    """A store behind the Platform API: no install flow (the platform team issues the API token)."""

    name: ClassVar[str] = "standard"
    data_types: ClassVar[tuple[DataType, ...]] = (
        DataType.PRODUCTS,
        DataType.CUSTOMERS,
        DataType.PURCHASES,
        DataType.MERCHANT,
        DataType.STOCK,
    )

    def __init__(self, *, prefetch_pages: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prefetch_pages = max(0, prefetch_pages)
        self._client: StandardClient | None = None
        self._settings: StoreSettings | None = None
        self._lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------------

    @property
    def client(self) -> StandardClient:
        if self._client is None:
            token = self.credentials.get("api_token")
            if not token:
                raise AuthenticationError(
                    "The Platform API token is missing: connect the store with extra_config.api_token"
                )
            self._client = StandardClient(
                self.store_url,
                api_token=token,
                allow_insecure_http=self.allow_insecure_http,
                connect_timeout=self.connect_timeout,
                read_timeout=self.read_timeout,
                max_attempts=self.max_attempts,
            )
            self._client.success_log_level = self.success_log_level
        return self._client

    def discovery(self) -> caps.Discovery:
        """``GET {base}/``, kept per process for ``DISCOVERY_CACHE_SECONDS``."""
        key = caps.cache_key(self.client.base_url, self.client.api_token)
        found = caps.discovery_cached(key)
        if found is None:
            found = caps.parse_discovery(self.client.get_json(""))
            caps.discovery_remember(key, found)
        return found

    def forget_store_settings(self) -> None:
        """The next ``store_settings`` reads the platform again (a settings change must be seen)."""
        with self._lock:
            self._settings = None

    def store_settings(self) -> StoreSettings:
        with self._lock:
            if self._settings is None:
                body = self.client.get_json("settings")
                if not isinstance(body, Mapping):
                    raise PermanentError("platform-api GET /settings: the answer is not an object")
                self._settings = store_settings(body)
            return self._settings

    # -- credentials (no InstallFlow: the token comes in extra_config) --------------------------

    @classmethod
    def credentials_from_extra_config(cls, extra_config: Mapping[str, Any]) -> dict[str, str]:
        return install.credentials_from_extra_config(extra_config)

    def check_credentials(self) -> None:
        """``GET {base}/`` with the token, read fresh: refused token or unsupported API version → PermanentError."""
        discovery = caps.parse_discovery(self.client.get_json(""))
        caps.discovery_remember(caps.cache_key(self.client.base_url, self.client.api_token), discovery)

    # -- reading records ---------------------------------------------------------------------------

    def iter_pages(
        self,
        data_type: DataType,
        *,
        cursor: str | None = None,
        modified_after: datetime | None = None,
        clock: ReadClock | None = None,
    ) -> Iterator[Page]:
        """Pages from ``cursor`` (None: the start). A cursor keeps the catch-up bound it began with.

        Duplicate SKUs are detected across the pages of one call; a run resumed from a cursor
        starts a fresh map (the sync engine keeps its own across a resume)."""
        self._require_type(data_type)
        if data_type == DataType.MERCHANT:
            started = clock() if clock is not None else None
            self.forget_store_settings()  # a full read of the settings is a fresh read
            yield Page(
                records=[map_merchant(self.store_settings())],
                next_cursor=None,
                total_pages=1,
                total_records=1,
                read_at=started,
            )
            return
        if cursor:
            state = ListingCursor.parse(cursor)
        else:
            after = modified_after.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if modified_after else None
            state = ListingCursor(updated_after=after)
        pages = self._pages(data_type, state, clock)
        yield from prefetched(pages, depth=self.prefetch_pages, on_read=self.on_page_read)

    def _pages(self, data_type: DataType, state: ListingCursor, clock: ReadClock | None) -> Iterator[Page]:
        seen_skus: dict[str, str] = {}
        params = {"updated_after": state.updated_after} if state.updated_after else None
        while True:
            started = clock() if clock is not None else None
            listing = self.client.list_page(
                RESOURCES[data_type], cursor=state.platform_cursor, limit=PAGE_SIZE, params=params
            )
            records = self._map_items(data_type, listing.items, seen_skus)
            following = state.following(listing.next_cursor) if listing.next_cursor else None
            if following is not None and following.platform_cursor == state.platform_cursor:
                raise PermanentError(
                    f"platform-api GET /{RESOURCES[data_type]}: next_cursor repeats the cursor asked for"
                )
            page = Page(
                records=records,
                next_cursor=following.serialize() if following else None,
                total_records=listing.total,
                total_pages=-(-listing.total // PAGE_SIZE) if listing.total is not None else None,
                read_at=started,
            )
            yield page
            if following is None:
                return
            state = following

    def _map_items(
        self, data_type: DataType, items: list[Any], seen_skus: MutableMapping[str, str]
    ) -> list[SyncRecord]:
        objects = [item for item in items if isinstance(item, Mapping)]
        if data_type == DataType.CUSTOMERS:
            return [map_customer(item) for item in objects]
        if data_type == DataType.PURCHASES:
            return [map_order(item) for item in objects]
        settings = self.store_settings()
        products = [map_product(item, settings=settings, seen_skus=seen_skus) for item in objects]
        if data_type == DataType.STOCK:
            return [row for record in products for row in stock_records(record)]
        return products

    def fetch_record(self, data_type: DataType, record_id: str) -> SyncRecord | None:
        self._require_type(data_type)
        if data_type == DataType.MERCHANT:
            return map_merchant(self.store_settings())
        if data_type == DataType.STOCK:
            raise ValueError("stock rows are read with their product: fetch the product instead")
        found = self.client.get_or_none(f"{RESOURCES[data_type]}/{path_id(record_id)}")
        if not isinstance(found, Mapping):
            return None
        if data_type == DataType.PRODUCTS:
            return map_product(found, settings=self.store_settings())
        if data_type == DataType.CUSTOMERS:
            return map_customer(found)
        return map_order(found)

    def iter_record_ids(self, data_type: DataType) -> Iterator[str]:
        """``GET {base}/{type}/ids``: every live id, a thousand a call."""
        self._require_type(data_type)
        if data_type not in (DataType.PRODUCTS, DataType.CUSTOMERS, DataType.PURCHASES):
            raise ValueError(f"{data_type} has no record ids on the Platform API")
        for record_id in self.client.iter_listing(f"{RESOURCES[data_type]}/ids", limit=IDS_LIMIT):
            yield str(record_id)

    def price_lists(self) -> list[PriceList]:
        return price_list_payloads(self.store_settings())

    def _require_type(self, data_type: DataType) -> None:
        if data_type not in self.data_types:
            raise ValueError(f"The Platform API does not sync {data_type}")

    # -- webhooks ----------------------------------------------------------------------------------

    def verify_webhook(self, body: bytes, headers: Mapping[str, str], secret: str) -> WebhookDelivery | None:
        secrets = [signatures.secret_for(secret)] if secret else []
        if self.credentials.get("webhook_secret"):
            secrets.append(self.credentials["webhook_secret"])
        public_keys = [self.credentials["webhook_public_key"]] if self.credentials.get("webhook_public_key") else []
        return webhooks.verify_webhook(body, headers, secrets=secrets, public_keys=public_keys)

    def register_webhooks(
        self, *, delivery_url: str, secret: str, data_types: Collection[DataType] | None = None
    ) -> list[RegisteredWebhook]:
        """One subscription carries every event type; events of a type the connection does not sync
        (``customer_sync_scope``) are received and end ``ignored``."""
        if not self.discovery().has(caps.WEBHOOKS):
            return []  # deliveries are set up on the platform by hand (docs/platform-api.md)
        return webhooks.register_webhooks(self.client, delivery_url=delivery_url, secret=secret)

    def unregister_webhooks(self, *, delivery_url: str) -> int:
        if not self.discovery().has(caps.WEBHOOKS):
            return 0
        return webhooks.unregister_webhooks(self.client, delivery_url=delivery_url)

    def repair_webhooks(
        self, *, delivery_url: str, secret: str, data_types: Collection[DataType] | None = None
    ) -> list[str]:
        if not self.discovery().has(caps.WEBHOOKS):
            return []
        return webhooks.repair_webhooks(self.client, delivery_url=delivery_url, secret=secret)
