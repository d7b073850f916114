"""The Redis client of the default cache, for coordination between processes and machines.

Rate windows, concurrency slots, the SparkLayer budget and the beat's run claims live on the cache's
Redis (the broker's Redis in production). Without a Redis cache (the embedded default) there is no
such client and callers fall back to what one process can do alone.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

_clients: dict[tuple[str, ...], Any] = {}


def cache_redis() -> Any | None:
    """The cache's Redis client, or None when the cache is not Redis. Built once per cache backend
    (Django's ``get_client`` builds a new client object on every call; the client and its
    connection pool are thread-safe)."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    key = tuple(backend._servers)  # type: ignore[attr-defined]
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = backend._cache.get_client(write=True)  # type: ignore[attr-defined]
    return client


def cache_key(name: str) -> str:
    """``name`` with the cache's key prefix and version, like every other cache key."""
    return caches["default"].make_key(name)
