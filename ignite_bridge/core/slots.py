"""Concurrency slots shared by every process: at most N holders of one name at a time.

A slot is a member of a Redis sorted set scored by its lease's end (the Redis server's clock, so
machines' clocks do not matter). A holder renews its lease from a background thread while it works;
a killed holder's slot comes back when its lease runs out. Acquiring, renewing and releasing are one
script each (atomic).

A refused caller leaves a mark, in the same atomic step; the holder that releases next takes the
mark and learns that someone was turned away while it worked. That is what lets a refused webhook
task simply return: the holder looks for waiting work after releasing (``sync/incremental/processing.py``).

Without a Redis cache (the embedded default) every slot is granted; if Redis fails, too: slots shape
load, they are never what keeps data correct.
"""

from __future__ import annotations

import logging
import threading
import uuid
from types import TracebackType
from typing import Any

from ignite_bridge.core.shared_redis import cache_key, cache_redis

logger = logging.getLogger(__name__)

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], lease * 2)
  return 1
end
redis.call('SET', KEYS[2], '1', 'PX', lease * 2)
return 0
"""

_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
local renewed = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease * 2)
return renewed
"""

_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
local refused = redis.call('GET', KEYS[2])
if refused then redis.call('DEL', KEYS[2]) return 1 end
return 0
"""


class Slot:
    """One attempt at one of ``limit`` slots named ``name``. Use ``acquire``/``release``, or ``with``."""

    def __init__(self, name: str, *, limit: int, lease_seconds: float = 60.0) -> None:
        self.name = name
        self.limit = max(1, limit)
        self.lease_ms = max(1000, int(lease_seconds * 1000))
        self.token = uuid.uuid4().hex
        self.held = False
        self.someone_refused = False
        self._keys = [cache_key(f"slots:{name}"), cache_key(f"slots:{name}:refused")]
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take a slot if fewer than ``limit`` are held (a refusal is marked for the holders)."""
        client = self._client()
        if client is None:
            self.held = True
            return True
        try:
            self.held = bool(client.eval(_ACQUIRE, 2, *self._keys, self.limit, self.token, self.lease_ms))
        except Exception:  # noqa: BLE001 - without Redis, no cap: work goes on
            logger.warning("concurrency slot unavailable; going ahead", extra={"slot": self.name}, exc_info=True)
            self.held = True
            return True
        if self.held:
            self._start_renewing(client)
        return self.held

    def release(self) -> bool:
        """Give the slot back; True when a caller was refused while it was held (``someone_refused``)."""
        if not self.held:
            return False
        self.held = False
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        client = self._client()
        if client is None:
            return False
        try:
            self.someone_refused = bool(client.eval(_RELEASE, 2, *self._keys, self.token))
        except Exception:  # noqa: BLE001 - the lease runs out by itself
            logger.warning("concurrency slot not released", extra={"slot": self.name}, exc_info=True)
            self.someone_refused = True  # cannot tell: look for waiting work to be safe
        return self.someone_refused

    def holders(self) -> int:
        """How many hold the slot now; 0 without Redis or when Redis fails (no cap then, as ``acquire``)."""
        client = self._client()
        if client is None:
            return 0
        try:
            return int(client.zcard(self._keys[0]))
        except Exception:  # noqa: BLE001 - slots shape load; a failing Redis must not stop the work
            logger.warning("concurrency slot holders unknown", extra={"slot": self.name}, exc_info=True)
            return 0

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def _client(self) -> Any | None:
        try:
            return cache_redis()
        except Exception:  # noqa: BLE001
            return None

    def _start_renewing(self, client: Any) -> None:
        interval = self.lease_ms / 3000

        def renew() -> None:
            while not self._stop.wait(interval):
                try:
                    client.eval(_RENEW, 1, self._keys[0], self.token, self.lease_ms)
                except Exception:  # noqa: BLE001 - try again at the next interval
                    logger.warning("concurrency slot lease not renewed", extra={"slot": self.name})

        self._renewer = threading.Thread(target=renew, name=f"slot-{self.name}", daemon=True)
        self._renewer.start()
