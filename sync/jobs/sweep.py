"""Making every sync job end: requeue or fail the ones whose worker died, re-send lost messages, send
the final sync-log report of full syncs that ended elsewhere. Run every minute by beat
(``sync.tasks.sync_job_sweep_task``)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from sync.jobs.full_sync import sync_job_report_ended
from sync.jobs.jobs import sync_job_enqueue
from sync.models import JobKind, JobState, SyncJob

logger = logging.getLogger(__name__)


def sync_jobs_sweep(*, stale_after: float | None = None, queued_grace: float | None = None) -> dict[str, int]:
    """Make every job end: requeue running full syncs whose worker died (stale heartbeat), re-send
    queued ones whose message was lost (untouched past the grace period), fail catch-up and
    reconcile jobs whose worker died (they are not resumable: the next run covers their window),
    and send the final sync-log report of full syncs that ended failed or cancelled without one.

    Safe to run anywhere, any number of times: the claim decides who runs a job, so a duplicate
    message is a no-op."""
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
