"""Drift audits in the operator console: the dashboard's drift line, the findings page (fields side by side,
timeline link, repair), the list actions, and the "Force full re-push" action with its confirmation."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from connections.models import ConnectionState
from sync.models import AuditFinding, AuditRun, FindingState, SyncJob
from sync.tasks.audits import audit_repair_task
from tests.admin.support import History, make_audit
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit_a(history_a: History) -> AuditRun:
    return make_audit(history_a.connection, prefix="alpha")


@pytest.fixture
def audit_b(history_b: History) -> AuditRun:
    return make_audit(history_b.connection, prefix="bravo")


@pytest.fixture
def queued_repairs(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """What the console sends to the workers (the repair itself is tested in tests/sync/scheduled/test_audit.py)."""
    sent: list[list[int]] = []

    def apply_async(args: tuple[list[int]], queue: str) -> None:
        assert queue == "sync"
        sent.append(sorted(args[0]))

    monkeypatch.setattr(audit_repair_task, "apply_async", apply_async)
    return sent


def grant(user: Any, *codenames: str) -> None:
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


def test_the_dashboard_shows_the_drift_line(admin_client_root: Client, audit_a: AuditRun) -> None:
    page = admin_client_root.get(reverse("sync_admin:dashboard", args=[audit_a.connection_id])).content.decode()
    assert "drift: 3 of 200 sampled differ, last audit 2\xa0hours ago" in page
    assert reverse("sync_admin:audit", args=[audit_a.pk]) in page
    assert "3 open findings" in page
    assert "never audited" in page  # customers


def test_the_findings_page_shows_fields_side_by_side_with_links(admin_client_root: Client, audit_a: AuditRun) -> None:
    response = admin_client_root.get(reverse("sync_admin:audit", args=[audit_a.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<th scope="row">title</th>' in page
    assert '<td class="ib-value ib-sparklayer">Renamed in SparkLayer</td>' in page
    assert '<td class="ib-value ib-store">alpha jumper</td>' in page
    assert '<td class="ib-value ib-sparklayer">12</td>' in page
    timeline = reverse("sync_admin:timeline")
    assert f"{timeline}?connection={audit_a.connection_id}&amp;data_type=products&amp;external_id=alpha-10" in page
    assert "https://alpha.example/wp-admin/post.php?post=10&amp;action=edit" in page
    assert 'value="Repair 3 open findings"' in page
    only_missing = admin_client_root.get(reverse("sync_admin:audit", args=[audit_a.pk]), {"kind": "missing"})
    assert "alpha-12" in only_missing.content.decode()
    assert "alpha-10" not in only_missing.content.decode()


def test_repair_from_the_findings_page_is_queued_not_run_in_the_request(
    admin_client_root: Client, audit_a: AuditRun, queued_repairs: list[list[int]]
) -> None:
    url = reverse("sync_admin:audit", args=[audit_a.pk])
    response = admin_client_root.post(url, follow=True)
    assert response.status_code == 200
    ids = sorted(AuditFinding.objects.filter(run=audit_a).values_list("pk", flat=True))
    assert queued_repairs == [ids]
    assert set(AuditFinding.objects.filter(run=audit_a).values_list("state", flat=True)) == {FindingState.REPAIRING}
    assert "Repair of 3 finding(s) queued" in response.content.decode()
    admin_client_root.post(url)
    assert queued_repairs == [ids]  # nothing open any more: nothing sent again


def test_an_operator_sees_only_their_audits_and_repairs_only_with_the_permission(
    client_a: Client, operator_a: Any, audit_a: AuditRun, audit_b: AuditRun, queued_repairs: list[list[int]]
) -> None:
    own_url = reverse("sync_admin:audit", args=[audit_a.pk])
    assert client_a.get(own_url).status_code == 403  # no permission to view audits yet
    dashboard = client_a.get(reverse("sync_admin:dashboard", args=[audit_a.connection_id])).content.decode()
    assert 'id="ib-drift"' not in dashboard
    grant(operator_a, "view_auditrun", "view_auditfinding")
    assert (
        'id="ib-drift"' in client_a.get(reverse("sync_admin:dashboard", args=[audit_a.connection_id])).content.decode()
    )
    assert client_a.get(reverse("sync_admin:audit", args=[audit_b.pk])).status_code == 404
    own = client_a.get(own_url)
    assert own.status_code == 200
    assert "Repair 3 open" not in own.content.decode()
    assert client_a.post(own_url).status_code == 404
    assert queued_repairs == []
    grant(operator_a, "change_auditfinding", "change_auditrun")
    assert client_a.post(reverse("sync_admin:audit", args=[audit_b.pk])).status_code == 404
    client_a.post(own_url)
    assert len(queued_repairs) == 1
    listing = client_a.get(reverse("admin:sync_auditfinding_changelist")).content.decode()
    assert "alpha-10" in listing
    assert "bravo-10" not in listing


def test_list_actions_repair_findings_and_runs(
    admin_client_root: Client, audit_a: AuditRun, queued_repairs: list[list[int]]
) -> None:
    one = AuditFinding.objects.get(run=audit_a, external_id="alpha-11")
    admin_client_root.post(
        reverse("admin:sync_auditfinding_changelist"),
        {"action": "repair", "_selected_action": [str(one.pk)], "index": "0"},
    )
    assert queued_repairs == [[one.pk]]
    admin_client_root.post(
        reverse("admin:sync_auditrun_changelist"),
        {"action": "repair", "_selected_action": [str(audit_a.pk)], "index": "0"},
    )
    others = sorted(AuditFinding.objects.filter(run=audit_a).exclude(pk=one.pk).values_list("pk", flat=True))
    assert queued_repairs[1] == others
    runs = admin_client_root.get(reverse("admin:sync_auditrun_changelist")).content.decode()
    assert "3 finding(s)" in runs


def test_force_full_repush_asks_first_then_queues_forced_syncs(
    admin_client_root: Client, history_a: History, django_capture_on_commit_callbacks: Any
) -> None:
    connection = history_a.connection
    removed = ConnectionFactory(site_id="gone-store", state=ConnectionState.REMOVED)
    url = reverse("admin:connections_connection_changelist")
    selected = {"action": "force_full_repush", "_selected_action": [str(connection.pk), str(removed.pk)], "index": "0"}
    before = SyncJob.objects.count()
    confirm = admin_client_root.post(url, selected)
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Force a full re-push?" in page
    assert "Not active, left out: test/gone-store" in page
    assert SyncJob.objects.count() == before  # nothing queued before the confirmation

    admin_client_root.post(url, {**selected, "confirm": "yes"})  # no data type chosen
    assert SyncJob.objects.count() == before
    with django_capture_on_commit_callbacks(execute=False):
        done = admin_client_root.post(url, {**selected, "confirm": "yes", "data_types": ["products", "customers"]},
                                      follow=True)  # fmt: skip
    forced = SyncJob.objects.filter(force=True)
    assert sorted(forced.values_list("data_type", flat=True)) == ["customers", "products"]
    assert set(forced.values_list("connection_id", flat=True)) == {connection.pk}
    assert "2 forced full sync(s) queued" in done.content.decode()


def test_force_full_repush_needs_the_permission_to_start_syncs(
    client_a: Client, history_a: History, operator_a: Any
) -> None:
    assert (
        'value="force_full_repush"' in client_a.get(reverse("admin:connections_connection_changelist")).content.decode()
    )
    operator_a.groups.first().permissions.remove(Permission.objects.get(codename="change_syncjob"))
    response = client_a.get(reverse("admin:connections_connection_changelist"))
    assert 'value="force_full_repush"' not in response.content.decode()
