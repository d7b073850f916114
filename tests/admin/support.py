"""Helpers the console's tests share: the operator password and group, and a connection's sync history.

Plain functions and data, imported by test modules and by ``conftest.py`` (whose fixtures build on them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from connections.models import Connection
from sync.models import (
    AuditFinding,
    AuditRun,
    AuditScope,
    AuditState,
    EventOutcome,
    EventState,
    IssueState,
    JobKind,
    JobState,
    PushLog,
    RecordState,
    SyncIssue,
    SyncJob,
    WebhookEvent,
)

PASSWORD = "operator-password-1"

#: what an operator's group grants; the connection assignment narrows it to their connections
OPERATOR_PERMISSIONS = (
    "view_connection", "view_syncjob", "view_syncissue", "view_webhookevent", "view_webhookeventattempt",
    "view_pushlog", "change_syncjob", "change_syncissue", "change_webhookevent", "change_connection",
)  # fmt: skip


@dataclass
class History:
    """The rows ``make_history`` created for one connection."""

    connection: Connection
    succeeded_job: SyncJob
    failed_job: SyncJob
    running_job: SyncJob
    issue: SyncIssue
    failed_event: WebhookEvent
    record: RecordState
    push: PushLog


def make_history(connection: Connection, *, prefix: str) -> History:
    """A product that synced, an issue on another, a failed event, one job of each state."""
    now = timezone.now()
    succeeded = SyncJob.objects.create(
        connection=connection, data_type="products", kind=JobKind.FULL, state=JobState.SUCCEEDED,
        seen=120, pushed=100, unchanged=20, issues=1, total_estimate=120,
        started_at=now - timedelta(hours=3), finished_at=now - timedelta(hours=3) + timedelta(seconds=60),
    )  # fmt: skip
    failed = SyncJob.objects.create(
        connection=connection, data_type="customers", kind=JobKind.FULL, state=JobState.FAILED,
        seen=10, pushed=5, unchanged=0, error=f"{prefix}: SparkLayer refused the credentials",
        started_at=now - timedelta(hours=2), finished_at=now - timedelta(hours=2) + timedelta(seconds=30),
    )  # fmt: skip
    running = SyncJob.objects.create(
        connection=connection, data_type="purchases", kind=JobKind.FULL, state=JobState.RUNNING,
        seen=50, pushed=40, unchanged=10, total_estimate=200, started_at=now - timedelta(seconds=10),
    )  # fmt: skip
    issue = SyncIssue.objects.create(
        connection=connection, data_type="products", external_id=f"{prefix}-77", visible_id=f"{prefix}-SKU-77",
        platform_url=f"https://{prefix}.example/wp-admin/post.php?post=77&action=edit", code=f"{prefix}_missing_sku",
        message=f"Product {prefix}-77 has a variation without SKU", state=IssueState.OPEN,
        first_seen_at=now - timedelta(minutes=50), last_seen_at=now - timedelta(minutes=5),
    )  # fmt: skip
    event = WebhookEvent.objects.create(
        connection=connection, platform="woocommerce", topic="product.updated", data_type="products",
        record_id=f"{prefix}-42", action="updated", dedupe_key=f"{prefix}-d1", body=b"{}",
        received_at=now - timedelta(minutes=30), state=EventState.FAILED, outcome=EventOutcome.ERROR,
        last_error=f"{prefix} store timed out",
    )  # fmt: skip
    record = RecordState.objects.create(
        connection=connection, data_type="products", external_id=f"{prefix}-42", content_hash="a" * 64,
        skus=[f"{prefix}-SKU-42", f"{prefix}-SKU-42-L"], last_pushed_at=now - timedelta(minutes=20),
    )  # fmt: skip
    RecordState.objects.create(connection=connection, data_type="products", external_id=f"{prefix}-gone", deleted=True)
    push = PushLog.objects.create(
        connection=connection, data_type="products", external_id=f"{prefix}-42", operation="upsert",
        content_hash="b" * 64, status=200, job=succeeded,
    )  # fmt: skip
    return History(connection, succeeded, failed, running, issue, event, record, push)


def make_operator(username: str, *connections: Connection) -> Any:
    from django.contrib.auth import get_user_model

    group, _ = Group.objects.get_or_create(name="Operators")
    group.permissions.set(Permission.objects.filter(codename__in=OPERATOR_PERMISSIONS))
    user = get_user_model().objects.create_user(username, f"{username}@example.com", PASSWORD, is_staff=True)
    user.groups.add(group)
    for connection in connections:
        connection.operators.add(user)
    return user


def make_audit(connection: Connection, *, prefix: str) -> AuditRun:
    """A finished sampled audit of 200 products: 197 equal, two that differ and one missing in SparkLayer."""
    now = timezone.now()
    run = AuditRun.objects.create(
        connection=connection, data_type="products", scope=AuditScope.SAMPLE, sample_size=200,
        state=AuditState.SUCCEEDED, trigger="schedule", checked=200, equal=197, differing=2, missing=1, reads=207,
        started_at=now - timedelta(hours=2, seconds=30), finished_at=now - timedelta(hours=2),
    )  # fmt: skip
    common = {"run": run, "connection": connection, "data_type": "products", "belief": "pushed"}
    AuditFinding.objects.create(
        **common, external_id=f"{prefix}-10", visible_id=f"{prefix}-SKU-10", kind="differs",
        platform_url=f"https://{prefix}.example/wp-admin/post.php?post=10&action=edit",
        fields=[{"field": "title", "sparklayer": "Renamed in SparkLayer", "store": f"{prefix} jumper"}],
    )  # fmt: skip
    AuditFinding.objects.create(
        **common, external_id=f"{prefix}-11", kind="differs",
        fields=[{"field": f"stock[{prefix}-SKU-11@default]", "sparklayer": 12, "store": 5},
                {"field": "variants[111].status", "sparklayer": "suspended", "store": "live"}],
    )  # fmt: skip
    missing = [{"field": "product", "sparklayer": None, "store": "X"}]
    AuditFinding.objects.create(**common, external_id=f"{prefix}-12", kind="missing", fields=missing)
    return run
