"""Full sync run in-process (no worker) against both sandboxes: what lands, what is skipped, issues."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connections.models import Connection
from platforms.types import DataType
from sync.models import JobState, PushLog, RecordState, SyncIssue
from tests.sync.conftest import spark_state, spark_writes
from tests.sync.helpers import run_full

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
