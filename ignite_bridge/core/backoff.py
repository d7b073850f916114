"""The one back-off formula of the bridge: capped exponential growth with *equal* jitter.

``backoff_delay`` waits ``uniform(step / 2, step)`` where ``step = min(cap, base * 2 ** (attempt -
first_attempt))``. This is "equal jitter", not "full jitter" (``uniform(0, step)``): the fixed half
guarantees every retry really waits (a worker never hammers a failing service with near-zero delays),
the random half spreads retries released together. A ``Retry-After`` an upstream sent is a floor,
applied by the caller where it applies (``retry_delay_at_least``).

Callers and their numbers (unchanged by sharing the formula):

* the outbound HTTP client base (``ignite_bridge/core/http.py``): attempts count from 1, base 0.5 s,
  cap 30 s, between the attempts of one request;
* webhook event retries (``sync/incremental/processing.py``): attempts count from 1,
  ``WEBHOOK_RETRY_BASE_SECONDS`` / ``WEBHOOK_RETRY_MAX_DELAY_SECONDS``;
* full-sync and audit job reschedules (``sync/jobs/job_runs.py``): retries count from 0,
  ``SYNC_JOB_RETRY_BASE_SECONDS`` / ``SYNC_JOB_RETRY_MAX_SECONDS``, and the result, Retry-After
  included, is capped too (a countdown must stay below the broker's visibility timeout).
"""

from __future__ import annotations

import random


def backoff_delay(*, attempt: int, base: float, cap: float, first_attempt: int = 1) -> float:
    """Seconds to wait before retry number ``attempt``: ``uniform(step / 2, step)``, equal jitter.

    ``step = min(cap, base * 2 ** (attempt - first_attempt))``: ``base`` for the first attempt, doubling
    with each one after it, never above ``cap``."""
    step = min(cap, base * 2 ** (attempt - first_attempt))
    return random.uniform(step / 2, step)


def retry_delay_at_least(delay: float, retry_after: float | None) -> float:
    """``delay``, or the upstream's ``Retry-After`` when that is longer."""
    return max(delay, retry_after or 0.0)
