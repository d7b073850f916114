"""The scheduled sampled audit: every ``AUDIT_INTERVAL_SECONDS`` each active connection gets an audit of
``AUDIT_SAMPLE_SIZE`` records per audited data type it has fully synced, and audits whose task was
lost are sent again.

Cheap enough to leave on: a sample of 200 products costs about 200 product reads, a few stock reads
and one price-list read per day per connection (``bench/RESULTS.md``), paced by the connection's
``request_budget_per_minute``. Either setting at 0 turns the schedule off.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from connections.models import Connection, ConnectionState
from connections.selectors import connection_syncs
from sync.models import AuditRun, AuditScope, AuditState, JobKind, JobState, SyncJob, TriggerSource
from sync.models.jobs import ACTIVE_JOB_STATES
from sync.scheduled.audit_check import AUDITED_DATA_TYPES
from sync.scheduled.audits import AuditRefused, audit_run_enqueue, audit_run_queue

logger = logging.getLogger(__name__)


def audits_due(*, now: datetime | None = None) -> list[tuple[Connection, str]]:
    """(connection, data type) pairs of active connections whose last scheduled audit is older than the
    interval. A type is audited only once a full sync of it has succeeded (before that there is nothing
    to compare), and not while one runs (records are changing under it; the next tick catches up)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.AUDIT_INTERVAL_SECONDS)
    recent = set(
        AuditRun.objects.filter(trigger=TriggerSource.SCHEDULE, created_at__gte=cutoff).values_list(
            "connection_id", "data_type"
        )
    )
    full = SyncJob.objects.filter(kind=JobKind.FULL, data_type__in=[str(t) for t in AUDITED_DATA_TYPES])
    synced = set(full.filter(state=JobState.SUCCEEDED).values_list("connection_id", "data_type").distinct())
    syncing = set(full.filter(state__in=ACTIVE_JOB_STATES).values_list("connection_id", "data_type"))
    due = []
    for connection in Connection.objects.filter(state=ConnectionState.ACTIVE).order_by("pk"):
        for data_type in AUDITED_DATA_TYPES:
            key = (connection.pk, str(data_type))
            if key in recent or key not in synced or key in syncing or not connection_syncs(connection, data_type):
                continue
            due.append((connection, str(data_type)))
    return due


def audits_schedule(*, now: datetime | None = None) -> list[AuditRun]:
    """Queue the sampled audits that are due (a type with an audit already active is left to it)."""
    if settings.AUDIT_INTERVAL_SECONDS <= 0 or settings.AUDIT_SAMPLE_SIZE <= 0:
        return []
    queued = []
    for connection, data_type in audits_due(now=now):
        try:
            run = audit_run_queue(
                connection=connection,
                data_type=data_type,
                scope=AuditScope.SAMPLE,
                sample_size=settings.AUDIT_SAMPLE_SIZE,
                trigger=TriggerSource.SCHEDULE,
            )
        except AuditRefused:  # already active, or the connection changed meanwhile
            continue
        audit_run_enqueue(run)
        queued.append(run)
    if queued:
        logger.info("scheduled audits queued", extra={"count": len(queued)})
    return queued


def audits_resend(*, now: datetime | None = None) -> int:
    """Send again the audits nothing works on: queued or paused past due with their message lost, or
    running with a stale heartbeat (the worker died). The claim decides who runs one, so a duplicate
    message does nothing."""
    now = now or timezone.now()
    grace = now - timedelta(seconds=settings.SYNC_JOB_QUEUED_GRACE_SECONDS)
    stale = now - timedelta(seconds=settings.SYNC_JOB_STALE_SECONDS)
    lost = AuditRun.objects.filter(
        Q(state=AuditState.QUEUED, updated_at__lt=grace)
        | Q(state=AuditState.PAUSED, resume_at__lt=grace)
        | Q(state=AuditState.RUNNING, heartbeat_at__lt=stale)
    )
    runs = list(lost[:100])
    for run in runs:
        AuditRun.objects.filter(pk=run.pk).update(updated_at=now)
        audit_run_enqueue(run)
    return len(runs)
