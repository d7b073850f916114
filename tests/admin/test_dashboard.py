"""Dashboard numbers (selectors) and the page that shows them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connections.models import ConnectionState
from sync.admin.charts import jobs_chart_svg
from sync.models import EventState, IssueState, JobKind, JobState, SyncIssue, SyncJob, WebhookEvent
from sync.selectors.dashboard import (
    AMBER,
    GREEN,
    RED,
    JobPoint,
    dashboard_data_type_statuses,
    dashboard_open_issues_by_code,
    dashboard_recent_jobs,
    dashboard_webhook_intake,
)
from tests.admin.support import History
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def _by_type(history: History) -> dict[str, object]:
    return {s.data_type: s for s in dashboard_data_type_statuses(connection=history.connection)}


def test_lights_per_data_type(history_a: History) -> None:
    statuses = _by_type(history_a)
    # the types WooCommerce syncs, in sync order (customer groups: those its customers' meta name)
    assert list(statuses) == ["customers", "products", "purchases", "merchant", "customer_groups"]
    products, customers, purchases = statuses["products"], statuses["customers"], statuses["purchases"]
    assert (products.light, products.reason) == (AMBER, "1 record issue(s) open.")
    assert products.records_in_sparklayer == 1  # the deleted record is not in SparkLayer
    assert products.open_issues == 1
    assert products.last_full_sync_at == history_a.succeeded_job.finished_at
    assert products.failed_events_24h == 1
    assert (customers.light, customers.reason) == (
        RED,
        "The last full sync failed: alpha: SparkLayer refused the credentials",
    )
    assert (purchases.light, purchases.reason) == (AMBER, "The first full sync is running.")
    assert purchases.active_job == history_a.running_job
    assert (statuses["merchant"].light, statuses["merchant"].reason) == (RED, "No full sync has completed yet.")


def test_green_when_synced_without_issues_and_red_when_last_full_sync_failed(history_a: History) -> None:
    SyncIssue.objects.filter(pk=history_a.issue.pk).update(state=IssueState.RESOLVED, resolved_at=timezone.now())
    WebhookEvent.objects.filter(pk=history_a.failed_event.pk).update(state=EventState.SUCCEEDED,
                                                                    processed_at=timezone.now())  # fmt: skip
    products = _by_type(history_a)["products"]
    assert (products.light, products.reason) == (GREEN, "Synced, no open issues.")
    assert products.last_partial_sync_at is not None
    now = timezone.now()
    SyncJob.objects.create(
        connection=history_a.connection, data_type="products", kind=JobKind.FULL, state=JobState.FAILED,
        error="SparkLayer answered 500", started_at=now, finished_at=now,
    )  # fmt: skip
    products = _by_type(history_a)["products"]
    assert (products.light, products.reason) == (RED, "The last full sync failed: SparkLayer answered 500")
    assert products.last_full_sync_at == history_a.succeeded_job.finished_at  # the last success still shows


def test_amber_for_failed_webhooks_only_in_the_last_day(history_a: History) -> None:
    SyncIssue.objects.filter(pk=history_a.issue.pk).update(state=IssueState.MUTED)
    assert _by_type(history_a)["products"].light == AMBER
    WebhookEvent.objects.filter(pk=history_a.failed_event.pk).update(received_at=timezone.now() - timedelta(hours=25))
    assert _by_type(history_a)["products"].light == GREEN


def test_inactive_connection_is_red(history_a: History) -> None:
    history_a.connection.state = ConnectionState.ERROR
    history_a.connection.save()
    assert {s.light for s in dashboard_data_type_statuses(connection=history_a.connection)} == {RED}


def test_issues_by_code_and_intake_are_per_connection(history_a: History, history_b: History) -> None:
    SyncIssue.objects.create(
        connection=history_a.connection, data_type="products", external_id="x", code="alpha_missing_sku",
        message="m", first_seen_at=timezone.now(), last_seen_at=timezone.now(),
    )  # fmt: skip
    groups = dashboard_open_issues_by_code(connection=history_a.connection)
    assert [(g["data_type"], g["code"], g["count"]) for g in groups] == [("products", "alpha_missing_sku", 2)]
    intake = dashboard_webhook_intake(connection=history_a.connection)
    assert (intake.received, intake.failed, intake.pending) == (1, 1, 0)
    assert len(intake.per_hour) == 24
    assert sum(received for _h, received, _f in intake.per_hour) == 1


def test_recent_jobs_oldest_first_with_durations(history_a: History) -> None:
    points = dashboard_recent_jobs(connection=history_a.connection)
    assert [p.job_id for p in points] == [history_a.succeeded_job.pk, history_a.failed_job.pk, history_a.running_job.pk]
    assert points[0].duration_seconds == 60.0
    assert (points[0].pushed, points[0].unchanged) == (100, 20)
    assert points[2].duration_seconds >= 10.0  # running: measured up to now


def test_chart_svg_escapes_text_and_draws_one_bar_per_job() -> None:
    point = JobPoint(1, "<script>", "full", "failed", None, 5.0, 3, 4, 0)
    svg = str(jobs_chart_svg([point, JobPoint(2, "products", "full", "succeeded", None, 9.0, 0, 0, 0)]))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert svg.count('class="ib-bar"') == 2
    assert str(jobs_chart_svg([])) == '<p class="ib-empty">No job has run yet.</p>'


def test_dashboard_page_shows_lights_counts_and_chart(admin_client_root: Client, history_a: History) -> None:
    response = admin_client_root.get(reverse("sync_admin:dashboard", args=[history_a.connection.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    # customers (its last full sync failed), merchant and customer_groups (never)
    assert page.count('<tr class="ib-row-red"') == 3
    assert page.count('<tr class="ib-row-amber"') == 2  # products (an open issue), purchases (first sync running)
    # the health line leads the page: the worst first
    assert '<p class="ib-health-line ib-health-red" data-light="red">' in page
    assert "customers: The last full sync failed: alpha: SparkLayer refused the credentials" in page
    # "Sync now" for each idle type the platform syncs; the running one shows its job instead
    for data_type in ("customers", "products", "merchant"):
        assert f'data-data-type="{data_type}">Sync now</button>' in page
    assert 'data-data-type="purchases">Sync now' not in page
    assert '<svg class="ib-chart" role="img" aria-label="Recent sync jobs"' in page
    assert page.count('class="ib-bar"') == 3
    issues_link = reverse("admin:sync_syncissue_changelist")
    assert f'href="{issues_link}?connection__id__exact={history_a.connection.pk}' in page
    assert "alpha_missing_sku" in page
    assert '<strong id="ib-intake-failed">1</strong>' in page
    assert reverse("admin:sync_syncjob_change", args=[history_a.running_job.pk]) in page


def test_issue_group_link_filters_the_issue_list(admin_client_root: Client, history_a: History) -> None:
    response = admin_client_root.get(
        reverse("admin:sync_syncissue_changelist"),
        {"connection__id__exact": history_a.connection.pk, "data_type": "products", "code": "alpha_missing_sku",
         "state": "open"},
    )  # fmt: skip
    assert response.status_code == 200
    assert [i.pk for i in response.context["cl"].result_list] == [history_a.issue.pk]


def test_connection_pages_link_to_the_dashboard(admin_client_root: Client, history_a: History) -> None:
    dashboard = reverse("sync_admin:dashboard", args=[history_a.connection.pk])
    listing = admin_client_root.get(reverse("admin:connections_connection_changelist")).content.decode()
    assert f'<a href="{dashboard}">Dashboard</a>' in listing
    change = admin_client_root.get(reverse("admin:connections_connection_change", args=[history_a.connection.pk]))
    assert f'href="{dashboard}"' in change.content.decode()


def test_dashboard_for_a_connection_with_no_history(admin_client_root: Client) -> None:
    connection = ConnectionFactory(site_id="empty-store")
    page = admin_client_root.get(reverse("sync_admin:dashboard", args=[connection.pk])).content.decode()
    assert "No job has run yet." in page
    assert "No open issues." in page
    assert page.count('<tr class="ib-row-red"') == 5  # every type WooCommerce syncs
