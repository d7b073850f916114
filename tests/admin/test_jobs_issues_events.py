"""Jobs with live progress, issues grouped by code, and the bulk actions (each reports what it did)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sync.models import EventState, IssueState, JobState, SyncIssue, SyncJob, TriggerSource, WebhookEvent
from sync.selectors.dashboard import sync_job_progress
from tests.admin.support import History

pytestmark = pytest.mark.django_db


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_progress_of_a_running_job(history_a: History) -> None:
    job = history_a.running_job
    now = job.started_at + timedelta(seconds=10)
    progress = sync_job_progress(job=job, now=now)
    assert progress["percent"] == 25.0  # 50 of 200
    assert progress["records_per_second"] == 5.0  # 50 in 10 s
    assert progress["running"] is True
    assert (progress["pushed"], progress["unchanged"]) == (40, 10)


def test_progress_of_finished_and_unestimated_jobs(history_a: History) -> None:
    done = sync_job_progress(job=history_a.succeeded_job)
    assert (done["percent"], done["running"], done["records_per_second"]) == (100.0, False, 2.0)  # 120 in 60 s
    failed = sync_job_progress(job=history_a.failed_job)
    assert failed["percent"] is None  # no estimate
    queued = SyncJob.objects.create(connection=history_a.connection, data_type="merchant")
    assert sync_job_progress(job=queued)["records_per_second"] == 0.0


def test_progress_endpoint_returns_json_without_caching(client_a: Client, history_a: History) -> None:
    response = client_a.get(reverse("sync_admin:job-progress", args=[history_a.running_job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"].startswith("no-store")
    body = json.loads(response.content)
    assert (body["id"], body["state"], body["seen"], body["total_estimate"]) == (history_a.running_job.pk, "running",
                                                                                 50, 200)  # fmt: skip
    assert client_a.get(reverse("sync_admin:job-progress", args=[987654])).status_code == 404


def test_job_pages_carry_the_live_progress_widget_and_script(client_a: Client, history_a: History) -> None:
    progress_url = reverse("sync_admin:job-progress", args=[history_a.running_job.pk])
    listing = client_a.get(reverse("admin:sync_syncjob_changelist")).content.decode()
    assert f'data-progress-url="{progress_url}" data-running="true"' in listing
    assert "sync/admin/job_progress.js" in listing
    detail = client_a.get(reverse("admin:sync_syncjob_change", args=[history_a.running_job.pk])).content.decode()
    assert f'data-progress-url="{progress_url}" data-running="true"' in detail
    assert "25.0% · 50 of 200 read" in detail
    assert finders.find("sync/admin/job_progress.js") is not None
    assert finders.find("sync/admin/console.css") is not None


def test_rerun_failed_job_queues_a_new_full_sync_and_says_so(client_a: Client, history_a: History) -> None:
    response = client_a.post(
        reverse("admin:sync_syncjob_changelist"),
        {"action": "rerun", "_selected_action": [str(history_a.failed_job.pk)], "index": "0"},
        follow=True,
    )
    assert _messages(response) == ["1 full sync(s) queued."]
    rerun = SyncJob.objects.get(rerun_of=history_a.failed_job)
    assert (rerun.state, rerun.trigger, rerun.requested_by) == (JobState.QUEUED, TriggerSource.RERUN, "operator-a")


def test_rerun_refused_while_one_is_active(client_a: Client, history_a: History) -> None:
    response = client_a.post(
        reverse("admin:sync_syncjob_changelist"),
        {"action": "rerun", "_selected_action": [str(history_a.running_job.pk)], "index": "0"},
        follow=True,
    )
    assert _messages(response) == ["0 full sync(s) queued.", "1 skipped: a sync of that type is already active."]


def test_reprocess_failed_events_reports_count(client_a: Client, history_a: History) -> None:
    response = client_a.post(
        reverse("admin:sync_webhookevent_changelist"),
        {"action": "reprocess", "_selected_action": [str(history_a.failed_event.pk)], "index": "0"},
        follow=True,
    )
    assert _messages(response) == ["Queued 1 event(s) for processing."]
    assert WebhookEvent.objects.get(pk=history_a.failed_event.pk).state == EventState.RECEIVED


def test_resolve_and_mute_report_counts(client_a: Client, history_a: History) -> None:
    other = SyncIssue.objects.create(
        connection=history_a.connection, data_type="products", external_id="9", code="c", message="m",
        first_seen_at=timezone.now(), last_seen_at=timezone.now(),
    )  # fmt: skip
    url = reverse("admin:sync_syncissue_changelist") + "?state=all"  # the list shows open issues unless asked
    muted = client_a.post(url, {"action": "mute", "_selected_action": [str(other.pk)], "index": "0"}, follow=True)
    assert _messages(muted) == ["1 issue(s) muted."]
    resolved = client_a.post(
        url, {"action": "resolve", "_selected_action": [str(other.pk), str(history_a.issue.pk)], "index": "0"},
        follow=True,
    )  # fmt: skip
    assert _messages(resolved) == ["2 issue(s) resolved."]
    assert set(SyncIssue.objects.filter(connection=history_a.connection).values_list("state", flat=True)) == {
        IssueState.RESOLVED
    }


def test_issue_list_groups_by_code_with_counts_and_platform_links(client_a: Client, history_a: History) -> None:
    for n in range(2):
        SyncIssue.objects.create(
            connection=history_a.connection, data_type="products", external_id=f"x{n}", code="price_missing",
            message="m", first_seen_at=timezone.now(), last_seen_at=timezone.now(),
        )  # fmt: skip
    page = client_a.get(reverse("admin:sync_syncissue_changelist")).content.decode()
    assert "price_missing (2)" in page  # facet counts next to each code
    assert "alpha_missing_sku (1)" in page
    assert f'<a href="{history_a.issue.platform_url.replace("&", "&amp;")}" target="_blank"' in page
