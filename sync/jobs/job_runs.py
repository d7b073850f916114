"""Who runs a job: claiming it, proving the claim at each checkpoint, releasing it, sweeping lost ones.

A job is claimed with one conditional UPDATE (queued, or running with a stale heartbeat), which
stores a claim token. Every checkpoint is another conditional UPDATE on that token and on the
``running`` state, so a job cancelled, or taken over by the sweeper after its worker died, stops
at its next checkpoint instead of running twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from ignite_bridge.core.backoff import backoff_delay, retry_delay_at_least
from sync.models import JobKind, JobState, SyncJob

logger = logging.getLogger(__name__)


class JobStopped(Exception):
    """The job was cancelled, or another run holds it now: stop without touching it further."""


def sync_job_claim(*, job_id: int, token: str, stale_after: float | None = None) -> SyncJob | None:
    """Take the job for this run; None when it is finished or another live run holds it."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.SYNC_JOB_STALE_SECONDS if stale_after is None else stale_after)
    claimable = Q(state=JobState.QUEUED) | Q(state=JobState.RUNNING) & (
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True) | Q(claim_token=token)
    )
    updated = SyncJob.objects.filter(claimable, pk=job_id, kind=JobKind.FULL).update(
        state=JobState.RUNNING,
        claim_token=token,
        heartbeat_at=now,
        resume_at=None,
        attempts=F("attempts") + 1,
        started_at=Coalesce(F("started_at"), now),
        updated_at=now,
    )
    if not updated:
        return None
    return SyncJob.objects.select_related("connection").get(pk=job_id)


def sync_job_release(*, job: SyncJob, token: str, delay: float) -> bool:
    """Give the job back to the queue, due in ``delay`` seconds (its checkpoint is kept)."""
    now = timezone.now()
    return bool(
        SyncJob.objects.filter(pk=job.pk, state=JobState.RUNNING, claim_token=token).update(
            state=JobState.QUEUED,
            claim_token="",
            heartbeat_at=None,
            resume_at=now + timedelta(seconds=delay),
            updated_at=now,
        )
    )


def retry_delay(*, attempt: int, retry_after: float | None = None) -> float:
    """The shared back-off (equal jitter, retries counted from 0), never less than SparkLayer's
    ``Retry-After``, and capped, that included: a countdown stays below the broker's visibility timeout."""
    base, cap = settings.SYNC_JOB_RETRY_BASE_SECONDS, settings.SYNC_JOB_RETRY_MAX_SECONDS
    delay = backoff_delay(attempt=max(0, attempt), base=base, cap=cap, first_attempt=0)
    return min(cap, retry_delay_at_least(delay, retry_after))


def sync_jobs_sweep(*, stale_after: float | None = None, queued_grace: float | None = None) -> dict[str, int]:
    """Make every job end: requeue running full syncs whose worker died (stale heartbeat), re-send
    queued ones whose message was lost (untouched past the grace period), fail catch-up and
    reconcile jobs whose worker died (they are not resumable: the next run covers their window),
    and send the final sync-log report of full syncs that ended failed or cancelled without one.

    Safe to run anywhere, any number of times: the claim decides who runs a job, so a duplicate
    message is a no-op."""
    from sync.jobs.full_sync import sync_job_report_ended
    from sync.jobs.jobs import sync_job_enqueue

    now = timezone.now()
    stale = now - timedelta(seconds=settings.SYNC_JOB_STALE_SECONDS if stale_after is None else stale_after)
    grace = now - timedelta(seconds=settings.SYNC_JOB_QUEUED_GRACE_SECONDS if queued_grace is None else queued_grace)
    lost_heartbeat = Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, updated_at__lt=stale)
    dead = list(
        SyncJob.objects.filter(lost_heartbeat, kind=JobKind.FULL, state=JobState.RUNNING).values_list("pk", flat=True)
    )
    requeued = (
        SyncJob.objects.filter(pk__in=dead, state=JobState.RUNNING)
        .filter(lost_heartbeat)
        .update(state=JobState.QUEUED, claim_token="", heartbeat_at=None, resume_at=None, updated_at=now)
    )
    abandoned = (
        SyncJob.objects.filter(lost_heartbeat, state=JobState.RUNNING)
        .exclude(kind=JobKind.FULL)
        .update(
            state=JobState.FAILED,
            finished_at=now,
            updated_at=now,
            error="The worker stopped before this job finished (killed or timed out); the next run covers it.",
        )
    )
    lost = list(
        SyncJob.objects.filter(kind=JobKind.FULL, state=JobState.QUEUED)
        .filter(Q(resume_at__lt=grace) | Q(resume_at__isnull=True, updated_at__lt=grace) | Q(pk__in=dead))
        .values_list("pk", flat=True)
    )
    for job in SyncJob.objects.filter(pk__in=lost):
        SyncJob.objects.filter(pk=job.pk).update(updated_at=now)
        sync_job_enqueue(job)
    unreported = (
        SyncJob.objects.filter(
            kind=JobKind.FULL,
            state__in=(JobState.FAILED, JobState.CANCELLED),
            result__sync_log_started=True,
            finished_at__gte=now - timedelta(days=2),
        )
        .exclude(result__has_key="sync_log_reported")
        .values_list("pk", flat=True)[:100]
    )
    reported = sum(1 for job_id in list(unreported) if sync_job_report_ended(job_id=job_id))
    if requeued or lost or abandoned or reported:
        logger.info(
            "sync jobs swept",
            extra={"requeued": requeued, "resent": len(lost), "abandoned": abandoned, "reported": reported},
        )
    return {"requeued": requeued, "resent": len(lost), "abandoned": abandoned, "reported": reported}
