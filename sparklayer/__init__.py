"""SparkLayer API client: token cache, retry rules, problem parsing, typed payloads.

Plain Python and requests. It may import only ``ignite_bridge.core``; everything above it
(connections, sync, endpoints) builds a ``SparkLayerClient`` with a ``TokenStore``, normally
``django.core.cache.cache``.
"""

from sparklayer.batching import batched
from sparklayer.client import SparkLayerClient
from sparklayer.payloads import SYNC_LOG_ERROR_LIMIT, cap_sync_log_errors
from sparklayer.token_cache import AccessToken, InMemoryTokenStore, TokenCache, TokenStore, token_cache_key

__all__ = [
    "SYNC_LOG_ERROR_LIMIT",
    "AccessToken",
    "InMemoryTokenStore",
    "SparkLayerClient",
    "TokenCache",
    "TokenStore",
    "batched",
    "cap_sync_log_errors",
    "token_cache_key",
]
