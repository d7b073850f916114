"""Store reads of a full sync adapt their concurrency (``platforms/concurrency.py``), against a
WooCommerce sandbox that answers slowly and refuses (503) above a number of requests at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connections.models import Connection
from platforms.types import DataType
from sandbox.faults import FaultConfig
from sync.jobs.full_sync import sync_job_run
from sync.jobs.jobs import sync_job_queue_full
from tests.sync.helpers import make_connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def small_store() -> Iterator[Any]:
    """1,200 products (enough reads for the limit to meet the refusals); 25 ms an answer; a fourth
    request at once gets 503."""
    from sandbox.server import serve_in_thread
    from sandbox.woocommerce.app import WooCommerceSandbox

    faults = FaultConfig(latency_ms=25, max_concurrent=3)
    server = serve_in_thread(WooCommerceSandbox(products=1200, customers=5, orders=2, seed=3, faults=faults))
    yield server
    server.stop()


def run_products(connection: Connection) -> dict[str, Any]:
    job = sync_job_queue_full(connection=connection, data_type=DataType.PRODUCTS, trigger="command")
    result = sync_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert result.state == "succeeded", (result, job.error)
    assert job.seen == 1200
    return dict(job.result["store_concurrency"])


def test_a_store_refusing_above_three_at_once_is_synced_and_the_reads_settle_within_it(
    db: None, spark: Any, small_store: Any, settings: Any
) -> None:
    settings.PLATFORM_MAX_CONCURRENCY = 8
    connection = make_connection(small_store, site_id="small-store", push_concurrency=4)
    store = run_products(connection)
    assert store["maximum"] == 8
    assert store["last"] <= 4  # cut back by the refusals and the latency they cost, however high it went


def test_the_connection_override_bounds_the_reads(db: None, spark: Any, small_store: Any, settings: Any) -> None:
    settings.PLATFORM_MAX_CONCURRENCY = 8
    connection = make_connection(small_store, site_id="small-store", push_concurrency=4, platform_max_concurrency=1)
    store = run_products(connection)
    assert store == {"maximum": 1, "peak": 1, "last": 1}
