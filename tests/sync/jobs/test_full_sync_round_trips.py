"""The thread that hands a full sync's pages on reads the job's row once a run, not once a page, and the
page count it keeps is the one the page commits stored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from platforms.types import DataType
from sync.jobs.full_sync import sync_job_run
from sync.jobs.jobs import sync_job_queue_full
from sync.models import SyncJob
from tests.sync.helpers import make_connection, woo_sandbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def store() -> Iterator[Any]:
    with woo_sandbox(products=700, customers=2, orders=0, seed=8) as server:
        yield server


def job_reads(queries: CaptureQueriesContext) -> int:
    table = SyncJob._meta.db_table
    return sum(1 for q in queries.captured_queries if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"])


def test_the_job_row_is_not_read_again_after_every_page(spark: Any, store: Any) -> None:
    connection = make_connection(store, site_id="round-trips", push_concurrency=4)
    job = sync_job_queue_full(connection=connection, data_type=DataType.PRODUCTS, trigger="command")
    with CaptureQueriesContext(db) as queries:  # this thread's statements (pages commit on their own)
        assert sync_job_run(job_id=job.pk).state == "succeeded"
    job.refresh_from_db()
    assert job.pages_done == 7
    assert job_reads(queries) <= 5  # the run's own reads (claim, after the pages, the end), none a page


def test_a_progress_report_follows_the_pages_as_stored(spark: Any, store: Any) -> None:
    connection = make_connection(store, site_id="round-trips", push_concurrency=4)
    job = sync_job_queue_full(connection=connection, data_type=DataType.PRODUCTS, trigger="command")
    seen: list[tuple[int, int]] = []
    sync_job_run(job_id=job.pk, progress=lambda j: seen.append((j.pages_done, j.seen)))
    assert len(seen) == 7  # one report a page
    assert seen == sorted(seen)
    assert seen[-1] == (7, 700)


def test_a_resumed_job_counts_its_pages_on_from_the_stored_count(
    spark: Any, store: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resumed after page 4 of 7, the statistics check every fifth page runs at page 5 (and once
    after the pages): the kept count starts from the row, not from 0."""
    from sync.jobs import full_sync

    settings.SYNC_PAGES_IN_FLIGHT = 1  # one report a page, each after its own commit
    connection = make_connection(store, site_id="round-trips", push_concurrency=4)
    first = sync_job_queue_full(connection=connection, data_type=DataType.PRODUCTS, trigger="command")
    after_four: list[str] = []

    def note_page_four(job: SyncJob) -> None:
        if job.pages_done == 4:
            after_four.append(job.checkpoint_cursor)

    sync_job_run(job_id=first.pk, progress=note_page_four)
    assert after_four

    resumed = sync_job_queue_full(connection=connection, data_type=DataType.PRODUCTS, trigger="command", force=True)
    SyncJob.objects.filter(pk=resumed.pk).update(checkpoint_cursor=after_four[0], pages_done=4)
    checks: list[int] = []
    analyze = full_sync.tables_analyze_if_stale
    monkeypatch.setattr(full_sync, "STATS_EVERY_PAGES", 5)
    monkeypatch.setattr(full_sync, "tables_analyze_if_stale", lambda models: checks.append(1) or analyze(models))
    pages: list[int] = []
    assert sync_job_run(job_id=resumed.pk, progress=lambda j: pages.append(j.pages_done)).state == "succeeded"
    assert pages == [5, 6, 7]
    assert len(checks) == 2
