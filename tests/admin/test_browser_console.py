"""The console in headless Chromium against a live server, for what a support engineer relies on:

* an outage shows: SparkLayer answering 503 to everything while store changes arrive puts "SparkLayer
  unreachable since ..." on the dashboard within 30 s (a real worker, both sandboxes, no reload), the light
  turns red past the threshold, and the line clears after SparkLayer recovers;
* the connections list fits a 1366 px screen: no cell of a row outside the viewport;
* the buttons on the job, event and issue pages do what they say;
* an issue that comes back is the same issue, reopened, with its count and history.

With ``IGNITE_SCREENSHOTS=1`` the run refreshes ``docs/outage.png``, ``docs/connections.png`` and
``docs/issue.png`` (the README shows them).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model
from django.utils import timezone

from connections.models import Connection
from platforms.types import RecordIssue
from sync.engine.issues import issues_record
from sync.jobs.full_sync import sync_job_run
from sync.jobs.jobs import sync_job_queue_full, syncable_data_types
from sync.models import (
    EventState,
    IssueState,
    JobKind,
    JobState,
    RecordState,
    SyncIssue,
    SyncJob,
    TriggerSource,
    WebhookEvent,
)
from tests.admin.browser import BROWSER_MARKS, launch, logged_in_page, screenshot
from tests.admin.support import PASSWORD, make_history
from tests.factories import ConnectionFactory
from tests.sync.helpers import make_connection
from tests.sync.webhook_support import store_body, webhook_path, woo_headers
from tests.workers import WorkerProcess, worker_environment

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


@pytest.fixture
def root(live_server: Any) -> Any:
    return get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)


def _deliver(live_server: Any, connection: Connection, store: Any, product_id: int) -> None:
    """A signed product.updated delivery, as the store sends it, over HTTP to the live server."""
    body = store_body(store.app, "product", product_id)
    headers = woo_headers(body, connection.webhook_secret, "product.updated", delivery_id=f"d-{product_id}")
    response = requests.post(f"{live_server.url}{webhook_path(connection)}", data=body,
                             headers={**headers, "Content-Type": "application/json"}, timeout=10)  # fmt: skip
    assert response.status_code == 200, response.text


@pytest.mark.integration
def test_an_outage_shows_within_30_s_turns_red_and_clears_after_recovery(
    browser: Any,
    live_server: Any,
    root: Any,
    spark: Any,
    woo_store: Any,
    settings: Any,
) -> None:
    settings.IGNITE_HEALTH_RED_AFTER_SECONDS = 10
    connection = make_connection(woo_store, site_id="outage-store", push_concurrency=2)
    worker = WorkerProcess(
        worker_environment(
            SPARKLAYER_URL_TEST=spark.url, WEBHOOK_RETRY_BASE_SECONDS="2", WEBHOOK_RETRY_MAX_DELAY_SECONDS="4",
            WEBHOOK_RETRY_BUDGET_SECONDS="600", WEBHOOK_MAX_ATTEMPTS="100",
        ),
        queues="webhooks", concurrency=2,
    ).start()  # fmt: skip
    try:
        for data_type in syncable_data_types(connection):  # synced before the outage, as a live store is
            job = sync_job_queue_full(connection=connection, data_type=data_type, trigger=TriggerSource.COMMAND)
            assert sync_job_run(job_id=job.pk).state == "succeeded"
        page = logged_in_page(browser, live_server, "root")
        page.goto(f"{live_server.url}/admin/sync/dashboard/{connection.pk}/")
        health = page.locator("#ib-health-block .ib-health-line")
        assert "unreachable" not in health.inner_text()
        assert page.locator(".ib-status .ib-light-red").count() == 0

        requests.put(f"{spark.url}/_sandbox/faults", json={"down": True}, timeout=10).raise_for_status()
        # six products the merchant edits (each synced before, so each change needs a SparkLayer write)
        changes = requests.post(f"{woo_store.url}/_sandbox/mutate", json={"count": 20, "seed": 5,
                                "kinds": ["product_update"]}, timeout=30).json()["changes"]  # fmt: skip
        synced = set(RecordState.objects.filter(connection=connection, data_type="products").exclude(content_hash="")
                     .values_list("external_id", flat=True))  # fmt: skip
        product_ids = list(dict.fromkeys(c["id"] for c in changes if str(c["id"]) in synced))[:6]
        assert len(product_ids) == 6
        for product_id in product_ids:
            _deliver(live_server, connection, woo_store, product_id)

        # No reload: the health block refreshes itself.
        page.evaluate("window.__sameDocument = true")
        line_has = "document.querySelector('#ib-health-block .ib-health-line').innerText.includes"
        page.wait_for_function(f"{line_has}('SparkLayer unreachable since')", timeout=30_000)
        line = health.inner_text()
        assert "(503 on " in line
        assert "retrying" in line
        page.wait_for_function("document.querySelector('#ib-waiting').innerText === '6'", timeout=15_000)
        page.wait_for_function(
            "document.querySelector('#ib-health-block .ib-health-line').getAttribute('data-light') === 'red'",
            timeout=30_000,
        )  # failing longer than the 10 s threshold
        assert "6 changes waiting" in health.inner_text()
        assert page.evaluate("window.__sameDocument") is True
        page.reload()  # the rest of the page (the products row, the intake) as a person opening it now sees it
        assert page.locator("table.ib-status tr[data-data-type=products] .ib-light-red").count() == 1
        assert (
            "Writes failing: SparkLayer unreachable"
            in page.locator("table.ib-status tr[data-data-type=products]").inner_text()
        )
        screenshot(page, "outage.png")
        page.evaluate("window.__sameDocument = true")

        requests.put(f"{spark.url}/_sandbox/faults", json={}, timeout=10).raise_for_status()
        page.wait_for_function(f"!{line_has}('unreachable')", timeout=60_000)
        page.wait_for_function("document.querySelector('#ib-waiting').innerText === '0'", timeout=30_000)
        assert page.evaluate("window.__sameDocument") is True
        states = set(WebhookEvent.objects.filter(connection=connection).values_list("state", flat=True))
        assert states == {EventState.SUCCEEDED}
    finally:
        worker.stop()


def test_the_connections_list_fits_1366_px(browser: Any, live_server: Any, root: Any) -> None:
    histories = [
        make_history(ConnectionFactory(site_id=f"{name}-store", store_url=f"https://{name}.example"), prefix=name)
        for name in ("alpha", "a-rather-long-merchant-site-identifier")
    ]
    # the longest line a row can carry: an outage with a long call path
    now = timezone.now()
    for n in range(3):
        WebhookEvent.objects.create(
            connection=histories[0].connection, platform="woocommerce", topic="customer.updated",
            data_type="customers", record_id=str(n), action="updated", dedupe_key=f"o{n}", body=b"{}",
            received_at=now, state=EventState.QUEUED, attempts=2, queued_at=now + timedelta(seconds=30),
            last_error="TransientError: sparklayer PUT /api/v2/customers/platform/a-very-long-external-id-1234567890:"
                       " 503 Service Unavailable",
        )  # fmt: skip
    page = logged_in_page(browser, live_server, "root", width=1366, height=900)
    page.goto(f"{live_server.url}/admin/connections/connection/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    alpha = rows.filter(has_text="alpha-store")
    overflow = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const cells = [...document.querySelectorAll('#result_list tbody tr > *')];
            const outside = cells.filter(c => c.getBoundingClientRect().right > width + 0.5)
                                 .map(c => c.className + ': ' + c.innerText.slice(0, 40));
            const results = document.querySelector('.results');
            return {outside, cells: cells.length, scroll: results.scrollWidth - results.clientWidth,
                    page: document.documentElement.scrollWidth - width};
        }"""
    )
    assert overflow["cells"] == 2 * 8  # checkbox, status, name, state, last sync, issues, events, dashboard
    assert overflow["outside"] == []
    assert overflow["scroll"] <= 0  # nothing hidden behind a horizontal scroll bar
    assert overflow["page"] <= 0
    assert "SparkLayer unreachable since" in alpha.inner_text()
    for label in ("Dashboard", "3 waiting (3 retrying)", "1 failed (24 h)", "full", "partial"):
        assert label in alpha.inner_text()
    screenshot(page, "connections.png")


def test_buttons_on_the_job_event_and_issue_pages(browser: Any, live_server: Any, root: Any) -> None:
    history = make_history(ConnectionFactory(site_id="alpha-store"), prefix="alpha")
    page = logged_in_page(browser, live_server, "root")
    message = page.locator("ul.messagelist li").first

    page.goto(f"{live_server.url}/admin/sync/syncjob/{history.failed_job.pk}/change/")
    page.click("#ib-button-rerun")
    rerun = SyncJob.objects.get(rerun_of=history.failed_job)
    assert message.inner_text() == f"Full sync of customers queued as job #{rerun.pk}."
    assert page.url.endswith(f"/admin/sync/syncjob/{rerun.pk}/change/")
    page.click("#ib-button-cancel")  # the new job is queued: it can be cancelled
    assert SyncJob.objects.get(pk=rerun.pk).state == JobState.CANCELLED
    assert message.inner_text().startswith(f"Job #{rerun.pk} cancelled")
    assert page.locator("#ib-button-cancel").count() == 0  # a cancelled job offers a rerun instead
    assert page.locator("#ib-button-rerun").count() == 1

    page.goto(f"{live_server.url}/admin/sync/webhookevent/{history.failed_event.pk}/change/")
    page.click("#ib-button-reprocess")
    # back in the queue (sent to the broker once the request committed)
    assert WebhookEvent.objects.get(pk=history.failed_event.pk).state in (EventState.RECEIVED, EventState.QUEUED)
    assert message.inner_text() == (
        f"Event #{history.failed_event.pk} queued for processing; the record is read fresh from the store."
    )

    page.goto(f"{live_server.url}/admin/sync/syncissue/{history.issue.pk}/change/")
    page.click("#ib-button-mute")
    assert SyncIssue.objects.get(pk=history.issue.pk).state == IssueState.MUTED
    assert message.inner_text() == "Issue muted: it is kept, but no longer reported as open."
    page.click("#ib-button-recheck")
    assert message.inner_text().startswith("Re-check queued")
    page.click("#ib-button-resolve")
    assert SyncIssue.objects.get(pk=history.issue.pk).state == IssueState.RESOLVED
    assert message.inner_text() == "Issue resolved. If the problem comes back, this issue reopens."
    actions = [text.strip() for text in page.locator("#changes-group td.field-action").all_inner_texts()]
    assert actions == ["Muted", "Resolved"]


def test_an_issue_that_comes_back_is_reopened_with_its_count_and_history(
    browser: Any, live_server: Any, root: Any
) -> None:
    connection = ConnectionFactory(site_id="alpha-store", store_url="https://alpha.example")
    first_job = SyncJob.objects.create(connection=connection, data_type="products", kind=JobKind.FULL,
                                       state=JobState.SUCCEEDED)  # fmt: skip
    problem = RecordIssue(
        external_id="77", code="variant_missing_sku", message="Product 'Hoodie' (#77): variation #78 has no SKU.",
        platform_url="https://alpha.example/wp-admin/post.php?post=77&action=edit", visible_id="HOOD-77",
    )  # fmt: skip
    issues_record(connection=connection, data_type="products", issues=[problem], job=first_job)
    issues_record(connection=connection, data_type="products", issues=[problem], job=first_job)
    issue = SyncIssue.objects.get()
    assert issue.occurrences == 2

    page = logged_in_page(browser, live_server, "root")
    page.goto(f"{live_server.url}/admin/sync/syncissue/{issue.pk}/change/")
    page.click("#ib-button-resolve")

    # the problem comes back in a later sync
    second_job = SyncJob.objects.create(connection=connection, data_type="products", kind=JobKind.FULL,
                                        state=JobState.SUCCEEDED)  # fmt: skip
    issues_record(connection=connection, data_type="products", issues=[problem], job=second_job)

    page.goto(f"{live_server.url}/admin/sync/syncissue/?state=all")
    assert page.locator("#result_list tbody tr").count() == 1  # the same issue, not a second one
    page.goto(f"{live_server.url}/admin/sync/syncissue/{issue.pk}/change/")
    fields = page.locator("fieldset").first.inner_text()
    assert "State:\nOpen" in fields
    assert "Occurrences:\n3" in fields  # the count went on
    history_rows = page.locator("#changes-group tr.has_original")
    actions = [text.strip() for text in page.locator("#changes-group td.field-action").all_inner_texts()]
    assert actions == ["Opened", "Resolved", "Reopened (the problem came back)"]
    assert history_rows.nth(1).locator("td.field-by_text").inner_text().strip() == "root"  # who resolved it
    assert history_rows.nth(2).locator("td.field-run").inner_text().strip() == f"job #{second_job.pk}"
    assert page.locator("#ib-button-mute").count() == 1  # open again: it can be muted
    screenshot(page, "issue.png")


def test_the_api_docs_page_loads_nothing_from_the_internet(browser: Any, live_server: Any) -> None:
    page = browser.new_context().new_page()
    loaded: list[str] = []
    page.on("response", lambda response: loaded.append(response.url))
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector("text=Ignite Bridge", timeout=15_000)  # Redoc rendered the schema
    page.wait_for_load_state("networkidle")
    assert f"{live_server.url}/api/schema/" in loaded
    assert any(url.endswith("redoc.standalone.js") for url in loaded)
    local = (live_server.url, f"blob:{live_server.url}", "data:")
    # Redoc's own menu footer asks for a logo on cdn.redoc.ly; the page's policy keeps the browser from fetching it
    assert [url for url in loaded if not url.startswith(local)] == []
