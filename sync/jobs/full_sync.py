"""The full sync of one data type: stream platform pages, push what changed, checkpoint each page.

Flow (``docs/sync-design.md``): claim the job → report ``started_full_sync`` (first attempt only) →
**pages**: for each page from the checkpoint cursor, push it through the one write path and, in the
same transaction as the page's last RecordState writes, store the next cursor, the counters and
the heartbeat → **completeness**: list every live id, read what the pages missed, remove what is
gone (``sync.engine.deletion``) → **report**: the outcome and open issues to the sync log. The
phase is stored, so a resumed job continues where it was, never back at page 1.

Memory does not grow with the catalogue: ``SYNC_PAGES_IN_FLIGHT`` pages of records are held at a time,
pushed side by side and checkpointed in page order (``sync/jobs/page_chain.py``; plus the SKU map
for duplicate detection). A job killed at any point resumes from its last checkpoint; records
already accepted are skipped by their hash.

A data type the platform cannot sync is refused when the sync is queued (``jobs``); should a job
of one exist anyway (queued before its platform dropped the type), it succeeds at once with a note
in ``result``. So does a customer sync (customers or their groups) a connection turned off.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connections.clients import connection_sparklayer_client, connection_sync_source
from connections.models import Connection
from connections.selectors import connection_syncs
from ignite_bridge.core.collector import full_sync_collections
from ignite_bridge.core.errors import IntegrationError, TransientError
from platforms.base import SyncSource
from platforms.concurrency import AIMDLimiter
from platforms.types import DataType, Page
from sparklayer.client import SparkLayerClient
from sync.engine.clock import ReadClock
from sync.engine.deletion import COMPLETENESS_DATA_TYPES, IdListing, full_sync_complete
from sync.engine.outcome import PushOutcome
from sync.engine.price_lists import price_lists_ensure
from sync.engine.push import WritePool, sync_records_push
from sync.engine.raw_skip import page_resolve
from sync.engine.skus import drop_duplicate_skus, seen_skus_rebuild
from sync.engine.stock_locations import stock_locations_ensure
from sync.engine.synclog import synclog_report_full, synclog_report_start
from sync.engine.table_stats import tables_analyze_if_stale
from sync.jobs.job_runs import JobStopped, job_retry_delay, sync_job_claim, sync_job_heartbeat, sync_job_release
from sync.jobs.page_chain import PageChain
from sync.jobs.settings_changes import merchant_hash, settings_followups
from sync.models import JobKind, JobPhase, JobState, RecordState, SyncIssue, SyncJob

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[SyncJob], None]

#: how often (pages) the full sync checks whether the tables it fills need fresh planner statistics
STATS_EVERY_PAGES = 10


@dataclass(frozen=True)
class RunResult:
    """``state``: succeeded, failed, cancelled, rescheduled (retry in ``countdown``), busy, skipped."""

    state: str
    countdown: float = 0.0
    detail: str = ""


def _checkpoint(job: SyncJob, token: str, page: Page, outcome: PushOutcome | None, skipped: int = 0) -> bool:
    """Store the page's cursor and counters; False when the job is no longer ours (cancelled).

    After the last page the phase moves on, so a resumed job continues with the final phases
    and never reads the listing again from the start. ``skipped``: records confirmed unchanged
    before they were mapped (``raw_skip``), counted as seen and unchanged."""
    now = timezone.now()
    changes: dict[str, Any] = {
        "checkpoint_cursor": page.next_cursor or "",
        "heartbeat_at": now,
        "updated_at": now,
        "pages_done": F("pages_done") + 1,
        "seen": F("seen") + len(page.records) + skipped,
    }
    if not page.next_cursor:
        changes["phase"] = JobPhase.COMPLETENESS
    if page.total_records is not None:
        changes["total_estimate"] = page.total_records
    changes["unchanged"] = F("unchanged") + skipped
    if outcome is not None:
        changes["pushed"] = F("pushed") + len(outcome.pushed)
        changes["unchanged"] = F("unchanged") + len(outcome.unchanged) + skipped
        changes["issues"] = F("issues") + outcome.records_with_issues
        changes["deleted"] = F("deleted") + len(outcome.deleted)
    result = dict(job.result)
    result.pop("stalled_retries", None)  # progress: the count of retries without progress starts again
    changes["result"] = result
    return bool(SyncJob.objects.filter(pk=job.pk, state=JobState.RUNNING, claim_token=token).update(**changes))


def _heartbeat(job: SyncJob, token: str, **changes: Any) -> None:
    """Tell the sweeper the job is alive; raises ``JobStopped`` when it was cancelled or taken over."""
    now = timezone.now()
    if not SyncJob.objects.filter(pk=job.pk, state=JobState.RUNNING, claim_token=token).update(
        heartbeat_at=now, updated_at=now, **changes
    ):
        raise JobStopped()


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
    if not connection_syncs(connection, data_type):
        return f"{data_type} sync is turned off for this connection (customer_sync_scope=none)."
    return ""


def _run_pages(job: SyncJob, token: str, progress: ProgressCallback | None) -> None:
    connection = job.connection
    data_type = DataType(job.data_type)
    adapter = connection_sync_source(connection)
    client = connection_sparklayer_client(connection)
    # a catalogue's calls are on PushLog rows and in the metrics; its failures still log at INFO
    adapter.success_log_level = client.success_log_level = settings.FULL_SYNC_CALL_LOG_LEVEL
    skip = _skip_reason(connection, data_type, adapter.data_types)
    if skip:
        job.result = {**job.result, "note": skip}
        _report_succeeded(job, client)
        _finish(job, token, JobState.SUCCEEDED, result=job.result)
        return
    if not job.result.get("sync_log_started"):
        job.result = {**job.result, "sync_log_started": True}
        job.result.update(
            synclog_report_start(
                connection=connection, data_type=data_type, started_at=job.started_at or timezone.now(), client=client
            )
        )
        SyncJob.objects.filter(pk=job.pk, claim_token=token).update(result=job.result)
    clock = ReadClock()
    if data_type == DataType.MERCHANT and "merchant_hash_before" not in job.result:
        job.result = {**job.result, "merchant_hash_before": merchant_hash(connection=connection)}
        SyncJob.objects.filter(pk=job.pk, claim_token=token).update(result=job.result)
    live: set[str] | None = None  # the ids listed while the last pages were written
    if job.phase == JobPhase.PAGES:
        live = _read_pages(job, token, progress, adapter=adapter, client=client, clock=clock)
        job.refresh_from_db()
        if job.phase == JobPhase.PAGES:  # a listing that yielded no page at all
            _heartbeat(job, token, phase=JobPhase.COMPLETENESS)
            job.refresh_from_db()
    if job.phase == JobPhase.COMPLETENESS:
        adapter.read_limiter = _store_limiter(connection)  # the id listing's pages are read at once too
        try:
            done = full_sync_complete(
                connection=connection,
                data_type=data_type,
                job=job,
                adapter=adapter,
                client=client,
                clock=clock,
                alive=lambda: _heartbeat(job, token),
                heartbeat=partial(sync_job_heartbeat, job_id=job.pk),
                live=live,
            )
        finally:
            adapter.read_limiter = None
        job.result = {**job.result, "missed_read": done.missed, "live_records": done.live}
        _heartbeat(job, token, phase=JobPhase.REPORT, deleted=F("deleted") + done.deleted, result=job.result)
        job.refresh_from_db()
        if data_type == DataType.MERCHANT:
            settings_followups(connection=connection, job=job)
    _report_succeeded(job, client)
    if not _finish(job, token, JobState.SUCCEEDED, result=job.result):
        raise JobStopped()


def _report_succeeded(job: SyncJob, client: SparkLayerClient) -> None:
    """Send the final sync-log report of a job that succeeded (or had nothing to sync) and note it
    in ``job.result``, so the ended-job report (``sync_job_report_ended``) never sends a second."""
    job.result.update(
        synclog_report_full(
            connection=job.connection,
            data_type=DataType(job.data_type),
            started_at=job.started_at,
            finished_at=timezone.now(),
            succeeded=True,
            client=client,
        )
    )
    job.result["sync_log_reported"] = True


def _read_pages(
    job: SyncJob,
    token: str,
    progress: ProgressCallback | None,
    *,
    adapter: SyncSource,
    client: SparkLayerClient,
    clock: ReadClock,
) -> set[str] | None:
    """Push every page; the live ids, when the id listing started after the last page's read has
    listed them (``sync.engine.deletion.IdListing``), else None."""
    connection = job.connection
    data_type = DataType(job.data_type)
    seen_skus: dict[str, str] | None = None
    if data_type == DataType.PRODUCTS:
        price_lists_ensure(connection_id=connection.pk, client=client, adapter=adapter, force=True)
        stock_locations_ensure(connection_id=connection.pk, client=client, adapter=adapter, force=True)
        seen_skus = seen_skus_rebuild(connection=connection, job_id=job.pk) if job.checkpoint_cursor else {}
    adapter.defer_mapping = data_type == DataType.PRODUCTS  # unchanged records are skipped unmapped
    adapter.read_limiter = limiter = _store_limiter(connection)
    client.write_limiter = writes = _sparklayer_limiter(connection)
    try:
        listing = _push_pages(job, token, progress, adapter=adapter, client=client, clock=clock, seen_skus=seen_skus)
        # waited for here, while the pages' store limiter still bounds its reads
        return listing.live(alive=lambda: _heartbeat(job, token)) if listing is not None else None
    finally:
        adapter.defer_mapping = False
        adapter.read_limiter = None
        client.write_limiter = None
        store = {"maximum": limiter.maximum, "peak": limiter.peak, "last": limiter.limit}
        spark = {"maximum": writes.maximum, "lowest": min(writes.changes, default=writes.limit), "last": writes.limit}
        job.result = {**job.result, "store_concurrency": store, "sparklayer_concurrency": spark}
        SyncJob.objects.filter(pk=job.pk, claim_token=token).update(result=job.result)


def _store_limiter(connection: Connection) -> AIMDLimiter:
    """How many reads the store gets at once: adapted (AIMD) up to the connection's or the setting's maximum."""
    return AIMDLimiter(maximum=connection.platform_max_concurrency or settings.PLATFORM_MAX_CONCURRENCY)


def _sparklayer_limiter(connection: Connection) -> AIMDLimiter:
    """How many writes SparkLayer gets at once: the connection's push concurrency, halved when SparkLayer
    answers 429/502/503/504 or times out and raised by one per window of writes without one, never past where
    the last refusal came (AIMD on refusals only: ``judge_latency=False``). Within the site's budget."""
    maximum = max(1, connection.push_concurrency)
    return AIMDLimiter(maximum=maximum, limit=maximum, judge_latency=False)


def _push_pages(
    job: SyncJob,
    token: str,
    progress: ProgressCallback | None,
    *,
    adapter: SyncSource,
    client: SparkLayerClient,
    clock: ReadClock,
    seen_skus: dict[str, str] | None,
) -> IdListing | None:
    """Read pages in order and push each through the one write path, ``SYNC_PAGES_IN_FLIGHT`` at once,
    checkpointing them in order (``sync/jobs/page_chain.py``). Once the last page has been read, the
    completeness phase's id listing starts (``IdListing``, from the adapter's read-ahead thread) while
    the last pages are written; returned."""
    connection = job.connection
    data_type = DataType(job.data_type)
    with (
        WritePool(max(1, connection.push_concurrency)) as pool,
        PageChain[bool](max(1, settings.SYNC_PAGES_IN_FLIGHT), committed=bool) as chain,
        _listing_after_pages(adapter, data_type, connection) as listing,
    ):
        pages = adapter.iter_pages(data_type, cursor=job.checkpoint_cursor or None, clock=clock)
        while True:
            try:
                page = next(pages)
            except StopIteration:
                break
            except IntegrationError as exc:
                exc.add_note("platform read")
                raise
            resolved = page_resolve(
                connection=connection, data_type=data_type, page=page, job_id=job.pk, force=job.force,
                seen_skus=seen_skus,
            )  # fmt: skip
            page.records = resolved.records
            if seen_skus is not None:  # here, page after page, whichever thread pushes the page
                for record in page.records:
                    drop_duplicate_skus(record, seen_skus)
            skipped = len(resolved.skipped)
            push = partial(_push_page, job, token, page, skipped, client=client, pool=pool, adapter=adapter)
            _pages_done(job, progress, chain.submit(push))
            if not page.next_cursor:
                break
        if listing is not None:  # every page is read (when the last was not, a no-op)
            listing.start()
        _pages_done(job, progress, chain.drain())
    tables_analyze_if_stale([RecordState, SyncIssue])  # the pages are in: fresh statistics for the final phases
    return listing


@contextmanager
def _listing_after_pages(
    adapter: SyncSource, data_type: DataType, connection: Connection
) -> Iterator[IdListing | None]:
    """The completeness phase's id listing, started by the read of the last page (``on_page_read``);
    stopped when the pages fail or the job stops. None for a type without a completeness phase."""
    if data_type not in COMPLETENESS_DATA_TYPES:
        yield None
        return
    listing = IdListing(adapter, data_type, read_limiter=_store_limiter(connection))
    adapter.on_page_read = listing.page_read
    try:
        yield listing
    except BaseException:
        listing.stop()
        raise
    finally:
        adapter.on_page_read = None


def _push_page(
    job: SyncJob,
    token: str,
    page: Page,
    skipped: int,
    wait_turn: Callable[[], None],
    *,
    client: SparkLayerClient,
    pool: WritePool,
    adapter: SyncSource,
) -> bool:
    """Push one page and store its checkpoint once the page before it has (``wait_turn``); False when
    the job is no longer ours."""
    ours = True

    def commit_page(outcome: PushOutcome | None) -> None:
        nonlocal ours
        ours = _checkpoint(job, token, page, outcome, skipped)

    if page.records:
        sync_records_push(
            connection=job.connection,
            records=page.records,
            job=job,
            client=client,
            mark_seen=True,
            executor=pool,
            on_commit_page=commit_page,
            before_final=wait_turn,
            read_at=page.read_at,
            adapter=adapter,
            force=job.force,
            heartbeat=partial(sync_job_heartbeat, job_id=job.pk),
        )
    else:
        wait_turn()
        with transaction.atomic():
            commit_page(None)
    return ours


def _pages_done(job: SyncJob, progress: ProgressCallback | None, results: list[bool]) -> None:
    """After pages committed (in order): stop if the job is no longer ours, refresh planner statistics
    now and then, report progress.

    The job's row is read again only for a progress report: each page committed while the job was
    ours moved its ``pages_done`` by one (``_checkpoint``), so the count is kept here. (Reading the
    row back after every page cost a round trip a page on the thread that hands pages on.)"""
    for ours in results:
        if not ours:
            raise JobStopped()
        job.pages_done += 1
        if job.pages_done % STATS_EVERY_PAGES == 0:
            tables_analyze_if_stale([RecordState, SyncIssue])
        if progress is not None:
            job.refresh_from_db()
            progress(job)


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
        with full_sync_collections():  # the pages it keeps alive are not walked again and again
            _run_pages(job, token, progress)
    except JobStopped:
        logger.info("full sync stopped (cancelled or taken over)", extra=log_extra)
        sync_job_report_ended(job_id=job.pk)
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
    """Release the job to run again after a backoff; fail it when retries stop making progress.

    ``stalled_retries`` starts again at every new checkpoint, and a job never goes back to a page
    it passed, so it cannot loop; ``SYNC_JOB_MAX_RETRIES`` still bounds the whole job."""
    job.refresh_from_db()
    stalled = int(job.result.get("stalled_retries", 0)) + 1
    retries = int(job.result.get("retries", 0)) + 1
    if stalled > settings.SYNC_JOB_MAX_STALLED_RETRIES:
        _fail(job, token, exc, note=f"gave up after {stalled - 1} retries without progress")
        return RunResult("failed", detail=str(exc)[:500])
    if retries > settings.SYNC_JOB_MAX_RETRIES:
        _fail(job, token, exc, note=f"gave up after {retries - 1} retries in all")
        return RunResult("failed", detail=str(exc)[:500])
    delay = job_retry_delay(attempt=stalled - 1, retry_after=exc.retry_after)
    message = f"Retrying in {delay:.0f} s (attempt {stalled} without progress): {type(exc).__name__}: {exc}"
    SyncJob.objects.filter(pk=job.pk, claim_token=token).update(
        error=message[:5000],
        result={
            **job.result,
            "stalled_retries": stalled,
            "retries": retries,
            "last_transient_error": str(exc)[:500],
        },
    )
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
    sync_job_report_ended(job_id=job.pk)


def sync_job_report_ended(*, job_id: int) -> bool:
    """Send the final sync-log report (``last_full_sync_succeeded: false``) of a full sync that ended
    failed or cancelled after it reported its start; once. True when it was sent.

    Run by the job's own worker when it stops, and by the sweeper for jobs that ended elsewhere
    (cancelled from the admin, failed by the sweeper), so SparkLayer never shows a sync that
    started and never finished."""
    job = SyncJob.objects.select_related("connection").filter(pk=job_id).first()
    if (
        job is None
        or job.kind != JobKind.FULL
        or job.state not in (JobState.FAILED, JobState.CANCELLED)
        or not job.result.get("sync_log_started")
        or job.result.get("sync_log_reported")
        or not job.connection.is_active
    ):
        return False
    try:
        report = synclog_report_full(
            connection=job.connection,
            data_type=job.data_type,
            started_at=job.started_at,
            finished_at=job.finished_at or timezone.now(),
            succeeded=False,
        )
    except Exception:
        logger.exception("sync log final report failed", extra={"job": job.pk})
        return False
    SyncJob.objects.filter(pk=job.pk).update(result={**job.result, **report, "sync_log_reported": True})
    return True
