"""Full syncs share the ``sync`` workers fairly: at most ``SYNC_MAX_JOBS_PER_CONNECTION`` run per connection.

A connect queues a full sync of every data type at once; without a cap one store's five syncs would
take every ``sync`` worker slot and hold them for as long as its catalogue takes. The cap is a
``Slot`` shared by every worker (``ignite_bridge/core/slots.py``); a job that finds its connection's
slots taken goes back to the queue for a little while, its due time stored so the job sweeper does not
take it for lost.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ignite_bridge.core.slots import Slot
from sync.models import JobState, SyncJob

#: a deferred job tries again after this many seconds (plus jitter, so deferred jobs do not move as one)
DEFER_SECONDS = 10.0


def sync_job_slot(*, connection_id: int) -> Slot:
    """One of the connection's full-sync slots (not yet acquired)."""
    return Slot(f"sync-jobs:{connection_id}", limit=settings.SYNC_MAX_JOBS_PER_CONNECTION)


def sync_job_defer(*, job_id: int) -> float:
    """Put a queued job off because its connection's slots are taken; returns the countdown to retry after."""
    delay = DEFER_SECONDS * random.uniform(0.5, 1.5)
    now = timezone.now()
    SyncJob.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        resume_at=now + timedelta(seconds=delay), updated_at=now
    )
    return delay
