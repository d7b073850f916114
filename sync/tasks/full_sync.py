"""Celery tasks of full syncs: run one job, sweep lost ones. Thin: ids in, one service call.

Redelivery is safe: the service claims the job with a conditional update, so a message for a job
that is finished, cancelled, or held by a live run does nothing (or comes back later). Waiting is
never slept in a worker: a transient failure releases the job and the task retries with a
countdown (backoff + jitter, at least SparkLayer's Retry-After), capped well under the broker's
visibility timeout so the delayed message is not redelivered meanwhile.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from sync.services.full_sync import sync_job_run
from sync.services.job_runs import sync_jobs_sweep

logger = logging.getLogger(__name__)

__all__ = ["sync_job_run_task", "sync_job_sweep_task"]


@shared_task(
    name="sync.tasks.sync_job_run_task",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # the service fails a job after SYNC_JOB_MAX_STALLED_RETRIES without progress
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def sync_job_run_task(self: Task, job_id: int) -> dict[str, Any]:
    """Run or resume full sync job ``job_id`` from its checkpoint."""
    result = sync_job_run(job_id=job_id, token=self.request.id or None)
    if result.state in ("rescheduled", "busy"):
        raise self.retry(countdown=result.countdown, max_retries=None)
    return {"job": job_id, "state": result.state}


@shared_task(name="sync.tasks.sync_job_sweep_task", time_limit=120, soft_time_limit=100)
def sync_job_sweep_task() -> dict[str, int]:
    """Beat: requeue jobs whose worker died and re-send queued jobs whose message was lost."""
    return sync_jobs_sweep()
