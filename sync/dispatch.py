"""Sending work to the Celery workers: the one module that imports ``sync.tasks``.

Services decide *when* work is sent (after commit, marked queued first); the functions here only
publish the task. Tasks import services, services reach tasks only through this module, and its
imports of ``sync.tasks`` are made at call time, so no service imports a task module when it loads
(``pyproject.toml`` holds the import-linter contract).
"""

from __future__ import annotations

from collections.abc import Sequence


def webhook_process_send(*, event_id: int, countdown: float | None = None, connection_id: int | None = None) -> None:
    """Publish the processing task of one stored webhook event (``webhooks`` queue by route), with its
    connection when the sender knows it."""
    from sync.tasks.webhooks import webhook_process_task

    kwargs = {} if connection_id is None else {"connection_id": connection_id}
    if countdown is None:
        webhook_process_task.apply_async(args=(event_id,), kwargs=kwargs)
    else:
        webhook_process_task.apply_async(args=(event_id,), kwargs=kwargs, countdown=countdown)


def sync_job_run_send(*, job_id: int) -> str:
    """Publish the run of one sync job on the ``sync`` queue; returns the Celery task id ("" if none)."""
    from sync.tasks import sync_job_run_task

    result = sync_job_run_task.apply_async(args=(job_id,), queue="sync")
    return result.id or ""


def audit_run_send(*, run_id: int) -> None:
    """Publish the run of one drift audit on the ``sync`` queue."""
    from sync.tasks.audits import audit_run_task

    audit_run_task.apply_async(args=(run_id,), queue="sync")


def audit_repair_send(*, finding_ids: Sequence[int]) -> None:
    """Publish the repair of audit findings (already marked repairing) on the ``sync`` queue."""
    from sync.tasks.audits import audit_repair_task

    audit_repair_task.apply_async(args=(finding_ids,), queue="sync")


def issue_recheck_send(*, issue_id: int, requested_by: str) -> None:
    """Publish the re-check of one issue on the ``webhooks`` queue."""
    from sync.tasks.issues import issue_recheck_task

    issue_recheck_task.apply_async(args=(issue_id, requested_by), queue="webhooks")
