"""The buttons on the job, event, issue and connection pages: each does what it says, says so (a do-nothing
press is a warning, not a success), and is refused by GET, outside the user's connections and without the
permission to act."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from connections.models import Connection
from sync.models import (
    EventState,
    IssueAction,
    IssueState,
    JobKind,
    JobState,
    SyncIssue,
    SyncIssueChange,
    SyncJob,
    TriggerSource,
    WebhookEvent,
)
from tests.admin.support import PASSWORD, History

pytestmark = pytest.mark.django_db


def _messages(response: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def _press(client: Client, name: str, object_id: int, **data: str) -> Any:
    return client.post(reverse(f"sync_admin:{name}", args=[object_id]), data, follow=True)


@pytest.fixture
def viewer_client(history_a: History) -> Client:
    user: Any = get_user_model().objects.create_user("viewer", "viewer@example.com", PASSWORD, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    history_a.connection.operators.add(user)
    client = Client()
    client.force_login(user)
    return client


def test_rerun_queues_a_new_full_sync_and_opens_it(client_a: Client, history_a: History) -> None:
    response = _press(client_a, "job-rerun", history_a.failed_job.pk)
    rerun = SyncJob.objects.get(rerun_of=history_a.failed_job)
    assert (rerun.state, rerun.trigger, rerun.requested_by) == (JobState.QUEUED, TriggerSource.RERUN, "operator-a")
    assert _messages(response) == [("success", f"Full sync of customers queued as job #{rerun.pk}.")]
    assert response.redirect_chain[-1][0] == reverse("admin:sync_syncjob_change", args=[rerun.pk])


def test_rerun_while_one_is_active_says_so_without_green(client_a: Client, history_a: History) -> None:
    response = _press(client_a, "job-rerun", history_a.running_job.pk)
    assert _messages(response) == [
        ("warning", f"Not queued: a purchases full sync is already active (job #{history_a.running_job.pk}).")
    ]
    assert not SyncJob.objects.filter(rerun_of=history_a.running_job).exists()


def test_cancel_stops_an_active_job_and_refuses_a_finished_one(client_a: Client, history_a: History) -> None:
    response = _press(client_a, "job-cancel", history_a.running_job.pk)
    job = SyncJob.objects.get(pk=history_a.running_job.pk)
    assert (job.state, job.error) == (JobState.CANCELLED, "cancelled by operator-a")
    assert _messages(response)[0][0] == "success"
    again = _press(client_a, "job-cancel", history_a.succeeded_job.pk)
    assert _messages(again) == [("warning", f"Job #{history_a.succeeded_job.pk} was not active (succeeded): "
                                            "nothing to cancel.")]  # fmt: skip
    assert SyncJob.objects.get(pk=history_a.succeeded_job.pk).state == JobState.SUCCEEDED


def test_reprocess_puts_the_event_back_in_the_queue(client_a: Client, history_a: History) -> None:
    response = _press(client_a, "event-reprocess", history_a.failed_event.pk)
    event = WebhookEvent.objects.get(pk=history_a.failed_event.pk)
    assert (event.state, event.attempts, event.last_error) == (EventState.RECEIVED, 0, "")
    assert _messages(response) == [
        ("success", f"Event #{event.pk} queued for processing; the record is read fresh from the store.")
    ]


def test_resolve_and_mute_change_the_issue_and_its_history(client_a: Client, history_a: History) -> None:
    muted = _press(client_a, "issue-mute", history_a.issue.pk)
    assert SyncIssue.objects.get(pk=history_a.issue.pk).state == IssueState.MUTED
    assert _messages(muted)[0] == ("success", "Issue muted: it is kept, but no longer reported as open.")
    resolved = _press(client_a, "issue-resolve", history_a.issue.pk)
    assert SyncIssue.objects.get(pk=history_a.issue.pk).state == IssueState.RESOLVED
    assert _messages(resolved)[0][0] == "success"
    assert list(SyncIssueChange.objects.filter(issue=history_a.issue).values_list("action", "by")) == [
        (IssueAction.MUTED, "operator-a"),
        (IssueAction.RESOLVED, "operator-a"),
    ]
    assert _messages(_press(client_a, "issue-resolve", history_a.issue.pk)) == [
        ("warning", "The issue was already resolved.")
    ]
    assert _messages(_press(client_a, "issue-mute", history_a.issue.pk)) == [
        ("warning", "Only an open issue can be muted; this one is resolved.")
    ]


def test_recheck_is_queued_for_a_worker(
    client_a: Client, history_a: History, django_capture_on_commit_callbacks: Any
) -> None:
    from unittest import mock

    with (
        mock.patch("sync.tasks.issues.issue_recheck_task.apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = _press(client_a, "issue-recheck", history_a.issue.pk)
    send.assert_called_once_with(args=(history_a.issue.pk, "operator-a"), queue="webhooks")
    assert _messages(response)[0][0] == "success"


def test_sync_now_queues_a_type_the_platform_syncs_and_refuses_one_it_cannot(
    client_a: Client, history_a: History
) -> None:
    connection = history_a.connection
    SyncJob.objects.filter(pk=history_a.running_job.pk).update(state=JobState.SUCCEEDED)
    response = _press(client_a, "connection-sync-now", connection.pk, data_type="merchant")
    job = SyncJob.objects.get(connection=connection, data_type="merchant", kind=JobKind.FULL)
    assert (job.state, job.trigger, job.requested_by) == (JobState.QUEUED, TriggerSource.ADMIN, "operator-a")
    assert _messages(response) == [("success", f"Full sync of merchant queued as job #{job.pk}.")]
    Connection.objects.filter(pk=connection.pk).update(platform="standard")  # a platform without customer groups
    refused = _press(client_a, "connection-sync-now", connection.pk, data_type="customer_groups")
    assert _messages(refused) == [
        ("warning", "standard cannot sync customer_groups: choose one of customers, products, purchases, merchant.")
    ]
    assert not SyncJob.objects.filter(data_type="customer_groups").exists()
    busy = _press(client_a, "connection-sync-now", connection.pk, data_type="merchant")
    assert _messages(busy)[0][0] == "warning"


def test_reprocess_failed_events_of_a_connection(client_a: Client, history_a: History) -> None:
    response = _press(client_a, "connection-reprocess-failed", history_a.connection.pk)
    assert _messages(response) == [("success", "1 failed event(s) queued for processing.")]
    assert WebhookEvent.objects.get(pk=history_a.failed_event.pk).state == EventState.RECEIVED
    nothing = _press(client_a, "connection-reprocess-failed", history_a.connection.pk)
    assert _messages(nothing) == [("warning", "No failed events to reprocess.")]


@pytest.mark.parametrize(
    ("name", "attribute"),
    [("job-rerun", "failed_job"), ("job-cancel", "running_job"), ("event-reprocess", "failed_event"),
     ("issue-resolve", "issue"), ("issue-mute", "issue"), ("issue-recheck", "issue")],
)  # fmt: skip
def test_buttons_are_refused_by_get_for_other_connections_and_without_permission(
    client_a: Client, viewer_client: Client, history_a: History, history_b: History, name: str, attribute: str
) -> None:
    own, others = getattr(history_a, attribute).pk, getattr(history_b, attribute).pk
    assert client_a.get(reverse(f"sync_admin:{name}", args=[own])).status_code == 405
    assert client_a.post(reverse(f"sync_admin:{name}", args=[others])).status_code == 404
    assert viewer_client.post(reverse(f"sync_admin:{name}", args=[own])).status_code == 403
    # nothing changed on either side
    assert SyncJob.objects.filter(rerun_of__in=[history_a.failed_job, history_b.failed_job]).count() == 0
    assert SyncIssue.objects.get(pk=history_b.issue.pk).state == IssueState.OPEN
    assert WebhookEvent.objects.get(pk=history_b.failed_event.pk).state == EventState.FAILED


def test_connection_buttons_need_the_permission_of_what_they_make(
    viewer_client: Client, history_a: History, history_b: History, client_a: Client
) -> None:
    for name in ("connection-sync-now", "connection-reprocess-failed"):
        assert viewer_client.post(reverse(f"sync_admin:{name}", args=[history_a.connection.pk])).status_code == 403
        assert client_a.post(reverse(f"sync_admin:{name}", args=[history_b.connection.pk])).status_code == 404


def test_pages_show_the_buttons_that_apply_to_whoever_may_use_them(
    client_a: Client, viewer_client: Client, history_a: History
) -> None:
    def page(client: Client, name: str, pk: int) -> str:
        return client.get(reverse(f"admin:sync_{name}_change", args=[pk])).content.decode()

    assert 'id="ib-button-cancel"' in page(client_a, "syncjob", history_a.running_job.pk)
    assert 'id="ib-button-rerun"' not in page(client_a, "syncjob", history_a.running_job.pk)
    assert 'id="ib-button-rerun"' in page(client_a, "syncjob", history_a.failed_job.pk)
    assert 'id="ib-button-reprocess"' in page(client_a, "webhookevent", history_a.failed_event.pk)
    issue_page = page(client_a, "syncissue", history_a.issue.pk)
    for button in ("resolve", "mute", "recheck"):
        assert f'id="ib-button-{button}"' in issue_page
    assert "ib-button" not in page(viewer_client, "syncissue", history_a.issue.pk)
    Connection.objects.filter(pk=history_a.connection.pk).update(platform="standard")  # no customer groups
    connection_page = client_a.get(
        reverse("admin:connections_connection_change", args=[history_a.connection.pk])
    ).content.decode()
    assert 'id="ib-button-sync-products"' in connection_page
    assert 'id="ib-button-sync-customer_groups"' not in connection_page  # the platform has none
    assert 'id="ib-button-reprocess-failed"' in connection_page
    assert ">Reprocess 1 failed event</button>" in connection_page


def test_no_delete_on_jobs_events_issues_and_push_logs(admin_client_root: Client, history_a: History) -> None:
    for name, pk in (("syncjob", history_a.failed_job.pk), ("webhookevent", history_a.failed_event.pk),
                     ("syncissue", history_a.issue.pk), ("pushlog", history_a.push.pk)):  # fmt: skip
        assert admin_client_root.get(reverse(f"admin:sync_{name}_delete", args=[pk])).status_code == 403
        changelist = admin_client_root.get(reverse(f"admin:sync_{name}_changelist")).content.decode()
        assert 'value="delete_selected"' not in changelist
        assert (
            "deletelink" not in admin_client_root.get(reverse(f"admin:sync_{name}_change", args=[pk])).content.decode()
        )
    assert SyncIssue.objects.filter(pk=history_a.issue.pk).exists()
