"""Full syncs end to end: a real Celery worker, PostgreSQL, Redis, and both sandboxes over HTTP."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox.server import serve_in_thread
from sandbox.woocommerce.app import WooCommerceSandbox
from sync.jobs.jobs import sync_job_queue_full, sync_job_rerun
from sync.jobs.sweep import sync_jobs_sweep
from sync.models import IssueState, JobState, SyncIssue, SyncJob
from tests.sync.helpers import (
    assert_catalogue_landed,
    comparable,
    expected_products,
    make_connection,
    spark_calls,
    spark_state,
    spark_writes,
    start_worker,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

# The issue's 2,000-product catalogue (20 pages, ~6,000 variants), through a real worker.
CATALOGUE = 2000


@pytest.fixture
def big_store() -> Iterator[Any]:
    server = serve_in_thread(WooCommerceSandbox(products=CATALOGUE, customers=10, orders=5, seed=5))
    yield server
    server.stop()


def finished(job: SyncJob) -> bool:
    job.refresh_from_db()
    return job.state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


def test_catalogue_lands_field_for_field_with_issues_and_rerun_writes_nothing(
    transactional_db: None, spark: Any, big_store: Any
) -> None:
    connection = make_connection(big_store, site_id="big-store", push_concurrency=4, batch_size=100)
    worker = start_worker(spark)
    try:
        job = sync_job_queue_full(connection=connection, data_type="products", trigger="sparklayer")
        wait_for(lambda: finished(job), 120, "the full sync", worker)
        assert job.state == JobState.SUCCEEDED, job.error
        state = spark_state(spark, "big-store", "products,stock,pricing,sync_logs")
        assert_catalogue_landed(connection, state)
        products, _stock, _pricing, with_issues = expected_products(connection)
        assert job.seen == CATALOGUE
        assert job.pushed == len(products)

        # Invalid records are issues (SyncIssue rows and the sandbox's sync log); valid ones landed.
        open_issues = SyncIssue.objects.filter(connection=connection, data_type="products", state=IssueState.OPEN)
        assert set(open_issues.values_list("external_id", flat=True)) == with_issues
        assert with_issues, "the seeded store has invalid products"
        (log,) = state["sync_logs"]
        assert log["last_full_sync_succeeded"] is True
        assert {error["external_id"] for error in log["errors"]} == with_issues
        assert all(error["external_url"].startswith(big_store.url) for error in log["errors"])

        writes_before = spark_writes(spark, "big-store")
        rerun = sync_job_rerun(job=job)
        wait_for(lambda: finished(rerun), 120, "the rerun", worker)
        assert rerun.state == JobState.SUCCEEDED
        assert (rerun.pushed, rerun.unchanged) == (0, len(products))
        assert spark_writes(spark, "big-store") - writes_before == 2  # the two sync-log PUTs only
    finally:
        worker.stop()


def accepted_product_writes(spark: Any, site_id: str) -> int:
    calls = spark_calls(spark, site_id)
    return sum(
        1
        for call in calls
        if call["route"] in ("/api/v1/products", "/api/v1/products/{product_id}")
        and call["method"] in ("POST", "PATCH")
        and 200 <= call["status"] < 300
    )


def test_worker_killed_mid_sync_resumes_from_checkpoint(transactional_db: None, spark: Any) -> None:
    store = serve_in_thread(WooCommerceSandbox(products=600, customers=5, orders=5, seed=9))
    connection = make_connection(store, site_id="kill-store", push_concurrency=4)
    requests.put(f"{spark.url}/_sandbox/faults", json={"latency_ms": 8, "path_prefix": "/api/v1/products"}, timeout=5)
    worker = start_worker(spark, SYNC_STATE_FLUSH_SECONDS="0")
    try:
        job = sync_job_queue_full(connection=connection, data_type="products", trigger="sparklayer")
        wait_for(lambda: SyncJob.objects.get(pk=job.pk).pages_done >= 2, 60, "two checkpoints", worker)
        worker.kill()  # SIGKILL: no cleanup, the message stays unacknowledged
        job.refresh_from_db()
        assert job.state == JobState.RUNNING
        killed_at_page = job.pages_done
        worker = start_worker(spark, SYNC_STATE_FLUSH_SECONDS="0")
        # The beat sweeper's job: the dead run's heartbeat goes stale, the job is requeued.
        wait_for(lambda: sync_jobs_sweep(stale_after=2)["requeued"] == 1, 30, "the sweeper to requeue")
        wait_for(lambda: finished(job), 120, "the resumed sync", worker)
        assert job.state == JobState.SUCCEEDED, job.error
        assert job.attempts == 2
        assert job.pages_done > killed_at_page

        state = spark_state(spark, "kill-store", "products,stock,pricing")
        assert_catalogue_landed(connection, state)
        products = expected_products(connection)[0]
        # Each product was accepted once, except at most the writes in flight when the worker died
        # (SparkLayer answered, the bridge had not yet committed): bounded by the push concurrency.
        duplicates = accepted_product_writes(spark, "kill-store") - len(products)
        assert 0 <= duplicates <= connection.push_concurrency
    finally:
        worker.stop()
        store.stop()


def test_sparklayer_errors_and_rate_limits_end_in_the_same_state_as_a_clean_run(
    transactional_db: None, spark: Any
) -> None:
    store = serve_in_thread(WooCommerceSandbox(products=150, customers=5, orders=5, seed=3))
    clean = make_connection(store, site_id="clean-store")
    faulty = make_connection(store, site_id="faulty-store")
    worker = start_worker(spark, SYNC_JOB_RETRY_BASE_SECONDS="0.5", SYNC_JOB_RETRY_MAX_SECONDS="3")
    try:
        clean_job = sync_job_queue_full(connection=clean, data_type="products", trigger="sparklayer")
        wait_for(lambda: finished(clean_job), 60, "the clean sync", worker)
        requests.put(
            f"{spark.url}/_sandbox/faults",
            json={"error_500_rate": 0.2, "error_429_rate": 0.05, "retry_after": "1", "seed": 4},
            timeout=5,
        )
        faulty_job = sync_job_queue_full(connection=faulty, data_type="products", trigger="sparklayer")
        wait_for(lambda: finished(faulty_job), 150, "the sync under faults", worker)
        requests.put(f"{spark.url}/_sandbox/faults", json={}, timeout=5)
        assert (clean_job.state, faulty_job.state) == (JobState.SUCCEEDED, JobState.SUCCEEDED), faulty_job.error
        statuses = Counter(call["status"] for call in spark_calls(spark, "faulty-store"))
        assert statuses[500] > 0
        assert statuses[429] > 0
        assert comparable(spark_state(spark, "faulty-store", "products,stock,pricing")) == comparable(
            spark_state(spark, "clean-store", "products,stock,pricing")
        )
    finally:
        worker.stop()
        store.stop()
