"""A full sync runs with the raised young GC threshold (``ignite_bridge/core/collector.py``) and gives
the process's own back when it ends, whether it succeeds or fails."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from ignite_bridge.core.collector import YOUNG_THRESHOLD
from platforms.types import DataType
from sync.jobs.full_sync import sync_job_run
from sync.jobs.jobs import sync_job_queue_full
from tests.sync.helpers import make_connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def default_threshold() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield (700, 10, 10)
    gc.set_threshold(*before)


def test_the_sync_runs_with_the_raised_threshold_and_restores_it(
    spark: Any, woo_store: Any, default_threshold: tuple[int, int, int]
) -> None:
    connection = make_connection(woo_store, site_id="gc-threshold")
    job = sync_job_queue_full(connection=connection, data_type=DataType.PRODUCTS, trigger="command")
    seen: list[tuple[int, int, int]] = []

    result = sync_job_run(job_id=job.pk, progress=lambda _job: seen.append(gc.get_threshold()))

    assert result.state == "succeeded"
    assert seen
    assert set(seen) == {(YOUNG_THRESHOLD, 10, 10)}  # every page ran with it
    assert gc.get_threshold() == default_threshold


def test_a_failed_sync_restores_the_threshold(
    spark: Any, woo_store: Any, default_threshold: tuple[int, int, int]
) -> None:
    connection = make_connection(woo_store, site_id="gc-threshold-fails")
    job = sync_job_queue_full(connection=connection, data_type=DataType.PRODUCTS, trigger="command")

    def fail(_job: Any) -> None:
        raise RuntimeError("the page after this one never comes")

    result = sync_job_run(job_id=job.pk, progress=fail)

    assert result.state == "failed"
    assert gc.get_threshold() == default_threshold
