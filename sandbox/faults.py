"""Fault injection shared by the sandboxes: deterministic with a seed, set at start or over HTTP.

A sandbox calls ``FaultInjector.before_request(path)`` at the top of every API request (not on
its ``/_sandbox/`` control routes). The injector may sleep (latency), hang, or return the fault
to answer instead of the real handler:

* ``("status", 500, headers)`` / ``("status", 429, {"Retry-After": "2"})`` / ``("status", 409, {})``
* ``("drop", 0, {})``: close the connection without an answer.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, fields
from typing import Any

Fault = tuple[str, int, dict[str, str]]


@dataclass
class FaultConfig:
    error_500_rate: float = 0.0
    error_429_rate: float = 0.0
    retry_after: str = "1"  # seconds, or an HTTP-date
    error_409_rate: float = 0.0
    latency_ms: float = 0.0
    hang_seconds: float = 0.0  # > 0: every matching request sleeps this long before answering
    drop_rate: float = 0.0  # share of requests whose connection is closed with no answer
    down: bool = False  # every matching request answers 503
    path_prefix: str = ""  # only requests whose path starts with this are affected
    seed: int = 0
    #: > 0: at most this many requests per rolling second per key (SparkLayer: per site); more get 429
    #: with ``Retry-After: 1``, like a rate-limited API
    rate_limit_per_second: float = 0.0
    #: > 0: a request arriving while this many are already being answered gets 503, like a small
    #: store's PHP workers all busy (counted while the injected latency runs, most of a slow answer)
    max_concurrent: int = 0

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> FaultConfig:
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(data) - set(known)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        config = cls()
        for key, value in data.items():
            current = getattr(config, key)
            if isinstance(current, bool):
                setattr(config, key, bool(value))
            elif isinstance(current, float):
                setattr(config, key, float(value))
            elif isinstance(current, int):
                setattr(config, key, int(value))
            else:
                setattr(config, key, str(value))
        return config

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """Thread-safe, seeded decisions about which request fails and how."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._random = random.Random(config.seed)
            self._recent: dict[str, deque[float]] = {}
            self._in_flight = 0

    def before_request(self, path: str, key: str = "") -> Fault | None:
        """``key`` groups requests for the rate limit (the SparkLayer sandbox passes the site id)."""
        with self._lock:
            config = self.config
            if config.path_prefix and not path.startswith(config.path_prefix):
                return None
            roll = self._random.random()
            if config.rate_limit_per_second > 0 and self._over_rate(key, config.rate_limit_per_second):
                return ("status", 429, {"Retry-After": "1"})
            if config.max_concurrent > 0 and self._in_flight >= config.max_concurrent:
                return ("status", 503, {})
            self._in_flight += 1
        try:
            if config.latency_ms:
                time.sleep(config.latency_ms / 1000)
            if config.hang_seconds:
                time.sleep(config.hang_seconds)
        finally:
            with self._lock:
                self._in_flight -= 1
        if config.down:
            return ("status", 503, {})
        threshold = config.drop_rate
        if roll < threshold:
            return ("drop", 0, {})
        threshold += config.error_500_rate
        if roll < threshold:
            return ("status", 500, {})
        threshold += config.error_429_rate
        if roll < threshold:
            return ("status", 429, {"Retry-After": config.retry_after})
        threshold += config.error_409_rate
        if roll < threshold:
            return ("status", 409, {})
        return None

    def _over_rate(self, key: str, limit: float) -> bool:
        """Sliding one-second window per key (called with the lock held); refused requests do not count."""
        now = time.monotonic()
        recent = self._recent.setdefault(key, deque())
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        if len(recent) >= limit:
            return True
        recent.append(now)
        return False
