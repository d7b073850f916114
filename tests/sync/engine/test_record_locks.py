"""Record locks (one writer per record, across processes) and the read clock (one time line)."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection as db

from sync.engine import record_locks
from sync.engine.clock import ReadClock, database_now
from sync.engine.record_locks import locks_release, locks_try, record_lock_key


def in_thread(fn: Any) -> Any:
    """Run ``fn`` on another thread (so: another database connection) and return its answer."""
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(fn())
        finally:
            db.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return box[0]


@pytest.mark.django_db(transaction=True)
def test_a_record_lock_excludes_other_connections_until_released() -> None:
    mine = record_lock_key(1, "products", "10")
    other = record_lock_key(1, "products", "11")
    assert locks_try([mine]) == {mine}
    assert locks_try([mine]) == {mine}  # reentrant for its holder
    assert in_thread(lambda: locks_try([mine, other])) == {other}  # the other record is free
    locks_release([mine])
    assert in_thread(lambda: locks_try([mine])) == set()  # held once more: still ours
    locks_release([mine])
    assert in_thread(lambda: locks_try([mine])) == {mine}


def test_keys_differ_per_connection_type_and_record() -> None:
    keys = {
        record_lock_key(1, "products", "10"),
        record_lock_key(2, "products", "10"),
        record_lock_key(1, "customers", "10"),
        record_lock_key(1, "products", "100"),
    }
    assert len(keys) == 4


def _child_try(folder: str, keys: list[int], answer: Any) -> None:
    from django.conf import settings

    settings.VAR_DIR = Path(folder)
    answer.put(sorted(k for k in keys if record_locks._local_try(k)))


def test_embedded_locks_exclude_other_processes_and_die_with_them(tmp_path: Path, settings: Any) -> None:
    """The embedded mode runs several worker processes on SQLite: flock files stand in for advisory locks."""
    settings.VAR_DIR = tmp_path
    context = multiprocessing.get_context("fork")
    answer = context.Queue()
    assert record_locks._local_try(5)
    child = context.Process(target=_child_try, args=(str(tmp_path), [5, 6], answer))
    child.start()
    child.join(30)
    assert answer.get(timeout=5) == [6]  # 5 is ours; the child's 6 died with it
    record_locks._local_release(5)
    child = context.Process(target=_child_try, args=(str(tmp_path), [5, 6], answer))
    child.start()
    child.join(30)
    assert answer.get(timeout=5) == [5, 6]


@pytest.mark.django_db
def test_the_read_clock_follows_the_database_and_never_goes_back() -> None:
    clock = ReadClock()
    readings = [clock() for _ in range(200)]
    assert readings == sorted(readings)
    now = database_now()
    assert now - timedelta(seconds=1) < readings[-1] <= now
