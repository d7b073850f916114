"""The console's pages answer "what failed, why, what next": the admin index's health summary, "View site",
the connections list led by status, issues open by default with their links, events and jobs with their
errors, the job page's human fields first, times to the second with their time zone, and the frame
(favicon, API docs that load nothing from the internet)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sync.models import EventState, IssueState, JobKind, JobState, SyncIssue, SyncJob, WebhookEvent
from tests.admin.support import History

pytestmark = pytest.mark.django_db

ERROR = "TransientError: sparklayer PUT /api/v2/customers/platform/7: 503 Service Unavailable"


def test_admin_index_summarises_the_users_connections_worst_first(
    admin_client_root: Client, client_a: Client, history_a: History, history_b: History
) -> None:
    page = admin_client_root.get(reverse("admin:index")).content.decode()
    summary = page[page.index('id="ib-health-summary"') : page.index("app-auth")]
    assert "<strong>2</strong> failing" in summary  # both have a failed last full sync of customers
    assert summary.index("alpha-store") < summary.index("bravo-store")
    assert page.index('id="ib-health-summary"') < page.index("app-sync")  # above the apps
    own = client_a.get(reverse("admin:index")).content.decode()
    assert "alpha-store" in own
    assert "bravo-store" not in own


def test_view_site_leads_to_the_dashboards(admin_client_root: Client, client_a: Client, history_a: History,
                                           history_b: History) -> None:  # fmt: skip
    page = admin_client_root.get(reverse("admin:index")).content.decode()
    assert f'<a href="{reverse("sync_admin:dashboards")}">View site</a>' in page
    overview = admin_client_root.get(reverse("sync_admin:dashboards"))
    assert overview.status_code == 200
    assert reverse("sync_admin:dashboard", args=[history_b.connection.pk]) in overview.content.decode()
    # an operator with one connection goes straight to its dashboard
    own = client_a.get(reverse("sync_admin:dashboards"))
    assert own.status_code == 302
    assert own["Location"] == reverse("sync_admin:dashboard", args=[history_a.connection.pk])


def test_connections_list_leads_with_status(client_a: Client, history_a: History) -> None:
    page = client_a.get(reverse("admin:connections_connection_changelist")).content.decode()
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', page)
    assert headers[:3] == ["health_column", "name_column", "state_label"]
    assert headers[3:] == ["last_sync_column", "issues_column", "events_column", "dashboard_column"]
    assert "customers: The last full sync failed: alpha: SparkLayer refused the credentials" in page
    assert "0 waiting" in page
    assert "1 failed (24 h)" in page
    assert f'href="{reverse("sync_admin:dashboard", args=[history_a.connection.pk])}">Dashboard</a>' in page
    assert "sync/admin/console.css" in page
    assert "bravo" not in page


def test_issues_are_open_by_default_and_link_to_timeline_store_and_job(client_a: Client, history_a: History) -> None:
    SyncIssue.objects.filter(pk=history_a.issue.pk).update(last_job=history_a.succeeded_job)
    resolved = SyncIssue.objects.create(
        connection=history_a.connection, data_type="products", external_id="9", code="gone_code", message="fixed",
        state=IssueState.RESOLVED, first_seen_at=timezone.now(), last_seen_at=timezone.now(),
        resolved_at=timezone.now(),
    )  # fmt: skip
    url = reverse("admin:sync_syncissue_changelist")
    listing = client_a.get(url)
    assert [i.pk for i in listing.context["cl"].result_list] == [history_a.issue.pk]
    page = listing.content.decode()
    assert "Product alpha-77 has a variation without SKU" in page  # the message, not only the code
    assert ">Edit in store</a>" in page
    assert f'href="{reverse("admin:sync_syncjob_change", args=[history_a.succeeded_job.pk])}"' in page
    assert f"{reverse('sync_admin:timeline')}?connection={history_a.connection.pk}&amp;data_type=products" in page
    everything = client_a.get(url, {"state": "all"})
    assert {i.pk for i in everything.context["cl"].result_list} == {history_a.issue.pk, resolved.pk}
    of_job = client_a.get(url, {"job": history_a.succeeded_job.pk, "state": "all"})
    assert [i.pk for i in of_job.context["cl"].result_list] == [history_a.issue.pk]


def test_events_list_shows_last_error_record_link_and_retrying(client_a: Client, history_a: History) -> None:
    retrying = WebhookEvent.objects.create(
        connection=history_a.connection, platform="woocommerce", topic="customer.updated", data_type="customers",
        record_id="7", action="updated", dedupe_key="r1", body=b"{}", received_at=timezone.now(),
        state=EventState.QUEUED, attempts=3, last_error=ERROR, next_attempt_at=timezone.now() + timedelta(seconds=40),
    )  # fmt: skip
    url = reverse("admin:sync_webhookevent_changelist")
    page = client_a.get(url).content.decode()
    assert "alpha store timed out" in page  # the failed event's last error
    assert "Retrying</span> (attempt 3), next try" in page
    assert f"{reverse('sync_admin:timeline')}?connection={history_a.connection.pk}&amp;data_type=customers" in page
    waiting = client_a.get(url, {"pending": "retrying"})
    assert [e.pk for e in waiting.context["cl"].result_list] == [retrying.pk]


def test_jobs_list_has_an_error_column_and_the_job_page_puts_people_first(client_a: Client, history_a: History) -> None:
    now = timezone.now()
    SyncJob.objects.filter(pk=history_a.running_job.pk).update(
        state=JobState.QUEUED, resume_at=now + timedelta(seconds=30), result={"last_transient_error": ERROR}
    )
    listing = client_a.get(reverse("admin:sync_syncjob_changelist")).content.decode()
    assert "alpha: SparkLayer refused the credentials" in listing  # the failed job's error
    assert ERROR in listing  # the retrying job's error, though only its result had it
    page = client_a.get(reverse("admin:sync_syncjob_change", args=[history_a.running_job.pk])).content.decode()
    labels = re.findall(r'<div class="flex-container[^"]*">\s*<label>([^<]+):</label>', page)
    assert labels[:4] == ["State", "Progress", "Error", "Records"]
    assert f"Retrying after: {ERROR}" in page
    internals = page[page.index("Internals") :]
    assert "Claim token" in internals
    assert "Celery task id" in internals
    assert "<details" in page[: page.index("Internals")][-400:]  # folded
    issues_link = f"{reverse('admin:sync_syncissue_changelist')}?job={history_a.running_job.pk}&amp;state=all"
    assert issues_link in page


def test_health_block_refresh_is_scoped(client_a: Client, history_a: History, history_b: History) -> None:
    response = client_a.get(reverse("sync_admin:dashboard-health", args=[history_a.connection.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("no-store")
    assert 'class="ib-health-line ib-health-red"' in response.content.decode()
    assert client_a.get(reverse("sync_admin:dashboard-health", args=[history_b.connection.pk])).status_code == 404


def test_times_have_seconds_time_zone_and_ago(client_a: Client, history_a: History) -> None:
    job_page = client_a.get(reverse("admin:sync_syncjob_change", args=[history_a.succeeded_job.pk])).content.decode()
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</time> <span class=\"ib-ago\">\(3 h ago\)</span>", job_page)
    # a plain date field anywhere in the admin: seconds and time zone too (ignite_bridge/formats)
    push_list = client_a.get(reverse("admin:sync_pushlog_changelist")).content.decode()
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", push_list)


def test_favicon_and_api_docs_load_nothing_from_the_internet(client: Client) -> None:
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 301
    assert favicon["Location"].endswith("ignite/favicon.svg")
    docs = client.get(reverse("api-docs")).content.decode()
    assert "googleapis" not in docs
    assert "gstatic" not in docs
    assert re.findall(r'(?:src|href)="(https?://[^"]+)"', docs) == []
    assert "drf_spectacular_sidecar/redoc" in docs


def test_a_first_sync_still_running_is_not_called_failed(admin_client_root: Client) -> None:
    from tests.factories import ConnectionFactory

    connection = ConnectionFactory(site_id="fresh-store")
    SyncJob.objects.create(connection=connection, data_type="products", kind=JobKind.FULL, state=JobState.RUNNING)
    page = admin_client_root.get(reverse("sync_admin:dashboard", args=[connection.pk])).content.decode()
    assert '<tr class="ib-row-amber" data-data-type="products">' in page
    assert "The first full sync is running." in page
