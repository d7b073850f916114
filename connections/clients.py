"""Build the outbound clients of one connection: its SparkLayer client and its platform adapter.

Everything that talks to SparkLayer or to a store on behalf of a connection gets its client here,
so timeouts, the shared token cache and the insecure-HTTP allowance are decided in one place.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches

from connections.models import Connection
from ignite_bridge.core.outbound import host_is_allowed
from ignite_bridge.core.pinned import origin_of
from platforms.base import (
    Platform,
    StorefrontRequests,
    SyncSource,
    WebhookSource,
    platform_adapter_class,
    storefront_requests,
    sync_source,
    webhook_source,
)
from sparklayer.budget import BACKGROUND, INTERACTIVE, site_budget
from sparklayer.client import SparkLayerClient


def sparklayer_base_url(site_env: str) -> str:
    return settings.SPARKLAYER_URL_LIVE if site_env == "live" else settings.SPARKLAYER_URL_TEST


def host_is_explicitly_allowed(url: str) -> bool:
    """True for store hosts the deployment allows although loopback/private/plain HTTP (sandbox, tests)."""
    try:
        scheme, host, port = origin_of(url)
    except ValueError:
        return False
    return bool(host) and host_is_allowed(host, port, origin_port=port)


def sparklayer_client_for(
    *,
    site_env: str,
    site_id: str,
    client_id: str,
    client_secret: str,
    batch_size: int = 100,
    max_attempts: int = 5,
    interactive: bool = False,
) -> SparkLayerClient:
    """A client of one site; every client of the site shares its request budget and back-off.
    ``interactive``: a buyer (or SparkLayer's own request) waits for these calls."""
    base_url = sparklayer_base_url(site_env)
    return SparkLayerClient(
        base_url,
        site_id,
        client_id,
        client_secret,
        token_store=caches["default"],
        batch_size=batch_size,
        max_attempts=max_attempts,
        connect_timeout=settings.SPARKLAYER_CONNECT_TIMEOUT,
        read_timeout=settings.SPARKLAYER_READ_TIMEOUT,
        retry_after_ceiling=settings.SPARKLAYER_RETRY_AFTER_CEILING,
        budget=site_budget(base_url=base_url, site_id=site_id),
        priority=INTERACTIVE if interactive else BACKGROUND,
    )


def connection_sparklayer_client(connection: Connection) -> SparkLayerClient:
    return sparklayer_client_for(
        site_env=connection.site_env,
        site_id=connection.site_id,
        client_id=connection.spark_client_id,
        client_secret=connection.spark_client_secret,
        batch_size=connection.batch_size,
    )


def platform_adapter_for(
    *, platform: str, store_url: str, credentials: dict[str, str], inline: bool = False
) -> Platform:
    """An adapter for a store; ``inline`` picks the short timeouts of calls a shopper waits for."""
    adapter_class = platform_adapter_class(platform)
    if inline:
        connect, read, attempts = settings.PLATFORM_INLINE_CONNECT_TIMEOUT, settings.PLATFORM_INLINE_READ_TIMEOUT, 1
    else:
        connect, read, attempts = settings.PLATFORM_CONNECT_TIMEOUT, settings.PLATFORM_READ_TIMEOUT, 5
    return adapter_class(
        store_url=store_url,
        credentials=credentials,
        allow_insecure_http=host_is_explicitly_allowed(store_url),
        connect_timeout=connect,
        read_timeout=read,
        max_attempts=attempts,
    )


def connection_platform_adapter(connection: Connection, *, inline: bool = False) -> Platform:
    """The connection's adapter, typed by what every platform has; the helpers below add a capability."""
    return platform_adapter_for(
        platform=connection.platform,
        store_url=connection.store_url,
        credentials=dict(connection.platform_credentials or {}),
        inline=inline,
    )


def connection_sync_source(connection: Connection, *, inline: bool = False) -> SyncSource:
    """The connection's adapter as a ``SyncSource``; ``PlatformCapabilityMissing`` when its platform is not one."""
    return sync_source(connection_platform_adapter(connection, inline=inline))


def connection_webhook_source(connection: Connection, *, inline: bool = False) -> WebhookSource:
    """The connection's adapter as a ``WebhookSource``; ``PlatformCapabilityMissing`` when its platform is not one."""
    return webhook_source(connection_platform_adapter(connection, inline=inline))


def connection_storefront(connection: Connection) -> StorefrontRequests:
    """The connection's adapter for customer requests (short timeouts); ``PlatformCapabilityMissing`` (→ 501)."""
    return storefront_requests(connection_platform_adapter(connection, inline=True))
