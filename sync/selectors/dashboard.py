"""Reads behind the operator dashboard: per data type health, counts, webhook intake, recent jobs, job progress.

Every function takes one connection and reads only its rows; the admin views format what these
return and hold no rules of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Max, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from connections.models import Connection
from sync.models import EventState, IssueState, JobKind, JobState, RecordState, SyncIssue, SyncJob, WebhookEvent
from sync.models.jobs import ACTIVE_JOB_STATES
from sync.selectors.health import (  # noqa: F401 - the lights are re-exported for the dashboard's callers
    AMBER,
    GREEN,
    NONE,
    RED,
    ConnectionHealth,
    connection_health,
    job_is_retrying,
    sync_job_last_error,
)

FINISHED_JOB_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class DataTypeStatus:
    """One row of the dashboard: how SparkLayer sees one data type of the connection."""

    data_type: str
    light: str  # GREEN, AMBER or RED
    reason: str  # why the light has that colour, in the operator's words
    last_full_sync_at: datetime | None
    last_partial_sync_at: datetime | None
    last_full_job: SyncJob | None  # the latest finished full sync, whatever its outcome
    active_job: SyncJob | None
    records_in_sparklayer: int
    open_issues: int
    failed_events_24h: int
    syncable: bool = True


@dataclass(frozen=True)
class WebhookIntake:
    since: datetime
    received: int
    failed: int
    pending: int
    per_hour: list[tuple[datetime, int, int]] = field(default_factory=list)  # (hour, received, failed), oldest first

    @property
    def per_hour_rate(self) -> float:
        hours = max(len(self.per_hour), 1)
        return self.received / hours


@dataclass(frozen=True)
class JobPoint:
    """One bar of the recent-jobs chart."""

    job_id: int
    data_type: str
    kind: str
    state: str
    started_at: datetime | None
    duration_seconds: float
    pushed: int
    unchanged: int
    issues: int


def dashboard_data_type_statuses(
    *, connection: Connection, now: datetime | None = None, health: ConnectionHealth | None = None
) -> list[DataTypeStatus]:
    """A status light per data type, by the rules of ``sync.selectors.health`` (one place for them)."""
    health = health or connection_health(connection=connection, now=now)
    records = dict(
        RecordState.objects.filter(connection=connection, deleted=False)
        .values_list("data_type")
        .annotate(n=Count("pk"))
        .values_list("data_type", "n")
    )
    statuses = []
    for type_health in health.types:
        data_type = type_health.data_type
        last_full_job = (
            SyncJob.objects.filter(
                connection=connection,
                data_type=data_type,
                kind=JobKind.FULL,
                state__in=(JobState.SUCCEEDED, JobState.FAILED),
            )
            .order_by(F("finished_at").desc(nulls_last=True), "-created_at")
            .first()
        )
        active_job = (
            SyncJob.objects.filter(connection=connection, data_type=data_type, state__in=ACTIVE_JOB_STATES)
            .order_by("-created_at")
            .first()
        )
        statuses.append(
            DataTypeStatus(
                data_type=data_type,
                light=type_health.light,
                reason=type_health.reason,
                last_full_sync_at=type_health.last_full_sync_at,
                last_partial_sync_at=type_health.last_partial_sync_at,
                last_full_job=last_full_job,
                active_job=active_job,
                records_in_sparklayer=records.get(data_type, 0),
                open_issues=type_health.open_issues,
                failed_events_24h=type_health.failed_events_24h,
                syncable=type_health.syncable,
            )
        )
    return statuses


def dashboard_open_issues_by_code(*, connection: Connection) -> list[dict[str, Any]]:
    """Open issues grouped by (data type, code), largest group first."""
    return list(
        SyncIssue.objects.filter(connection=connection, state=IssueState.OPEN)
        .values("data_type", "code")
        .annotate(count=Count("pk"), latest=Max("last_seen_at"))
        .order_by("-count", "data_type", "code")
    )


def dashboard_webhook_intake(*, connection: Connection, now: datetime | None = None, hours: int = 24) -> WebhookIntake:
    """Webhook deliveries received in the last ``hours`` hours, per hour, with how many failed."""
    now = now or timezone.now()
    since = now - timedelta(hours=hours)
    events = WebhookEvent.objects.filter(connection=connection, received_at__gte=since)
    buckets = {
        row["hour"]: (row["received"], row["failed"])
        for row in events.annotate(hour=TruncHour("received_at"))
        .values("hour")
        .annotate(received=Count("pk"), failed=Count("pk", filter=Q(state=EventState.FAILED)))
    }
    first_hour = (now - timedelta(hours=hours - 1)).replace(minute=0, second=0, microsecond=0)
    per_hour = []
    for offset in range(hours):
        hour = first_hour + timedelta(hours=offset)
        received, failed = buckets.get(hour, (0, 0))
        per_hour.append((hour, received, failed))
    totals = events.aggregate(
        received=Count("pk"),
        failed=Count("pk", filter=Q(state=EventState.FAILED)),
        pending=Count("pk", filter=Q(state__in=(EventState.RECEIVED, EventState.QUEUED, EventState.PROCESSING))),
    )
    return WebhookIntake(
        since=since, received=totals["received"], failed=totals["failed"], pending=totals["pending"], per_hour=per_hour
    )


def dashboard_recent_jobs(*, connection: Connection, limit: int = 20, now: datetime | None = None) -> list[JobPoint]:
    """The latest jobs that started, oldest first (the chart reads left to right)."""
    now = now or timezone.now()
    jobs = list(SyncJob.objects.filter(connection=connection, started_at__isnull=False).order_by("-started_at")[:limit])
    points = []
    for job in reversed(jobs):
        end = job.finished_at or now
        duration = max((end - job.started_at).total_seconds(), 0.0) if job.started_at else 0.0
        points.append(
            JobPoint(
                job_id=job.pk,
                data_type=job.data_type,
                kind=job.kind,
                state=job.state,
                started_at=job.started_at,
                duration_seconds=duration,
                pushed=job.pushed,
                unchanged=job.unchanged,
                issues=job.issues,
            )
        )
    return points


def sync_job_progress(*, job: SyncJob, now: datetime | None = None) -> dict[str, Any]:
    """What the job page polls: counters, percentage of the platform's estimate and records per second.

    ``percent`` is None while the platform gave no estimate; a succeeded job is 100."""
    now = now or timezone.now()
    elapsed = 0.0
    if job.started_at:
        elapsed = max(((job.finished_at or now) - job.started_at).total_seconds(), 0.0)
    percent: float | None = None
    if job.state == JobState.SUCCEEDED:
        percent = 100.0
    elif job.total_estimate:
        percent = round(min(job.seen * 100.0 / job.total_estimate, 100.0), 1)
    return {
        "id": job.pk,
        "state": job.state,
        "state_display": job.get_state_display(),
        "running": job.state in ACTIVE_JOB_STATES,
        "seen": job.seen,
        "total_estimate": job.total_estimate,
        "pushed": job.pushed,
        "unchanged": job.unchanged,
        "issues": job.issues,
        "deleted": job.deleted,
        "pages_done": job.pages_done,
        "percent": percent,
        "records_per_second": round(job.seen / elapsed, 1) if elapsed > 0 else 0.0,
        "elapsed_seconds": round(elapsed, 1),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "error": sync_job_last_error(job)[:500],
        "retrying": job_is_retrying(job),
    }
