"""SparkLayer access tokens are stored encrypted in the shared cache (Redis in production)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ignite_bridge.core import crypto
from sparklayer.token_cache import AccessToken, TokenCache, token_cache_key
from tests.sparklayer.helpers import RedisTokenStore

TOKEN = "sl-access-token-that-must-not-sit-in-redis-in-clear"


@pytest.fixture
def redis_store() -> Iterator[RedisTokenStore]:
    store = RedisTokenStore(prefix="ignite-test:token-encryption:")
    store.flush()
    yield store
    store.flush()


def fetch() -> AccessToken:
    return AccessToken(TOKEN, 3600)


def test_the_token_in_redis_is_a_ciphertext_of_the_field_keys(redis_store: RedisTokenStore) -> None:
    key = token_cache_key("https://app.sparklayer.io", "site-1", "client-1")
    assert TokenCache(redis_store, key, fetch).get() == TOKEN
    raw = redis_store.redis.get(redis_store._key(key))  # the bytes any reader of Redis sees
    assert TOKEN not in raw
    assert raw.startswith(crypto.PREFIX)
    assert crypto.decrypt(raw) == TOKEN


def test_another_worker_reads_the_encrypted_token_without_fetching(redis_store: RedisTokenStore) -> None:
    key = token_cache_key("https://app.sparklayer.io", "site-1", "client-1")
    TokenCache(redis_store, key, fetch).get()

    def must_not_fetch() -> AccessToken:
        raise AssertionError("the stored token should have been used")

    assert TokenCache(redis_store, key, must_not_fetch).get() == TOKEN


@pytest.mark.parametrize("stored", [TOKEN, "fernet:garbage", "fernet:" + "A" * 100])
def test_a_value_no_key_decrypts_is_no_token(redis_store: RedisTokenStore, stored: str) -> None:
    """A plaintext left by an older version, or a ciphertext of a key rotated away: fetch anew."""
    key = token_cache_key("https://app.sparklayer.io", "site-2", "client-2")
    redis_store.set(key, stored, timeout=60)
    fetched: list[Any] = []

    def fresh() -> AccessToken:
        fetched.append(1)
        return AccessToken("fresh-token", 3600)

    assert TokenCache(redis_store, key, fresh).get() == "fresh-token"
    assert fetched == [1]
