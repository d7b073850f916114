"""The state of catch-up and reconcile jobs: created running, counted page by page, ended.

These jobs are not queued or claimed like a full sync (``job_runs``): the beat task that runs one
records it as it goes, through these services, so that every change of a ``SyncJob``'s state is
made in ``sync/jobs/``.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from connections.models import Connection
from sync.engine.outcome import PushOutcome
from sync.models import JobKind, JobState, SyncJob, TriggerSource


def sync_job_start_partial(
    *, connection: Connection, data_type: str, kind: JobKind, result: dict[str, Any] | None = None
) -> SyncJob:
    """Create a catch-up or reconcile job already running (the beat task runs it now)."""
    return SyncJob.objects.create(
        connection=connection,
        data_type=data_type,
        kind=kind,
        state=JobState.RUNNING,
        trigger=TriggerSource.SCHEDULE,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        **({"result": result} if result is not None else {}),
    )


def sync_job_page_read(*, job: SyncJob, records: int) -> None:
    """Count a page read from the platform (saved with the page's push, ``sync_job_page_pushed``)."""
    job.seen += records
    job.pages_done += 1


def sync_job_page_pushed(*, job: SyncJob, outcome: PushOutcome | None) -> None:
    """Count what the page's push did (None: an empty page) and save the counters with a heartbeat."""
    if outcome is not None:
        job.pushed += len(outcome.pushed)
        job.unchanged += len(outcome.unchanged)
        job.deleted += len(outcome.deleted)
        job.issues += outcome.records_with_issues
    job.heartbeat_at = timezone.now()
    job.save(update_fields=["seen", "pages_done", "pushed", "unchanged", "deleted", "issues",
                            "heartbeat_at", "updated_at"])  # fmt: skip


def sync_job_result_add(*, job: SyncJob, **result: Any) -> None:
    """Add keys to the job's result and save it."""
    job.result = {**job.result, **result}
    job.save(update_fields=["result", "updated_at"])


def sync_job_end(*, job: SyncJob, state: JobState, error: str = "", result: dict[str, Any] | None = None) -> None:
    """End a catch-up or reconcile job with ``state`` (and ``result``, when given, replacing it)."""
    job.state = state
    job.error = error[:4000]
    job.finished_at = timezone.now()
    fields = ["state", "error", "finished_at", "updated_at"]
    if result is not None:
        job.result = result
        fields.insert(3, "result")
    job.save(update_fields=fields)
