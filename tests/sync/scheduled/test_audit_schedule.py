"""The scheduled sampled audit: which connections and types are due, lost audits sent again, and the whole
path through a real Celery worker, including a pause on SparkLayer's 429 that resumes by itself."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests
from django.utils import timezone

from connections.models import Connection, ConnectionState, CustomerSyncScope
from sync.jobs.full_sync import sync_job_run
from sync.jobs.jobs import sync_job_queue_full
from sync.models import AuditFinding, AuditRun, AuditState, JobState, SyncJob
from sync.scheduled.audit_schedule import audits_resend, audits_schedule
from sync.tasks.audits import audit_run_task
from tests.factories import ConnectionFactory
from tests.sync.helpers import start_worker, wait_for


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Audits sent to the workers (the run itself is tested against the sandboxes)."""
    ids: list[int] = []
    monkeypatch.setattr(audit_run_task, "apply_async", lambda args, queue: ids.append(args[0]))
    return ids


def synced(connection: Connection, *data_types: str, state: str = JobState.SUCCEEDED) -> Connection:
    for data_type in data_types:
        SyncJob.objects.create(connection=connection, data_type=data_type, state=state, trigger="connect")
    return connection


@pytest.mark.django_db
def test_each_active_connection_gets_a_sampled_audit_per_type_once_per_interval(
    settings: Any, sent: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    settings.AUDIT_INTERVAL_SECONDS, settings.AUDIT_SAMPLE_SIZE = 3600, 150
    both = synced(ConnectionFactory(site_id="both"), "products", "customers")
    products_only = synced(
        ConnectionFactory(site_id="no-customers", customer_sync_scope=CustomerSyncScope.NONE), "products", "customers"
    )
    synced(ConnectionFactory(site_id="removed", state=ConnectionState.REMOVED), "products")
    synced(ConnectionFactory(site_id="never-synced"), "products", state=JobState.FAILED)
    syncing = synced(ConnectionFactory(site_id="syncing"), "customers")
    synced(syncing, "products", state=JobState.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        queued = audits_schedule()
    assert sorted((run.connection.site_id, run.data_type) for run in queued) == [
        ("both", "customers"),
        ("both", "products"),
        ("no-customers", "products"),
        ("syncing", "customers"),  # its products are being synced: not now
    ]
    assert {(run.scope, run.sample_size, run.trigger) for run in queued} == {("sample", 150, "schedule")}
    assert sorted(sent) == sorted(run.pk for run in queued)

    assert audits_schedule() == []  # within the interval
    AuditRun.objects.update(state=AuditState.SUCCEEDED)
    assert audits_schedule(now=timezone.now() + timedelta(seconds=1800)) == []
    later = audits_schedule(now=timezone.now() + timedelta(seconds=3700))
    assert len(later) == 4
    assert {run.connection_id for run in later} == {both.pk, products_only.pk, syncing.pk}


@pytest.mark.django_db
def test_a_type_with_an_active_audit_is_left_to_it_and_zero_turns_the_schedule_off(
    settings: Any, sent: list[int]
) -> None:
    settings.AUDIT_INTERVAL_SECONDS = 3600
    connection = synced(ConnectionFactory(), "products", "customers")
    AuditRun.objects.create(connection=connection, data_type="products", state=AuditState.RUNNING, trigger="command")
    assert [run.data_type for run in audits_schedule()] == ["customers"]
    AuditRun.objects.update(state=AuditState.SUCCEEDED, created_at=timezone.now() - timedelta(days=2))
    settings.AUDIT_SAMPLE_SIZE = 0
    assert audits_schedule() == []
    settings.AUDIT_SAMPLE_SIZE, settings.AUDIT_INTERVAL_SECONDS = 200, 0
    assert audits_schedule() == []


@pytest.mark.django_db
def test_audits_nothing_works_on_are_sent_again(sent: list[int], django_capture_on_commit_callbacks: Any) -> None:
    connection = ConnectionFactory()
    old = timezone.now() - timedelta(hours=1)
    lost = AuditRun.objects.create(connection=connection, data_type="products", trigger="command")
    paused = AuditRun.objects.create(
        connection=connection, data_type="customers", trigger="command", state=AuditState.PAUSED, resume_at=old
    )
    other = ConnectionFactory()
    dead = AuditRun.objects.create(
        connection=other, data_type="products", trigger="command", state=AuditState.RUNNING, heartbeat_at=old
    )
    alive = AuditRun.objects.create(
        connection=other,
        data_type="customers",
        trigger="command",
        state=AuditState.RUNNING,
        heartbeat_at=timezone.now(),
    )
    AuditRun.objects.filter(pk=lost.pk).update(updated_at=old)
    with django_capture_on_commit_callbacks(execute=True):
        assert audits_resend() == 3
    assert sorted(sent) == sorted([lost.pk, paused.pk, dead.pk])
    assert alive.pk not in sent


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_audit_runs_on_a_worker_and_resumes_after_a_429_pause(
    connection: Connection, spark: Any, settings: Any
) -> None:
    job = sync_job_queue_full(connection=connection, data_type="products", trigger="command")
    assert sync_job_run(job_id=job.pk).state == "succeeded"
    faults = {"error_429_rate": 1.0, "retry_after": 1, "path_prefix": "/api/v1/products/"}
    requests.put(f"{spark.url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()
    # A Retry-After above the client's ceiling is not slept in the request: the audit pauses instead.
    worker = start_worker(spark, SPARKLAYER_RETRY_AFTER_CEILING="0.5", SYNC_JOB_RETRY_BASE_SECONDS="0.2")
    try:
        settings.AUDIT_SAMPLE_SIZE = 20
        (run,) = [r for r in audits_schedule() if r.data_type == "products"]
        wait_for(lambda: AuditRun.objects.get(pk=run.pk).pauses >= 1, 60, "the audit to pause", worker)
        requests.put(f"{spark.url}/_sandbox/faults", json={}, timeout=10).raise_for_status()
        wait_for(lambda: AuditRun.objects.get(pk=run.pk).state == AuditState.SUCCEEDED, 60, "the audit", worker)
    finally:
        worker.stop()
        AuditRun.objects.filter(state__in=["queued", "paused"]).update(state=AuditState.CANCELLED)
    run.refresh_from_db()
    assert run.checked == 20
    assert run.equal == 20
    assert run.reads >= 20
    assert not AuditFinding.objects.filter(run=run).exists()
