"""Celery tasks of drift audits (thin: ids in, one service call).

A paused audit (SparkLayer answered 429/5xx after the client's retries) is retried with a broker
countdown of at least SparkLayer's ``Retry-After``; it resumes after its last saved chunk.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from ignite_bridge.core.errors import TransientError
from sync.jobs.job_runs import job_retry_delay
from sync.models import AuditFinding, AuditRun, FindingState
from sync.scheduled.audit_repair import audit_findings_mark_repairing, audit_findings_repair
from sync.scheduled.audit_schedule import audits_resend, audits_schedule
from sync.scheduled.audits import audit_run_execute

logger = logging.getLogger(__name__)

__all__ = ["audit_repair_task", "audit_run_task", "audit_schedule_task"]

#: a repair whose pushes keep failing transiently is given up after this many retries (findings reopen)
REPAIR_MAX_RETRIES = 8


@shared_task(
    name="sync.tasks.audit_run_task",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # the service fails an audit after SYNC_JOB_MAX_STALLED_RETRIES pauses without progress
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def audit_run_task(self: Task, run_id: int) -> dict[str, Any]:
    """Run or resume audit ``run_id``; queue the repair of its findings when it was asked for."""
    outcome = audit_run_execute(run_id=run_id, token=self.request.id or None)
    if outcome.state in ("paused", "busy"):
        raise self.retry(countdown=outcome.countdown, max_retries=None)
    if outcome.state == "succeeded":
        run = AuditRun.objects.get(pk=run_id)
        if run.repair and run.drifted:
            ids = audit_findings_mark_repairing(findings=AuditFinding.objects.filter(run=run))
            audit_repair_task.apply_async(args=(ids,), queue="sync")
    return {"audit": run_id, "state": outcome.state}


@shared_task(
    name="sync.tasks.audit_repair_task",
    bind=True,
    acks_late=True,
    max_retries=REPAIR_MAX_RETRIES,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def audit_repair_task(self: Task, finding_ids: list[int]) -> dict[str, int]:
    """Force-push the findings' records through the write path and re-read them (admin action, ``repair``)."""
    findings = AuditFinding.objects.filter(pk__in=finding_ids, state=FindingState.REPAIRING).order_by("pk")
    try:
        outcome = audit_findings_repair(findings=list(findings))
    except TransientError as exc:
        if self.request.retries >= REPAIR_MAX_RETRIES:
            AuditFinding.objects.filter(pk__in=finding_ids, state=FindingState.REPAIRING).update(
                state=FindingState.OPEN, repair_note=f"Repair gave up: {exc}"[:2000]
            )
            logger.warning("audit repair gave up", extra={"findings": len(finding_ids), "error": str(exc)})
            return {"repaired": 0, "still_differs": 0}
        raise self.retry(countdown=job_retry_delay(attempt=self.request.retries, retry_after=exc.retry_after)) from exc
    return {"repaired": outcome.repaired, "still_differs": outcome.still_differs}


@shared_task(name="sync.tasks.audit_schedule_task", soft_time_limit=60, time_limit=90, ignore_result=True)
def audit_schedule_task() -> None:
    """Beat: queue the sampled audits that are due; send again the audits whose message was lost."""
    audits_schedule()
    audits_resend()
