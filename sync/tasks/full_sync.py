"""Celery tasks of full syncs: run one job, sweep lost ones. Thin: ids in, one service call.

Redelivery is safe: the service claims the job with a conditional update, so a message for a job
that is finished, cancelled, or held by a live run does nothing (or comes back later). Waiting is
never slept in a worker: a transient failure releases the job and the task retries with a
countdown (backoff + jitter, at least SparkLayer's Retry-After), capped well under the broker's
visibility timeout so the delayed message is not redelivered meanwhile. A job whose connection
already runs ``SYNC_MAX_JOBS_PER_CONNECTION`` full syncs waits, and is sent on as soon as one of
them ends (``sync/jobs/job_slots.py``), so one store never takes every ``sync`` worker.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from ignite_bridge.core import metrics
from sync.jobs.full_sync import sync_job_run
from sync.jobs.job_slots import sync_job_defer, sync_job_slot, sync_jobs_look_again
from sync.jobs.sweep import sync_jobs_sweep
from sync.models import JobState, SyncJob

logger = logging.getLogger(__name__)

__all__ = ["sync_job_run_task", "sync_job_sweep_task"]

FINAL_RUN_STATES = ("succeeded", "failed", "cancelled")


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
    """Run or resume full sync job ``job_id`` from its checkpoint, within its connection's slots."""
    job = SyncJob.objects.select_related("connection").filter(pk=job_id).first()
    if job is None:
        return {"job": job_id, "state": "skipped"}
    if job.state != JobState.QUEUED and superseded(job, self.request.id):
        # sent again since this message (a waiting job sent on, a re-send) and taken or ended: nothing to do
        return {"job": job_id, "state": "superseded"}
    labels = {"platform": job.connection.platform, "data_type": job.data_type, "kind": job.kind}
    slot = sync_job_slot(connection_id=job.connection_id)
    if not slot.acquire():
        metrics.sync_job_finished(**labels, state="deferred", duration=None)
        raise self.retry(countdown=sync_job_defer(job_id=job_id, connection_id=job.connection_id), max_retries=None)
    seen = {"count": job.seen}

    def progress(current: SyncJob) -> None:  # records/s: the pages read since the last one
        metrics.sync_records_read(
            platform=labels["platform"], data_type=labels["data_type"], count=current.seen - seen["count"]
        )
        seen["count"] = current.seen

    try:
        result = sync_job_run(job_id=job_id, token=self.request.id or None, progress=progress)
    finally:
        slot.release()
        sync_jobs_look_again(connection_id=job.connection_id)  # a job of this store turned away need not wait
    if result.state in FINAL_RUN_STATES:
        start, end = SyncJob.objects.filter(pk=job_id).values_list("started_at", "finished_at").first() or (None, None)
        duration = (end - start).total_seconds() if start and end else None
        metrics.sync_job_finished(**labels, state=result.state, duration=duration)
    if result.state in ("rescheduled", "busy"):
        raise self.retry(countdown=result.countdown, max_retries=None)
    return {"job": job_id, "state": result.state}


def superseded(job: SyncJob, task_id: str | None) -> bool:
    """Whether the job was sent again after the message ``task_id`` (its newest message's id is kept on
    the job). An older message, such as the deferral retry of a job sent on when a slot came free,
    finding the job running or ended has nothing to add: the newer message ran it, and a run that dies
    is the sweeper's. Only a job no longer queued is judged so: a queued one runs whichever arrives."""
    return bool(task_id and job.celery_task_id and task_id != job.celery_task_id)


@shared_task(name="sync.tasks.sync_job_sweep_task", time_limit=120, soft_time_limit=100)
def sync_job_sweep_task() -> dict[str, int]:
    """Beat: requeue jobs whose worker died and re-send queued jobs whose message was lost."""
    return sync_jobs_sweep()
