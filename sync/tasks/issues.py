"""Tasks of the issue console: re-check one issue's record now (thin: ids in, one service call)."""

from __future__ import annotations

from celery import shared_task

from sync.scheduled.issue_recheck import issue_recheck

__all__ = ["issue_recheck_task"]


@shared_task(name="sync.tasks.issue_recheck_task", soft_time_limit=120, time_limit=150, ignore_result=True)
def issue_recheck_task(issue_id: int, requested_by: str = "") -> None:
    """Fetch the issue's record from the store and validate and push it again; the result goes to its history."""
    issue_recheck(issue_id=issue_id, requested_by=requested_by)
