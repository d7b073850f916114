"""The operator console in headless Chromium against a live server: dashboard, live job progress, an action,
and an operator of connection A who cannot reach B by URL, search or action.

Uses the system's Chromium (/usr/bin/chromium; ``scripts/chromium`` installs it in CI) through the
Playwright package; no browser is ever downloaded. With ``IGNITE_SCREENSHOTS=1`` the run also writes
``docs/dashboard.png`` and ``docs/job.png`` (the README shows them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from sync.models import IssueState, JobKind, JobState, SyncIssue, SyncJob
from tests.admin.browser import BROWSER_MARKS, launch, logged_in_page, screenshot
from tests.admin.support import PASSWORD, History, make_history, make_operator
from tests.factories import ConnectionFactory

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


def _page(browser: Any, live_server: Any, username: str) -> Any:
    return logged_in_page(browser, live_server, username)


def _more_history(history: History) -> None:
    """A dozen finished jobs so the chart has something to show."""
    now = timezone.now()
    for n in range(12):
        started = now - timedelta(hours=40 - n * 3)
        SyncJob.objects.create(
            connection=history.connection, data_type=["products", "customers", "purchases"][n % 3],
            kind=JobKind.FULL if n % 4 == 0 else JobKind.CATCH_UP, state=JobState.SUCCEEDED,
            seen=200 + 40 * n, pushed=(200 + 40 * n) // (n + 1), unchanged=(200 + 40 * n) - (200 + 40 * n) // (n + 1),
            started_at=started, finished_at=started + timedelta(seconds=20 + 7 * n),
        )  # fmt: skip


@pytest.fixture
def world(live_server: Any) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    a = make_history(ConnectionFactory(site_id="alpha-store", store_url="https://alpha.example"), prefix="alpha")
    b = make_history(ConnectionFactory(site_id="bravo-store"), prefix="bravo")
    _more_history(a)
    get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    make_operator("operator-a", a.connection)
    return {"a": a, "b": b}


def test_superuser_dashboard_live_progress_and_rerun(browser: Any, live_server: Any, world: dict[str, Any]) -> None:
    a: History = world["a"]
    page = _page(browser, live_server, "root")

    page.goto(f"{live_server.url}/admin/connections/connection/")
    page.click(f"a[href='/admin/sync/dashboard/{a.connection.pk}/']")
    page.wait_for_selector("#ib-dashboard")
    assert page.locator(".ib-status .ib-light-amber").count() == 1  # products: synced, one open issue
    # customers (its latest full sync failed), merchant and customer_groups (never synced)
    assert page.locator(".ib-status .ib-light-red").count() == 3
    assert (
        page.locator("table.ib-status tr[data-data-type=products] .ib-reason").inner_text() == "1 record issue(s) open."
    )
    assert page.locator("svg.ib-chart[aria-label='Recent sync jobs'] g.ib-bar").count() == 15
    assert page.locator("#ib-intake-failed").inner_text() == "1"
    screenshot(page, "dashboard.png")

    # The running job's page refreshes its numbers without a reload.
    page.goto(f"{live_server.url}/admin/sync/syncjob/{a.running_job.pk}/change/")
    widget = page.locator(f".ib-progress[data-job='{a.running_job.pk}']").first
    assert widget.locator(".ib-progress-text").inner_text().startswith("25.0% · 50 of 200 read")
    page.evaluate("window.__sameDocument = true")
    SyncJob.objects.filter(pk=a.running_job.pk).update(seen=150, pushed=120)
    page.wait_for_function(
        "document.querySelector('.ib-progress-text').textContent.startsWith('75.0% · 150 of 200 read')"
    )
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    # the Records line follows the same numbers
    assert page.locator(f".ib-live[data-job='{a.running_job.pk}'][data-field=seen]").inner_text() == "150"
    assert page.locator(f".ib-live[data-job='{a.running_job.pk}'][data-field=pushed]").inner_text() == "120"
    assert re.search(r"\d+\.\d records/s", widget.locator(".ib-progress-text").inner_text())
    screenshot(page, "job.png")
    SyncJob.objects.filter(pk=a.running_job.pk).update(state=JobState.SUCCEEDED, finished_at=timezone.now())
    page.wait_for_function("document.querySelector('.ib-progress').getAttribute('data-running') === 'false'")
    assert widget.locator(".ib-progress-state").inner_text() == "Succeeded"

    # Rerun the failed job from the list; the page says what happened.
    page.goto(f"{live_server.url}/admin/sync/syncjob/?state__exact=failed")
    page.check(f"input[name=_selected_action][value='{a.failed_job.pk}']")
    page.select_option("select[name=action]", "rerun")
    page.click("button[name=index]")
    assert page.locator("ul.messagelist li").first.inner_text() == "1 full sync(s) queued."
    assert SyncJob.objects.filter(rerun_of=a.failed_job, state=JobState.QUEUED).count() == 1


def test_operator_of_a_cannot_reach_b(browser: Any, live_server: Any, world: dict[str, Any]) -> None:
    a: History = world["a"]
    b: History = world["b"]
    page = _page(browser, live_server, "operator-a")
    base = live_server.url

    for path in (
        f"/admin/sync/dashboard/{b.connection.pk}/",
        f"/admin/sync/syncjob/{b.failed_job.pk}/change/",
        f"/admin/sync/syncissue/{b.issue.pk}/change/",
        f"/admin/sync/webhookevent/{b.failed_event.pk}/change/",
        f"/admin/connections/connection/{b.connection.pk}/change/",
        f"/admin/sync/jobs/{b.running_job.pk}/progress/",
    ):
        response = page.goto(base + path)
        assert response.status == 404, path
    assert page.goto(f"{base}/admin/sync/dashboard/{a.connection.pk}/").status == 200

    searches = [
        ("/admin/sync/syncissue/", "bravo-77"),
        ("/admin/sync/webhookevent/", "bravo-42"),
        ("/admin/sync/syncjob/", str(b.failed_job.pk)),
        ("/admin/connections/connection/", "bravo"),
    ]
    for path, term in searches:
        page.goto(base + path)
        assert "bravo" not in page.content()
        page.fill("#searchbar", term)
        page.press("#searchbar", "Enter")
        page.wait_for_load_state()
        assert (
            "bravo" not in page.locator("#result_list").inner_text() if page.locator("#result_list").count() else True
        )
        assert "0 results" in page.locator("#changelist-search .small").inner_text()

    page.goto(f"{base}/admin/sync/timeline/?q=bravo-SKU-42")
    assert "No record of this connection has the external id or SKU" in page.content()

    # A forged action on B's issue (its id slipped into the form) changes nothing.
    page.goto(f"{base}/admin/sync/syncissue/")
    page.evaluate(
        """id => { const input = document.createElement('input');
                   input.type = 'hidden'; input.name = '_selected_action'; input.value = id;
                   document.getElementById('changelist-form').appendChild(input); }""",
        str(b.issue.pk),
    )
    page.select_option("select[name=action]", "resolve")
    page.click("button[name=index]")
    page.wait_for_load_state()
    assert SyncIssue.objects.get(pk=b.issue.pk).state == IssueState.OPEN
