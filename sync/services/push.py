"""Push validated, mapped records to SparkLayer: only what changed, concurrently, saved as accepted.

This is the one path every sync uses (full sync pages, webhook events, catch-ups):

1. record issues are collected; a record with no payload is skipped (its issues say why);
2. each record's hashes (product, stock, pricing) are compared with its ``RecordState``; only
   parts that differ are written, products first, then their stock and pricing through the
   batch endpoints (a new SKU must exist before its stock does);
3. writes run on ``connection.push_concurrency`` threads; every database write happens on the
   calling thread, in short transactions as results arrive (so a process killed mid-page re-pushes
   at most the writes in flight) and one final transaction with issues, resolutions and the
   caller's checkpoint;
4. a write refused permanently (4xx) becomes an issue for that record and the rest goes on; a
   write that still fails after the client's retries (``TransientError``) stops new writes, the
   accepted ones are saved, and the error is raised for the task to retry later.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, MutableMapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connections.clients import connection_platform_adapter, connection_sparklayer_client
from connections.models import Connection
from ignite_bridge.core.errors import AuthenticationError, IntegrationError, TransientError
from platforms.types import DataType, RecordIssue, SyncRecord
from sparklayer.client import SparkLayerClient
from sync.models import PushLog, SyncJob, WebhookEvent
from sync.services import writes
from sync.services.deletion import record_delete
from sync.services.hashing import RecordHashes, record_hashes
from sync.services.issues import EMAIL_CONFLICT, SETTINGS_REJECTED, SPARKLAYER_REJECTED, issues_record, issues_resolve
from sync.services.price_lists import price_lists_ensure
from sync.services.push_payloads import push_payload_digest
from sync.services.record_states import StateRow, states_load, states_mark_seen, states_save
from sync.services.skus import drop_duplicate_skus

logger = logging.getLogger(__name__)


@dataclass
class PushOutcome:
    """What one push did; see ``/work/notes/sync-api.md`` for how callers use it."""

    data_type: DataType
    pushed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    issues_opened: list[RecordIssue] = field(default_factory=list)
    issues_resolved: list[str] = field(default_factory=list)
    writes: int = 0
    transient_error: TransientError | None = None

    @property
    def records_with_issues(self) -> int:
        return len({issue.external_id for issue in self.issues_opened})


@dataclass
class _Plan:
    record: SyncRecord
    hashes: RecordHashes
    state: StateRow
    content: bool
    stock: bool
    pricing: bool
    removed_variants: list[str]


def refusal_issue(record: SyncRecord, result: writes.WriteResult) -> RecordIssue:
    """A permanent SparkLayer refusal as a per-record issue a merchant can read."""
    assert result.error is not None
    error = result.error
    if record.data_type == DataType.CUSTOMERS and error.status == 409:
        code, message = EMAIL_CONFLICT, "SparkLayer refused the customer: its email or id belongs to another customer."
    elif result.operation == writes.SETTINGS:
        code, message = SETTINGS_REJECTED, "SparkLayer refused the store settings"
    else:
        code, message = SPARKLAYER_REJECTED, f"SparkLayer refused the {result.operation} write"
    summary = error.problem.summary()
    return RecordIssue(
        external_id=record.external_id,
        code=code,
        message=f"{message} (HTTP {error.status}): {summary}" if summary else f"{message} (HTTP {error.status}).",
        platform_url=record.platform_url,
        visible_id=record.visible_id,
    )


class _Pusher:
    """One push of records of one data type. Not thread-safe: only the calling thread touches it."""

    def __init__(
        self,
        *,
        connection: Connection,
        data_type: DataType,
        client: SparkLayerClient,
        executor: ThreadPoolExecutor,
        job: SyncJob | None,
        event: WebhookEvent | None,
        mark_seen: bool,
    ) -> None:
        self.connection = connection
        self.data_type = data_type
        self.client = client
        self.executor = executor
        self.job = job
        self.event = event
        self.mark_seen = mark_seen and job is not None
        self.outcome = PushOutcome(data_type=data_type)
        self.plans: dict[str, _Plan] = {}
        self.dirty: dict[str, StateRow] = {}
        self.logs: list[PushLog] = []
        self.refusals: dict[str, list[RecordIssue]] = {}
        self.accepted: set[str] = set()
        self.failed: set[str] = set()
        self.fatal: IntegrationError | None = None
        self.stock_ready: list[str] = []
        self.pricing_ready: list[str] = []
        self.futures: set[Future[writes.WriteResult]] = set()
        # Writes wait here until one of ``concurrency`` slots is free: an accepted write is saved
        # (flush) before its slot is reused, so with SYNC_STATE_FLUSH_SECONDS=0 no more than
        # ``concurrency`` writes can be accepted and unsaved when the process dies.
        self.backlog: deque[tuple[Callable[..., writes.WriteResult], tuple[Any, ...], dict[str, Any]]] = deque()
        self.concurrency = max(1, connection.push_concurrency)  # the executor's size (push_concurrency)
        self.flush_interval = settings.SYNC_STATE_FLUSH_SECONDS
        self.last_flush = time.monotonic()

    # -- planning --------------------------------------------------------------------------

    def plan(self, records: Sequence[SyncRecord], states: dict[str, StateRow]) -> None:
        for record in records:
            state = states.get(record.external_id) or StateRow()
            hashes = record_hashes(record)
            content = not state.exists or state.content_hash != hashes.content
            stock = bool(hashes.stock) and state.stock_hash != hashes.stock
            pricing = bool(hashes.pricing) and state.pricing_hash != hashes.pricing
            removed: list[str] = []
            if content and record.data_type == DataType.PRODUCTS and state.variants and record.payload:
                current = {str(v["external_id"]) for v in record.payload.get("variants", [])}
                removed = [vid for vid in state.variants if vid not in current]
            self.plans[record.external_id] = _Plan(record, hashes, state, content, stock, pricing, removed)

    # -- running the writes ----------------------------------------------------------------

    def run(self) -> None:
        for external_id, plan in self.plans.items():
            if plan.content:
                self._submit(
                    writes.write_record,
                    self.client,
                    plan.record,
                    known=plan.state.exists,
                    removed_variants=plan.removed_variants,
                )
            else:
                self._ready_parts(external_id, plan)
        self._submit_batches(final=not self.futures and not self.backlog)
        self._fill()
        while self.futures:
            done, self.futures = wait(self.futures, timeout=max(self.flush_interval, 0.05), return_when=FIRST_COMPLETED)
            for future in done:
                self._handle(future.result())
            if self.fatal is None:
                self._submit_batches(final=not self.futures and not self.backlog)
            else:
                self.backlog.clear()  # the run fails: send nothing more
            if time.monotonic() - self.last_flush >= self.flush_interval:
                self.flush()
            self._fill()

    def _submit(self, fn: Callable[..., writes.WriteResult], *args: Any, **kwargs: Any) -> None:
        self.backlog.append((fn, args, kwargs))

    def _fill(self) -> None:
        while self.backlog and len(self.futures) < self.concurrency:
            fn, args, kwargs = self.backlog.popleft()
            self.futures.add(self.executor.submit(fn, *args, **kwargs))

    def _ready_parts(self, external_id: str, plan: _Plan) -> None:
        if plan.stock:
            self.stock_ready.append(external_id)
        if plan.pricing:
            self.pricing_ready.append(external_id)

    def _submit_batches(self, *, final: bool) -> None:
        """Send stock/pricing of records whose product is in SparkLayer, ``batch_size`` rows a call."""
        size = self.client.batch_size
        for ready, rows_of, send, before in (
            (self.stock_ready, lambda p: p.record.stock, writes.write_stock, None),
            (self.pricing_ready, lambda p: p.record.pricing, writes.write_pricing, self._price_lists),
        ):
            while ready:
                ids: list[str] = []
                rows: list[dict[str, Any]] = []
                while ready and len(rows) < size:
                    external_id = ready.pop(0)
                    ids.append(external_id)
                    rows.extend(rows_of(self.plans[external_id]))
                if len(rows) < size and not final:
                    ready[:0] = ids  # not a full batch yet: wait for more products to land
                    break
                if before is not None:
                    before()
                self._submit(send, self.client, ids, rows)

    def _price_lists(self) -> None:
        price_lists_ensure(
            connection_id=self.connection.pk,
            client=self.client,
            adapter=connection_platform_adapter(self.connection),
        )

    def _handle(self, result: writes.WriteResult) -> None:
        self.outcome.writes += 1
        now = timezone.now()
        for external_id in result.external_ids:
            plan = self.plans[external_id]
            self.logs.append(self._log(result, plan, external_id))
        if result.ok:
            for external_id in result.external_ids:
                self._accept(result.operation, self.plans[external_id], external_id, now)
            return
        error = result.error
        assert error is not None
        if isinstance(error, TransientError | AuthenticationError):
            self.fatal = self.fatal or error
            self.failed.update(result.external_ids)
            return
        if len(result.external_ids) > 1 and self.fatal is None:
            # One bad row refuses the whole batch: resend record by record to find the culprit.
            for external_id in result.external_ids:
                plan = self.plans[external_id]
                if result.operation == writes.STOCK:
                    self._submit(writes.write_stock, self.client, [external_id], plan.record.stock)
                else:
                    self._submit(writes.write_pricing, self.client, [external_id], plan.record.pricing)
            return
        if len(result.external_ids) > 1:
            self.failed.update(result.external_ids)
            return  # stopping (a transient failure elsewhere): the next run resends these
        external_id = result.external_ids[0]
        self.refusals.setdefault(external_id, []).append(refusal_issue(self.plans[external_id].record, result))

    def _accept(self, operation: str, plan: _Plan, external_id: str, now: Any) -> None:
        state = plan.state
        if operation in (writes.UPSERT, writes.SETTINGS):
            state.content_hash = plan.hashes.content
            state.deleted = False
            if plan.record.data_type == DataType.PRODUCTS and plan.record.payload:
                variants = plan.record.payload.get("variants", [])
                state.variants = {str(v["external_id"]): str(v["sku"]) for v in variants}
                state.skus = sorted(set(state.variants.values()))
            if self.fatal is None:
                self._ready_parts(external_id, plan)
        elif operation == writes.STOCK:
            state.stock_hash = plan.hashes.stock
        elif operation == writes.PRICING:
            state.pricing_hash = plan.hashes.pricing
        state.last_pushed_at = now
        state.platform_updated_at = plan.record.updated_at or state.platform_updated_at
        if self.mark_seen and self.job is not None:
            state.last_seen_job_id = self.job.pk
        self.accepted.add(external_id)
        self.dirty[external_id] = state

    def _log(self, result: writes.WriteResult, plan: _Plan, external_id: str) -> PushLog:
        hashes = {
            writes.STOCK: plan.hashes.stock,
            writes.PRICING: plan.hashes.pricing,
        }
        return PushLog(
            connection=self.connection,
            data_type=self.data_type,
            external_id=external_id[:255],
            operation=result.operation,
            content_hash=hashes.get(result.operation, plan.hashes.content),
            status=(201 if result.created else 200) if result.ok else result.status,
            error="" if result.error is None else str(result.error)[:2000],
            job=self.job,
            event=self.event,
            payload=push_payload_digest(plan.record, result.operation),
        )

    # -- saving ----------------------------------------------------------------------------

    def flush(self) -> None:
        """Save accepted writes now (short transaction), so a killed process does not redo them."""
        if self.dirty or self.logs:
            with transaction.atomic():
                self._save_rows()
                if self.job is not None:  # the flush doubles as the heartbeat of a long page
                    SyncJob.objects.filter(pk=self.job.pk).update(heartbeat_at=timezone.now())
        self.last_flush = time.monotonic()

    def _save_rows(self) -> None:
        states_save(connection=self.connection, data_type=self.data_type, rows=self.dirty)
        PushLog.objects.bulk_create(self.logs, batch_size=500)
        self.dirty, self.logs = {}, []


def sync_records_push(
    *,
    connection: Connection,
    records: Sequence[SyncRecord],
    job: SyncJob | None = None,
    event: WebhookEvent | None = None,
    client: SparkLayerClient | None = None,
    mark_seen: bool = False,
    seen_skus: MutableMapping[str, str] | None = None,
    executor: ThreadPoolExecutor | None = None,
    on_commit_page: Callable[[PushOutcome], None] | None = None,
) -> PushOutcome:
    """Push what changed in ``records`` (one data type) and save it; see the module docstring.

    ``seen_skus`` (full sync): SKU → variant map for duplicate detection across pages.
    ``on_commit_page`` runs inside the final transaction (the full sync's checkpoint), only when
    no write failed transiently. Raises ``TransientError`` / ``AuthenticationError`` after saving
    what SparkLayer accepted.
    """
    if not records:
        raise ValueError("nothing to push")
    data_types = {record.data_type for record in records}
    if len(data_types) != 1:
        raise ValueError("push records of one data type at a time")
    data_type = DataType(data_types.pop())
    client = client or connection_sparklayer_client(connection)
    own_executor = executor is None
    pool = executor or ThreadPoolExecutor(max_workers=max(1, connection.push_concurrency), thread_name_prefix="push")
    try:
        pusher = _Pusher(
            connection=connection,
            data_type=data_type,
            client=client,
            executor=pool,
            job=job,
            event=event,
            mark_seen=mark_seen,
        )
        outcome = pusher.outcome
        issues: list[RecordIssue] = []
        current: dict[str, set[str]] = {}
        pushable: list[SyncRecord] = []
        gone: list[SyncRecord] = []
        for record in records:
            if seen_skus is not None:
                drop_duplicate_skus(record, seen_skus)
            issues.extend(record.issues)
            current[record.external_id] = {issue.code for issue in record.issues}
            if record.deleted:
                gone.append(record)
            elif record.payload is None:
                outcome.skipped.append(record.external_id)
            else:
                pushable.append(record)
        states = states_load(connection=connection, data_type=data_type, external_ids=[r.external_id for r in pushable])
        pusher.plan(pushable, states)
        pusher.run()
        for record in gone if pusher.fatal is None else []:
            if record_delete(connection=connection, data_type=data_type, external_id=record.external_id, job=job,
                             event=event, client=client):  # fmt: skip
                outcome.writes += 1
            outcome.deleted.append(record.external_id)
        for external_id, plan in pusher.plans.items():
            if external_id in pusher.failed and external_id not in pusher.accepted:
                current.pop(external_id, None)  # unknown: leave its issues as they are
            elif external_id in pusher.refusals:
                outcome.refused.append(external_id)
                issues.extend(pusher.refusals[external_id])
                current[external_id] |= {issue.code for issue in pusher.refusals[external_id]}
            elif external_id in pusher.accepted:
                outcome.pushed.append(external_id)
            elif not (plan.content or plan.stock or plan.pricing):
                outcome.unchanged.append(external_id)
        outcome.issues_opened = issues
        with transaction.atomic():
            pusher._save_rows()
            issues_record(connection=connection, data_type=data_type, issues=issues, job=job, event=event)
            outcome.issues_resolved = issues_resolve(
                connection=connection, data_type=data_type, current=current, job=job, event=event
            )
            if pusher.mark_seen and job is not None:
                states_mark_seen(
                    connection=connection, data_type=data_type, external_ids=[r.external_id for r in records],
                    job_id=job.pk,
                )  # fmt: skip
            if pusher.fatal is None and on_commit_page is not None:
                on_commit_page(outcome)
        if pusher.fatal is not None:
            if isinstance(pusher.fatal, TransientError):
                outcome.transient_error = pusher.fatal
            logger.warning(
                "push stopped early",
                extra={"connection": connection.pk, "data_type": str(data_type), "accepted": len(pusher.accepted)},
            )
            raise pusher.fatal
        return outcome
    finally:
        if own_executor:
            pool.shutdown(wait=True)
