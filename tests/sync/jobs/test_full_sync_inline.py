"""Full sync run in-process (no worker) against both sandboxes: what lands, what is skipped, issues."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
import requests
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from connections.models import Connection
from platforms.types import DataType
from sync.models import JobState, PushLog, RecordState, SyncIssue
from tests.sync.helpers import run_full, spark_state, spark_writes

pytestmark = pytest.mark.django_db(transaction=True)


def woo_products(store: Any) -> list[dict[str, Any]]:
    auth = (store.app.consumer_key, store.app.consumer_secret)
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        batch = requests.get(
            f"{store.url}/wp-json/wc/v3/products", params={"per_page": 100, "page": page}, auth=auth, timeout=30
        ).json()
        found.extend(batch)
        if len(batch) < 100:
            return found
        page += 1


def test_products_land_and_rerun_writes_nothing(connection: Connection, spark: Any, woo_store: Any) -> None:
    job = run_full(connection, DataType.PRODUCTS)
    state = spark_state(spark, "bobs-store", "products,stock,pricing,price_lists,sync_logs")
    issues = SyncIssue.objects.filter(connection=connection, data_type="products", state="open")
    print(job.seen, job.pushed, job.unchanged, job.issues, len(state["products"]), issues.count())
    print(set(issues.values_list("code", flat=True)))
    assert job.seen == 60
    assert job.pushed == len(state["products"])
    writes_after_first = spark_writes(spark, "bobs-store")

    again = run_full(connection, DataType.PRODUCTS)
    assert again.pushed == 0
    assert spark_writes(spark, "bobs-store") == writes_after_first + 2  # two sync-log PUTs, no record write
    assert PushLog.objects.filter(job=again).count() == 0
    assert (
        RecordState.objects.filter(connection=connection, data_type="products", last_seen_job_id=again.pk).count() > 0
    )
    assert again.state == JobState.SUCCEEDED


def test_a_long_page_beats_the_jobs_heart_through_the_job_service_while_it_saves(
    connection: Connection, spark: Any, woo_store: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The push saves accepted writes as it goes (every SYNC_STATE_FLUSH_SECONDS); each save tells the
    sweeper the job is alive, through ``sync_job_heartbeat`` (the engine never writes a job itself)."""
    from sync.jobs import full_sync, job_runs

    settings.SYNC_STATE_FLUSH_SECONDS = 0  # save after every write
    beats: list[int] = []

    def heartbeat(*, job_id: int) -> None:
        beats.append(job_id)
        job_runs.sync_job_heartbeat(job_id=job_id)

    monkeypatch.setattr(full_sync, "sync_job_heartbeat", heartbeat)
    job = run_full(connection, DataType.PRODUCTS)
    assert job.state == JobState.SUCCEEDED
    assert job.pages_done == 1
    assert len(beats) > 1  # several saves within the one page, each a heartbeat
    assert set(beats) == {job.pk}


def test_the_next_page_is_written_while_a_page_waits_and_checkpoints_stay_in_page_order(
    spark: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``SYNC_PAGES_IN_FLIGHT=2`` (``sync/jobs/page_chain.py``): with the first page's writes held back, the
    second page is written meanwhile, yet its checkpoint is stored only after the first page's, and the
    catalogue lands as it does one page at a time."""
    from sandbox.server import serve_in_thread
    from sandbox.woocommerce.app import WooCommerceSandbox
    from sync.jobs import full_sync
    from tests.sync.helpers import assert_catalogue_landed, make_connection

    settings.SYNC_PAGES_IN_FLIGHT = 2
    store = serve_in_thread(WooCommerceSandbox(products=250, customers=5, orders=5, seed=5))
    try:
        connection = make_connection(store, site_id="pages-store", push_concurrency=4)
        events: list[tuple[str, Any]] = []
        lock = threading.Lock()
        push, checkpoint, resolve = full_sync.sync_records_push, full_sync._checkpoint, full_sync.page_resolve
        pages: list[Any] = []  # each page's records, in the order the pages were read

        def resolve_in_order(**kwargs: Any) -> Any:
            resolved = resolve(**kwargs)
            pages.append(resolved.records)
            return resolved

        def slow_first_page(**kwargs: Any) -> Any:
            index = next(i for i, records in enumerate(pages) if records is kwargs["records"])
            if index == 0:
                time.sleep(1.0)  # its writes held back: the next page goes ahead
            turn = kwargs["before_final"]

            def before_final() -> None:
                with lock:
                    events.append(("writes done", index))
                turn()

            return push(**{**kwargs, "before_final": before_final})

        def recorded_checkpoint(job: Any, token: str, page: Any, *args: Any) -> bool:
            with lock:
                events.append(("checkpoint", page.next_cursor or "last"))
            return checkpoint(job, token, page, *args)

        monkeypatch.setattr(full_sync, "page_resolve", resolve_in_order)
        monkeypatch.setattr(full_sync, "sync_records_push", slow_first_page)
        monkeypatch.setattr(full_sync, "_checkpoint", recorded_checkpoint)
        job = run_full(connection, DataType.PRODUCTS)

        done = [name for kind, name in events if kind == "writes done"]
        cursors = [name for kind, name in events if kind == "checkpoint"]
        assert done[0] == 1
        assert sorted(done) == [0, 1, 2]  # the second page finished its writes first ...
        assert len(cursors) == job.pages_done == 3
        assert cursors[-1] == "last"
        first_checkpoint = events.index(("checkpoint", cursors[0]))
        assert events.index(("writes done", 0)) < first_checkpoint  # ... and the first page's checkpoint ...
        assert events.index(("checkpoint", cursors[1])) > first_checkpoint  # ... came before the second's
        assert_catalogue_landed(connection, spark_state(spark, "pages-store", "products,stock,pricing"))
        assert job.seen == 250
        assert job.state == JobState.SUCCEEDED
    finally:
        store.stop()


@hypothesis_settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    seed=st.integers(0, 10_000),
    slow_page=st.integers(0, 2),
    changes=st.lists(
        st.tuples(
            st.integers(0, 2),
            st.sampled_from(["product_update", "product_stock", "product_create", "product_delete"]),
        ),
        max_size=6,
    ),
)
def test_pages_in_flight_while_the_store_changes_converge_by_the_next_full_sync(
    spark: Any, seed: int, slow_page: int, changes: list[tuple[int, str]]
) -> None:
    """Randomized: a full sync with two pages in flight, one page's writes held back so the next overtakes
    it, and the store changing as pages are pushed. What that sync missed the next one finds: the saved
    rows never claim a state SparkLayer does not hold. Compared as the convergence walk compares
    (``tests/convergence/compare.py``): a product trashed after its page was read is retired next time."""
    from sandbox.server import serve_in_thread
    from sandbox.woocommerce.app import WooCommerceSandbox
    from sync.jobs import full_sync
    from tests.convergence.compare import compare_pricing, compare_products, compare_stock
    from tests.convergence.semantics import expected_from_store
    from tests.sync.helpers import make_connection

    store = serve_in_thread(WooCommerceSandbox(products=230, customers=2, orders=2, seed=seed))
    push, resolve = full_sync.sync_records_push, full_sync.page_resolve
    pages: list[Any] = []

    def resolve_in_order(**kwargs: Any) -> Any:
        resolved = resolve(**kwargs)
        pages.append(resolved.records)
        return resolved

    def changing_store(**kwargs: Any) -> Any:
        index = next((i for i, records in enumerate(pages) if records is kwargs["records"]), -1)
        for n, (at, kind) in enumerate(changes):
            if at == index:
                requests.post(
                    f"{store.url}/_sandbox/mutate", json={"count": 1, "seed": seed + n, "kinds": [kind]}, timeout=10
                ).raise_for_status()
        if index == slow_page:
            time.sleep(0.3)
        return push(**kwargs)

    try:
        connection = make_connection(store, site_id=f"changing-{uuid.uuid4().hex[:12]}", push_concurrency=4)
        with override_settings(SYNC_PAGES_IN_FLIGHT=2), pytest.MonkeyPatch.context() as patch:
            patch.setattr(full_sync, "page_resolve", resolve_in_order)
            patch.setattr(full_sync, "sync_records_push", changing_store)
            run_full(connection, DataType.PRODUCTS)
        again = run_full(connection, DataType.PRODUCTS)
        assert again.state == JobState.SUCCEEDED
        expected = expected_from_store(connection)  # a product trashed after its page was read: retired
        state = spark_state(spark, connection.site_id, "products,stock,pricing,price_lists")
        differences = [*compare_products(expected, state), *compare_stock(expected, state)]
        assert not [*differences, *compare_pricing(expected, state)]
    finally:
        store.stop()


def test_a_product_trashed_after_its_page_was_read_is_retired_by_the_same_full_sync(spark: Any) -> None:
    """The page pushed the product as it was when read; the completeness pass finds it missing from the
    id listing and reads it again, though the run saw it: retired before the job ends, no webhook needed."""
    from sandbox.server import serve_in_thread
    from sandbox.woocommerce.app import WooCommerceSandbox
    from sync.jobs import full_sync
    from tests.convergence.compare import compare_pricing, compare_products, compare_stock
    from tests.convergence.semantics import expected_from_store
    from tests.sync.helpers import make_connection

    store = serve_in_thread(WooCommerceSandbox(products=150, customers=2, orders=2, seed=4))
    push = full_sync.sync_records_push
    trashed: list[str] = []

    def trash_once_read(**kwargs: Any) -> Any:
        if not trashed:  # the first page: read, not yet pushed
            victim = next(r.external_id for r in kwargs["records"] if r.payload is not None and not r.issues)
            auth = (store.app.consumer_key, store.app.consumer_secret)
            requests.delete(f"{store.url}/wp-json/wc/v3/products/{victim}", auth=auth, timeout=10).raise_for_status()
            trashed.append(victim)
        return push(**kwargs)

    try:
        connection = make_connection(store, site_id="trash-store", push_concurrency=4)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(full_sync, "sync_records_push", trash_once_read)
            job = run_full(connection, DataType.PRODUCTS)
        assert job.deleted == 1
        assert RecordState.objects.get(connection=connection, data_type="products", external_id=trashed[0]).deleted
        expected = expected_from_store(connection)
        state = spark_state(spark, "trash-store", "products,stock,pricing,price_lists")
        assert trashed[0] in {str(p["external_id"]) for p in state["products"]}  # retired, not deleted
        assert not [*compare_products(expected, state), *compare_stock(expected, state)]
        assert not compare_pricing(expected, state)
    finally:
        store.stop()
