"""One request budget and one back-off per SparkLayer site, shared by every writer on every machine.

Full syncs, webhook processing, catch-ups, audits and requests a buyer waits for all call the same
site. Each of them alone respecting SparkLayer's answers is not enough: together they can exceed a
rate limit and, once SparkLayer answers 429, each would retry on its own schedule and keep the site
in a 429 storm. So every call to a site passes one gate in Redis before it is sent:

* **Back-off.** A 429 sets the site's pause for its ``Retry-After`` (or a short default): every
  writer of the site waits for it, not just the call that got it.
* **Budget** (``SPARKLAYER_MAX_RPS_PER_SITE`` > 0). A token bucket of N tokens in which a spent token
  comes back exactly one window (N / rate seconds, one second for whole rates) after it was spent: a
  sorted set of the window's sends. So SparkLayer never sees more than N calls in any window, whatever
  the number of processes. 0 turns the budget off (the back-off still applies).
* **Priority.** Background calls leave ``SPARKLAYER_INTERACTIVE_SHARE`` of the tokens to calls a buyer
  waits for (interactive): those find a token at once as long as their own rate stays within it.

Without a budget only the back-off is shared, and a process does not ask Redis before every call: it
re-reads the site's pause at most every ``PAUSE_RECHECK_SECONDS`` and learns its own 429s at once. A
pause another process set is seen within that interval; the calls sent meanwhile meet the same 429 and
pause this process themselves. With a budget every call takes its token in Redis, as above.

Waiting is bounded: a background call waits at most ``SPARKLAYER_BUDGET_MAX_WAIT_SECONDS`` and then
raises ``TransientError`` with the remaining wait as ``retry_after`` (its task reschedules, as for a
long ``Retry-After``); an interactive call waits at most ``SPARKLAYER_INTERACTIVE_MAX_WAIT_SECONDS``
and is then sent anyway. Time is the Redis server's, so machines' clocks do not matter. Without a
Redis cache (the embedded default) there is no gate; if Redis fails, calls go through (logged).
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings

from ignite_bridge.core import metrics
from ignite_bridge.core.errors import TransientError
from ignite_bridge.core.process_cache import ProcessCache
from ignite_bridge.core.shared_redis import cache_key, cache_redis

logger = logging.getLogger(__name__)

BACKGROUND = "background"
INTERACTIVE = "interactive"
#: pause after a 429 without a usable Retry-After (seconds)
DEFAULT_BACKOFF_SECONDS = 1.0
#: without a budget, how long a process goes on sending before it reads the site's pause again (seconds)
PAUSE_RECHECK_SECONDS = 0.05

# Returns 0 when the call may go now (and records it), else the milliseconds to wait.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local size = tonumber(ARGV[1])
if size <= 0 then return 0 end
local window = tonumber(ARGV[2])
local allowed = size - tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used < allowed then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 2))
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], used - allowed, used - allowed, 'WITHSCORES')
return math.max(1, math.ceil(tonumber(oldest[2]) + window - now))
"""

# Extends the pause to ARGV[1] ms from now, never shortens it.
_PAUSE = """
local current = redis.call('PTTL', KEYS[1])
if current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
  return 1
end
return 0
"""


class SiteBudget:
    """The gate of one SparkLayer site (see the module docstring)."""

    def __init__(
        self,
        *,
        name: str,
        rate: float,
        interactive_share: float,
        max_wait: float,
        interactive_max_wait: float,
        redis_client: Callable[[], Any | None] = cache_redis,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.size, self.window_ms = bucket_shape(rate)
        reserve = math.ceil(self.size * interactive_share) if self.size >= 2 else 0
        self.reserve = min(max(0, reserve), self.size - 1) if self.size else 0
        self.max_wait = max_wait
        self.interactive_max_wait = interactive_max_wait
        self._redis_client = redis_client
        self._sleep = sleep
        self._clock = clock
        self._keys = [cache_key(f"sparklayer-budget:{name}"), cache_key(f"sparklayer-pause:{name}")]
        # without a budget: when this process last read the site's pause, and until when it holds
        self._checked_at = -math.inf
        self._paused_until = -math.inf

    def wait_turn(self, *, priority: str = BACKGROUND) -> float:
        """Block until this call may be sent; returns the seconds waited. See the module docstring."""
        client = self._client()
        if client is None:
            return 0.0
        interactive = priority == INTERACTIVE
        floor = 0 if interactive else self.reserve
        limit = self.interactive_max_wait if interactive else self.max_wait
        started = self._clock()
        while True:
            wait_ms = self._take(client, floor) if self.size else self._pause_left_ms(client)
            waited = self._clock() - started
            if wait_ms <= 0:
                metrics.budget_wait(priority=priority, seconds=waited)
                return waited
            wait = wait_ms / 1000
            if waited + wait > limit:
                if interactive:  # a buyer waits: wait what it may, then send
                    self._sleep(max(0.0, limit - waited))
                    waited = self._clock() - started
                    metrics.budget_wait(priority=priority, seconds=waited)
                    logger.warning("sparklayer budget: interactive call sent after waiting", extra={"site": self.name})
                    return waited
                metrics.budget_wait(priority=priority, seconds=waited)
                raise TransientError(
                    f"sparklayer: the site's shared budget or back-off holds calls for {wait:.1f} s more",
                    retry_after=wait,
                )
            # a little jitter: writers released by the same pause do not all come back in one instant
            self._sleep(min(wait * random.uniform(1.0, 1.2) + 0.001, max(0.001, limit - waited)))

    def back_off(self, seconds: float | None) -> None:
        """A 429: pause every writer of the site for ``seconds`` (never shortening a longer pause)."""
        client = self._client()
        if client is None:
            return
        pause_ms = max(1, int((seconds if seconds and seconds > 0 else DEFAULT_BACKOFF_SECONDS) * 1000))
        self._paused_until = max(self._paused_until, self._clock() + pause_ms / 1000)
        try:
            client.eval(_PAUSE, 1, self._keys[1], pause_ms)
        except Exception:  # noqa: BLE001
            logger.warning("sparklayer back-off not shared", extra={"site": self.name}, exc_info=True)
            return
        metrics.sparklayer_backoff()
        logger.info("sparklayer site paused", extra={"site": self.name, "seconds": round(pause_ms / 1000, 3)})

    def _take(self, client: Any, floor: int) -> int:
        """With a budget: take a token in Redis (0), or the milliseconds to wait for one or for the pause."""
        try:
            return int(client.eval(_TAKE, 2, *self._keys, self.size, self.window_ms, floor, uuid.uuid4().hex))
        except Exception:  # noqa: BLE001 - the budget shapes load; it never stops the bridge
            logger.warning("sparklayer budget unavailable; sending", extra={"site": self.name}, exc_info=True)
            return 0

    def _pause_left_ms(self, client: Any) -> int:
        """Without a budget: the milliseconds left of the site's pause, from what this process knows while
        that is fresh (its own 429s, a read less than ``PAUSE_RECHECK_SECONDS`` ago), else from Redis.
        A pause this process knew of is read again once it ends (another may have extended it)."""
        now = self._clock()
        if self._paused_until > now:
            return max(1, math.ceil((self._paused_until - now) * 1000))
        if self._checked_at >= self._paused_until and now - self._checked_at < PAUSE_RECHECK_SECONDS:
            return 0
        try:
            left = int(client.eval(_TAKE, 2, *self._keys, 0, self.window_ms, 0, ""))
        except Exception:  # noqa: BLE001 - the back-off shapes load; it never stops the bridge
            logger.warning("sparklayer back-off unavailable; sending", extra={"site": self.name}, exc_info=True)
            return 0
        self._checked_at = self._clock()
        if left > 0:
            self._paused_until = max(self._paused_until, self._checked_at + left / 1000)
        return left

    def _client(self) -> Any | None:
        try:
            return self._redis_client()
        except Exception:  # noqa: BLE001
            return None


def bucket_shape(rate: float) -> tuple[int, float]:
    """(tokens, window in ms) for ``rate`` calls per second: whole rates get a one-second window, others
    the window in which a whole number of tokens makes the rate (0.5/s: 1 token per 2 s)."""
    if rate <= 0:
        return 0, 1000.0
    size = max(1, round(rate))
    return size, size / rate * 1000.0


#: the gate of each site this process calls, one per site and settings, so what it knows of the site's
#: pause serves every client of the process (a client is made per event, job or request)
_budgets: ProcessCache[tuple[Any, ...], SiteBudget] = ProcessCache(
    name="sparklayer site budgets", ttl=3600.0, max_entries=10_000
)


def site_budget(*, base_url: str, site_id: str) -> SiteBudget:
    """The budget of one SparkLayer site (environment URL and site id) from the settings."""
    digest = hashlib.sha256(f"{base_url.rstrip('/')}\n{site_id}".encode()).hexdigest()[:32]
    options: dict[str, Any] = {
        "name": digest,
        "rate": settings.SPARKLAYER_MAX_RPS_PER_SITE,
        "interactive_share": settings.SPARKLAYER_INTERACTIVE_SHARE,
        "max_wait": settings.SPARKLAYER_BUDGET_MAX_WAIT_SECONDS,
        "interactive_max_wait": settings.SPARKLAYER_INTERACTIVE_MAX_WAIT_SECONDS,
    }
    key = (*options.values(), cache_key(""))
    budget = _budgets.get(key)
    if budget is None:
        budget = SiteBudget(**options)
        _budgets.set(key, budget)
    return budget


def site_budgets_forget() -> None:
    """Drop this process's gates, and with them what it knows of each site's pause (used with the
    Redis keys' removal, so the process reads the site afresh)."""
    _budgets.clear()
