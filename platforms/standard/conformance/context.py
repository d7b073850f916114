"""What the checks share while a run goes on: the probe, the options, and what earlier checks found."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from platforms.standard.conformance.probe import Answer, Probe
from platforms.standard.conformance.report import CheckResult, Report

RESOURCES = {"products": "product.json", "customers": "customer.json", "orders": "order.json"}


@dataclass
class Options:
    #: the record listings are walked with this page size (small pages exercise the cursor)
    page_size: int = 50
    #: stop walking a listing after this many records (a live store may be large)
    max_records: int = 5000
    #: seconds to wait for a webhook delivery
    webhook_timeout: float = 15.0
    #: where the checker listens for the test webhook, and the URL the platform is given for it
    listen_host: str = "127.0.0.1"
    listen_port: int = 0
    receiver_url: str = ""
    #: keys to verify webhook signatures with besides the secret the checker subscribes with
    webhook_public_key: str = ""
    #: a recorded delivery to verify instead of asking for one: {headers, body, secret | public_key}
    signature_vector: dict[str, Any] | None = None
    #: a customer request slower than this (seconds) is a failure: the bridge would time out
    inline_timeout: float = 8.0
    #: a customer request slower than this (seconds) is a warning
    inline_warning: float = 2.0
    #: skip every check that writes to the store (customers, orders, fixtures, subscriptions)
    read_only: bool = False


@dataclass
class Context:
    probe: Probe
    options: Options
    report: Report
    capabilities: frozenset[str] = frozenset()
    listed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    complete: dict[str, bool] = field(default_factory=dict)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])

    @contextmanager
    def check(self, name: str) -> Iterator[CheckResult]:
        """A result whose calls are the ones made inside the ``with`` block."""
        result = CheckResult(name)
        first = len(self.probe.calls)
        try:
            yield result
        finally:
            result.calls = self.probe.calls[first:]
            self.report.checks.append(result)

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    def call(self, method: str, path: str, **kwargs: Any) -> Answer:
        return self.probe.call(method, path, **kwargs)

    def needs(self, result: CheckResult, capability: str, *, writes: bool = False) -> bool:
        """False (the check is skipped, saying why) when the capability is not announced or writes are off."""
        if not self.has(capability):
            result.skip(f"the platform does not announce the '{capability}' capability")
            return False
        if writes and self.options.read_only:
            result.skip("--read-only: this check writes to the store")
            return False
        return True


Check = Callable[[Context], None]
