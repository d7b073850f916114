"""The drift page in headless Chromium: from the dashboard's drift line to the findings, fields side by side,
the record's timeline, and a repair queued after the browser's confirmation.

With ``IGNITE_SCREENSHOTS=1`` the run also writes ``docs/drift.png`` (the README shows it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sync.models import AuditFinding, FindingState
from sync.tasks.audits import audit_repair_task
from tests.admin.browser import BROWSER_MARKS, launch, logged_in_page, screenshot
from tests.admin.support import PASSWORD, make_audit, make_history
from tests.factories import ConnectionFactory

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


@pytest.fixture
def drifted(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    history = make_history(ConnectionFactory(site_id="alpha-store", store_url="https://alpha.example"), prefix="alpha")
    run = make_audit(history.connection, prefix="alpha")
    get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    sent: list[list[int]] = []
    monkeypatch.setattr(audit_repair_task, "apply_async", lambda args, queue: sent.append(list(args[0])))
    return {"history": history, "run": run, "sent": sent}


def test_drift_page_from_the_dashboard_to_a_repair(browser: Any, live_server: Any, drifted: dict[str, Any]) -> None:
    run = drifted["run"]
    page = logged_in_page(browser, live_server, "root")
    page.goto(f"{live_server.url}/admin/sync/dashboard/{run.connection_id}/")
    line = page.locator("#ib-drift tr[data-data-type=products]")
    assert line.locator(".ib-drift-summary").inner_text().startswith("drift: 3 of 200 sampled differ, last audit 2")
    line.locator("a", has_text="3 open findings").click()
    page.wait_for_selector("#ib-audit")

    title = page.locator("tr.ib-finding[data-external-id='alpha-10'] .ib-fields tbody tr").first
    assert title.locator("th").inner_text() == "title"
    assert title.locator(".ib-sparklayer").inner_text() == "Renamed in SparkLayer"
    assert title.locator(".ib-store").inner_text() == "alpha jumper"
    stock = page.locator("tr.ib-finding[data-external-id='alpha-11'] .ib-fields tbody tr")
    assert stock.count() == 2
    assert [stock.nth(0).locator(".ib-sparklayer").inner_text(), stock.nth(0).locator(".ib-store").inner_text()] == [
        "12",
        "5",
    ]
    missing = page.locator("tr.ib-finding[data-external-id='alpha-12']")
    assert "Missing in SparkLayer" in missing.inner_text()
    assert missing.locator(".ib-sparklayer .ib-none").inner_text() == "none"
    screenshot(page, "drift.png")

    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#ib-repair")
    page.wait_for_selector("ul.messagelist")
    assert page.locator("ul.messagelist li").first.inner_text().startswith("Repair of 3 finding(s) queued")
    assert sorted(drifted["sent"][0]) == sorted(AuditFinding.objects.filter(run=run).values_list("pk", flat=True))
    assert page.locator(".ib-finding-state").first.inner_text().startswith("Repair queued")
    assert set(AuditFinding.objects.filter(run=run).values_list("state", flat=True)) == {FindingState.REPAIRING}
    assert page.locator("#ib-repair").count() == 0  # nothing left to queue

    page.click("tr.ib-finding[data-external-id='alpha-10'] a.ib-timeline-link")
    page.wait_for_selector("#ib-timeline")
    assert page.locator("#ib-timeline h2").inner_text() == "products alpha-10"
