"""The shared token cache: one fetch per lifetime, renewal before expiry, no stampede, bounded waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from sparklayer.token_cache import AccessToken, InMemoryTokenStore, TokenCache, token_cache_key
from tests.sparklayer.helpers import REDIS_URL, RedisTokenStore


class CountingFetch:
    """A token endpoint stand-in: issues tok-1, tok-2, ... and can be slow, to widen race windows."""

    def __init__(self, delay: float = 0.0, expires_in: int = 3600) -> None:
        self.delay = delay
        self.expires_in = expires_in
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self) -> AccessToken:
        time.sleep(self.delay)
        with self._lock:
            self.count += 1
            return AccessToken(f"tok-{self.count}", self.expires_in)


@pytest.fixture
def redis_store() -> Iterator[RedisTokenStore]:
    store = RedisTokenStore(prefix="ignite-test:token-cache:")
    store.flush()
    yield store
    store.flush()


def test_key_is_per_connection_and_holds_no_credentials() -> None:
    key = token_cache_key("https://app.sparklayer.io/", "site-1", "client-1")

    assert key == token_cache_key("https://app.sparklayer.io", "site-1", "client-1")
    assert key != token_cache_key("https://test.app.sparklayer.io", "site-1", "client-1")
    assert key != token_cache_key("https://app.sparklayer.io", "site-2", "client-1")
    assert key != token_cache_key("https://app.sparklayer.io", "site-1", "client-2")
    assert "client-1" not in key
    assert "site-1" not in key


@pytest.mark.parametrize(("expires_in", "ttl"), [(3600, 3300.0), (60, 54.0), (5, 4.5), (0, 1.0)])
def test_ttl_renews_before_expiry(expires_in: int, ttl: float) -> None:
    cache = TokenCache(InMemoryTokenStore(), "k", CountingFetch())

    assert cache.ttl_for(expires_in) == ttl


def test_token_is_fetched_once_and_reused() -> None:
    fetch = CountingFetch()
    cache = TokenCache(InMemoryTokenStore(), "k", fetch)

    assert [cache.get() for _ in range(5)] == ["tok-1"] * 5
    assert fetch.count == 1


def test_expired_cache_entry_fetches_again() -> None:
    now = [0.0]
    store = InMemoryTokenStore(clock=lambda: now[0])
    fetch = CountingFetch()
    cache = TokenCache(store, "k", fetch, clock=lambda: now[0])

    assert cache.get() == "tok-1"
    now[0] = 3299.0
    assert cache.get() == "tok-1"
    # The shared copy expired at 3300 (expires_in 3600 minus the 300 s margin); this client's own
    # copy may serve it MEMO_SECONDS longer, still well before SparkLayer stops accepting it.
    now[0] = 3299.0 + TokenCache.MEMO_SECONDS - 0.1
    assert cache.get() == "tok-1"
    assert now[0] < 3600 - 200
    now[0] = 3300.0 + TokenCache.MEMO_SECONDS
    assert cache.get() == "tok-2"


def test_one_client_reads_the_shared_store_once_per_memo_period() -> None:
    now = [0.0]
    store = InMemoryTokenStore(clock=lambda: now[0])
    reads = []
    original_get = store.get

    def counting_get(key: str, default: object = None) -> object:
        reads.append(key)
        return original_get(key, default)

    store.get = counting_get  # type: ignore[method-assign]
    TokenCache(store, "k", CountingFetch(), clock=lambda: now[0]).get()  # another worker fills the store
    cache = TokenCache(store, "k", CountingFetch(), clock=lambda: now[0])
    reads.clear()
    for step in range(100):
        now[0] = step * 0.1
        assert cache.get() == "tok-1"
    assert len(reads) == 1
    now[0] = 10.0 + TokenCache.MEMO_SECONDS
    cache.get()
    assert len(reads) == 2


def test_rejected_token_is_replaced_once_across_callers() -> None:
    fetch = CountingFetch()
    cache = TokenCache(InMemoryTokenStore(), "k", fetch)
    first = cache.get()

    assert cache.get(rejected=first) == "tok-2"
    # A second caller that was refused tok-1 gets tok-2 without another token request.
    assert cache.get(rejected=first) == "tok-2"
    assert fetch.count == 2


def test_concurrent_callers_wait_for_one_fetch() -> None:
    fetch = CountingFetch(delay=0.2)
    cache = TokenCache(InMemoryTokenStore(), "k", fetch, poll_interval=0.01)
    results: list[str] = []
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        results.append(cache.get())

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == ["tok-1"] * 16
    assert fetch.count == 1


def test_waiter_fetches_itself_after_bounded_wait_when_lock_holder_hangs() -> None:
    store = InMemoryTokenStore()
    fetch = CountingFetch()
    cache = TokenCache(store, "k", fetch, wait_timeout=0.2, poll_interval=0.01)
    store.add(cache.lock_key, "someone-else", timeout=60)

    started = time.monotonic()
    assert cache.get() == "tok-1"

    assert 0.2 <= time.monotonic() - started < 2
    assert fetch.count == 1
    assert store.get(cache.lock_key) == "someone-else"  # not ours to release


def test_lock_of_a_dead_holder_expires() -> None:
    store = InMemoryTokenStore()
    fetch = CountingFetch()
    cache = TokenCache(store, "k", fetch, wait_timeout=5, poll_interval=0.01)
    store.add(cache.lock_key, "dead-worker", timeout=0.1)

    assert cache.get() == "tok-1"
    assert store.get(cache.lock_key) is None


def test_failed_fetch_releases_the_lock() -> None:
    store = InMemoryTokenStore()

    def refuse() -> AccessToken:
        raise RuntimeError("refused")

    cache = TokenCache(store, "k", refuse)

    with pytest.raises(RuntimeError):
        cache.get()
    assert store.get(cache.lock_key) is None


def test_redis_store_shares_the_token_with_its_ttl(redis_store: RedisTokenStore) -> None:
    fetch = CountingFetch()
    key = token_cache_key("https://app.sparklayer.io", "site-1", "client-1")

    assert TokenCache(redis_store, key, fetch).get() == "tok-1"
    assert TokenCache(redis_store, key, fetch).get() == "tok-1"

    assert fetch.count == 1
    assert 3290 <= redis_store.ttl(key) <= 3300
    assert redis_store.get(f"{key}:lock") is None


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_django_cache_backends_are_token_stores(backend: str) -> None:
    """Production passes ``django.core.cache.cache``; its backends must behave as the Protocol expects."""
    from django.core.cache.backends.base import BaseCache
    from django.core.cache.backends.locmem import LocMemCache
    from django.core.cache.backends.redis import RedisCache

    params = {"KEY_PREFIX": "ignite-test-django"}
    store: BaseCache = LocMemCache("token-test", params) if backend == "locmem" else RedisCache(REDIS_URL, params)
    fetch = CountingFetch(delay=0.1)
    cache = TokenCache(store, token_cache_key("https://app.sparklayer.io", "site-dj", "client-1"), fetch)
    store.delete(cache.key)
    store.delete(cache.lock_key)
    try:
        results: list[str] = []
        pool = [threading.Thread(target=lambda: results.append(cache.get())) for _ in range(8)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()

        assert results == ["tok-1"] * 8
        assert fetch.count == 1
        assert cache.get(rejected="tok-1") == "tok-2"
        assert store.get(cache.lock_key) is None
    finally:
        store.delete(cache.key)
        store.delete(cache.lock_key)
