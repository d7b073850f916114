"""Within their own connections, operators need model permissions for the custom pages and for syncs.

Before: a view-only operator could queue a full sync from the connections list, and a staff user
with no permission at all saw the dashboard (issues, webhook receipts), the timeline and progress.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from sync.models import SyncJob
from tests.admin.support import PASSWORD, History

VIEW_ONLY = ("view_connection", "view_syncjob", "view_syncissue", "view_webhookevent", "view_pushlog")


def staff_client(history: History, *codenames: str) -> Client:
    user: Any = get_user_model().objects.create_user(
        f"staff-{len(codenames)}", "staff@example.com", PASSWORD, is_staff=True
    )
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    history.connection.operators.add(user)
    client = Client()
    client.force_login(user)
    return client


def pages(history: History) -> list[str]:
    return [
        reverse("sync_admin:dashboard", args=[history.connection.pk]),
        reverse("sync_admin:timeline") + f"?connection={history.connection.pk}&q={history.failed_event.record_id}",
        reverse("sync_admin:job-progress", args=[history.running_job.pk]),
    ]


def test_staff_without_permissions_get_403_on_the_custom_pages(history_a: History) -> None:
    client = staff_client(history_a)
    for url in pages(history_a):
        response = client.get(url)
        assert response.status_code == 403, url
        assert history_a.failed_event.last_error not in response.content.decode()


def test_the_dashboard_needs_the_view_permission_of_every_model_it_shows(history_a: History) -> None:
    client = staff_client(history_a, "view_connection", "view_syncjob", "view_syncissue")  # no webhook events
    assert client.get(pages(history_a)[0]).status_code == 403


def test_view_permissions_open_the_custom_pages(history_a: History) -> None:
    client = staff_client(history_a, *VIEW_ONLY)
    for url in pages(history_a):
        assert client.get(url).status_code == 200, url


def start_sync(client: Client, history: History) -> Any:
    return client.post(
        reverse("admin:connections_connection_changelist"),
        {"action": "start_full_sync_products", "_selected_action": [str(history.connection.pk)], "index": "0"},
        follow=True,
    )


def test_a_view_only_operator_is_not_offered_and_cannot_start_a_full_sync(history_a: History) -> None:
    client = staff_client(history_a, *VIEW_ONLY)
    listing = client.get(reverse("admin:connections_connection_changelist")).content.decode()
    assert "start_full_sync_products" not in listing
    before = SyncJob.objects.count()
    start_sync(client, history_a)
    assert SyncJob.objects.count() == before


def test_the_permission_to_change_sync_jobs_allows_starting_a_full_sync(history_a: History) -> None:
    client = staff_client(history_a, *VIEW_ONLY, "change_syncjob")
    SyncJob.objects.filter(connection=history_a.connection, data_type="products").update(state="succeeded")
    assert "start_full_sync_products" in client.get(reverse("admin:connections_connection_changelist")).content.decode()
    response = start_sync(client, history_a)
    assert "1 products full sync(s) queued." in response.content.decode()


@pytest.mark.parametrize("value", ["²", "٢", "x"])
def test_admin_connection_filters_take_ascii_digits_only(
    admin_client_root: Client, history_a: History, history_b: History, value: str
) -> None:
    response = admin_client_root.get(reverse("admin:sync_webhookevent_changelist"), {"connection": value})
    assert response.status_code == 200
    timeline = admin_client_root.get(reverse("sync_admin:timeline"), {"connection": value, "q": "x"})
    assert timeline.status_code == 404
