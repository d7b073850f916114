"""What a platform announces at ``GET {base}/``: the API version and the optional parts it implements.

Reading (products, customers, orders, their ids, settings) is mandatory. Everything else is a
capability a platform may leave out; the bridge then refuses the matching Ignite call with a clear
``501`` problem (``CapabilityMissing``) instead of calling an endpoint that is not there.

The discovery document is read once per process and store for ``DISCOVERY_CACHE_SECONDS``:
customer requests are built per request and a shopper should not wait on an extra call each time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ignite_bridge.core.errors import PermanentError
from ignite_bridge.core.process_cache import ProcessCache
from platforms.base import PlatformRequestError

API_VERSION = "1"

CUSTOMERS_WRITE = "customers.write"
SUB_ACCOUNTS = "sub_accounts"
ADDRESSES = "addresses"
CHECKOUT = "checkout"
METAFIELDS = "metafields"
STOREFRONT_VERIFY = "storefront.verify"
WEBHOOKS = "webhooks"
CONFORMANCE = "conformance"

#: every capability name this version of the API defines, with what it covers
CAPABILITIES: dict[str, str] = {
    CUSTOMERS_WRITE: "creating and updating customers (PUT /customers)",
    SUB_ACCOUNTS: "sub-accounts (/sub-accounts)",
    ADDRESSES: "customer addresses (/customers/{id}/addresses)",
    CHECKOUT: "checkout (/checkout/calculate, /checkout/complete)",
    METAFIELDS: "SparkLayer attribute configuration (/metafields)",
    STOREFRONT_VERIFY: "storefront login verified by the platform (/storefront/verify)",
    WEBHOOKS: "webhook subscriptions managed by the bridge (/webhooks)",
    CONFORMANCE: "test-store fixtures for the conformance checker (/conformance)",
}

DISCOVERY_CACHE_SECONDS = 60.0


class CapabilityMissing(PlatformRequestError):
    """The platform does not implement what an Ignite call needs (→ 501 problem)."""

    status = 501
    code = "capability_missing"

    def __init__(self, capability: str) -> None:
        what = CAPABILITIES.get(capability, capability)
        super().__init__(
            f"This store's platform does not offer {what}: its Platform API does not announce the "
            f"'{capability}' capability (GET {{base}}/)."
        )
        self.capability = capability


@dataclass(frozen=True)
class Discovery:
    api_version: str
    name: str
    capabilities: frozenset[str]

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    def require(self, capability: str) -> None:
        if capability not in self.capabilities:
            raise CapabilityMissing(capability)


def parse_discovery(body: Any) -> Discovery:
    """The discovery document; ``PermanentError`` when it is not one this bridge can work with."""
    if not isinstance(body, Mapping):
        raise PermanentError("platform-api GET /: the answer is not a JSON object")
    version = str(body.get("api_version") or "")
    if version != API_VERSION:
        raise PermanentError(
            f"platform-api GET /: api_version {version or 'missing'!r} is not supported (this bridge speaks "
            f"{API_VERSION!r})"
        )
    capabilities = body.get("capabilities")
    if not isinstance(capabilities, list):
        raise PermanentError("platform-api GET /: capabilities is not a list")
    return Discovery(
        api_version=version,
        name=str(body.get("name") or ""),
        capabilities=frozenset(str(c) for c in capabilities),
    )


#: discovery documents per store and token; many stores in one process stay bounded
_cache: ProcessCache[str, Discovery] = ProcessCache(
    name="platform discovery", ttl=lambda: DISCOVERY_CACHE_SECONDS, max_entries=10_000
)


def cache_key(base_url: str, api_token: str) -> str:
    """Per store and token (a rotated token must not reuse what the old one was told)."""
    return hashlib.sha256(f"{base_url}\n{api_token}".encode()).hexdigest()


def discovery_cached(key: str) -> Discovery | None:
    return _cache.get(key)


def discovery_remember(key: str, discovery: Discovery) -> None:
    _cache.set(key, discovery)


def discovery_cache_clear() -> None:
    _cache.clear()
