"""``sync/engine/deletion.py`` on its own: which records the end of a full sync reads and hands to the
write path (the write path itself is replaced by a recorder), and a gone record through the real one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import responses

from connections.models import Connection
from platforms.types import DataType, SyncRecord
from sparklayer.client import SparkLayerClient
from sparklayer.token_cache import InMemoryTokenStore
from sync.engine import deletion
from sync.engine.push import PushOutcome
from sync.models import RecordState, SyncJob
from tests.factories import ConnectionFactory, RecordStateFactory, SyncJobFactory

pytestmark = pytest.mark.django_db

READ_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def clock() -> datetime:
    return READ_AT


class Store:
    """The two reads the deletion pass asks of an adapter: the live ids, and one record."""

    def __init__(self, live: list[str], existing: set[str]) -> None:
        self.live = live
        self.existing = existing
        self.fetched: list[str] = []
        self.listed = 0

    def iter_record_ids(self, data_type: DataType) -> Iterator[str]:
        self.listed += 1
        yield from self.live

    def fetch_record(self, data_type: DataType, record_id: str) -> SyncRecord | None:
        self.fetched.append(record_id)
        if record_id not in self.existing:
            return None
        return SyncRecord(data_type=data_type, external_id=record_id, payload={"external_id": record_id})


class Pushes:
    """Records every call of the write path; answers that the gone records were deleted."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> PushOutcome:
        self.calls.append(kwargs)
        records: list[SyncRecord] = kwargs["records"]
        return PushOutcome(data_type=records[0].data_type, deleted=[r.external_id for r in records if r.deleted])


@pytest.fixture
def pushes(monkeypatch: pytest.MonkeyPatch) -> Pushes:
    recorder = Pushes()
    monkeypatch.setattr(deletion, "sync_records_push", recorder)
    return recorder


@pytest.fixture
def connection() -> Connection:
    return ConnectionFactory()


@pytest.fixture
def job(connection: Connection) -> SyncJob:
    return SyncJobFactory(connection=connection, data_type=DataType.PRODUCTS)


def state(connection: Connection, external_id: str, **fields: Any) -> RecordState:
    return RecordStateFactory(connection=connection, data_type=DataType.PRODUCTS, external_id=external_id, **fields)


def test_a_record_read_carries_when_its_read_started() -> None:
    store = Store(live=[], existing={"1"})

    found = deletion.record_read(adapter=store, data_type=DataType.PRODUCTS, external_id="1", clock=clock)  # type: ignore[arg-type]
    gone = deletion.record_read(adapter=store, data_type=DataType.PRODUCTS, external_id="2", clock=clock)  # type: ignore[arg-type]

    assert (found.external_id, found.deleted, found.read_at) == ("1", False, READ_AT)
    assert (gone.external_id, gone.deleted, gone.payload, gone.read_at) == ("2", True, None, READ_AT)


def test_types_without_completeness_are_not_listed(connection: Connection, pushes: Pushes) -> None:
    store = Store(live=["1"], existing={"1"})
    merchant_job = SyncJobFactory(connection=connection, data_type=DataType.MERCHANT)

    result = deletion.full_sync_complete(
        connection=connection, data_type=DataType.MERCHANT, job=merchant_job, adapter=store,  # type: ignore[arg-type]
        client=None, clock=clock, alive=lambda: None,  # type: ignore[arg-type]
    )  # fmt: skip

    assert (result.missed, result.deleted, result.live) == (0, 0, 0)
    assert store.listed == 0
    assert pushes.calls == []


def test_missed_live_records_and_known_records_the_listing_lacks_are_read_and_pushed(
    connection: Connection, job: SyncJob, pushes: Pushes
) -> None:
    state(connection, "1", last_seen_job_id=job.pk)
    state(connection, "2", last_seen_job_id=job.pk)
    state(connection, "3")  # live, but the page listing missed it
    state(connection, "7")  # known, not listed any more: gone
    state(connection, "9", last_seen_job_id=job.pk + 1000)  # seen by another job only, not listed: gone
    state(connection, "8", deleted=True)  # gone already: left alone
    store = Store(live=["1", "2", "3", "10"], existing={"1", "2", "3", "10"})

    result = deletion.full_sync_complete(
        connection=connection, data_type=DataType.PRODUCTS, job=job, adapter=store,  # type: ignore[arg-type]
        client=None, clock=clock, alive=lambda: None,  # type: ignore[arg-type]
    )  # fmt: skip

    assert store.fetched == ["3", "10", "7", "9"]  # missed first, in id order; then the candidates
    assert (result.live, result.missed, result.deleted) == (4, 2, 2)
    [call] = pushes.calls
    assert [(r.external_id, r.deleted) for r in call["records"]] == [
        ("3", False), ("10", False), ("7", True), ("9", True),
    ]  # fmt: skip
    assert (call["job"], call["mark_seen"], call["force"], call["adapter"]) == (job, True, False, store)


def test_a_record_the_run_saw_but_the_listing_lacks_was_deleted_after_its_page_and_is_read_again(
    connection: Connection, job: SyncJob, pushes: Pushes
) -> None:
    state(connection, "1", last_seen_job_id=job.pk)
    state(connection, "4", last_seen_job_id=job.pk)  # pushed from its page, trashed before the id listing
    store = Store(live=["1"], existing={"1"})

    result = deletion.full_sync_complete(
        connection=connection, data_type=DataType.PRODUCTS, job=job, adapter=store,  # type: ignore[arg-type]
        client=None, clock=clock, alive=lambda: None,  # type: ignore[arg-type]
    )  # fmt: skip

    assert store.fetched == ["4"]  # the live record the run saw is not read again
    assert result.deleted == 1
    assert [(r.external_id, r.deleted) for r in pushes.calls[0]["records"]] == [("4", True)]


def test_a_known_record_the_listing_lacks_but_the_store_still_has_is_pushed_not_deleted(
    connection: Connection, job: SyncJob, pushes: Pushes
) -> None:
    state(connection, "5")
    store = Store(live=[], existing={"5"})

    result = deletion.full_sync_complete(
        connection=connection, data_type=DataType.PRODUCTS, job=job, adapter=store,  # type: ignore[arg-type]
        client=None, clock=clock, alive=lambda: None,  # type: ignore[arg-type]
    )  # fmt: skip

    assert result.deleted == 0
    assert [(r.external_id, r.deleted) for r in pushes.calls[0]["records"]] == [("5", False)]


def test_reads_go_in_chunks_with_a_heartbeat_after_each(
    connection: Connection, job: SyncJob, pushes: Pushes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deletion, "CHUNK", 2)
    beats: list[int] = []
    store = Store(live=["1", "2", "3", "4", "5"], existing={"1", "2", "3", "4", "5"})

    deletion.full_sync_complete(
        connection=connection, data_type=DataType.PRODUCTS, job=job, adapter=store,  # type: ignore[arg-type]
        client=None, clock=clock, alive=lambda: beats.append(len(pushes.calls)),  # type: ignore[arg-type]
    )  # fmt: skip

    assert [[r.external_id for r in call["records"]] for call in pushes.calls] == [["1", "2"], ["3", "4"], ["5"]]
    assert beats == [1, 2, 3]


def test_a_forced_job_forces_its_pushes(connection: Connection, pushes: Pushes) -> None:
    forced = SyncJobFactory(connection=connection, data_type=DataType.PRODUCTS, force=True)

    deletion.full_sync_complete(
        connection=connection, data_type=DataType.PRODUCTS, job=forced, adapter=Store(live=["1"], existing={"1"}),  # type: ignore[arg-type]
        client=None, clock=clock, alive=lambda: None,  # type: ignore[arg-type]
    )  # fmt: skip

    assert pushes.calls[0]["force"] is True


def test_a_gone_purchase_is_forgotten_through_the_write_path_without_a_sparklayer_call(
    connection: Connection,
) -> None:
    RecordStateFactory(connection=connection, data_type=DataType.PURCHASES, external_id="42", content_hash="c1")
    client = SparkLayerClient(
        "https://sparklayer.test", "site-1", "c", "s", token_store=InMemoryTokenStore(), sleep=lambda s: None
    )

    with responses.RequestsMock() as mocked:  # any SparkLayer call would fail the test
        outcome = deletion.records_gone_push(
            connection=connection, data_type=DataType.PURCHASES, external_ids=["42"], read_at=READ_AT, client=client
        )
        assert len(mocked.calls) == 0

    assert outcome.deleted == ["42"]
    row = RecordState.objects.get(connection=connection, data_type=DataType.PURCHASES, external_id="42")
    assert row.deleted
