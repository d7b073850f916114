"""The end of a full sync: read what the page listing missed, and remove what the platform no longer has.

A page listing can miss records (a record moves between pages while they are read, a job paused
between two pages); so after the last page the run lists every live id cheaply
(``adapter.iter_record_ids``) and compares it with what it saw (``RecordState.last_seen_job_id``,
which every record a sync reads gets, pushed or not):

* a live id the run did not see is read on its own and pushed (``missed``);
* a record the bridge knows (pushed, or seen with issues) that the listing lacks is read on its own,
  whether or not the run saw it (one the run saw was deleted after its page was read): if it exists
  after all it is pushed, otherwise it goes through the write path as gone (a product's variants
  discontinued, its stock and prices removed; a customer deleted; a purchase forgotten) and its
  issues are resolved.

Everything goes through ``sync_records_push``, with the time each read started, so a record
changed or re-created meanwhile is never written over with older data.

The id listing needs only the pages' *reads* to be over, not their writes: a full sync starts it
(``IdListing``) as soon as its last page has been read, in a thread of its own, while the last pages'
writes and bookkeeping complete; against a store that takes 100 ms a call, the listing of 5,000 ids
was a second of nothing but waiting at the end of every full sync. What it compares with (the ids the
run saw, the records the bridge knows) is still read after the last page is checkpointed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils import timezone

from connections.models import Connection
from ignite_bridge.core.threads import in_submitter_context
from platforms.base import SyncSource
from platforms.concurrency import AIMDLimiter
from platforms.types import DataType, Page, ReadClock, SyncRecord
from sparklayer.client import SparkLayerClient
from sync.engine.outcome import PushOutcome
from sync.engine.plans import gone_record
from sync.engine.push import sync_records_push
from sync.models import RecordState, SyncJob, WebhookEvent

logger = logging.getLogger(__name__)

#: records read one by one and pushed together
CHUNK = 100
#: the listing and the per-record reads tell the job they are alive this often (records)
HEARTBEAT_EVERY = 500

#: types whose records a full sync checks for completeness and deletion
COMPLETENESS_DATA_TYPES = (DataType.PRODUCTS, DataType.CUSTOMERS, DataType.PURCHASES)
#: while an id listing runs in the background, the job says it is alive this often (seconds)
ALIVE_EVERY_SECONDS = 5.0


class IdListing:
    """Every live id of ``data_type``, listed in a thread of its own (``adapter.iter_record_ids``).

    Started once a full sync's last page has been read (never earlier: a record that moved between
    pages while they were read must be in it): ``page_read`` starts it from the adapter's read-ahead
    thread the moment it holds the last page (``SyncSource.on_page_read``), ``start`` when the pages
    ended otherwise. ``live`` waits for it. A listing that failed, or was stopped, gives None: the
    completeness phase then lists again itself, where a failure takes the job's usual retry path."""

    def __init__(self, adapter: SyncSource, data_type: DataType, *, read_limiter: AIMDLimiter | None = None) -> None:
        self._adapter = adapter
        self._data_type = data_type
        self._read_limiter = read_limiter
        self._ids: set[str] = set()
        self._failure: Exception | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._listing = in_submitter_context(self._list)  # the job's correlation id and trace, not the reader's

    def page_read(self, page: Page) -> None:
        """``SyncSource.on_page_read``: the last page (no cursor after it) starts the listing."""
        if not page.next_cursor:
            self.start()

    def start(self) -> None:
        """Start listing, once; never after ``stop``. With ``read_limiter``, the store reads from now on
        (the pages' are over) take its slots, as the completeness phase's own would: the pages' limiter
        keeps what the pages' reads settled at."""
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                if self._read_limiter is not None:
                    self._adapter.read_limiter = self._read_limiter
                self._thread = threading.Thread(target=self._listing, name="id-listing", daemon=True)
                self._thread.start()

    def _list(self) -> None:
        try:
            for external_id in self._adapter.iter_record_ids(self._data_type):
                if self._stop.is_set():
                    return  # leaving the loop closes the listing: its reads in flight are dropped
                self._ids.add(external_id)
        except Exception as exc:  # noqa: BLE001 - kept for ``live``: the completeness phase lists again
            self._failure = exc

    def live(self, alive: Callable[[], None]) -> set[str] | None:
        """The ids, once listed; ``alive`` (the job's heartbeat, which raises when the job is no longer
        ours) is called while waiting. None when the listing failed, was stopped or never started."""
        thread = self._thread
        if thread is None:
            return None
        try:
            while thread.is_alive():
                thread.join(ALIVE_EVERY_SECONDS)
                alive()
        except BaseException:
            self.stop()
            raise
        if self._failure is not None:
            logger.info(
                "id listing failed: listing again",
                extra={"data_type": str(self._data_type), "error": str(self._failure)[:500]},
            )
            return None
        return None if self._stop.is_set() else self._ids

    def stop(self) -> None:
        """Stop listing, or never start (the job failed or stopped), and wait for the thread."""
        with self._lock:
            self._stop.set()
            thread = self._thread
        if thread is not None:
            thread.join()


def record_read(*, adapter: SyncSource, data_type: DataType, external_id: str, clock: ReadClock) -> SyncRecord:
    """The record read fresh (``read_at`` = when the read started); a gone record when it is gone."""
    read_at = clock()
    found = adapter.fetch_record(data_type, external_id)
    if found is None:
        return gone_record(data_type, external_id, read_at=read_at)
    found.read_at = read_at
    return found


@dataclass
class CompletenessResult:
    missed: int = 0  # live records the page listing had not read
    deleted: int = 0  # records found gone and removed
    live: int = 0


def full_sync_complete(
    *,
    connection: Connection,
    data_type: DataType,
    job: SyncJob,
    adapter: SyncSource,
    client: SparkLayerClient,
    clock: ReadClock,
    alive: Callable[[], None],
    heartbeat: Callable[[], None] | None = None,
    live: set[str] | None = None,
) -> CompletenessResult:
    """Read what the run missed and remove what is gone; ``alive`` is the job's heartbeat (and
    raises when the job was cancelled or taken over) between chunks, ``heartbeat`` the one the
    push calls while it saves (it must not raise there). ``live``: the ids an ``IdListing`` started
    after the last page's read has listed already; without it they are listed here."""
    result = CompletenessResult()
    if data_type not in COMPLETENESS_DATA_TYPES:
        return result
    if live is None:
        live = set()
        for external_id in adapter.iter_record_ids(data_type):
            live.add(external_id)
            if len(live) % HEARTBEAT_EVERY == 0:
                alive()
    result.live = len(live)
    seen = set(
        RecordState.objects.filter(connection=connection, data_type=data_type, last_seen_job_id=job.pk)
        .values_list("external_id", flat=True)
        .iterator(chunk_size=5000)
    )
    missed = sorted(live - seen, key=_id_order)
    # seen by the run or not: a record deleted after its page was read was pushed as it was then
    known = RecordState.objects.filter(connection=connection, data_type=data_type, deleted=False).values_list(
        "external_id", flat=True
    )
    candidates = sorted({external_id for external_id in known.iterator(chunk_size=5000)} - live, key=_id_order)
    result.missed = len(missed)
    if missed:
        logger.info(
            "full sync reading records the listing missed",
            extra={"job": job.pk, "data_type": str(data_type), "count": len(missed)},
        )
    for outcome in _push_reads(
        connection=connection, data_type=data_type, ids=missed + candidates, job=job, adapter=adapter,
        client=client, clock=clock, alive=alive, heartbeat=heartbeat,
    ):  # fmt: skip
        result.deleted += len(outcome.deleted)
    return result


def _push_reads(
    *,
    connection: Connection,
    data_type: DataType,
    ids: list[str],
    job: SyncJob | None,
    adapter: SyncSource,
    client: SparkLayerClient,
    clock: ReadClock,
    alive: Callable[[], None],
    event: WebhookEvent | None = None,
    heartbeat: Callable[[], None] | None = None,
) -> Iterable[PushOutcome]:
    for start in range(0, len(ids), CHUNK):
        records = [
            record_read(adapter=adapter, data_type=data_type, external_id=external_id, clock=clock)
            for external_id in ids[start : start + CHUNK]
        ]
        yield sync_records_push(
            connection=connection,
            records=records,
            job=job,
            event=event,
            client=client,
            mark_seen=job is not None,
            adapter=adapter,
            force=job is not None and job.force,
            heartbeat=heartbeat,
        )
        alive()


def _id_order(external_id: str) -> tuple[int, str]:
    return (int(external_id), "") if external_id.isascii() and external_id.isdigit() else (0, external_id)


def records_gone_push(
    *,
    connection: Connection,
    data_type: DataType,
    external_ids: Iterable[str],
    read_at: object,
    job: SyncJob | None = None,
    event: WebhookEvent | None = None,
    client: SparkLayerClient | None = None,
) -> PushOutcome:
    """Push records the caller read as gone at ``read_at`` through the write path."""
    records = [gone_record(data_type, external_id, read_at=read_at or timezone.now()) for external_id in external_ids]
    return sync_records_push(connection=connection, records=records, job=job, event=event, client=client)
