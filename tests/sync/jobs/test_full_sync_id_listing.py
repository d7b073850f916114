"""The completeness phase's id listing starts once the last page has been read, while the last pages
are still written (``sync.engine.deletion.IdListing``): in-process, against both sandboxes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from ignite_bridge.core.errors import TransientError
from platforms.types import DataType
from platforms.woocommerce.adapter import WooCommerceAdapter
from sync.jobs.full_sync import sync_job_run
from sync.jobs.jobs import sync_job_cancel, sync_job_queue_full
from sync.models import JobState, RecordState, SyncJob
from tests.sync.helpers import assert_catalogue_landed, make_connection, run_full, spark_state, woo_sandbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def store() -> Iterator[Any]:
    with woo_sandbox(products=250, customers=2, orders=2, seed=8) as server:
        yield server


def live_product_ids(store: Any) -> set[str]:
    with store.app.store.lock:
        return {str(i) for i, p in store.app.store.products.items() if p.status != "trash"}


class Recorder:
    """Events of one run, in the order they happened, from the threads that made them."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def add(self, kind: str, name: str = "") -> None:
        with self.lock:
            self.events.append((kind, name))

    def index(self, kind: str, name: str = "") -> int:
        return self.events.index((kind, name))


def record_run(monkeypatch: pytest.MonkeyPatch, recorder: Recorder, *, hold_last_page: float) -> None:
    """Record each page once the adapter has read it in full (its listing and variations answered),
    each checkpoint and each id listing; hold the last page's push back ``hold_last_page`` seconds."""
    from sync.jobs import full_sync

    push_page, checkpoint = full_sync._push_page, full_sync._checkpoint
    listing, pages = WooCommerceAdapter.iter_record_ids, WooCommerceAdapter._pages

    def pages_recorded(self: WooCommerceAdapter, *args: Any) -> Iterator[Any]:
        for page in pages(self, *args):
            recorder.add("read", page.next_cursor or "last")
            yield page

    def push_held(job: Any, token: str, page: Any, *args: Any, **kwargs: Any) -> bool:
        if not page.next_cursor:
            time.sleep(hold_last_page)
        return push_page(job, token, page, *args, **kwargs)

    def checkpoint_recorded(job: Any, token: str, page: Any, *args: Any) -> bool:
        recorder.add("checkpoint", page.next_cursor or "last")
        return checkpoint(job, token, page, *args)

    def listing_recorded(self: WooCommerceAdapter, data_type: DataType) -> Iterator[str]:
        recorder.add("id listing", threading.current_thread().name)
        yield from listing(self, data_type)

    monkeypatch.setattr(WooCommerceAdapter, "_pages", pages_recorded)
    monkeypatch.setattr(full_sync, "_push_page", push_held)
    monkeypatch.setattr(full_sync, "_checkpoint", checkpoint_recorded)
    monkeypatch.setattr(WooCommerceAdapter, "iter_record_ids", listing_recorded)


def test_the_id_listing_runs_while_the_last_page_is_written(
    spark: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the last page's read and before its checkpoint, once; the catalogue lands in full and
    the completeness phase counts every live id."""
    recorder = Recorder()
    record_run(monkeypatch, recorder, hold_last_page=1.0)
    connection = make_connection(store, site_id="listing-store", push_concurrency=4)

    job = run_full(connection, DataType.PRODUCTS)

    listings = [event for event in recorder.events if event[0] == "id listing"]
    assert listings == [("id listing", "id-listing")]  # in its own thread, and not again in the final phase
    assert recorder.index("read", "last") < recorder.index(*listings[0]) < recorder.index("checkpoint", "last")
    assert job.state == JobState.SUCCEEDED
    assert job.result["live_records"] == len(live_product_ids(store)) == 250
    assert job.result["missed_read"] == 0
    assert job.deleted == 0
    assert_catalogue_landed(connection, spark_state(spark, "listing-store", "products,stock,pricing"))


def test_a_listing_that_fails_in_the_background_is_listed_again_and_never_taken_as_complete(
    spark: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Part of the ids, then a store error: taking those as every live id would remove the rest. The
    completeness phase lists again and nothing is removed."""
    listing = WooCommerceAdapter.iter_record_ids
    calls: list[str] = []

    def failing_once(self: WooCommerceAdapter, data_type: DataType) -> Iterator[str]:
        calls.append(threading.current_thread().name)
        for count, external_id in enumerate(listing(self, data_type)):
            if len(calls) == 1 and count == 120:
                raise TransientError("the store stopped answering", status=503)
            yield external_id

    monkeypatch.setattr(WooCommerceAdapter, "iter_record_ids", failing_once)
    connection = make_connection(store, site_id="failing-listing-store", push_concurrency=4)

    job = run_full(connection, DataType.PRODUCTS)

    assert calls == ["id-listing", "MainThread"]  # the background listing, then the phase's own
    assert job.state == JobState.SUCCEEDED
    assert job.deleted == 0
    assert job.result["live_records"] == 250
    assert not RecordState.objects.filter(connection=connection, deleted=True).exists()
    assert_catalogue_landed(connection, spark_state(spark, "failing-listing-store", "products,stock,pricing"))


def test_a_product_trashed_before_the_listing_and_after_its_page_is_retired_by_the_same_sync(
    spark: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Trashed once every page was read, while the last one is written: the background listing lacks
    it, so the completeness phase reads it again and retires it."""
    listing = WooCommerceAdapter.iter_record_ids
    trashed: list[str] = []

    def trash_then_list(self: WooCommerceAdapter, data_type: DataType) -> Iterator[str]:
        victim = min(live_product_ids(store), key=int)  # on the first page, long pushed
        auth = (store.app.consumer_key, store.app.consumer_secret)
        requests.delete(f"{store.url}/wp-json/wc/v3/products/{victim}", auth=auth, timeout=10).raise_for_status()
        trashed.append(victim)
        yield from listing(self, data_type)

    monkeypatch.setattr(WooCommerceAdapter, "iter_record_ids", trash_then_list)
    connection = make_connection(store, site_id="trash-listing-store", push_concurrency=4)

    job = run_full(connection, DataType.PRODUCTS)

    assert job.deleted == 1
    assert RecordState.objects.get(connection=connection, data_type="products", external_id=trashed[0]).deleted
    assert job.result["live_records"] == 249


def test_a_job_cancelled_while_its_last_page_is_written_stops_its_listing(
    spark: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing (slow here: 20 ms an id) is still running when the job learns it was cancelled: it
    stops at its next id and its thread is gone when the run returns."""
    recorder = Recorder()
    record_run(monkeypatch, recorder, hold_last_page=1.0)
    recorded = WooCommerceAdapter.iter_record_ids
    listed: list[str] = []

    def slow(self: WooCommerceAdapter, data_type: DataType) -> Iterator[str]:
        for external_id in recorded(self, data_type):
            time.sleep(0.02)
            listed.append(external_id)
            yield external_id

    monkeypatch.setattr(WooCommerceAdapter, "iter_record_ids", slow)
    connection = make_connection(store, site_id="cancel-listing-store", push_concurrency=4)
    job = sync_job_queue_full(connection=connection, data_type=DataType.PRODUCTS, trigger="command")

    def cancel_once_listing() -> None:
        deadline = time.monotonic() + 30
        while not listed and time.monotonic() < deadline:
            time.sleep(0.01)
        sync_job_cancel(job=SyncJob.objects.get(pk=job.pk))

    canceller = threading.Thread(target=cancel_once_listing)
    canceller.start()
    result = sync_job_run(job_id=job.pk)
    canceller.join()

    assert result.state == "cancelled"
    assert SyncJob.objects.get(pk=job.pk).state == JobState.CANCELLED
    assert [kind for kind, _name in recorder.events].count("id listing") == 1
    assert 0 < len(listed) < 250  # stopped part-way ...
    assert not [t for t in threading.enumerate() if t.name == "id-listing"]  # ... and joined
