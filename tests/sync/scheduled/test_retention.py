"""Retention (``sync/scheduled/retention.py``): what goes, what stays, and the dedupe window after pruning."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from connections.models import Connection
from platforms.types import DataType, WebhookAction, WebhookDelivery
from sync.intake.intake import webhook_event_store
from sync.models import (
    EventState,
    IssueState,
    JobKind,
    JobState,
    PushLog,
    RecordState,
    SyncIssue,
    SyncJob,
    WebhookEvent,
    WebhookEventAttempt,
)
from sync.scheduled.retention import retention_prune
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def days_ago(days: float) -> Any:
    return timezone.now() - timedelta(days=days)


def event(connection: Connection, record: str, *, age_days: float, state: str = EventState.SUCCEEDED) -> WebhookEvent:
    received = days_ago(age_days)
    created = WebhookEvent.objects.create(
        connection=connection,
        platform="woocommerce",
        topic="product.updated",
        data_type="products",
        record_id=record,
        action="updated",
        dedupe_key=f"{record}-{age_days}-{state}",
        headers={"X-Request-Id": "abc"},
        body=b'{"id": 1, "name": "x"}',
        received_at=received,
        state=state,
        processed_at=received if state not in (EventState.RECEIVED, EventState.QUEUED) else None,
    )
    WebhookEventAttempt.objects.create(event=created, number=1, started_at=received, outcome="pushed")
    return created


def push_log(connection: Connection, record: str, *, age_days: float, event: WebhookEvent | None = None) -> PushLog:
    log = PushLog.objects.create(
        connection=connection, data_type="products", external_id=record, operation="upsert", status=200, event=event
    )
    PushLog.objects.filter(pk=log.pk).update(at=days_ago(age_days))  # auto_now_add
    return log


def open_issue(connection: Connection, record: str) -> None:
    now = timezone.now()
    SyncIssue.objects.create(
        connection=connection,
        data_type="products",
        external_id=record,
        code="missing_sku",
        message="no SKU",
        state=IssueState.OPEN,
        first_seen_at=now,
        last_seen_at=now,
    )


@pytest.fixture
def connection() -> Connection:
    return ConnectionFactory(site_id="retention-store")


def test_prune_keeps_what_must_stay_and_removes_the_rest(connection: Connection, settings: Any) -> None:
    settings.RETENTION_BATCH_SIZE = 3  # several batches per step
    young = event(connection, "1", age_days=2)
    old_body = event(connection, "2", age_days=20)
    ancient = [event(connection, "3", age_days=100 + i) for i in range(5)]
    pending = event(connection, "4", age_days=120, state=EventState.QUEUED)
    failed_ancient = event(connection, "5", age_days=95, state=EventState.FAILED)
    with_issue = event(connection, "6", age_days=100)
    open_issue(connection, "6")
    recent_log = push_log(connection, "1", age_days=1)
    old_log = push_log(connection, "2", age_days=40, event=ancient[0])
    issue_log = push_log(connection, "6", age_days=40, event=with_issue)
    superseded_into_ancient = event(connection, "7", age_days=10)
    WebhookEvent.objects.filter(pk=superseded_into_ancient.pk).update(superseded_by=ancient[1])
    record_state = RecordState.objects.create(connection=connection, data_type="products", external_id="3")

    result = retention_prune()

    assert result.finished
    assert not result.dry_run
    assert WebhookEvent.objects.get(pk=young.pk).body == b'{"id": 1, "name": "x"}'
    kept = WebhookEvent.objects.get(pk=old_body.pk)
    assert (bytes(kept.body), kept.headers, kept.state) == (b"", {"X-Request-Id": "abc"}, EventState.SUCCEEDED)
    assert not WebhookEvent.objects.filter(pk__in=[e.pk for e in ancient]).exists()
    assert not WebhookEvent.objects.filter(pk=failed_ancient.pk).exists()
    assert not WebhookEventAttempt.objects.filter(event_id__in=[e.pk for e in [*ancient, failed_ancient]]).exists()
    assert WebhookEvent.objects.get(pk=pending.pk).body == b'{"id": 1, "name": "x"}'  # not final: untouched
    assert WebhookEvent.objects.filter(pk=with_issue.pk).exists()  # the open issue's timeline
    assert WebhookEvent.objects.get(pk=superseded_into_ancient.pk).superseded_by_id is None
    assert set(PushLog.objects.values_list("pk", flat=True)) == {recent_log.pk, issue_log.pk}
    assert not PushLog.objects.filter(pk=old_log.pk).exists()
    assert PushLog.objects.get(pk=issue_log.pk).event_id == with_issue.pk
    assert RecordState.objects.filter(pk=record_state.pk).exists()
    assert (result.events_deleted, result.attempts_deleted, result.push_logs_deleted) == (6, 6, 1)
    # the events that go whole go first; then bodies of the final events of 14 days or more that stay
    assert result.bodies_emptied == 2  # old_body and with_issue
    assert bytes(WebhookEvent.objects.get(pk=with_issue.pk).body) == b""
    assert WebhookEvent.objects.get(pk=superseded_into_ancient.pk).body == b'{"id": 1, "name": "x"}'
    assert retention_prune().as_dict() | {"longest_statement_seconds": 0} == {
        "dry_run": False,
        "bodies_emptied": 0,
        "events_deleted": 0,
        "attempts_deleted": 0,
        "push_logs_deleted": 0,
        "jobs_deleted": 0,
        "longest_statement_seconds": 0,
        "finished": True,
    }


def test_dry_run_counts_and_changes_nothing(connection: Connection) -> None:
    event(connection, "2", age_days=20)
    event(connection, "3", age_days=100)
    push_log(connection, "2", age_days=40)
    out = StringIO()
    call_command("prune", "--dry-run", stdout=out)
    counted = json.loads(out.getvalue().splitlines()[-1])
    assert (counted["dry_run"], counted["bodies_emptied"], counted["events_deleted"]) == (True, 2, 1)
    assert counted["push_logs_deleted"] == 1
    assert WebhookEvent.objects.count() == 2
    assert all(bytes(body) for body in WebhookEvent.objects.values_list("body", flat=True))
    assert PushLog.objects.count() == 1


def test_jobs_beyond_the_newest_kept_per_connection_type_and_kind_go(connection: Connection, settings: Any) -> None:
    settings.RETENTION_JOBS_KEPT = 3
    settings.RETENTION_BATCH_SIZE = 2
    other = ConnectionFactory(site_id="retention-other")

    def job(conn: Connection, data_type: str, kind: str, state: str, age_days: int) -> SyncJob:
        made = SyncJob.objects.create(connection=conn, data_type=data_type, kind=kind, state=state)
        SyncJob.objects.filter(pk=made.pk).update(created_at=days_ago(age_days))
        return made

    products = [job(connection, "products", JobKind.FULL, JobState.SUCCEEDED, age) for age in range(6)]
    running = job(connection, "products", JobKind.FULL, JobState.RUNNING, 30)
    catch_ups = [job(connection, "products", JobKind.CATCH_UP, JobState.SUCCEEDED, age) for age in range(3)]
    others = [job(other, "products", JobKind.FULL, JobState.FAILED, age) for age in range(4)]
    rerun = job(connection, "customers", JobKind.FULL, JobState.SUCCEEDED, 0)
    SyncJob.objects.filter(pk=rerun.pk).update(rerun_of=products[5])
    log = PushLog.objects.create(connection=connection, data_type="products", external_id="9", operation="upsert")
    PushLog.objects.filter(pk=log.pk).update(job=products[4])

    result = retention_prune()

    kept = set(SyncJob.objects.values_list("pk", flat=True))
    assert kept == {
        *[j.pk for j in products[:3]],
        running.pk,
        *[j.pk for j in catch_ups],
        *[j.pk for j in others[:3]],
        rerun.pk,
    }
    assert result.jobs_deleted == 4
    assert SyncJob.objects.get(pk=rerun.pk).rerun_of_id is None
    assert PushLog.objects.get(pk=log.pk).job_id is None


def test_a_late_duplicate_is_still_recognised_after_pruning(connection: Connection, settings: Any) -> None:
    """Retention never deletes an event younger than the dedupe window, whatever RETENTION_EVENT_DAYS says."""
    settings.RETENTION_EVENT_DAYS = 0
    settings.RETENTION_EVENT_BODY_DAYS = 0
    settings.WEBHOOK_DEDUPE_WINDOW_SECONDS = 24 * 3600
    settings.WEBHOOK_SKIP_ENQUEUE = True
    delivery = WebhookDelivery(
        topic="product.updated",
        data_type=DataType.PRODUCTS,
        record_id="42",
        action=WebhookAction.UPDATED,
        dedupe_key="delivery-42",
        delivery_id="d42",
    )
    stored, created = webhook_event_store(connection=connection, delivery=delivery, body=b"{}", headers={}) or (
        None,
        False,
    )
    assert created
    assert stored is not None
    # processed long after it arrived, an hour ago: a repeat of it now needs no processing of its own
    WebhookEvent.objects.filter(pk=stored.pk).update(
        state=EventState.SUCCEEDED,
        received_at=timezone.now() - timedelta(hours=2),
        processing_started_at=timezone.now() - timedelta(hours=1),
        processed_at=timezone.now() - timedelta(hours=1),
    )

    result = retention_prune()

    assert (result.events_deleted, result.bodies_emptied) == (0, 1)
    repeat = webhook_event_store(connection=connection, delivery=delivery, body=b"{}", headers={})
    assert repeat is not None
    assert (repeat[0].pk, repeat[1]) == (stored.pk, False)
    assert WebhookEvent.objects.filter(connection=connection).count() == 1
