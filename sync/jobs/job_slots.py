"""Full syncs share the ``sync`` workers fairly: at most ``SYNC_MAX_JOBS_PER_CONNECTION`` run per connection.

A connect queues a full sync of every data type at once; without a cap one store's five syncs would
take every ``sync`` worker slot and hold them for as long as its catalogue takes. The cap is a
``Slot`` shared by every worker (``ignite_bridge/core/slots.py``); a job that finds its connection's
slots taken goes back to the queue for a little while, its due time stored so the job sweeper does not
take it for lost, and its id noted in the connection's list of waiting jobs (Redis, beside the slots).
Every run that gives a slot back sends the longest-waiting job on at once (``sync_jobs_look_again``:
one Redis call when none waits), so a store's settings or its few customers finishing in a second do
not leave its catalogue, or its orders, waiting out the rest of a ten-second deferral. The deferral's
own retry stays, in case that message is lost; whichever arrives second finds the job taken or done
and does nothing.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ignite_bridge.core.shared_redis import cache_key, cache_redis
from ignite_bridge.core.slots import Slot
from sync.dispatch import sync_job_run_send
from sync.models import JobKind, JobState, SyncJob

logger = logging.getLogger(__name__)

#: a deferred job tries again after this many seconds (plus jitter, so deferred jobs do not move as one)
DEFER_SECONDS = 10.0
#: how long a connection's list of waiting jobs outlives its last deferral (a deferral's own retry comes far sooner)
WAITING_TTL_SECONDS = 3600


def sync_job_slot(*, connection_id: int) -> Slot:
    """One of the connection's full-sync slots (not yet acquired)."""
    return Slot(f"sync-jobs:{connection_id}", limit=settings.SYNC_MAX_JOBS_PER_CONNECTION)


def _waiting_key(connection_id: int) -> str:
    return cache_key(f"sync-jobs-waiting:{connection_id}")


def sync_job_defer(*, job_id: int, connection_id: int) -> float:
    """Put a queued job off because its connection's slots are taken, noted as waiting for the
    connection's next free slot; returns the countdown to retry after."""
    delay = DEFER_SECONDS * random.uniform(0.5, 1.5)
    now = timezone.now()
    SyncJob.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        resume_at=now + timedelta(seconds=delay), updated_at=now
    )
    client = cache_redis()
    if client is not None:
        try:
            key = _waiting_key(connection_id)
            client.zadd(key, {str(job_id): time.time()}, nx=True)  # the first deferral keeps its place
            client.expire(key, WAITING_TTL_SECONDS)
        except Exception:  # noqa: BLE001 - the deferral's own retry still comes
            logger.warning("waiting sync job not noted", extra={"job": job_id}, exc_info=True)
    return delay


def sync_jobs_look_again(*, connection_id: int) -> int | None:
    """After giving back a slot: send the connection's longest-waiting deferred job now (its due time
    moved to now); returns its id, or None when no noted job still waits. Never raises for Redis or
    the broker: the job's own deferral retry, and the sweeper, still bring it back."""
    client = cache_redis()
    if client is None:
        return None
    key = _waiting_key(connection_id)
    while True:
        try:
            popped = client.zpopmin(key)
        except Exception:  # noqa: BLE001 - the deferral's own retry still comes
            logger.warning("waiting sync jobs not read", extra={"connection": connection_id}, exc_info=True)
            return None
        if not popped:
            return None
        job_id = int(popped[0][0])
        now = timezone.now()
        waiting = SyncJob.objects.filter(
            pk=job_id, connection_id=connection_id, kind=JobKind.FULL, state=JobState.QUEUED, resume_at__gt=now
        ).update(resume_at=now, updated_at=now)
        if waiting:  # else it already runs, ended, or was never deferred (a stale note): try the next
            try:
                task_id = sync_job_run_send(job_id=job_id)
            except Exception:  # noqa: BLE001 - a run that ended must not fail for this: the retry and the sweeper remain
                logger.warning("waiting sync job not sent on", extra={"job": job_id}, exc_info=True)
                return None
            SyncJob.objects.filter(pk=job_id).update(celery_task_id=task_id)  # a cancel revokes the newest
            return job_id
