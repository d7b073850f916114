"""Shared test helpers for the SparkLayer client: constants, a sleep recorder, a Redis token store."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import redis
import requests

from sandbox.server import SandboxServer
from sparklayer.client import SparkLayerClient
from sparklayer.token_cache import InMemoryTokenStore

BASE = "https://sparklayer.test"
TOKEN_URL = f"{BASE}/api/auth/token"
SECRET = "s3cr3t-client-secret-value"


def _redis_url() -> str:
    """Database 15 of the run's own Redis (the broker's server), so parallel runs do not share one."""
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if broker.startswith("redis://"):
        return f"redis://{urlsplit(broker).netloc}/15"
    return "redis://127.0.0.1:6379/15"


REDIS_URL = _redis_url()


class SleepRecorder:
    """Stands in for ``time.sleep`` so retry tests run instantly and can assert the waits."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class RedisTokenStore:
    """A ``TokenStore`` on redis-py, shared by processes like Django's Redis cache is in production.

    Keys are prefixed so a test can delete exactly what it wrote from the shared db 15.
    """

    def __init__(self, url: str = REDIS_URL, prefix: str = "ignite-test:") -> None:
        self.url = url
        self.prefix = prefix
        self.redis = redis.Redis.from_url(url, decode_responses=True)

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    @staticmethod
    def _ms(timeout: float | None) -> int | None:
        return None if timeout is None else max(1, int(timeout * 1000))

    def get(self, key: str, default: Any = None) -> Any:
        value = self.redis.get(self._key(key))
        return default if value is None else value

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        self.redis.set(self._key(key), value, px=self._ms(timeout))

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        return bool(self.redis.set(self._key(key), value, px=self._ms(timeout), nx=True))

    def delete(self, key: str) -> bool:
        return bool(self.redis.delete(self._key(key)))

    def ttl(self, key: str) -> int:
        ttl: Any = self.redis.ttl(self._key(key))
        return int(ttl)

    def flush(self) -> None:
        keys = list(self.redis.scan_iter(f"{self.prefix}*"))
        if keys:
            self.redis.delete(*keys)


#: the SparkLayer site the sandbox tests' clients talk to
SITE = "site-sandbox"


def make_client(url: str, **kwargs: Any) -> SparkLayerClient:
    kwargs.setdefault("token_store", InMemoryTokenStore())
    return SparkLayerClient(url, SITE, "client-1", "secret-1", **kwargs)


def site_stats(server: SandboxServer) -> dict[str, Any]:
    stats: dict[str, Any] = requests.get(f"{server.url}/_sandbox/stats", timeout=5).json()
    return stats["sites"].get(SITE, {"by_kind": {"token": 0}, "by_status": {}, "total": 0})
