"""The interface a platform team implements to plug a store platform into the bridge.

An adapter instance is bound to one store (one connection): its URL and credentials. It never
touches the database; the sync engine and the endpoints above it own all state. Every method that
talks to the platform raises ``ignite_bridge.core.errors.TransientError`` for what may recover
(timeouts, 5xx, 429) and ``PermanentError`` for what cannot (other 4xx). Customer-request methods
raise ``PlatformRequestError`` subclasses the endpoints turn into documented answers.

See ``platforms/README.md`` for a walk-through with the WooCommerce adapter.
"""

from __future__ import annotations

import importlib
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

from platforms.concurrency import AIMDLimiter
from platforms.types import (
    DEFAULT_STOCK_LOCATION,
    AuthorizationResult,
    ConnectExample,
    DataType,
    Page,
    ReadClock,
    RegisteredWebhook,
    SyncRecord,
    WebhookDelivery,
)
from sparklayer.payloads import PriceList, StockLocation


class WebhookVerificationError(Exception):
    """The delivery is not signed by the store (bad, missing or forged signature)."""


class WebhookPayloadInvalid(Exception):
    """The delivery is signed, but its body cannot be read (e.g. JSON nested beyond the limit) (→ 400)."""


class PlatformRequestError(Exception):
    """Base for documented failures of customer-request operations."""

    status = 400
    code = "platform_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class CredentialInvalid(PlatformRequestError):
    """Storefront credential is forged, expired or names an unknown customer (→ 401)."""

    status = 401
    code = "invalid_credential"


class EmailAlreadyTaken(PlatformRequestError):
    """→ 400 ``{"error_code": "email-already-taken"}``."""

    code = "email-already-taken"


class RecordNotFound(PlatformRequestError):
    """→ 404."""

    status = 404
    code = "not_found"


class Platform(ABC):
    """One store on one platform: what every adapter has, whatever else it can do.

    What a platform can do beyond connecting is a capability it inherits: ``SyncSource`` (its
    records are read and pushed to SparkLayer), ``WebhookSource`` (it notifies changes),
    ``InstallFlow`` (the merchant approves the app in the store) and ``StorefrontRequests`` (it
    answers SparkLayer's customer requests). A platform that lacks one does not inherit it, so its
    type says so; callers ask with ``sync_source()``, ``webhook_source()``, ``install_flow()`` or
    ``storefront_requests()``. ``PlatformAdapter`` is all four."""

    #: registry key, e.g. "woocommerce"; also the ``{platform}`` in webhook URLs
    name: ClassVar[str]
    #: data types this platform can sync (a subset of ``DataType``)
    data_types: ClassVar[tuple[DataType, ...]]
    #: ``extra_config`` keys holding this platform's credentials: the connect call refuses a value
    #: there that is not a string of at most 2048 characters before the adapter reads it
    credential_keys: ClassVar[tuple[str, ...]] = ()
    #: a connect call's ``extra_config`` for this platform, for the API schema (None: no example)
    connect_example: ClassVar[ConnectExample | None] = None
    #: the level the adapter's store calls answered below 400 are logged at, given to its HTTP client
    #: when it is built (``HttpClientBase.success_log_level``); a full sync sets it before its first call
    success_log_level: int = logging.INFO

    def __init__(
        self,
        *,
        store_url: str,
        credentials: Mapping[str, str],
        allow_insecure_http: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 5,
    ) -> None:
        self.store_url = store_url.rstrip("/")
        self.credentials = dict(credentials)
        self.allow_insecure_http = allow_insecure_http
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_attempts = max_attempts

    # -- credentials ----------------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def credentials_from_extra_config(cls, extra_config: Mapping[str, Any]) -> dict[str, str]:
        """Pick this platform's credentials out of the connect call's ``extra_config``.

        Returns an empty dict when none were given: a platform with ``InstallFlow`` then runs it, and
        the connect call of one without is refused."""

    @abstractmethod
    def check_credentials(self) -> None:
        """One cheap authenticated call; raises ``PermanentError`` when the store refuses."""


class SyncSource(Platform):
    """A platform whose records the bridge reads and pushes to SparkLayer (full, incremental and pulled syncs)."""

    #: set by a full sync: product pages from ``iter_pages`` come with ``Page.deferred`` (raw hashes,
    #: mapping on demand) instead of ``records``, where the adapter supports it
    defer_mapping: bool = False
    #: set by a full sync: the store reads of ``iter_pages`` take a slot of it (how many at once adapts)
    read_limiter: AIMDLimiter | None = None
    #: set by a full sync: called with each page of ``iter_pages`` as soon as it has been read in full,
    #: before it is handed on (from the thread that reads ahead, when there is one)
    on_page_read: Callable[[Page], None] | None = None

    # -- reading records ---------------------------------------------------------------------

    @abstractmethod
    def iter_pages(
        self,
        data_type: DataType,
        *,
        cursor: str | None = None,
        modified_after: datetime | None = None,
        clock: ReadClock | None = None,
    ) -> Iterator[Page]:
        """Yield pages of validated, mapped records from ``cursor`` (None: the start).

        Each page carries the cursor of the page after it, so a caller that stores it after
        handling the page can resume exactly there. Memory use must not grow with store size.
        When ``clock`` is given, call it just before a page's first platform request and put the
        answer in ``Page.read_at`` (it may be called from another thread). Records that leave an
        earlier page while the listing runs must not make a later record be skipped (the engine
        also checks completeness with ``iter_record_ids``, but a listing that skips is slow to repair)."""

    @abstractmethod
    def fetch_record(self, data_type: DataType, record_id: str) -> SyncRecord | None:
        """The record as the platform has it now, mapped; None when it no longer exists."""

    @abstractmethod
    def iter_record_ids(self, data_type: DataType) -> Iterator[str]:
        """Every live record id of a type (cheap listing, ids only): what a full sync must have seen.

        Used for completeness (ids the page listing missed are read one by one) and deletions (a
        record SparkLayer has that this listing lacks is confirmed gone with ``fetch_record``)."""

    @abstractmethod
    def price_lists(self) -> list[PriceList]:
        """SparkLayer price-list payloads the products' pricing items refer to."""

    def stock_locations(self) -> list[StockLocation]:
        """The stock locations the stock rows name, as SparkLayer creates them: ``[{external_id, name}]``.

        SparkLayer refuses stock at a location it does not have, so the sync creates these before
        the first stock write (and renames one whose name changed). Default: one location,
        ``DEFAULT_STOCK_LOCATION``, named after the store's host: right for a platform with one
        stock pool. A platform with warehouses returns one per warehouse its rows name."""
        host = urlsplit(self.store_url).hostname or self.store_url
        return [{"external_id": DEFAULT_STOCK_LOCATION, "name": host}]

    def fetch_stock(self, sku: str) -> SyncRecord | None:
        """The stock row of one SKU, exactly as the ``stock`` pages list it; None when no variant has it.

        Default: unsupported (``ValueError``), for a platform that cannot look a SKU up."""
        raise ValueError(f"{self.name} cannot fetch the stock of one SKU")


class WebhookSource(Platform):
    """A platform that notifies changes with signed webhooks the bridge subscribes to."""

    # -- webhooks ------------------------------------------------------------------------------

    @abstractmethod
    def verify_webhook(self, body: bytes, headers: Mapping[str, str], secret: str) -> WebhookDelivery | None:
        """Verify a delivery on its raw body. None for a ping/handshake that carries no event.

        Raises ``WebhookVerificationError`` when the signature is missing or wrong."""

    @abstractmethod
    def register_webhooks(
        self, *, delivery_url: str, secret: str, data_types: Collection[DataType] | None = None
    ) -> list[RegisteredWebhook]:
        """Create (or reuse) this bridge's webhooks on the store for ``data_types`` (None: every type
        the platform notifies), and remove the bridge's webhooks of other types. Idempotent."""

    @abstractmethod
    def unregister_webhooks(self, *, delivery_url: str) -> int:
        """Delete the webhooks pointing at ``delivery_url``; returns how many were removed."""

    @abstractmethod
    def repair_webhooks(
        self, *, delivery_url: str, secret: str, data_types: Collection[DataType] | None = None
    ) -> list[str]:
        """Re-enable or re-create disabled/missing webhooks of ``data_types``; returns the topics it fixed."""


class InstallFlow(Platform):
    """A platform where the merchant approves the app and the store hands the bridge its credentials."""

    @abstractmethod
    def authorization_url(self, *, callback_url: str, return_url: str, state: str) -> str:
        """Where to send the merchant to approve the app (``redirect_url`` of the connect call)."""

    @abstractmethod
    def parse_authorization_callback(self, body: bytes, headers: Mapping[str, str]) -> AuthorizationResult:
        """Read the credentials the platform hands over; raises ``ValueError`` on a malformed body."""


class StorefrontRequests(Platform):
    """A platform that answers SparkLayer's customer requests inline (login, customers, addresses, checkout)."""

    # -- customer requests (inline, short timeouts) -------------------------------------------

    @abstractmethod
    def verify_storefront_credential(
        self, credential: str, *, secret: str, audience: str = "", issuer: str = "", max_lifetime_seconds: int = 3600
    ) -> str:
        """The platform customer id the credential proves; raises ``CredentialInvalid``.

        ``audience``/``issuer``, when not empty, must match the token's ``aud``/``iss``; a token
        may not be valid for longer than ``max_lifetime_seconds`` (see ``docs/storefront-login.md``)."""

    @abstractmethod
    def customer_upsert(self, data: Mapping[str, Any]) -> str:
        """Create or update the customer with ``data["email"]``; returns its id."""

    @abstractmethod
    def sub_account_create(self, data: Mapping[str, Any]) -> str: ...

    @abstractmethod
    def sub_account_update(self, customer_id: str, data: Mapping[str, Any]) -> str: ...

    @abstractmethod
    def sub_account_delete(self, customer_id: str) -> None: ...

    @abstractmethod
    def address_create(self, customer_id: str, address: Mapping[str, Any]) -> dict[str, Any]: ...

    @abstractmethod
    def address_update(self, customer_id: str, address_id: str, address: Mapping[str, Any]) -> dict[str, Any]: ...

    @abstractmethod
    def address_delete(self, customer_id: str, address_id: str) -> None: ...

    @abstractmethod
    def checkout_calculate(self, data: Mapping[str, Any]) -> dict[str, Any]: ...

    @abstractmethod
    def checkout_complete(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Must be idempotent on ``data["cart_id"]``: a retry returns the same order."""

    @abstractmethod
    def metafield_list(self) -> list[dict[str, str]]: ...

    @abstractmethod
    def metafield_enable(self, key: str) -> dict[str, str]: ...


class PlatformAdapter(SyncSource, WebhookSource, InstallFlow, StorefrontRequests):
    """A platform with every capability (WooCommerce): what ``mypy`` checks a full adapter against."""


PlatformT = TypeVar("PlatformT", bound=Platform)


class PlatformCapabilityMissing(PlatformRequestError):
    """The connection's platform lacks a capability the call needs (→ 501 problem for a customer request)."""

    status = 501
    code = "capability_missing"

    def __init__(self, platform: str, capability: str) -> None:
        super().__init__(f"The {platform} platform does not offer {capability}.")
        self.platform = platform
        self.capability = capability


def sync_source(adapter: Platform) -> SyncSource:
    """``adapter`` as a ``SyncSource``; ``PlatformCapabilityMissing`` when its platform is not one."""
    if isinstance(adapter, SyncSource):
        return adapter
    raise PlatformCapabilityMissing(adapter.name, "SyncSource")


def webhook_source(adapter: Platform) -> WebhookSource:
    """``adapter`` as a ``WebhookSource``; ``PlatformCapabilityMissing`` when its platform is not one."""
    if isinstance(adapter, WebhookSource):
        return adapter
    raise PlatformCapabilityMissing(adapter.name, "WebhookSource")


def install_flow(adapter: Platform) -> InstallFlow:
    """``adapter`` as an ``InstallFlow``; ``PlatformCapabilityMissing`` when its platform is not one."""
    if isinstance(adapter, InstallFlow):
        return adapter
    raise PlatformCapabilityMissing(adapter.name, "InstallFlow")


def storefront_requests(adapter: Platform) -> StorefrontRequests:
    """``adapter`` as ``StorefrontRequests``; ``PlatformCapabilityMissing`` when its platform is not one."""
    if isinstance(adapter, StorefrontRequests):
        return adapter
    raise PlatformCapabilityMissing(adapter.name, "StorefrontRequests")


#: the adapters a deployment runs when its settings do not say (``IGNITE_PLATFORMS``): dotted paths
DEFAULT_PLATFORMS: tuple[str, ...] = (
    "platforms.woocommerce.adapter.WooCommerceAdapter",
    "platforms.standard.adapter.StandardAdapter",
)

_REGISTRY: dict[str, type[Platform]] = {}
_registry_lock = threading.Lock()


def register_platform(cls: type[PlatformT]) -> type[PlatformT]:
    """Class decorator kept for adapters that register on import; ``IGNITE_PLATFORMS`` decides what runs."""
    return cls


def configured_platform_paths() -> tuple[str, ...]:
    """``settings.IGNITE_PLATFORMS`` when Django is configured, else ``DEFAULT_PLATFORMS``."""
    try:
        from django.conf import settings

        paths = getattr(settings, "IGNITE_PLATFORMS", None) if settings.configured else None
    except ImportError:  # platforms used without Django (a script, the conformance checker's library)
        paths = None
    return tuple(paths or DEFAULT_PLATFORMS)


def load_platform(path: str) -> type[Platform]:
    """The adapter class at a dotted path; ``ImportError``/``TypeError`` naming the path when it is not one."""
    module_name, _, class_name = path.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ImportError(f"IGNITE_PLATFORMS: cannot import {path!r} ({exc})") from exc
    if not (isinstance(found, type) and issubclass(found, Platform)):
        raise TypeError(f"IGNITE_PLATFORMS: {path!r} is not a Platform subclass")
    return found


def _registry() -> dict[str, type[Platform]]:
    if not _REGISTRY:
        with _registry_lock:
            if not _REGISTRY:
                loaded = {cls.name: cls for cls in map(load_platform, configured_platform_paths())}
                _REGISTRY.update(loaded)
    return _REGISTRY


def platform_adapter_class(name: str) -> type[Platform]:
    """The adapter class registered under ``name``; ``KeyError`` when unknown."""
    return _registry()[name]


def platform_names() -> list[str]:
    return sorted(_registry())


def platform_credential_keys() -> tuple[str, ...]:
    """Every configured platform's ``credential_keys``, in ``IGNITE_PLATFORMS`` order, each once."""
    keys = (key for cls in _registry().values() for key in cls.credential_keys)
    return tuple(dict.fromkeys(keys))


def platform_connect_examples() -> list[ConnectExample]:
    """The connect examples the configured platforms declare, in ``IGNITE_PLATFORMS`` order."""
    return [cls.connect_example for cls in _registry().values() if cls.connect_example is not None]
