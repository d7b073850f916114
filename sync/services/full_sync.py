"""The full sync of one data type: stream platform pages, push what changed, checkpoint each page.

Flow (ARCHITECTURE.md, data flow 2): claim the job → report ``started_full_sync`` (first attempt
only) → for each page from the checkpoint cursor: push changed records and, in the same
transaction as the page's last RecordState writes, store the next cursor, the counters and the
heartbeat → when the listing ends: discontinue/delete records the run did not see → report the
outcome and open issues to the sync log.

Memory does not grow with the catalogue: one page of records is held at a time (plus the SKU map
for duplicate detection). A job killed at any point resumes from its last checkpoint; records
already accepted are skipped by their hash.

A data type the platform cannot sync is refused when the sync is queued (``jobs``); should a job
of one exist anyway (queued before its platform dropped the type), it succeeds at once with a note
in ``result``. So does a customer sync (customers or their groups) a connection turned off.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connections.clients import connection_platform_adapter, connection_sparklayer_client
from connections.models import Connection, CustomerSyncScope
from ignite_bridge.core.errors import IntegrationError, TransientError
from platforms.types import DataType, Page
from sync.models import JobState, SyncJob
from sync.services.deletion import deletions_detect
from sync.services.job_runs import JobStopped, retry_delay, sync_job_claim, sync_job_release
from sync.services.price_lists import price_lists_ensure
from sync.services.push import PushOutcome, sync_records_push
from sync.services.skus import seen_skus_rebuild
from sync.services.stock_locations import stock_locations_ensure
from sync.services.synclog import synclog_report_full, synclog_report_start

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[SyncJob], None]


@dataclass(frozen=True)
class RunResult:
    """``state``: succeeded, failed, cancelled, rescheduled (retry in ``countdown``), busy, skipped."""

    state: str
    countdown: float = 0.0
    detail: str = ""


def _checkpoint(job: SyncJob, token: str, page: Page, outcome: PushOutcome | None) -> bool:
    """Store the page's cursor and counters; False when the job is no longer ours (cancelled)."""
    now = timezone.now()
    changes: dict[str, Any] = {
        "checkpoint_cursor": page.next_cursor or "",
        "heartbeat_at": now,
        "updated_at": now,
        "pages_done": F("pages_done") + 1,
        "seen": F("seen") + len(page.records),
    }
    if page.total_records is not None:
        changes["total_estimate"] = page.total_records
    if outcome is not None:
        changes["pushed"] = F("pushed") + len(outcome.pushed)
        changes["unchanged"] = F("unchanged") + len(outcome.unchanged)
        changes["issues"] = F("issues") + outcome.records_with_issues
    result = dict(job.result)
    result.pop("stalled_retries", None)
    changes["result"] = result
    return bool(SyncJob.objects.filter(pk=job.pk, state=JobState.RUNNING, claim_token=token).update(**changes))


def _finish(job: SyncJob, token: str, state: str, *, error: str = "", result: dict[str, Any] | None = None) -> bool:
    now = timezone.now()
    return bool(
        SyncJob.objects.filter(pk=job.pk, state=JobState.RUNNING, claim_token=token).update(
            state=state,
            finished_at=now,
            heartbeat_at=now,
            updated_at=now,
            error=error[:5000],
            result={**job.result, **(result or {})},
            claim_token="",
        )
    )


def _skip_reason(connection: Connection, data_type: DataType, supported: tuple[DataType, ...]) -> str:
    if data_type not in supported:
        return f"{connection.platform} has no {data_type}: nothing to sync."
    customer_types = (DataType.CUSTOMERS, DataType.CUSTOMER_GROUPS)
    if data_type in customer_types and connection.customer_sync_scope == CustomerSyncScope.NONE:
        return "customer sync is turned off for this connection (customer_sync_scope=none)."
    return ""


def _run_pages(job: SyncJob, token: str, progress: ProgressCallback | None) -> None:
    connection = job.connection
    data_type = DataType(job.data_type)
    adapter = connection_platform_adapter(connection)
    client = connection_sparklayer_client(connection)
    skip = _skip_reason(connection, data_type, adapter.data_types)
    if skip:
        job.result = {**job.result, "note": skip}
        now = timezone.now()
        job.result.update(
            synclog_report_full(
                connection=connection,
                data_type=data_type,
                started_at=job.started_at,
                finished_at=now,
                succeeded=True,
                client=client,
            )
        )
        _finish(job, token, JobState.SUCCEEDED, result=job.result)
        return
    if not job.result.get("sync_log_started"):
        job.result = {**job.result, "sync_log_started": True}
        job.result.update(
            synclog_report_start(
                connection=connection, data_type=data_type, started_at=job.started_at or timezone.now(), client=client
            )
        )
    seen_skus: dict[str, str] | None = None
    if data_type == DataType.PRODUCTS:
        price_lists_ensure(connection_id=connection.pk, client=client, adapter=adapter, force=True)
        stock_locations_ensure(connection_id=connection.pk, client=client, adapter=adapter, force=True)
        seen_skus = seen_skus_rebuild(connection=connection, job_id=job.pk) if job.checkpoint_cursor else {}
    with ThreadPoolExecutor(max_workers=max(1, connection.push_concurrency), thread_name_prefix="push") as pool:
        pages = adapter.iter_pages(data_type, cursor=job.checkpoint_cursor or None)
        while True:
            try:
                page = next(pages)
            except StopIteration:
                break
            except IntegrationError as exc:
                exc.add_note("platform read")
                raise
            ours = True

            def commit_page(outcome: PushOutcome | None, page: Page = page) -> None:
                nonlocal ours
                ours = _checkpoint(job, token, page, outcome)

            if page.records:
                sync_records_push(
                    connection=connection,
                    records=page.records,
                    job=job,
                    client=client,
                    mark_seen=True,
                    seen_skus=seen_skus,
                    executor=pool,
                    on_commit_page=commit_page,
                )
            else:
                with transaction.atomic():
                    commit_page(None)
            if not ours:
                raise JobStopped()
            job.refresh_from_db()
            if progress is not None:
                progress(job)
            if not page.next_cursor:
                break
    job.deleted = deletions_detect(connection=connection, data_type=data_type, job=job, adapter=adapter, client=client)
    SyncJob.objects.filter(pk=job.pk, claim_token=token).update(deleted=job.deleted, heartbeat_at=timezone.now())
    finished = timezone.now()
    job.result.update(
        synclog_report_full(
            connection=connection,
            data_type=data_type,
            started_at=job.started_at,
            finished_at=finished,
            succeeded=True,
            client=client,
        )
    )
    if not _finish(job, token, JobState.SUCCEEDED, result=job.result):
        raise JobStopped()


def sync_job_run(*, job_id: int, token: str | None = None, progress: ProgressCallback | None = None) -> RunResult:
    """Run (or resume) a full sync job; idempotent under redelivery. See the module docstring.

    Never sleeps for a retry: a transient failure releases the job with a due time and answers
    ``rescheduled`` with the countdown the caller (the Celery task) retries after.
    """
    token = token or uuid.uuid4().hex
    job = SyncJob.objects.filter(pk=job_id).first()
    if job is None or job.state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED):
        return RunResult("skipped", detail="job gone or finished")
    claimed = sync_job_claim(job_id=job_id, token=token)
    if claimed is None:
        return RunResult("busy", countdown=float(settings.SYNC_JOB_STALE_SECONDS), detail="held by another run")
    job = claimed
    log_extra = {"job": job.pk, "connection": job.connection_id, "data_type": job.data_type}
    logger.info("full sync running", extra={**log_extra, "cursor": job.checkpoint_cursor})
    try:
        _run_pages(job, token, progress)
    except JobStopped:
        logger.info("full sync stopped (cancelled or taken over)", extra=log_extra)
        return RunResult("cancelled")
    except SoftTimeLimitExceeded:
        sync_job_release(job=job, token=token, delay=0)
        return RunResult("rescheduled", countdown=1.0, detail="time limit: continuing from the checkpoint")
    except TransientError as exc:
        return _reschedule(job, token, exc)
    except Exception as exc:
        logger.exception("full sync failed", extra=log_extra)
        _fail(job, token, exc)
        return RunResult("failed", detail=str(exc)[:500])
    logger.info("full sync succeeded", extra=log_extra)
    return RunResult("succeeded")


def _reschedule(job: SyncJob, token: str, exc: TransientError) -> RunResult:
    job.refresh_from_db()
    stalled = int(job.result.get("stalled_retries", 0)) + 1
    if stalled > settings.SYNC_JOB_MAX_STALLED_RETRIES:
        _fail(job, token, exc, note=f"gave up after {stalled - 1} retries without progress")
        return RunResult("failed", detail=str(exc)[:500])
    SyncJob.objects.filter(pk=job.pk, claim_token=token).update(
        result={**job.result, "stalled_retries": stalled, "last_transient_error": str(exc)[:500]}
    )
    delay = retry_delay(attempt=stalled - 1, retry_after=exc.retry_after)
    sync_job_release(job=job, token=token, delay=delay)
    logger.warning("full sync rescheduled", extra={"job": job.pk, "countdown": round(delay, 1), "error": str(exc)})
    return RunResult("rescheduled", countdown=delay, detail=str(exc)[:500])


def _fail(job: SyncJob, token: str, exc: BaseException, note: str = "") -> None:
    message = f"{type(exc).__name__}: {exc}"
    if note:
        message = f"{note}: {message}"
    notes = getattr(exc, "__notes__", [])
    if notes:
        message += " (" + "; ".join(notes) + ")"
    job.refresh_from_db()
    if not _finish(job, token, JobState.FAILED, error=message):
        return
    try:
        report = synclog_report_full(
            connection=job.connection,
            data_type=job.data_type,
            started_at=job.started_at,
            finished_at=timezone.now(),
            succeeded=False,
        )
    except Exception:
        logger.exception("sync log failure report failed", extra={"job": job.pk})
        return
    if report:
        SyncJob.objects.filter(pk=job.pk).update(result={**job.result, **report})
