"""Who runs a job: claiming it, proving the claim at each checkpoint, releasing it (``sweep`` finds lost ones).

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


def sync_job_heartbeat(*, job_id: int) -> None:
    """The job is alive (the sweeper leaves it to its worker): called while a long page is saved."""
    SyncJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())


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


def job_retry_delay(*, attempt: int, retry_after: float | None = None) -> float:
    """The shared back-off (equal jitter, retries counted from 0), never less than SparkLayer's
    ``Retry-After``, and capped, that included: a countdown stays below the broker's visibility timeout."""
    base, cap = settings.SYNC_JOB_RETRY_BASE_SECONDS, settings.SYNC_JOB_RETRY_MAX_SECONDS
    delay = backoff_delay(attempt=max(0, attempt), base=base, cap=cap, first_attempt=0)
    return min(cap, retry_delay_at_least(delay, retry_after))
