"""The one in-process cache: a TTL, a size bound, and ``clear_all`` for tests."""

from __future__ import annotations

import pytest

from ignite_bridge.core.process_cache import ProcessCache, clear_all


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_served_until_its_ttl_passes() -> None:
    clock = Clock()
    cache: ProcessCache[str, int] = ProcessCache(name="t", ttl=10.0, max_entries=10, clock=clock)
    assert cache.get("a") is None
    cache.set("a", 1)
    clock.now += 9.999
    assert cache.get("a") == 1
    clock.now += 0.001
    assert cache.get("a") is None


def test_a_ttl_function_is_read_at_every_call() -> None:
    clock, ttl = Clock(), [10.0]
    cache: ProcessCache[str, int] = ProcessCache(name="t", ttl=lambda: ttl[0], max_entries=10, clock=clock)
    cache.set("a", 1)
    clock.now += 5
    assert cache.get("a") == 1
    ttl[0] = 5.0
    assert cache.get("a") is None


def test_a_ttl_of_zero_keeps_nothing() -> None:
    cache: ProcessCache[str, int] = ProcessCache(name="t", ttl=0.0, max_entries=10)
    cache.set("a", 1)
    assert len(cache) == 0
    assert cache.get("a") is None


def test_a_full_cache_drops_its_oldest_entry() -> None:
    clock = Clock()
    cache: ProcessCache[str, int] = ProcessCache(name="t", ttl=60.0, max_entries=3, clock=clock)
    for n, key in enumerate("abc"):
        cache.set(key, n)
    cache.set("a", 10)  # set again: now the newest
    cache.set("d", 3)
    assert len(cache) == 3
    assert cache.get("b") is None
    assert [cache.get(k) for k in "acd"] == [10, 2, 3]


def test_pop_and_discard_where_forget_entries() -> None:
    cache: ProcessCache[tuple[int, str], str] = ProcessCache(name="t", ttl=60.0, max_entries=10)
    cache.set((1, "x"), "1x")
    cache.set((1, "y"), "1y")
    cache.set((2, "x"), "2x")
    cache.pop((2, "x"))
    cache.pop((9, "missing"))
    assert cache.get((2, "x")) is None
    cache.discard_where(lambda key: key[0] == 1)
    assert len(cache) == 0


def test_clear_all_empties_every_cache_of_the_process() -> None:
    first: ProcessCache[str, int] = ProcessCache(name="first", ttl=60.0, max_entries=10)
    second: ProcessCache[str, int] = ProcessCache(name="second", ttl=60.0, max_entries=10)
    first.set("a", 1)
    second.set("b", 2)
    clear_all()
    assert first.get("a") is None
    assert second.get("b") is None


def test_the_bound_must_hold_at_least_one_entry() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        ProcessCache(name="t", ttl=1.0, max_entries=0)
