"""Drift audits: queue one, run (or resume) it in chunks, pause on SparkLayer trouble, record what differs.

An audit (``AuditRun``) checks one data type of one connection (``docs/drift-audit.md``):

* ``sample``: N records picked at random among those the bridge believes SparkLayer holds, each read
  from the store and from SparkLayer;
* ``all``: every record of the store, read page by page as a full sync reads them, then every record
  the bridge believes SparkLayer holds that the store no longer lists (phase ``gone``).

Each chunk of records is checked (``audit_check``) and its findings, counters and cursor are saved in
one transaction, guarded by the run's claim token like a full sync's checkpoint: a killed run resumes
after its last chunk, a cancelled one stops at its next. SparkLayer answering 429 or 5xx after the
client's retries pauses the run (``paused``, due again after a backoff of at least its
``Retry-After``); it then resumes where it was. A record that cannot be mapped today is reported as
an issue, as a full sync would report it, not as drift. Nothing here writes to SparkLayer; repair
(``audit_repair``) is separate and goes through the write path.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from connections.clients import connection_sparklayer_client, connection_sync_source
from connections.models import Connection
from connections.selectors import connection_syncs
from ignite_bridge.core.errors import TransientError
from platforms.types import DataType, SyncRecord
from sparklayer.reads import SparkLayerReader
from sync.dispatch import audit_run_send
from sync.engine.issues import issues_record
from sync.jobs.job_runs import job_retry_delay
from sync.models import (
    ACTIVE_AUDIT_STATES,
    AuditFinding,
    AuditPhase,
    AuditRun,
    AuditScope,
    AuditState,
    RecordState,
)
from sync.scheduled.audit_check import AUDITED_DATA_TYPES, UNMAPPABLE, AuditChecker, Checked, issues_of
from sync.scheduled.audit_compare import DIFFERS, EQUAL, EXTRA, MISSING

logger = logging.getLogger(__name__)

#: records checked (and saved) together
CHUNK = 50
FINAL_STATES = (AuditState.SUCCEEDED, AuditState.FAILED, AuditState.CANCELLED)

ProgressCallback = Callable[[AuditRun], None]


class AuditRefused(Exception):
    """The audit cannot be started (bad input); the message says why, for an operator."""


class AuditAlreadyActive(AuditRefused):
    def __init__(self, run: AuditRun | None) -> None:
        super().__init__(
            f"an audit of this data type is already {run.state if run else 'active'} (audit {run and run.pk})"
        )
        self.run = run


class AuditStopped(Exception):
    """The run was cancelled or another worker holds it now."""


@dataclass(frozen=True)
class AuditOutcome:
    """``state``: succeeded, failed, cancelled, paused (resume after ``countdown``), busy, skipped."""

    state: str
    countdown: float = 0.0
    detail: str = ""


# -- queueing ----------------------------------------------------------------------------------------


def audit_run_queue(
    *,
    connection: Connection,
    data_type: DataType | str,
    scope: str = AuditScope.SAMPLE,
    sample_size: int | None = None,
    repair: bool = False,
    trigger: str,
    requested_by: str = "",
) -> AuditRun:
    """Create a queued audit; ``AuditRefused`` for input that cannot be audited, ``AuditAlreadyActive``
    when one of that data type is queued, running or paused (a database constraint decides)."""
    try:
        data_type = DataType(data_type)
    except ValueError:
        raise AuditRefused(f"unknown data type {data_type!r}") from None
    if data_type not in AUDITED_DATA_TYPES:
        names = ", ".join(str(t) for t in AUDITED_DATA_TYPES)
        raise AuditRefused(f"{data_type} cannot be audited (audited types: {names})")
    if not connection.is_active:
        raise AuditRefused(f"the connection {connection} is {connection.state}, not active")
    if not connection_syncs(connection, data_type):
        raise AuditRefused(f"{data_type} sync is turned off for {connection} (customer_sync_scope=none)")
    if scope == AuditScope.SAMPLE:
        sample_size = settings.AUDIT_SAMPLE_SIZE if sample_size is None else sample_size
        if sample_size < 1:
            raise AuditRefused("a sample must have at least 1 record")
    elif scope == AuditScope.ALL:
        sample_size = None
    else:
        raise AuditRefused(f"unknown audit scope {scope!r}")
    try:
        with transaction.atomic():
            return AuditRun.objects.create(
                connection=connection,
                data_type=data_type,
                scope=scope,
                sample_size=sample_size,
                repair=repair,
                trigger=trigger,
                requested_by=requested_by[:150],
            )
    except IntegrityError:
        active = AuditRun.objects.filter(
            connection=connection, data_type=data_type, state__in=ACTIVE_AUDIT_STATES
        ).first()
        raise AuditAlreadyActive(active) from None


def audit_run_enqueue(run: AuditRun) -> None:
    """Send the audit to the ``sync`` queue once the surrounding transaction commits."""
    transaction.on_commit(lambda: audit_run_send(run_id=run.pk))


def audit_run_cancel(*, run: AuditRun, reason: str = "cancelled by an operator") -> bool:
    return bool(
        AuditRun.objects.filter(pk=run.pk, state__in=ACTIVE_AUDIT_STATES).update(
            state=AuditState.CANCELLED, finished_at=timezone.now(), error=reason, claim_token=""
        )
    )


# -- claiming ----------------------------------------------------------------------------------------


def audit_run_claim(*, run_id: int, token: str) -> AuditRun | None:
    """Take the audit for this run: queued, paused and due, or running with a stale heartbeat."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.SYNC_JOB_STALE_SECONDS)
    claimable = (
        Q(state=AuditState.QUEUED)
        | Q(state=AuditState.PAUSED) & (Q(resume_at__isnull=True) | Q(resume_at__lte=now))
        | Q(state=AuditState.RUNNING)
        & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True) | Q(claim_token=token))
    )
    updated = AuditRun.objects.filter(claimable, pk=run_id).update(
        state=AuditState.RUNNING,
        claim_token=token,
        heartbeat_at=now,
        resume_at=None,
        started_at=Coalesce(F("started_at"), now),
        updated_at=now,
    )
    if not updated:
        return None
    return AuditRun.objects.select_related("connection").get(pk=run_id)


# -- running -----------------------------------------------------------------------------------------


def audit_run_execute(
    *, run_id: int, token: str | None = None, progress: ProgressCallback | None = None
) -> AuditOutcome:
    """Run or resume audit ``run_id`` from its cursor. Never sleeps for SparkLayer: a 429/5xx the client
    could not get past pauses the run and answers ``paused`` with the countdown to retry after."""
    token = token or uuid.uuid4().hex
    run = AuditRun.objects.filter(pk=run_id).first()
    if run is None or run.state in FINAL_STATES:
        return AuditOutcome("skipped", detail="audit gone or finished")
    claimed = audit_run_claim(run_id=run_id, token=token)
    if claimed is None:
        due = run.resume_at and max(0.0, (run.resume_at - timezone.now()).total_seconds())
        return AuditOutcome("busy", countdown=float(due or settings.SYNC_JOB_STALE_SECONDS), detail="not due or held")
    run = claimed
    log_extra = {"audit": run.pk, "connection": run.connection_id, "data_type": run.data_type}
    logger.info("audit running", extra={**log_extra, "phase": run.phase, "cursor": run.cursor})
    try:
        _run(run, token, progress)
    except AuditStopped:
        logger.info("audit stopped (cancelled or taken over)", extra=log_extra)
        return AuditOutcome("cancelled")
    except TransientError as exc:
        return _pause(run, token, exc)
    except SoftTimeLimitExceeded:
        _release(run, token)
        return AuditOutcome("paused", countdown=1.0, detail="time limit: continuing from the last chunk")
    except Exception as exc:
        logger.exception("audit failed", extra=log_extra)
        _finish(run, token, AuditState.FAILED, error=f"{type(exc).__name__}: {exc}")
        return AuditOutcome("failed", detail=str(exc)[:500])
    logger.info("audit finished", extra=log_extra)
    return AuditOutcome("succeeded")


def _run(run: AuditRun, token: str, progress: ProgressCallback | None) -> None:
    connection, data_type = run.connection, DataType(run.data_type)
    adapter = connection_sync_source(connection)
    reader = SparkLayerReader(
        connection_sparklayer_client(connection), requests_per_minute=connection.request_budget_per_minute
    )
    with ThreadPoolExecutor(max_workers=max(1, connection.push_concurrency), thread_name_prefix="audit") as pool:
        checker = AuditChecker(connection=connection, data_type=data_type, adapter=adapter, reader=reader, pool=pool)
        saver = _Saver(run, token, reader)
        try:
            if run.phase == AuditPhase.RECORDS:
                sample = run.scope == AuditScope.SAMPLE
                chunks = _sample_chunks(run, checker) if sample else _page_chunks(run, checker)
                for cursor, items, total in chunks:
                    saver.chunk(checker.check(items), cursor=cursor, total=total)
                    if progress is not None:
                        progress(run)
                saver.phase(AuditPhase.DONE if sample else AuditPhase.GONE)
            if run.phase == AuditPhase.GONE:
                for cursor, items in _gone_chunks(run, checker):
                    saver.chunk(checker.check(items), cursor=cursor)
                    if progress is not None:
                        progress(run)
                saver.phase(AuditPhase.DONE)
        except TransientError:
            saver.reads()  # the reads made before the pause count too
            raise
    if not _finish(run, token, AuditState.SUCCEEDED, result={**run.result, "stalled_pauses": 0}):
        raise AuditStopped()


def sample_pick(*, connection: Connection, data_type: str, size: int) -> list[str]:
    """``size`` external ids at random among the records the bridge believes SparkLayer holds."""
    rows = RecordState.objects.filter(connection=connection, data_type=data_type, deleted=False).exclude(
        content_hash="", variants={}, stock_keys=[], pricing_keys=[]
    )
    return list(rows.order_by("?").values_list("external_id", flat=True)[:size])


def _sample_chunks(
    run: AuditRun, checker: AuditChecker
) -> Iterator[tuple[str, list[tuple[str, SyncRecord | None]], int | None]]:
    if not run.sample_ids and not run.cursor:
        run.sample_ids = sample_pick(connection=run.connection, data_type=run.data_type, size=run.sample_size or 0)
        AuditRun.objects.filter(pk=run.pk).update(sample_ids=run.sample_ids, total=len(run.sample_ids))
        run.total = len(run.sample_ids)
    position = int(run.cursor or 0)
    while position < len(run.sample_ids):
        ids = run.sample_ids[position : position + CHUNK]
        position += len(ids)
        yield str(position), checker.read_store(ids), None


def _page_chunks(
    run: AuditRun, checker: AuditChecker
) -> Iterator[tuple[str, list[tuple[str, SyncRecord | None]], int | None]]:
    """Store pages from the cursor; trashed records are left to the ``gone`` phase (the id listing lacks them)."""
    for page in checker.adapter.iter_pages(checker.data_type, cursor=run.cursor or None):
        items: list[tuple[str, SyncRecord | None]] = [(r.external_id, r) for r in page.records if not r.deleted]
        yield page.next_cursor or "", items, page.total_records
        if not page.next_cursor:
            return


def _gone_chunks(run: AuditRun, checker: AuditChecker) -> Iterator[tuple[str, list[tuple[str, SyncRecord | None]]]]:
    """Records the bridge believes SparkLayer holds that the store's live listing lacks, in id order."""
    live = set(checker.adapter.iter_record_ids(checker.data_type))
    known = (
        RecordState.objects.filter(connection=run.connection, data_type=run.data_type, deleted=False)
        .exclude(content_hash="", variants={}, stock_keys=[], pricing_keys=[])
        .values_list("external_id", flat=True)
    )
    gone = sorted((eid for eid in known.iterator(chunk_size=5000) if eid not in live), key=id_order)
    after = run.cursor
    if after:
        gone = [eid for eid in gone if id_order(eid) > id_order(after)]
    for start in range(0, len(gone), CHUNK):
        ids = gone[start : start + CHUNK]
        yield ids[-1], checker.read_store(ids)


def id_order(external_id: str) -> tuple[int, int, str]:
    return (0, int(external_id), "") if external_id.isascii() and external_id.isdigit() else (1, 0, external_id)


class _Saver:
    """Saves each checked chunk: findings, issues, counters and cursor in one guarded transaction."""

    def __init__(self, run: AuditRun, token: str, reader: SparkLayerReader) -> None:
        self.run = run
        self.token = token
        self.reader = reader
        self.reads_saved = 0

    def _guarded(self, **changes: Any) -> None:
        now = timezone.now()
        if not AuditRun.objects.filter(pk=self.run.pk, state=AuditState.RUNNING, claim_token=self.token).update(
            heartbeat_at=now, updated_at=now, **changes
        ):
            raise AuditStopped()

    def chunk(self, checked: Sequence[Checked], *, cursor: str, total: int | None = None) -> None:
        counts = {kind: sum(1 for c in checked if c.kind == kind) for kind in (EQUAL, DIFFERS, MISSING, EXTRA)}
        unmappable = sum(1 for c in checked if c.kind == UNMAPPABLE)
        reads = self.reader.calls - self.reads_saved
        changes: dict[str, Any] = {
            "cursor": cursor,
            "checked": F("checked") + len(checked) - unmappable,
            "equal": F("equal") + counts[EQUAL],
            "differing": F("differing") + counts[DIFFERS],
            "missing": F("missing") + counts[MISSING],
            "extra": F("extra") + counts[EXTRA],
            "unmappable": F("unmappable") + unmappable,
            "reads": F("reads") + reads,
            "result": {**self.run.result, "stalled_pauses": 0},  # progress: pauses in a row start again
        }
        if total is not None:
            changes["total"] = total
        run = self.run
        findings = [
            AuditFinding(
                run=run,
                connection_id=run.connection_id,
                data_type=run.data_type,
                external_id=c.external_id[:255],
                visible_id=(c.record.visible_id if c.record else "")[:255],
                platform_url=(c.record.platform_url if c.record else "")[:500],
                kind=c.kind,
                fields=[diff.as_dict() for diff in c.fields],
                belief=c.belief,
            )
            for c in checked
            if c.drifted
        ]
        with transaction.atomic():
            self._guarded(**changes)
            AuditFinding.objects.bulk_create(findings, ignore_conflicts=True)
            issues_record(connection=run.connection, data_type=run.data_type, issues=issues_of(checked))
        self.reads_saved += reads
        run.refresh_from_db()

    def reads(self) -> None:
        reads = self.reader.calls - self.reads_saved
        AuditRun.objects.filter(pk=self.run.pk, claim_token=self.token).update(reads=F("reads") + reads)
        self.reads_saved += reads

    def phase(self, phase: str) -> None:
        self._guarded(phase=phase, cursor="")
        self.run.phase, self.run.cursor = phase, ""


def _finish(run: AuditRun, token: str, state: str, *, error: str = "", result: dict[str, Any] | None = None) -> bool:
    now = timezone.now()
    done = bool(
        AuditRun.objects.filter(pk=run.pk, state=AuditState.RUNNING, claim_token=token).update(
            state=state,
            finished_at=now,
            heartbeat_at=now,
            updated_at=now,
            error=error[:5000],
            result=result if result is not None else run.result,
            claim_token="",
        )
    )
    run.refresh_from_db()
    return done


def _release(run: AuditRun, token: str) -> None:
    """Hand the audit back, due at once (a task hit its time limit); its cursor is kept."""
    now = timezone.now()
    AuditRun.objects.filter(pk=run.pk, state=AuditState.RUNNING, claim_token=token).update(
        state=AuditState.PAUSED, claim_token="", heartbeat_at=None, resume_at=now, updated_at=now
    )


def _pause(run: AuditRun, token: str, exc: TransientError) -> AuditOutcome:
    """Pause after SparkLayer (or the store) kept failing; fail after too many pauses without progress."""
    run.refresh_from_db()
    stalled = int(run.result.get("stalled_pauses", 0)) + 1
    if stalled > settings.SYNC_JOB_MAX_STALLED_RETRIES:
        _finish(run, token, AuditState.FAILED, error=f"gave up after {stalled - 1} pauses without progress: {exc}")
        return AuditOutcome("failed", detail=str(exc)[:500])
    delay = job_retry_delay(attempt=stalled - 1, retry_after=exc.retry_after)
    now = timezone.now()
    message = f"Paused for {delay:.0f} s ({type(exc).__name__}: {exc}); resumes where it was."
    AuditRun.objects.filter(pk=run.pk, state=AuditState.RUNNING, claim_token=token).update(
        state=AuditState.PAUSED,
        claim_token="",
        heartbeat_at=None,
        resume_at=now + timedelta(seconds=delay),
        pauses=F("pauses") + 1,
        error=message[:5000],
        result={**run.result, "stalled_pauses": stalled},
        updated_at=now,
    )
    logger.warning("audit paused", extra={"audit": run.pk, "countdown": round(delay, 1), "error": str(exc)})
    return AuditOutcome("paused", countdown=delay, detail=message)
