"""Run every conformance check against one platform, in an order where the read-only checks see the
store before the checks that write to it."""

from __future__ import annotations

from platforms.standard.conformance import checks_changes, checks_read, checks_requests
from platforms.standard.conformance.context import Check, Context, Options
from platforms.standard.conformance.probe import Probe
from platforms.standard.conformance.report import Report

CHECKS: tuple[Check, ...] = (
    checks_read.discovery,
    checks_read.authentication,
    checks_read.settings,
    checks_read.listings,
    checks_read.id_listings,
    checks_read.single_records,
    checks_read.updated_after,
    checks_changes.cursor_stability,
    checks_changes.webhooks,
    checks_requests.customers_write,
    checks_requests.sub_accounts,
    checks_requests.addresses,
    checks_requests.checkout,
    checks_requests.metafields,
    checks_requests.storefront_verify,
    checks_requests.timing,
)


def run_checks(url: str, token: str, *, options: Options | None = None, timeout: float = 30.0) -> Report:
    """Check the Platform API at ``url`` with ``token``. Never raises for what the platform answers:
    every finding is in the report. A platform that cannot be discovered stops the run early."""
    report = Report(url=url.rstrip("/"))
    ctx = Context(probe=Probe(url, token, timeout=timeout), options=options or Options(), report=report)
    for check in CHECKS:
        check(ctx)
        if check is checks_read.discovery and report.checks[-1].status == "fail":
            break  # nothing else can be checked against a platform that does not answer GET /
    return report
