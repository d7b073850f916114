"""One SparkLayer access token per connection, shared by every worker process and thread.

SparkLayer issues client-credentials tokens valid for an hour and no refresh token (docs/ignite-contract.md §2.1).
Asking for a token per task would mean thousands of token requests an hour under a full sync, so
the token lives in a shared store (Django's cache: Redis in production, the database cache in the
embedded default) and is renewed a few minutes before it expires.

When the cache is empty (first call, expiry, or a token SparkLayer refused), every waiting worker
would otherwise ask for a token at once. A short lock taken with ``add`` (atomic in every Django
cache backend) lets one caller fetch while the others poll the cache; if the holder dies or hangs,
the lock expires and the waiters fetch themselves after a bounded wait, so nobody blocks forever.

The cache key is a hash of (base URL, site id, client id): a connection's token is never served to
another one, and neither the client id nor the secret appear in the store. The token itself is
stored encrypted with the credential keys (``FIELD_ENCRYPTION_KEYS``, ``ignite_bridge/core/crypto.py``):
whoever can read the shared Redis cannot call SparkLayer as a tenant. A stored value that no
configured key decrypts (keys rotated away) counts as no token: a new one is fetched.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ignite_bridge.core import crypto

logger = logging.getLogger(__name__)


class TokenStore(Protocol):
    """The subset of Django's cache API the token cache needs; ``django.core.cache.cache`` fits as is."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any, timeout: float | None = ...) -> Any: ...

    def add(self, key: str, value: Any, timeout: float | None = ...) -> bool: ...

    def delete(self, key: str) -> Any: ...


@dataclass(frozen=True)
class AccessToken:
    """A token as SparkLayer returned it. ``repr`` hides the value so it cannot reach a log."""

    value: str
    expires_in: int

    def __repr__(self) -> str:
        return f"AccessToken(value='***', expires_in={self.expires_in})"


class InMemoryTokenStore:
    """A thread-safe, single-process ``TokenStore`` for scripts and tests (not shared between processes)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, tuple[Any, float | None]] = {}

    def _live(self, key: str) -> tuple[Any, float | None] | None:
        entry = self._data.get(key)
        if entry is not None and entry[1] is not None and entry[1] <= self._clock():
            del self._data[key]
            return None
        return entry

    def _deadline(self, timeout: float | None) -> float | None:
        return None if timeout is None else self._clock() + timeout

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            entry = self._live(key)
            return default if entry is None else entry[0]

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        with self._lock:
            self._data[key] = (value, self._deadline(timeout))

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = (value, self._deadline(timeout))
            return True

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._data.pop(key, None) is not None


def token_cache_key(base_url: str, site_id: str, client_id: str) -> str:
    """Cache key for one credential pair on one SparkLayer environment (no secret, no raw client id)."""
    digest = hashlib.sha256("\n".join((base_url.rstrip("/"), site_id, client_id)).encode()).hexdigest()
    return f"sparklayer:token:{digest[:40]}"


class TokenCache:
    """Hands out the shared token for one connection, fetching it at most once per lifetime.

    ``fetch`` performs the token request (``SparkLayerClient.fetch_token``). ``get(rejected=...)``
    is what a caller uses after a 401: the refused token is never handed out again, and if another
    worker already replaced it, its replacement is used without a new request. There is no separate
    "delete": a compare-then-delete could remove the fresh token another worker has just stored,
    while overwriting under the lock cannot.
    """

    def __init__(
        self,
        store: TokenStore,
        key: str,
        fetch: Callable[[], AccessToken],
        *,
        safety_margin: float = 300.0,
        lock_timeout: float = 30.0,
        wait_timeout: float = 30.0,
        poll_interval: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.key = key
        self.lock_key = f"{key}:lock"
        self._fetch = fetch
        self.safety_margin = safety_margin
        self.lock_timeout = lock_timeout
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._clock = clock
        self._memo: tuple[str, float] | None = None

    #: how long one client reuses the token it last read or fetched without asking the store
    MEMO_SECONDS = 30.0

    def get(self, *, rejected: str | None = None) -> str:
        """The current token, fetching one (once, across all workers) if there is none usable."""
        token = self._cached(rejected)
        if token is not None:
            return token
        deadline = self._clock() + self.wait_timeout
        while True:
            owner = uuid.uuid4().hex
            if self.store.add(self.lock_key, owner, timeout=self.lock_timeout):
                try:
                    # Another worker may have stored a token between our read and the lock.
                    return self._cached(rejected) or self._fetch_and_store()
                finally:
                    self._release(owner)
            if self._clock() >= deadline:
                logger.warning("sparklayer token lock wait timed out; fetching without it", extra={"key": self.key})
                return self._fetch_and_store()
            self._sleep(self.poll_interval)
            token = self._cached(rejected)
            if token is not None:
                return token

    def ttl_for(self, expires_in: int) -> float:
        """Renew ``safety_margin`` seconds early (a tenth of the lifetime for short-lived tokens)."""
        margin = min(self.safety_margin, expires_in / 10)
        return max(1.0, expires_in - margin)

    def _cached(self, rejected: str | None) -> str | None:
        # This client's own copy first: a full sync makes thousands of calls a minute, and a trip to
        # the shared store for each cost ~8% of the sync's CPU. The copy lives MEMO_SECONDS, well
        # inside the safety margin the store's copy expires by, and a refused token skips it.
        memo = self._memo
        if memo is not None and memo[0] != rejected and self._clock() < memo[1]:
            return memo[0]
        token = _unseal(self.store.get(self.key))
        if not token or token == rejected:
            return None
        self._remember(token)
        return token

    def _remember(self, token: str) -> None:
        self._memo = (token, self._clock() + min(self.MEMO_SECONDS, self.safety_margin / 2))

    def _fetch_and_store(self) -> str:
        token = self._fetch()
        self.store.set(self.key, crypto.encrypt(token.value), timeout=self.ttl_for(token.expires_in))
        self._remember(token.value)
        return token.value

    def _release(self, owner: str) -> None:
        # Only our own lock: if ours expired during a slow fetch, someone else's may be there now.
        current = self.store.get(self.lock_key)
        if isinstance(current, bytes):
            current = current.decode()
        if current == owner:
            self.store.delete(self.lock_key)


def _unseal(stored: Any) -> str | None:
    """The token in a stored value, or None (nothing stored, or not decryptable with the current keys)."""
    if isinstance(stored, bytes):
        stored = stored.decode()
    if not isinstance(stored, str) or not stored:
        return None
    try:
        return crypto.decrypt(stored)
    except ValueError:
        return None
