"""Operator actions need the model's "change" permission; viewing the logs alone does not grant them."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from sync.models import IssueState, JobState, SyncIssue, SyncJob
from tests.admin.support import PASSWORD, History

VIEW_ONLY = ("view_connection", "view_syncjob", "view_syncissue", "view_webhookevent")


@pytest.fixture
def viewer_client(history_a: History) -> Client:
    user: Any = get_user_model().objects.create_user("viewer", "viewer@example.com", PASSWORD, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=VIEW_ONLY))
    history_a.connection.operators.add(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("changelist", "action"),
    [
        ("admin:sync_syncjob_changelist", "rerun"),
        ("admin:sync_syncissue_changelist", "resolve"),
        ("admin:sync_webhookevent_changelist", "reprocess"),
    ],
)
def test_view_only_staff_are_not_offered_the_action(viewer_client: Client, changelist: str, action: str) -> None:
    response = viewer_client.get(reverse(changelist))
    assert response.status_code == 200
    assert f'value="{action}"' not in response.content.decode()


def test_view_only_staff_cannot_post_an_action(viewer_client: Client, history_a: History) -> None:
    before = SyncJob.objects.count()
    viewer_client.post(
        reverse("admin:sync_syncjob_changelist"),
        {"action": "rerun", "_selected_action": [str(history_a.failed_job.pk)], "index": "0"},
        follow=True,
    )
    viewer_client.post(
        reverse("admin:sync_syncissue_changelist"),
        {"action": "resolve", "_selected_action": [str(history_a.issue.pk)], "index": "0"},
        follow=True,
    )
    assert SyncJob.objects.count() == before
    assert not SyncJob.objects.filter(rerun_of=history_a.failed_job, state=JobState.QUEUED).exists()
    assert SyncIssue.objects.get(pk=history_a.issue.pk).state == IssueState.OPEN
