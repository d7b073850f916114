"""The shared SparkLayer budget and back-off (``sparklayer/budget.py``) on the real Redis cache.

Two ``SiteBudget`` objects of the same site stand for two processes: all they share is Redis."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from ignite_bridge.core.errors import TransientError
from sparklayer import budget as budget_module
from sparklayer.budget import BACKGROUND, INTERACTIVE, SiteBudget, bucket_shape, site_budget

pytestmark = pytest.mark.skipif(
    not isinstance(caches["default"], RedisCache), reason="the budget lives in the cache's Redis"
)


def budget(name: str = "site-a", **overrides: Any) -> SiteBudget:
    options: dict[str, Any] = {
        "name": name,
        "rate": 10.0,
        "interactive_share": 0.2,
        "max_wait": 5.0,
        "interactive_max_wait": 2.0,
    }
    options.update(overrides)
    return SiteBudget(**options)


def test_bucket_shape_keeps_the_rate_with_whole_tokens() -> None:
    assert bucket_shape(0) == (0, 1000.0)
    assert bucket_shape(20) == (20, 1000.0)
    assert bucket_shape(0.5) == (1, 2000.0)
    assert bucket_shape(2.5) == (2, 800.0)


def test_background_leaves_the_interactive_share_and_interactive_calls_go_at_once() -> None:
    first, second = budget(), budget()  # two processes
    took = [first.wait_turn(priority=BACKGROUND) for _ in range(4)] + [
        second.wait_turn(priority=BACKGROUND) for _ in range(4)
    ]
    assert max(took) < 0.05  # 8 of the 10 tokens of the second, without waiting
    started = time.monotonic()
    second.wait_turn(priority=INTERACTIVE)
    first.wait_turn(priority=INTERACTIVE)
    assert time.monotonic() - started < 0.05  # the reserved 2 tokens
    started = time.monotonic()
    first.wait_turn(priority=BACKGROUND)  # the 11th call waits for the first token to come back
    assert 0.8 < time.monotonic() - started < 1.5


def test_never_more_than_the_rate_in_any_window_across_processes_and_threads() -> None:
    sent: list[float] = []
    lock = threading.Lock()
    budgets = [budget(rate=20.0, interactive_share=0.0), budget(rate=20.0, interactive_share=0.0)]

    def writer(gate: SiteBudget) -> None:
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            gate.wait_turn(priority=BACKGROUND)
            with lock:
                sent.append(time.monotonic())

    threads = [threading.Thread(target=writer, args=(budgets[i % 2],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent.sort()
    # times are taken after each call returns, so a thread that lost the CPU for a moment records late:
    # windows are 0.95 s to leave that jitter out (the gate itself counts on the Redis server's clock)
    busiest = max(sum(1 for t in sent if start <= t < start + 0.95) for start in sent)
    assert busiest <= 20
    assert len(sent) >= 45  # the budget is used, not starved: 2.5 s at 20/s is 50 (+20 in the first window)


def test_a_429_pauses_every_writer_of_the_site_and_only_that_site() -> None:
    got_429, other_process, other_site = budget(), budget(), budget("site-b")
    got_429.back_off(0.6)
    started = time.monotonic()
    other_site.wait_turn()
    assert time.monotonic() - started < 0.05
    other_process.wait_turn()
    assert 0.55 < time.monotonic() - started < 1.2
    got_429.back_off(0.2)  # a shorter Retry-After never shortens a longer pause
    got_429.back_off(1.0)
    got_429.back_off(0.1)
    started = time.monotonic()
    other_process.wait_turn()
    assert time.monotonic() - started > 0.9


def test_a_long_pause_reschedules_background_calls_and_lets_interactive_ones_through() -> None:
    gate = budget(max_wait=0.3, interactive_max_wait=0.3)
    gate.back_off(30)
    with pytest.raises(TransientError) as raised:
        gate.wait_turn(priority=BACKGROUND)
    assert raised.value.retry_after is not None
    assert 29 < raised.value.retry_after <= 30
    started = time.monotonic()
    waited = gate.wait_turn(priority=INTERACTIVE)  # a buyer waits: after its bound it is sent anyway
    assert 0.25 < waited < 0.6
    assert time.monotonic() - started < 0.6


def test_without_a_rate_only_the_back_off_applies() -> None:
    gate = budget(rate=0.0)
    started = time.monotonic()
    for _ in range(200):
        gate.wait_turn()
    assert time.monotonic() - started < 1.0


class CountingRedis:
    """The cache's Redis client, counting the scripts a gate runs."""

    def __init__(self) -> None:
        from ignite_bridge.core.shared_redis import cache_redis

        self.client = cache_redis()
        self.evals = 0

    def __call__(self) -> Any:
        return self

    def eval(self, *args: Any) -> Any:
        self.evals += 1
        return self.client.eval(*args)


def test_without_a_rate_a_process_reads_the_pause_at_most_once_per_recheck_interval() -> None:
    redis = CountingRedis()
    gate = budget(rate=0.0, redis_client=redis)
    started = time.monotonic()
    for _ in range(500):
        gate.wait_turn()
    elapsed = time.monotonic() - started
    assert redis.evals <= 2 + elapsed / budget_module.PAUSE_RECHECK_SECONDS
    assert redis.evals < 100  # not one per call


def test_without_a_rate_another_process_s_429_is_seen_within_the_recheck_interval() -> None:
    sender, got_429 = budget(rate=0.0), budget(rate=0.0)  # two processes
    sender.wait_turn()  # it knows the site is not paused
    got_429.back_off(0.6)
    time.sleep(budget_module.PAUSE_RECHECK_SECONDS)
    started = time.monotonic()
    sender.wait_turn()
    assert 0.4 < time.monotonic() - started < 1.2


def test_without_a_rate_a_429_of_this_process_pauses_its_next_call_at_once() -> None:
    redis = CountingRedis()
    gate = budget(rate=0.0, redis_client=redis)
    gate.wait_turn()
    gate.back_off(0.3)
    started = time.monotonic()
    gate.wait_turn()
    assert 0.25 < time.monotonic() - started < 0.8


def test_a_pause_this_process_knew_of_is_read_again_when_it_ends() -> None:
    """Another process may have extended it meanwhile."""
    gate, other = budget(rate=0.0), budget(rate=0.0)
    gate.back_off(0.2)
    other.back_off(0.7)  # a longer Retry-After elsewhere extends the site's pause
    started = time.monotonic()
    gate.wait_turn()
    assert 0.6 < time.monotonic() - started < 1.3


def test_each_site_and_setting_has_one_gate_per_process(settings: Any) -> None:
    first = site_budget(base_url="https://sparklayer.example", site_id="one")
    assert site_budget(base_url="https://sparklayer.example/", site_id="one") is first
    assert site_budget(base_url="https://sparklayer.example", site_id="two") is not first
    settings.SPARKLAYER_MAX_RPS_PER_SITE = 7.0
    changed = site_budget(base_url="https://sparklayer.example", site_id="one")
    assert changed is not first
    assert changed.size == 7
