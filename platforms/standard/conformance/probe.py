"""HTTP calls the checker makes: every answer is kept (4xx and 5xx are findings, not exceptions) and timed.

Built on ``HttpClientBase`` like every outbound client of the bridge (timeouts, logging, the
outbound guards), with one attempt per call and no error mapping: the checker wants to see
exactly what the platform answered.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from ignite_bridge.core.errors import TransientError
from ignite_bridge.core.http import HttpClientBase

#: path segments of the Platform API; any other segment is a record id, shown as ``{id}`` in the timing table
LITERAL_SEGMENTS = frozenset(
    {
        "settings", "products", "customers", "orders", "ids", "sub-accounts", "addresses", "checkout", "calculate",
        "complete", "metafields", "enable", "storefront", "verify", "webhooks", "test", "conformance",
    }
)  # fmt: skip


def route_of(path: str) -> str:
    segments = [part for part in path.split("?")[0].split("/") if part]
    return "/" + "/".join(part if part in LITERAL_SEGMENTS else "{id}" for part in segments)


@dataclass
class Call:
    method: str
    path: str
    status: int | None
    ms: float
    route: str

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "status": self.status, "ms": round(self.ms, 1)}


@dataclass
class Answer:
    status: int | None  # None: no answer (connection error or timeout)
    body: Any
    headers: Mapping[str, str]
    ms: float
    error: str = ""
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def says(self) -> str:
        """What came back, for a message: ``HTTP 404 (code not_found)`` or the transport error."""
        if self.status is None:
            return f"no answer ({self.error})"
        code = self.body.get("code") if isinstance(self.body, Mapping) else None
        return f"HTTP {self.status}" + (f" (code {code})" if code else "")


class ProbeClient(HttpClientBase):
    service_name = "platform-check"

    def handle_response(
        self,
        response: requests.Response,
        *,
        attempt: int,
        attempts: int,
        method: str,
        path: str,
        retry_statuses: Collection[int] | None = None,
    ) -> float | None:
        return None  # every status is an answer to look at


@dataclass
class Probe:
    """One platform under check: its base URL, its token, and the log of every call made."""

    base_url: str
    token: str
    timeout: float = 30.0
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.client = ProbeClient(
            self.base_url, connect_timeout=min(10.0, self.timeout), read_timeout=self.timeout, max_attempts=1
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> Answer:
        """``token=""`` sends no Authorization header; any other value replaces the real token."""
        sent = dict(headers or {})
        used = self.token if token is None else token
        if used:
            sent["Authorization"] = f"Bearer {used}"
        started = time.monotonic()
        try:
            response = self.client.request(method, path, params=params, json_body=body, headers=sent)
        except TransientError as exc:
            ms = (time.monotonic() - started) * 1000
            self._log(method, path, params, None, ms)
            return Answer(status=None, body=None, headers={}, ms=ms, error=str(exc.__cause__ or exc))
        ms = (time.monotonic() - started) * 1000
        self._log(method, path, params, response.status_code, ms)
        try:
            decoded = response.json() if response.content else None
        except ValueError:
            decoded = None
        return Answer(response.status_code, decoded, response.headers, ms, text=response.text[:300])

    def _log(self, method: str, path: str, params: Mapping[str, Any] | None, status: int | None, ms: float) -> None:
        shown = "/" + path.lstrip("/")
        if params:
            shown += (
                "?"
                + "&".join(f"{k}={v}" for k, v in params.items() if k != "cursor")
                + ("&cursor=…" if "cursor" in params else "")
            )
        self.calls.append(Call(method, shown, status, ms, f"{method} {route_of(path)}"))


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
