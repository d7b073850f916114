"""``sync/engine/table_stats.py``: a full sync analyses a table when its row count moved far from the
planner's, never because its rows were only updated (an unchanged re-sync updates every row it sees)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.db import connection as db

from sync.engine.table_stats import MIN_CHANGES, tables_analyze_if_stale
from sync.models import RecordState
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db(transaction=True)  # ANALYZE and the statistics views: outside a transaction

TABLE = RecordState._meta.db_table


def counters() -> tuple[int, int]:
    """(live rows, rows changed since the last analyse) as the statistics views report them now."""
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT n_live_tup, n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = %s", [TABLE])
        live, changed = cursor.fetchone()
    return int(live), int(changed)


def settle(reached: Callable[[int, int], bool]) -> None:
    """Wait until this backend's statistics reach the views (flushed when it is idle, at most every second)."""
    deadline = time.monotonic() + 20
    while not reached(*counters()):
        with db.cursor() as cursor:
            if db.pg_version >= 150000:
                cursor.execute("SELECT pg_stat_force_next_flush()")
        if time.monotonic() > deadline:
            pytest.fail(f"statistics never settled: {counters()}")
        time.sleep(0.2)


def analyse_now() -> None:
    with db.cursor() as cursor:
        cursor.execute(f"ANALYZE {db.ops.quote_name(TABLE)}")


def add_rows(count: int) -> None:
    connection = ConnectionFactory()
    RecordState.objects.bulk_create(
        [RecordState(connection=connection, data_type="products", external_id=str(n)) for n in range(count)]
    )


def test_a_table_that_outgrew_the_planners_count_is_analysed_once() -> None:
    analyse_now()
    add_rows(MIN_CHANGES + 500)
    settle(lambda live, _changed: live == MIN_CHANGES + 500)

    assert tables_analyze_if_stale([RecordState]) == [TABLE]
    assert tables_analyze_if_stale([RecordState]) == []  # the planner knows the count now


def test_rows_only_updated_never_trigger_an_analyse() -> None:
    add_rows(MIN_CHANGES + 500)
    settle(lambda live, _changed: live == MIN_CHANGES + 500)  # the inserts counted before the analyse
    analyse_now()
    RecordState.objects.update(last_seen_job_id=7)  # what an unchanged re-sync does to every row
    RecordState.objects.update(last_seen_job_id=8)
    settle(lambda _live, changed: changed == 2 * (MIN_CHANGES + 500))

    assert tables_analyze_if_stale([RecordState]) == []


def test_a_table_that_lost_most_of_its_rows_is_analysed() -> None:
    add_rows(MIN_CHANGES * 2)
    settle(lambda live, _changed: live == MIN_CHANGES * 2)
    analyse_now()
    RecordState.objects.filter(external_id__regex=r"^[0-9]*[0-7]$").delete()  # 80% of the rows
    settle(lambda live, _changed: live == MIN_CHANGES * 2 // 5)

    assert tables_analyze_if_stale([RecordState]) == [TABLE]
