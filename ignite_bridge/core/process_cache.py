"""One small in-process cache: entries expire after a TTL, the number of entries is bounded.

For what one process may keep for a little while to spare a call (a store's shipping zones, a platform's
discovery document, the connection a webhook URL names, a worker's platform adapter). Nothing that must
be shared between processes belongs here: that is the Django cache (Redis in production).

* ``get`` answers ``None`` for a missing or expired key and takes no lock, so a hit costs one dict read
  (values must be safe to share between threads: read-only objects or immutable data);
* ``set`` stamps the entry with the clock; when the cache is full the oldest entry is dropped;
* the TTL may be a number or a function read at every ``get``/``set``, so a setting or a module
  constant patched by a test takes effect at once; a TTL of 0 or less keeps nothing;
* ``clear_all()`` empties every cache of the process (tests call it between tests).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_caches: weakref.WeakSet[ProcessCache] = weakref.WeakSet()  # type: ignore[type-arg]


class ProcessCache(Generic[K, V]):
    """A TTL- and size-bounded map of this process; see the module docstring."""

    def __init__(
        self,
        *,
        name: str,
        ttl: float | Callable[[], float],
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.name = name
        self._ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._data: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()
        _caches.add(self)

    def __repr__(self) -> str:
        return f"ProcessCache({self.name!r}, {len(self._data)} entries)"

    def __len__(self) -> int:
        return len(self._data)

    @property
    def ttl(self) -> float:
        return float(self._ttl() if callable(self._ttl) else self._ttl)

    def get(self, key: K) -> V | None:
        hit = self._data.get(key)
        if hit is None or self._clock() - hit[0] >= self.ttl:
            return None
        return hit[1]

    def set(self, key: K, value: V) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            self._data.pop(key, None)  # re-inserted last: the dict's order is the order of setting
            while len(self._data) >= self.max_entries:
                self._data.pop(next(iter(self._data)))
            self._data[key] = (self._clock(), value)

    def pop(self, key: K) -> None:
        with self._lock:
            self._data.pop(key, None)

    def discard_where(self, predicate: Callable[[K], bool]) -> None:
        """Drop every entry whose key matches (e.g. every adapter of one connection)."""
        with self._lock:
            for key in [k for k in self._data if predicate(k)]:
                del self._data[key]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def clear_all() -> None:
    """Empty every ``ProcessCache`` of this process (between tests: one test's store must not leak)."""
    for cache in list(_caches):
        cache.clear()
