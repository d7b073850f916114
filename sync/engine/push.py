"""The one write path to SparkLayer: every writer (full sync, webhook, catch-up, deletion, repair) uses it.

``sync_records_push`` takes records of one data type, each carrying when its platform read started
(``SyncRecord.read_at``), and brings SparkLayer to them (``docs/sync-design.md``):

1. records whose hashes match what SparkLayer holds are confirmed with one compare-and-set
   statement (read version forward, seen mark); one that changed meanwhile takes step 2;
2. every other record is written under its lock (``record_locks``), taken without waiting: a record
   another writer holds is left for later and tried again once this batch is done. Under the lock
   the row is read again; a record read earlier than what SparkLayer holds is dropped (stale);
   otherwise the row is claimed (``in_doubt``, new SKUs), the writes are made and the result is
   saved, all before the lock is released;
3. writes run on ``connection.push_concurrency`` threads; the database is only touched on the
   calling thread, in short transactions as results arrive (a process killed mid-page leaves rows
   in doubt, never wrong) and one final transaction with issues, resolutions and the caller's
   checkpoint;
4. a write refused permanently (4xx) becomes an issue for that record and the rest goes on; a
   write that still fails after the client's retries (``TransientError``) stops new writes, the
   accepted ones are saved, and the error is raised for the task to retry later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from connections.clients import connection_sparklayer_client, connection_sync_source
from connections.models import Connection
from ignite_bridge.core.errors import AuthenticationError, IntegrationError, TransientError
from ignite_bridge.core.threads import ContextThreadPoolExecutor
from platforms.base import SyncSource
from platforms.types import DataType, RecordIssue, SyncRecord
from sparklayer.client import SparkLayerClient
from sync.engine import writes
from sync.engine.clock import database_now
from sync.engine.customer_groups import (
    customer_groups_ensure_for_customers,
    customer_groups_forget,
    customer_groups_push,
    refused_for_customer_group,
)
from sync.engine.issues import (
    EMAIL_CONFLICT,
    SETTINGS_REJECTED,
    SPARKLAYER_REJECTED,
    issues_record,
    issues_resolve,
    issues_resolve_records,
)
from sync.engine.outcome import PushOutcome
from sync.engine.plans import (
    Mode,
    Plan,
    current_variants,
    gone_record,
    idle,
    plan_record,
    pricing_keys,
    stock_keys,
)
from sync.engine.plans import unchanged_candidate as unchanged_key
from sync.engine.price_lists import price_lists_ensure, price_lists_forget, pricing_without_lists_not_ours
from sync.engine.push_payloads import push_payload_digest
from sync.engine.raw_skip import effective_raw_hash, mapping_context
from sync.engine.record_locks import locks_release, locks_try, record_lock_key
from sync.engine.record_states import (
    StateRow,
    retired_holders,
    sku_holders,
    states_claim,
    states_confirm_unchanged,
    states_load,
    states_save,
    states_track,
)
from sync.engine.refresh import record_refresh_request
from sync.engine.skus import drop_duplicate_skus
from sync.engine.sql import rows_insert
from sync.engine.stock_locations import refused_for_stock_location, stock_locations_ensure, stock_locations_forget
from sync.models import PushLog, RecordState, SyncJob, WebhookEvent

logger = logging.getLogger(__name__)

#: the ``PushLog`` columns a write's row is kept as (``_Writer._log``), in order
LOG_FIELDS = (
    "connection_id", "data_type", "external_id", "operation", "content_hash", "status", "error", "job_id",
    "event_id", "payload", "at",
)  # fmt: skip

#: a record held by another writer is tried again until this long has passed, then the push
#: raises ``TransientError`` (the task retries later)
LOCK_WAIT_SECONDS = 60.0


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


Task = tuple[Callable[..., Any], tuple[Any, ...]]


class WritePool(ContextThreadPoolExecutor):
    """The SparkLayer write threads of one full sync, shared by the pages it pushes at once
    (``sync/jobs/page_chain.py``). ``slots`` counts writes sent and not yet handed back across all
    of those pages' writers, so the bound a writer keeps alone (at most ``max_workers`` writes
    accepted and unsaved when the process dies, with ``SYNC_STATE_FLUSH_SECONDS=0``) holds for all."""

    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="push")
        self.slots = threading.Semaphore(max_workers)


class _Writer:
    """The writes of records whose locks the calling thread holds. Not thread-safe: only the calling
    thread touches it; pool threads only run ``writes`` functions."""

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
        adapter: SyncSource | None = None,
        heartbeat: Callable[[], None] | None = None,
    ) -> None:
        self.connection = connection
        self._adapter = adapter
        self.heartbeat = heartbeat
        self.data_type = data_type
        self.client = client
        self.executor = executor
        self.job = job
        self.event = event
        self.mark_seen = mark_seen and job is not None
        self.plans: dict[str, Plan] = {}
        self.dirty: dict[str, StateRow] = {}
        self.logs: list[tuple[Any, ...]] = []
        self.refusals: dict[str, list[RecordIssue]] = {}
        self.fatal: IntegrationError | None = None
        self.writes = 0
        self.stock_ready: list[str] = []
        self.pricing_ready: list[str] = []
        self.futures: dict[Future[Any], str] = {}
        # Writes wait here until one of ``concurrency`` slots is free: an accepted write is saved
        # (flush) before its slot is reused, so with SYNC_STATE_FLUSH_SECONDS=0 no more than
        # ``concurrency`` writes can be accepted and unsaved when the process dies.
        self.backlog: deque[tuple[str, Task]] = deque()
        self.concurrency = max(1, connection.push_concurrency)
        # shared with the other pages' writers of a full sync (``WritePool``), else this writer's own
        self.slots: threading.Semaphore = getattr(executor, "slots", None) or threading.Semaphore(self.concurrency)
        self.flush_interval = settings.SYNC_STATE_FLUSH_SECONDS
        self.last_flush = time.monotonic()
        self.released_skus: set[str] = set()
        self.extra_locks: set[int] = set()
        self.ensured_again: set[str] = set()  # what was ensured after a refusal: at most once per push

    # -- running ---------------------------------------------------------------------------

    def run(self, plans: Sequence[Plan]) -> None:
        for plan in plans:
            self.plans[plan.record.external_id] = plan
            if not plan.ops.empty:
                self._submit_ops(plan)
            else:
                self._ready_parts(plan)
        self._submit_batches(final=not self.futures and not self.backlog)
        handled = 0  # answers handled whose slots are not given back yet
        try:
            self._fill()
            while self.futures:
                done, _ = wait(set(self.futures), timeout=max(self.flush_interval, 0.05), return_when=FIRST_COMPLETED)
                for future in done:
                    kind = self.futures.pop(future)
                    handled += 1
                    for plan in self._handle(kind, future.result()):
                        self._finish_if_answered(plan)
                if self.fatal is None:
                    self._submit_batches(final=not self.futures and not self.backlog)
                else:
                    self._abandon_backlog()
                if time.monotonic() - self.last_flush >= self.flush_interval:
                    self.flush()
                for _ in range(handled):  # after the flush: a slot is reused only once its write is saved
                    self.slots.release()
                handled = 0
                self._fill()
        finally:
            for _ in range(handled + len(self.futures)):  # an error: never leave the other pages short of slots
                self.slots.release()
        for plan in self.plans.values():
            if not plan.finished:
                self._finish(plan)

    def _submit_ops(self, plan: Plan) -> None:
        plan.pending += 1
        self.backlog.append(("ops", (writes.run_record_ops, (self.client, plan.ops))))

    def _fill(self) -> None:
        """Send what waits, while a slot is free; with nothing of its own in flight, wait for one."""
        while self.backlog and len(self.futures) < self.concurrency:
            if not self.slots.acquire(blocking=not self.futures):
                return
            kind, (fn, args) = self.backlog.popleft()
            self.futures[self.executor.submit(fn, *args)] = kind

    def _abandon_backlog(self) -> None:
        """The run fails: nothing more is sent; the records waiting for these stay in doubt."""
        while self.backlog:
            kind, (_fn, args) = self.backlog.popleft()
            for external_id in args[1] if kind == "batch" else [args[1].record.external_id]:
                plan = self.plans[external_id]
                plan.pending -= 1
                plan.failed = True

    def _ready_parts(self, plan: Plan) -> None:
        if plan.stock:
            self.stock_ready.append(plan.record.external_id)
        if plan.pricing:
            self.pricing_ready.append(plan.record.external_id)

    def _submit_batches(self, *, final: bool) -> None:
        """Send stock/pricing of records whose product is in SparkLayer, ``batch_size`` rows a call."""
        size = self.client.batch_size
        for ready, rows_of, send, before in (
            (self.stock_ready, lambda p: p.record.stock, writes.write_stock, self._stock_locations),
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
                self._submit_batch(send, ids, rows)

    def _submit_batch(self, send: Callable[..., writes.WriteResult], ids: list[str], rows: list[Any]) -> None:
        for external_id in ids:
            self.plans[external_id].pending += 1
        self.backlog.append(("batch", (send, (self.client, ids, rows))))

    @property
    def adapter(self) -> SyncSource:
        if self._adapter is None:
            self._adapter = connection_sync_source(self.connection)
        return self._adapter

    @property
    def adapter_if_built(self) -> SyncSource | None:
        """The adapter this writer was given or built, without building one."""
        return self._adapter

    def _price_lists(self) -> None:
        price_lists_ensure(connection_id=self.connection.pk, client=self.client, adapter=self.adapter)

    def _stock_locations(self) -> None:
        stock_locations_ensure(connection_id=self.connection.pk, client=self.client, adapter=self.adapter)

    def _resend_after_ensure(self, result: writes.WriteResult) -> bool:
        """Stock refused for its location, or a customer for its group: ensure it exists, resend once.

        SparkLayer may have lost what this process believes exists (deleted in its dashboard). An
        ensure that fails leaves the refusal to the usual handling."""
        error = result.error
        assert error is not None
        records = [self.plans[external_id].record for external_id in result.external_ids]
        if result.operation == writes.STOCK and refused_for_stock_location(error):
            key = "stock locations"
            ensure: Callable[[], Any] = self._stock_locations

            def forget() -> None:
                stock_locations_forget(connection_id=self.connection.pk)

        elif (
            result.operation == writes.UPSERT
            and self.data_type == DataType.CUSTOMERS
            and refused_for_customer_group(error)
        ):
            slugs = sorted({str((r.payload or {}).get("group")) for r in records})
            key = f"customer groups {slugs}"

            def ensure() -> Any:
                return customer_groups_ensure_for_customers(
                    connection_id=self.connection.pk, client=self.client, records=records
                )

            def forget() -> None:
                customer_groups_forget(connection_id=self.connection.pk, slugs=slugs)

        else:
            return False
        if key in self.ensured_again:
            return False  # ensured once already: this refusal is the record's own
        self.ensured_again.add(key)
        forget()
        try:
            ensure()
        except IntegrationError:
            logger.warning("ensure before a resend failed", extra={"connection": self.connection.pk, "key": key})
            return False
        if result.operation == writes.STOCK:
            rows = [row for external_id in result.external_ids for row in self.plans[external_id].record.stock]
            self._submit_batch(writes.write_stock, list(result.external_ids), rows)
        else:
            plan = self.plans[result.external_ids[0]]
            retry = writes.RecordOps(record=plan.record, upsert=True, known=plan.ops.known)
            plan.pending += 1
            self.backlog.append(("ops", (writes.run_record_ops, (self.client, retry))))
        return True

    # -- results -----------------------------------------------------------------------------

    def _finish_if_answered(self, plan: Plan) -> None:
        """Finish the record as soon as every write it needs was answered, so its row leaves doubt
        with the next flush instead of at the end of the page."""
        external_id = plan.record.external_id
        if plan.finished or plan.pending or self.fatal is not None:
            return
        if external_id in self.stock_ready or external_id in self.pricing_ready:
            return
        self._finish(plan)

    def _handle(self, kind: str, answer: Any) -> list[Plan]:
        """Apply one answer; returns the plans it concerned."""
        results: list[writes.WriteResult] = answer if kind == "ops" else [answer]
        touched = {external_id: self.plans[external_id] for r in results for external_id in r.external_ids}
        now = timezone.now()
        if kind == "ops":
            plan = self.plans[results[0].external_ids[0]] if results else None
            if plan is not None:
                plan.pending -= 1
        else:
            for external_id in results[0].external_ids:
                self.plans[external_id].pending -= 1
        for result in results:
            self.writes += 1
            for external_id in result.external_ids:
                self.logs.append(self._log(result, self.plans[external_id], external_id))
            if result.ok:
                for external_id in result.external_ids:
                    self._accept(result, self.plans[external_id], now)
                continue
            self._refused_or_failed(kind, result)
        if kind == "ops" and results and all(r.ok for r in results):
            plan = self.plans[results[0].external_ids[0]]
            if self.fatal is None:
                self._ready_parts(plan)
            elif plan.stock or plan.pricing:
                plan.failed = True
        return list(touched.values())

    def _refused_or_failed(self, kind: str, result: writes.WriteResult) -> None:
        error = result.error
        assert error is not None
        if isinstance(error, TransientError | AuthenticationError):
            self.fatal = self.fatal or error
            for external_id in result.external_ids:
                self.plans[external_id].failed = True
            return
        if self.fatal is None and self._resend_after_ensure(result):
            return
        if kind == "batch" and len(result.external_ids) > 1:
            if self.fatal is not None:
                for external_id in result.external_ids:
                    self.plans[external_id].failed = True
                return
            # One bad row refuses the whole batch: resend record by record to find the culprit.
            if result.operation == writes.PRICING:
                price_lists_forget(connection_id=self.connection.pk)  # e.g. a list that is gone
            for external_id in result.external_ids:
                plan = self.plans[external_id]
                if result.operation == writes.STOCK:
                    self._submit_batch(writes.write_stock, [external_id], plan.record.stock)
                else:
                    self._submit_batch(writes.write_pricing, [external_id], plan.record.pricing)
            return
        plan = self.plans[result.external_ids[0]]
        if result.operation == writes.UPSERT and self._release_and_retry(plan):
            return
        if result.operation == writes.PRICING and not plan.retried_pricing:
            # A price list SparkLayer does not have (the store's currency changed under this
            # process's cache): make sure of the lists and send the prices again, once.
            plan.retried_pricing = True
            price_lists_forget(connection_id=self.connection.pk)
            self._price_lists()
            self._submit_batch(writes.write_pricing, [plan.record.external_id], plan.record.pricing)
            return
        plan.refused = True
        self.refusals.setdefault(plan.record.external_id, []).append(refusal_issue(plan.record, result))

    def _release_and_retry(self, plan: Plan) -> bool:
        """A product refused once: if SKUs it needs are held by variants the bridge discontinued, or by
        records that no longer have them on the platform, free those SKUs and send the product again
        (once). SparkLayer keeps SKUs unique across variants, so a product deleted and created again
        with its SKU, or a SKU moved from one product to another, needs the old holder out first."""
        if plan.retried_release or plan.record.data_type != DataType.PRODUCTS or self.fatal is not None:
            return False
        plan.retried_release = True
        wanted = set(current_variants(plan.record).values())
        self._settle_live_holders(plan, wanted)
        holders = retired_holders(connection=self.connection, data_type=self.data_type, skus=wanted)
        release: dict[str, str] = {}
        for sku, owners in holders.items():
            for record_id, variant_id in owners:
                if record_id != plan.record.external_id and not self._lock_other(record_id):
                    continue  # its writer is busy: the next push of this record tries again
                release[variant_id] = writes.tombstone_sku(sku, variant_id)
                plan.ops.release[variant_id] = release[variant_id]
        if not release:
            return False
        retry = writes.RecordOps(
            record=plan.record,
            upsert=True,
            known=plan.ops.known,
            discontinue=plan.ops.discontinue,
            stock_delete=plan.ops.stock_delete,
            pricing_remove=plan.ops.pricing_remove,
            release=release,
        )
        plan.pending += 1
        self.backlog.append(("ops", (writes.run_record_ops, (self.client, retry))))
        return True

    def _settle_live_holders(self, plan: Plan, wanted: set[str]) -> None:
        """Records the bridge still believes hold one of ``wanted`` are read fresh; one that no longer
        has the SKU on the platform (gone, changed, no longer syncable) is written now, which
        discontinues the variant that held it."""
        live = sku_holders(
            connection=self.connection, data_type=self.data_type, skus=wanted, exclude=[plan.record.external_id]
        )
        owners = sorted({owner for found in live.values() for owner in found} - set(self.plans))
        if not owners:
            return
        adapter = self.adapter
        for owner in owners:
            if not self._lock_other(owner):
                continue
            read_at = database_now()
            fresh = adapter.fetch_record(self.data_type, owner)
            record = fresh if fresh is not None else gone_record(self.data_type, owner, read_at=read_at)
            record.read_at = read_at
            if record.payload is not None and wanted & set(current_variants(record).values()):
                continue  # it really has the SKU too: a duplicate in the store, the refusal stands
            sync_records_push(connection=self.connection, records=[record], client=self.client, adapter=adapter)

    def _lock_other(self, record_id: str) -> bool:
        """Hold another record's lock too (its discontinued variant is renamed); never waits."""
        if record_id in self.plans:
            return True  # locked by this round already
        key = record_lock_key(self.connection.pk, str(self.data_type), record_id)
        if key not in self.extra_locks:
            self.extra_locks |= locks_try([key])
        return key in self.extra_locks

    def _accept(self, result: writes.WriteResult, plan: Plan, now: datetime) -> None:
        state = plan.state
        operation = result.operation
        if operation in (writes.UPSERT, writes.SETTINGS):
            assert plan.hashes is not None
            state.content_hash = plan.hashes.content
            current = current_variants(plan.record)
            state.variants.update(current)
            for variant_id in current:
                state.retired_variants.pop(variant_id, None)
        elif operation == writes.DISCONTINUE:
            variant_id = result.detail["variant"]
            sku = state.variants.pop(variant_id, None)
            if sku is not None and not result.detail.get("missing"):
                state.retired_variants[variant_id] = sku
        elif operation == writes.SKU_RELEASE:
            self._released(plan, result.detail["variant"])
        elif operation == writes.STOCK:
            assert plan.hashes is not None
            state.stock_hash = plan.hashes.stock
            state.stock_keys = _merge(state.stock_keys, stock_keys(plan.record.stock))
        elif operation == writes.PRICING:
            assert plan.hashes is not None
            state.pricing_hash = plan.hashes.pricing
            state.pricing_keys = _merge(state.pricing_keys, pricing_keys(plan.record.pricing))
        elif operation == writes.STOCK_DELETE:
            gone = set(result.detail["skus"])
            state.stock_keys = [key for key in state.stock_keys if key[0] not in gone]
            self.released_skus |= gone
        elif operation == writes.PRICING_REMOVE:
            gone_keys = {tuple(key) for key in result.detail["keys"]}
            state.pricing_keys = [key for key in state.pricing_keys if tuple(key) not in gone_keys]
            self.released_skus |= {key[0] for key in gone_keys}
        elif operation == writes.DELETE:
            state.content_hash = ""
        state.last_pushed_at = now
        self.dirty[plan.record.external_id] = state

    def _released(self, plan: Plan, variant_id: str) -> None:
        """A discontinued variant gave its SKU up: no longer anyone's holder of it."""
        if variant_id in plan.state.retired_variants:
            plan.state.retired_variants.pop(variant_id)
            return
        for row in RecordState.objects.filter(connection=self.connection, data_type=self.data_type).exclude(
            retired_variants={}
        ):
            if variant_id in row.retired_variants:
                retired = dict(row.retired_variants)
                retired.pop(variant_id)
                RecordState.objects.filter(pk=row.pk).update(retired_variants=retired)

    def _finish(self, plan: Plan) -> None:
        """Every write of the record was answered (or abandoned): the row to save."""
        plan.finished = True
        state = plan.state
        record = plan.record
        if plan.pending > 0:
            plan.failed = True
        if not plan.failed:
            if record.read_at is not None and (state.read_version is None or state.read_version < record.read_at):
                state.read_version = record.read_at
            state.in_doubt = False
            if plan.mode == Mode.PUSH and not plan.refused:
                assert plan.hashes is not None
                current = current_variants(plan.record)
                state.variants = {vid: sku for vid, sku in state.variants.items() if vid in current}
                if not plan.record.stock:
                    state.stock_hash = ""
                if not plan.record.pricing:
                    state.pricing_hash = ""
            if plan.mode == Mode.PUSH:
                state.deleted = False
                state.platform_updated_at = record.updated_at or state.platform_updated_at
            elif not plan.refused:
                state.content_hash, state.stock_hash, state.pricing_hash = "", "", ""
                state.deleted = plan.mode != Mode.RETIRE or record.deleted
            state.skus = sorted(set(state.variants.values()))
        # Skipping the record unmapped is allowed again only once every part SparkLayer should hold
        # is on record as accepted, for a record without issues (``raw_skip``): a part left unsent
        # (a batch not sent before the push stopped) keeps its hash blank and the record mapped.
        state.raw_hash = record.raw_hash if _accepted_in_full(plan) else ""
        if self.mark_seen and self.job is not None:
            state.last_seen_job_id = self.job.pk
        self.dirty[record.external_id] = state

    def _log(self, result: writes.WriteResult, plan: Plan, external_id: str) -> tuple[Any, ...]:
        """A ``PushLog`` row as the values of ``LOG_FIELDS``."""
        hashes = plan.hashes
        by_operation = {writes.STOCK: hashes.stock, writes.PRICING: hashes.pricing} if hashes else {}
        return (
            self.connection.pk,
            str(self.data_type),
            external_id[:255],
            result.operation,
            by_operation.get(result.operation, hashes.content if hashes else ""),
            (201 if result.created else 200) if result.ok else result.status,
            "" if result.error is None else str(result.error)[:2000],
            self.job.pk if self.job is not None else None,
            self.event.pk if self.event is not None else None,
            push_payload_digest(plan.record, result.operation),
            timezone.now(),
        )

    # -- saving ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Save accepted writes now (short transaction), so a killed process does not redo them."""
        if self.dirty or self.logs:
            with transaction.atomic():
                self.save_rows()
                if self.heartbeat is not None:  # the flush doubles as the heartbeat of a long page
                    self.heartbeat()
        self.last_flush = time.monotonic()

    def save_rows(self) -> None:
        states_save(connection=self.connection, data_type=self.data_type, rows=self.dirty)
        if db.vendor == "postgresql":  # one plain multi-row statement (``sql.rows_insert``)
            rows_insert(model=PushLog, names=LOG_FIELDS, rows=self.logs)
        else:
            PushLog.objects.bulk_create([PushLog(**dict(zip(LOG_FIELDS, log, strict=True))) for log in self.logs])
        self.dirty, self.logs = {}, []


def _accepted_in_full(plan: Plan) -> bool:
    """Whether the saved row holds exactly the record's content, stock and pricing hashes."""
    hashes, state, record = plan.hashes, plan.state, plan.record
    if plan.failed or plan.refused or plan.mode != Mode.PUSH or record.issues or hashes is None:
        return False
    wanted = (hashes.content, hashes.stock if record.stock else "", hashes.pricing if record.pricing else "")
    return bool(hashes.content) and (state.content_hash, state.stock_hash, state.pricing_hash) == wanted


def _merge(keys: list[list[str]], more: list[list[str]]) -> list[list[str]]:
    return [list(key) for key in sorted({tuple(key) for key in keys} | {tuple(key) for key in more})]


def _claim_row(plan: Plan) -> StateRow:
    """The row as it must stand while the writes are in flight: in doubt, the parts being written
    unknown (a crash leaves them so: the next push sends them again), new SKUs/variants and the stock
    and pricing keys about to be written claimed (a crash after SparkLayer took them must still leave
    them on record, or a later change could never remove them)."""
    state = plan.state
    if plan.ops.upsert:
        state.content_hash = ""
    if plan.stock or plan.ops.stock_delete:
        state.stock_hash = ""
    if plan.pricing or plan.ops.pricing_remove:
        state.pricing_hash = ""
    if plan.stock:
        state.stock_keys = _merge(state.stock_keys, stock_keys(plan.record.stock))
    if plan.pricing:
        state.pricing_keys = _merge(state.pricing_keys, pricing_keys(plan.record.pricing))
    current = current_variants(plan.record)
    state.variants = {**state.variants, **{vid: sku for vid, sku in current.items() if vid not in state.variants}}
    claimed = set(state.skus) | set(current.values())
    claimed |= {key[0] for key in stock_keys(plan.record.stock)} | {key[0] for key in pricing_keys(plan.record.pricing)}
    state.skus = sorted(claimed)
    return state


@dataclass
class _Batch:
    """One ``sync_records_push`` call's bookkeeping across its locked rounds."""

    outcome: PushOutcome
    issues: list[RecordIssue] = field(default_factory=list)
    current: dict[str, set[str]] = field(default_factory=dict)
    fatal: IntegrationError | None = None
    planned: set[str] = field(default_factory=set)  # rows the locked rounds saved (with their seen mark)


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
    force: bool = False,
    read_at: datetime | None = None,
    adapter: SyncSource | None = None,
    heartbeat: Callable[[], None] | None = None,
    before_final: Callable[[], None] | None = None,
) -> PushOutcome:
    """Bring SparkLayer to ``records`` (one data type) and save what it holds; see the module docstring.

    ``heartbeat``: the running job's liveness (a job service), called with every flush of a long page.
    ``read_at``: when the platform read of records without their own ``read_at`` started.
    ``adapter``: the connection's platform adapter, when the caller has one (price lists, SKU holders).
    ``force``: write every part, whatever the hashes say (a repair); versions and locks still apply.
    ``seen_skus`` (full sync): SKU → variant map for duplicate detection across pages.
    ``on_commit_page`` runs inside the final transaction (the full sync's checkpoint), only when
    no write failed transiently; ``before_final`` just before that transaction opens (the full sync
    waits there for the page before to commit, ``sync/jobs/page_chain.py``). Raises ``TransientError``
    / ``AuthenticationError`` after saving what SparkLayer accepted.
    """
    data_type = _one_data_type(records)
    client = client or connection_sparklayer_client(connection)
    if data_type == DataType.CUSTOMER_GROUPS:  # groups are ensured, not written record by record
        if before_final is not None:  # a handful of records: the page waits its turn before any of it
            before_final()
        return customer_groups_push(
            connection=connection, records=records, client=client, job=job,
            outcome=PushOutcome(data_type=data_type), on_commit_page=on_commit_page,
        )  # fmt: skip
    batch = _Batch(outcome=PushOutcome(data_type=data_type))
    by_id = _records_by_id(records, batch=batch, read_at=read_at, seen_skus=seen_skus)
    adapter = _prepare_pushable(
        connection=connection, data_type=data_type, client=client, adapter=adapter, records=by_id.values()
    )
    to_write, confirmed = _records_to_write(
        connection=connection, data_type=data_type, by_id=by_id, batch=batch, force=force,
        seen_job_id=job.pk if mark_seen and job is not None else None,
    )  # fmt: skip

    own_executor = executor is None
    pool = executor or ContextThreadPoolExecutor(
        max_workers=max(1, connection.push_concurrency), thread_name_prefix="push"
    )
    try:
        _write_locked(
            connection=connection,
            data_type=data_type,
            records=to_write,
            batch=batch,
            client=client,
            pool=pool,
            job=job,
            event=event,
            mark_seen=mark_seen,
            force=force,
            adapter=adapter,
            heartbeat=heartbeat,
        )
    finally:
        if own_executor:
            pool.shutdown(wait=True)

    _save_issues_and_rows(
        connection=connection, data_type=data_type, by_id=by_id, batch=batch, confirmed=confirmed,
        job=job, event=event, mark_seen=mark_seen, on_commit_page=on_commit_page, before_final=before_final,
    )  # fmt: skip
    if batch.fatal is not None:
        if isinstance(batch.fatal, TransientError):
            batch.outcome.transient_error = batch.fatal
        logger.warning(
            "push stopped early",
            extra={"connection": connection.pk, "data_type": str(data_type), "pushed": len(batch.outcome.pushed)},
        )
        raise batch.fatal
    return batch.outcome


def _one_data_type(records: Sequence[SyncRecord]) -> DataType:
    """The data type every record shares; a push handles one at a time."""
    if not records:
        raise ValueError("nothing to push")
    data_types = {record.data_type for record in records}
    if len(data_types) != 1:
        raise ValueError("push records of one data type at a time")
    return DataType(data_types.pop())


def _records_by_id(
    records: Sequence[SyncRecord],
    *,
    batch: _Batch,
    read_at: datetime | None,
    seen_skus: MutableMapping[str, str] | None,
) -> dict[str, SyncRecord]:
    """The records by external id (a record listed twice, from a shifted page: the later read wins),
    their read time filled in, duplicate SKUs dropped, and the issues they carry noted in ``batch``."""
    by_id: dict[str, SyncRecord] = {}
    for record in records:
        if record.read_at is None:
            record.read_at = read_at
        if seen_skus is not None:
            drop_duplicate_skus(record, seen_skus)
        by_id[record.external_id] = record
    for record in by_id.values():
        if record.deleted:  # a record the platform no longer has has nothing left to fix
            batch.current[record.external_id] = set()
            continue
        batch.issues.extend(record.issues)
        batch.current[record.external_id] = {issue.code for issue in record.issues}
    return by_id


def _prepare_pushable(
    *,
    connection: Connection,
    data_type: DataType,
    client: SparkLayerClient,
    adapter: SyncSource | None,
    records: Iterable[SyncRecord],
) -> SyncSource | None:
    """Make what SparkLayer needs before the records exist (customer groups), drop prices for lists it
    owns, and bind raw hashes to the context; returns the adapter, built if it was needed."""
    pushable = [record for record in records if record.payload is not None and not record.deleted]
    if data_type == DataType.PRODUCTS:  # never price into a list SparkLayer owns (before hashing)
        adapter = adapter or connection_sync_source(connection)
        pricing_without_lists_not_ours(connection_id=connection.pk, client=client, adapter=adapter, records=pushable)
    if data_type == DataType.CUSTOMERS:  # SparkLayer refuses a customer in a group it lacks
        customer_groups_ensure_for_customers(connection_id=connection.pk, client=client, records=pushable)
    if any(record.raw_hash for record in pushable):  # bound to what the lines above left out (``raw_skip``)
        context = mapping_context(connection)
        for record in pushable:
            record.raw_hash = effective_raw_hash(record.raw_hash, context)
    return adapter


def _records_to_write(
    *,
    connection: Connection,
    data_type: DataType,
    by_id: dict[str, SyncRecord],
    batch: _Batch,
    force: bool,
    seen_job_id: int | None,
) -> tuple[list[SyncRecord], set[str]]:
    """The records that need writing, and the ids confirmed unchanged (their rows already saved as
    seen); idle and unchanged records are noted in the outcome."""
    outcome = batch.outcome
    states = states_load(connection=connection, data_type=data_type, external_ids=list(by_id))
    to_write: list[SyncRecord] = []
    candidates = []
    for record in by_id.values():
        state = states.get(record.external_id)
        if idle(record, state):
            outcome.skipped.append(record.external_id)
            continue
        key = unchanged_key(record, state, force=force)
        if key is None:
            to_write.append(record)
        else:
            candidates.append(key)
    confirmed = states_confirm_unchanged(
        connection=connection, data_type=data_type, records=candidates, job_id=seen_job_id
    )
    outcome.unchanged.extend(sorted(confirmed))
    to_write.extend(by_id[key.external_id] for key in candidates if key.external_id not in confirmed)
    return to_write, confirmed


def _save_issues_and_rows(
    *,
    connection: Connection,
    data_type: DataType,
    by_id: dict[str, SyncRecord],
    batch: _Batch,
    confirmed: set[str],
    job: SyncJob | None,
    event: WebhookEvent | None,
    mark_seen: bool,
    on_commit_page: Callable[[PushOutcome], None] | None,
    before_final: Callable[[], None] | None = None,
) -> None:
    """Record and resolve issues, track every record seen, and run the page checkpoint, in one
    transaction; when only the look for issues to resolve is left (a clean webhook event), without one."""
    outcome = batch.outcome
    outcome.issues_opened = batch.issues
    if before_final is not None:
        before_final()
    handled = confirmed | batch.planned
    untracked = [i for i, r in by_id.items() if i not in handled and not r.deleted]
    if not (batch.issues or outcome.deleted or untracked or on_commit_page):
        # the common webhook event: only issues to resolve, if any, and ``issues_resolve`` writes in a
        # transaction of its own when it finds some (a look that finds none needs no BEGIN/COMMIT)
        outcome.issues_resolved = issues_resolve(
            connection=connection, data_type=data_type, current=batch.current, job=job, event=event
        )
        return
    with transaction.atomic():
        issues_record(connection=connection, data_type=data_type, issues=batch.issues, job=job, event=event)
        outcome.issues_resolved = issues_resolve(
            connection=connection, data_type=data_type, current=batch.current, job=job, event=event
        )
        if outcome.deleted:
            issues_resolve_records(connection=connection, data_type=data_type, external_ids=outcome.deleted)
        # Every record a push saw has a row (one that could never be pushed too), so deletion
        # detection finds it when it is gone and resolves its issues; a full sync marks it seen.
        states_track(
            connection=connection,
            data_type=data_type,
            external_ids=untracked,
            job_id=job.pk if job is not None and mark_seen else None,
        )
        if batch.fatal is None and on_commit_page is not None:
            on_commit_page(outcome)


def _write_locked(
    *,
    connection: Connection,
    data_type: DataType,
    records: list[SyncRecord],
    batch: _Batch,
    client: SparkLayerClient,
    pool: ThreadPoolExecutor,
    job: SyncJob | None,
    event: WebhookEvent | None,
    mark_seen: bool,
    force: bool,
    adapter: SyncSource | None,
    heartbeat: Callable[[], None] | None = None,
) -> None:
    """Write ``records`` in rounds: each round takes the free locks, writes those records, releases."""
    waiting = {record.external_id: record for record in records}
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 0.02
    while waiting and batch.fatal is None:
        keys = {record_lock_key(connection.pk, str(data_type), external_id): external_id for external_id in waiting}
        taken = locks_try(keys)
        held = [waiting.pop(keys[key]) for key in taken]
        writer: _Writer | None = None
        try:
            if held:
                writer = _Writer(
                    connection=connection,
                    data_type=data_type,
                    client=client,
                    executor=pool,
                    job=job,
                    event=event,
                    mark_seen=mark_seen,
                    adapter=adapter,
                    heartbeat=heartbeat,
                )
                _write_round(writer=writer, records=held, batch=batch, force=force)
                adapter = writer.adapter_if_built or adapter  # built at most once per call
        finally:
            locks_release(taken | (writer.extra_locks if writer is not None else set()))
        if waiting:
            if time.monotonic() >= deadline:
                batch.fatal = TransientError(
                    f"{len(waiting)} {data_type} record(s) stayed busy in another worker for {LOCK_WAIT_SECONDS:.0f} s"
                )
                break
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


def _write_round(*, writer: _Writer, records: list[SyncRecord], batch: _Batch, force: bool) -> None:
    connection, data_type, outcome = writer.connection, writer.data_type, batch.outcome
    states = states_load(connection=connection, data_type=data_type, external_ids=[r.external_id for r in records])
    plans: list[Plan] = []
    for record in records:
        plan = plan_record(record, states.get(record.external_id) or StateRow(), force=force)
        if plan.stale:
            outcome.stale.append(record.external_id)
            batch.current.pop(record.external_id, None)  # a fresher writer owns its issues
            batch.issues = [issue for issue in batch.issues if issue.external_id != record.external_id]
            continue
        plans.append(plan)
    batch.planned |= {plan.record.external_id for plan in plans}
    claims = {plan.record.external_id: _claim_row(plan) for plan in plans if plan.writes_anything}
    states_claim(connection=connection, data_type=data_type, rows=claims)
    writer.run(plans)
    writer.save_rows()
    batch.fatal = batch.fatal or writer.fatal
    outcome.writes += writer.writes
    _released_recheck(writer)
    for plan in plans:
        external_id = plan.record.external_id
        if plan.failed:
            batch.current.pop(external_id, None)  # unknown: leave its issues as they are
        elif external_id in writer.refusals:
            outcome.refused.append(external_id)
            batch.issues.extend(writer.refusals[external_id])
            batch.current.setdefault(external_id, set()).update(i.code for i in writer.refusals[external_id])
        elif plan.mode in (Mode.RETIRE, Mode.DELETE, Mode.FORGET) and plan.record.deleted:
            outcome.deleted.append(external_id)
        elif plan.writes_anything:
            outcome.pushed.append(external_id)
        else:
            outcome.unchanged.append(external_id)


def _released_recheck(writer: _Writer) -> None:
    """SKUs whose stock or prices were removed: if another record claimed one meanwhile (its claim is
    written before its writes are sent), that record's rows may have been removed after it wrote
    them, so it is refreshed in full. See ``docs/sync-design.md`` (SKU ownership)."""
    if not writer.released_skus:
        return
    holders = sku_holders(
        connection=writer.connection,
        data_type=str(writer.data_type),
        skus=writer.released_skus,
        exclude=list(writer.plans),
    )
    for external_id in sorted({holder for owners in holders.values() for holder in owners}):
        record_refresh_request(
            connection=writer.connection,
            data_type=str(writer.data_type),
            external_id=external_id,
            reason="stock or prices of a SKU it claims were removed with another record",
        )
    writer.released_skus = set()
