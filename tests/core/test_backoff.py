"""The one back-off formula, and the numbers each of its callers produced before it was shared."""

from __future__ import annotations

import random

import pytest

from ignite_bridge.core.backoff import backoff_delay, retry_delay_at_least
from ignite_bridge.core.http import HttpClientBase
from sync.incremental import processing
from sync.jobs import job_runs


def test_equal_jitter_waits_between_half_and_all_of_the_capped_step() -> None:
    rng_state = random.getstate()
    try:
        for attempt in range(1, 12):
            step = min(30.0, 0.5 * 2 ** (attempt - 1))
            delays = [backoff_delay(attempt=attempt, base=0.5, cap=30.0) for _ in range(200)]
            assert all(step / 2 <= d <= step for d in delays)
            assert max(delays) - min(delays) > step / 4  # jittered, not fixed
    finally:
        random.setstate(rng_state)


@pytest.mark.parametrize(("draw", "expected"), [(0.0, 2.0), (1.0, 4.0), (0.5, 3.0)])
def test_the_first_attempt_waits_the_base_and_later_ones_double(monkeypatch, draw, expected) -> None:
    monkeypatch.setattr(random, "uniform", lambda low, high: low + (high - low) * draw)
    assert backoff_delay(attempt=2, base=2.0, cap=100.0) == expected
    assert backoff_delay(attempt=1, base=2.0, cap=100.0, first_attempt=0) == expected


def test_retry_after_is_a_floor() -> None:
    assert retry_delay_at_least(1.5, None) == 1.5
    assert retry_delay_at_least(1.5, 0.5) == 1.5
    assert retry_delay_at_least(1.5, 7.0) == 7.0


def _http_before(base: float, cap: float, attempt: int) -> float:
    ceiling = min(cap, base * (2 ** (attempt - 1)))
    return random.uniform(ceiling / 2, ceiling)


def _job_before(base: float, cap: float, attempt: int, retry_after: float | None) -> float:
    backoff = min(cap, base * (2 ** max(0, attempt)))
    delay = backoff / 2 + random.uniform(0, backoff / 2)
    return min(cap, max(delay, retry_after or 0.0))


def _event_before(base: float, cap: float, attempt: int, retry_after: float | None) -> float:
    step = min(cap, base * 2 ** (attempt - 1))
    return max(random.uniform(step / 2, step), retry_after or 0.0)


def _same_draws(before, after) -> tuple[float, float]:
    random.seed(20)
    expected = before()
    random.seed(20)
    return expected, after()


@pytest.mark.parametrize("attempt", [1, 2, 3, 6, 10])
def test_the_http_client_waits_what_it_waited_before(attempt) -> None:
    client = HttpClientBase("https://example.invalid")
    expected, got = _same_draws(lambda: _http_before(0.5, 30.0, attempt), lambda: client.backoff(attempt))
    assert got == expected


@pytest.mark.parametrize(
    ("attempt", "retry_after"), [(0, None), (1, None), (4, 2.0), (9, None), (3, 9999.0), (-1, None)]
)
def test_a_rescheduled_job_waits_what_it_waited_before(settings, attempt, retry_after) -> None:
    base, cap = settings.SYNC_JOB_RETRY_BASE_SECONDS, settings.SYNC_JOB_RETRY_MAX_SECONDS
    expected, got = _same_draws(
        lambda: _job_before(base, cap, attempt, retry_after),
        lambda: job_runs.job_retry_delay(attempt=attempt, retry_after=retry_after),
    )
    assert got == expected


@pytest.mark.parametrize(("attempt", "retry_after"), [(1, None), (2, None), (5, 1.0), (9, None), (2, 9999.0)])
def test_a_webhook_event_retry_waits_what_it_waited_before(settings, attempt, retry_after) -> None:
    base, cap = settings.WEBHOOK_RETRY_BASE_SECONDS, settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS
    expected, got = _same_draws(
        lambda: _event_before(base, cap, attempt, retry_after),
        lambda: processing.event_retry_delay(attempt=attempt, retry_after=retry_after),
    )
    assert got == expected
