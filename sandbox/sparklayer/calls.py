"""The call log (last N calls, for inspection) and call statistics (never truncated, for benchmarks).

Benchmarks assert "one token per connection per hour" and "as few writes as possible", so the
counters must survive the log's rotation; that is why they are kept apart from the deque.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

TOKEN_ROUTE = "/api/auth/token"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: POST routes that change nothing (a body carries the question)
READ_ROUTES = frozenset({"/api/v1/batch-fetch-stock"})


def call_kind(method: str, route: str) -> str:
    if route == TOKEN_ROUTE:
        return "token"
    return "read" if method in READ_METHODS or route in READ_ROUTES else "write"


@dataclass
class Counters:
    total: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_method: Counter[str] = field(default_factory=Counter)
    by_route: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)

    def add(self, method: str, route: str, status: int) -> None:
        self.total += 1
        self.by_kind[call_kind(method, route)] += 1
        self.by_method[method] += 1
        self.by_route[f"{method} {route}"] += 1
        self.by_status[str(status)] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_kind": {kind: self.by_kind.get(kind, 0) for kind in ("read", "write", "token")},
            "by_method": dict(self.by_method),
            "by_route": dict(self.by_route),
            "by_status": dict(self.by_status),
        }


class CallLog:
    def __init__(self, max_calls: int = 10_000) -> None:
        self.max_calls = max_calls
        self._calls: deque[dict[str, Any]] = deque(maxlen=max_calls)
        self._totals = Counters()
        self._sites: dict[str, Counters] = {}

    def record(self, *, method: str, path: str, route: str, status: int, site_id: str, fault: str | None) -> None:
        """``status`` 0 means the connection was dropped without an answer."""
        self._calls.append(
            {
                "method": method,
                "path": path,
                "route": route,
                "status": status,
                "site_id": site_id,
                "timestamp": time.time(),
                "fault": fault,
            }
        )
        self._totals.add(method, route, status)
        self._sites.setdefault(site_id, Counters()).add(method, route, status)

    def calls(self, site_id: str | None, limit: int) -> list[dict[str, Any]]:
        """The most recent ``limit`` calls (of one site, if given), oldest first."""
        selected = [call for call in self._calls if site_id is None or call["site_id"] == site_id]
        return selected[-limit:] if limit else []

    def stats(self) -> dict[str, Any]:
        return {**self._totals.as_dict(), "sites": {site: counters.as_dict() for site, counters in self._sites.items()}}

    def reset(self, site_id: str | None = None) -> None:
        """A full reset clears everything; a site reset drops that site's calls and counters only."""
        if site_id is None:
            self._calls.clear()
            self._totals = Counters()
            self._sites.clear()
            return
        self._calls = deque((call for call in self._calls if call["site_id"] != site_id), maxlen=self.max_calls)
        self._sites.pop(site_id, None)
