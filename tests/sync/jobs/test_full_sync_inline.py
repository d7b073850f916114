"""Full sync run in-process (no worker) against both sandboxes: what lands, what is skipped, issues."""

from __future__ import annotations

from typing import Any

import pytest
import requests

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
