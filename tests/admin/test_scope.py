"""A staff operator assigned to connection A sees nothing of B anywhere in the admin; superusers see both."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sync.models import EventState, IssueState, JobState, SyncJob, WebhookEvent
from tests.admin.support import History, make_operator

pytestmark = pytest.mark.django_db

CHANGE_PAGES = [
    ("connections_connection_change", lambda h: h.connection.pk),
    ("sync_syncjob_change", lambda h: h.succeeded_job.pk),
    ("sync_syncissue_change", lambda h: h.issue.pk),
    ("sync_webhookevent_change", lambda h: h.failed_event.pk),
    ("sync_pushlog_change", lambda h: h.push.pk),
]
CHANGELISTS = ["connections_connection", "sync_syncjob", "sync_syncissue", "sync_webhookevent", "sync_pushlog"]


@pytest.mark.parametrize(("name", "pk_of"), CHANGE_PAGES)
def test_operator_opens_own_object_but_gets_404_for_other_connections(
    client_a: Client, history_a: History, history_b: History, name: str, pk_of: Any
) -> None:
    assert client_a.get(reverse(f"admin:{name}", args=[pk_of(history_a)])).status_code == 200
    assert client_a.get(reverse(f"admin:{name}", args=[pk_of(history_b)])).status_code == 404


@pytest.mark.parametrize("name", ["connections_connection_history", "sync_syncjob_history", "sync_syncissue_history"])
def test_history_of_other_connections_objects_is_404(client_a: Client, history_b: History, name: str) -> None:
    pk = {"connections_connection_history": history_b.connection.pk, "sync_syncjob_history": history_b.failed_job.pk,
          "sync_syncissue_history": history_b.issue.pk}[name]  # fmt: skip
    assert client_a.get(reverse(f"admin:{name}", args=[pk])).status_code == 404


@pytest.mark.parametrize("model", CHANGELISTS)
def test_changelists_list_only_own_connection(client_a: Client, admin_client_root: Client, model: str) -> None:
    url = reverse(f"admin:{model}_changelist")
    own = client_a.get(url)
    assert own.status_code == 200
    assert "alpha-store" in own.content.decode()
    assert "bravo" not in own.content.decode()  # neither rows nor the connection filter name B
    everything = admin_client_root.get(url).content.decode()
    assert "alpha-store" in everything
    assert "bravo-store" in everything


def test_changelist_counts_are_scoped(client_a: Client) -> None:
    response = client_a.get(reverse("admin:sync_syncjob_changelist"))
    assert response.context["cl"].result_count == 3
    assert {job.connection.site_id for job in response.context["cl"].result_list} == {"alpha-store"}


@pytest.mark.parametrize(
    ("model", "term"),
    [("sync_syncissue", "bravo-77"), ("sync_pushlog", "bravo-42"), ("sync_webhookevent", "bravo-42"),
     ("connections_connection", "bravo-store")],
)  # fmt: skip
def test_search_never_finds_other_connections_rows(
    client_a: Client, admin_client_root: Client, model: str, term: str
) -> None:
    url = reverse(f"admin:{model}_changelist")
    assert client_a.get(url, {"q": term}).context["cl"].result_count == 0
    assert admin_client_root.get(url, {"q": term}).context["cl"].result_count == 1


def test_job_search_by_id_of_other_connection_finds_nothing(client_a: Client, history_b: History) -> None:
    response = client_a.get(reverse("admin:sync_syncjob_changelist"), {"q": str(history_b.failed_job.pk)})
    assert response.context["cl"].result_count == 0


def test_autocomplete_offers_only_visible_connections(client_a: Client, history_a: History) -> None:
    response = client_a.get(
        reverse("admin:autocomplete"),
        {"app_label": "sync", "model_name": "syncjob", "field_name": "connection", "term": "store"},
    )
    assert response.status_code == 200
    assert [row["text"] for row in json.loads(response.content)["results"]] == [str(history_a.connection)]


def test_connection_filter_by_other_connection_id_shows_no_b_rows(
    client_a: Client, history_a: History, history_b: History
) -> None:
    response = client_a.get(
        reverse("admin:sync_syncjob_changelist"), {"connection__id__exact": history_b.connection.pk}
    )
    assert response.status_code == 200
    # the id names no visible connection: the filter does not apply, and B's rows never appear
    assert {job.connection_id for job in response.context["cl"].result_list} == {history_a.connection.pk}


def _post_action(client: Client, model: str, action: str, ids: list[int]) -> Any:
    return client.post(
        reverse(f"admin:{model}_changelist"),
        {"action": action, "_selected_action": [str(pk) for pk in ids], "index": "0"},
        follow=True,
    )


def test_resolve_action_on_other_connections_issue_is_refused(client_a: Client, history_b: History) -> None:
    response = _post_action(client_a, "sync_syncissue", "resolve", [history_b.issue.pk])
    history_b.issue.refresh_from_db()
    assert history_b.issue.state == IssueState.OPEN
    assert "bravo" not in response.content.decode()


def test_mixed_selection_acts_only_on_own_rows(client_a: Client, history_a: History, history_b: History) -> None:
    response = _post_action(client_a, "sync_syncissue", "mute", [history_a.issue.pk, history_b.issue.pk])
    history_a.issue.refresh_from_db()
    history_b.issue.refresh_from_db()
    assert history_a.issue.state == IssueState.MUTED
    assert history_b.issue.state == IssueState.OPEN
    assert [str(m) for m in response.context["messages"]] == ["1 issue(s) muted."]


def test_rerun_action_on_other_connections_job_queues_nothing(client_a: Client, history_b: History) -> None:
    before = SyncJob.objects.filter(connection=history_b.connection).count()
    _post_action(client_a, "sync_syncjob", "rerun", [history_b.failed_job.pk])
    assert SyncJob.objects.filter(connection=history_b.connection).count() == before


def test_reprocess_action_on_other_connections_event_is_refused(client_a: Client, history_b: History) -> None:
    _post_action(client_a, "sync_webhookevent", "reprocess", [history_b.failed_event.pk])
    assert WebhookEvent.objects.get(pk=history_b.failed_event.pk).state == EventState.FAILED


def test_custom_pages_are_scoped(client_a: Client, history_a: History, history_b: History) -> None:
    assert client_a.get(reverse("sync_admin:dashboard", args=[history_a.connection.pk])).status_code == 200
    assert client_a.get(reverse("sync_admin:dashboard", args=[history_b.connection.pk])).status_code == 404
    assert client_a.get(reverse("sync_admin:dashboard", args=[999999])).status_code == 404
    assert client_a.get(reverse("sync_admin:job-progress", args=[history_a.running_job.pk])).status_code == 200
    assert client_a.get(reverse("sync_admin:job-progress", args=[history_b.running_job.pk])).status_code == 404
    timeline = reverse("sync_admin:timeline")
    assert client_a.get(timeline, {"connection": history_b.connection.pk, "q": "bravo-42"}).status_code == 404
    own = client_a.get(timeline, {"connection": history_a.connection.pk, "q": "bravo-42"})
    assert own.status_code == 200
    assert own.context["matches"] == []
    assert own.context["entries"] == []


def test_dashboard_links_only_visible_connections_as_others(
    admin_client_root: Client, client_a: Client, history_a: History, history_b: History
) -> None:
    url = reverse("sync_admin:dashboard", args=[history_a.connection.pk])
    assert "bravo-store" in admin_client_root.get(url).content.decode()  # a superuser gets every other dashboard
    assert "bravo" not in client_a.get(url).content.decode()


def test_unassigned_staff_sees_no_rows_and_no_dashboard(history_a: History) -> None:
    client = Client()
    client.force_login(make_operator("nobody"))
    assert client.get(reverse("admin:sync_syncjob_changelist")).context["cl"].result_count == 0
    assert client.get(reverse("sync_admin:dashboard", args=[history_a.connection.pk])).status_code == 404
    assert client.get(reverse("sync_admin:job-progress", args=[history_a.running_job.pk])).status_code == 404


def test_anonymous_and_non_staff_are_sent_to_login(history_a: History, django_user_model: Any) -> None:
    urls = [
        reverse("sync_admin:dashboard", args=[history_a.connection.pk]),
        reverse("sync_admin:job-progress", args=[history_a.running_job.pk]),
        reverse("sync_admin:timeline"),
    ]
    anonymous = Client()
    member = Client()
    user = django_user_model.objects.create_user("shopper", password="x-password-1")
    history_a.connection.operators.add(user)  # assigned but not staff: still no console
    member.force_login(user)
    for url in urls:
        for client in (anonymous, member):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))


def test_superuser_sees_other_connections_everywhere(admin_client_root: Client, history_b: History) -> None:
    assert admin_client_root.get(reverse("sync_admin:dashboard", args=[history_b.connection.pk])).status_code == 200
    assert admin_client_root.get(reverse("admin:sync_syncissue_change", args=[history_b.issue.pk])).status_code == 200
    progress = admin_client_root.get(reverse("sync_admin:job-progress", args=[history_b.running_job.pk]))
    assert json.loads(progress.content)["state"] == JobState.RUNNING
