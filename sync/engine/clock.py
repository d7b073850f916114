"""The read clock: one time line for every worker on every machine, that a write is ordered by.

A record's read version is the time its platform read *started*. Two workers on two machines
compare versions, so the time comes from one place, the database server (``clock_timestamp()``),
not from each machine's own clock. One query per read would cost a round trip per record, so a
``ReadClock`` asks the database once and then counts forward with the process's monotonic clock
(it can never go backwards, and it is safe to call from the adapter's read-ahead threads, which
hold no database connection). The anchor counts from when the database's answer arrived, so the
clock lags the database by at most the answer's way back: a version is never later than the real
start of the read, which is the direction the write path's guarantee needs (``docs/sync-design.md``).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from django.db import connection as db
from django.utils import timezone

#: a ``ReadClock`` re-anchors on the database after this long (keeps drift between machines small)
REANCHOR_SECONDS = 60.0


def database_now() -> datetime:
    """The database server's current time (``clock_timestamp()``; the process clock on SQLite)."""
    if db.vendor != "postgresql":
        return timezone.now()
    with db.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        value: datetime = cursor.fetchone()[0]
    return value


class ReadClock:
    """``clock()`` → the database's time now, give or take a round trip (never later than it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: datetime | None = None
        self._anchor()

    def _anchor(self) -> None:
        value = database_now()
        # The database read its clock before its answer arrived: counting from the arrival can
        # only make later readings early (by the answer's way back), never late.
        self._base, self._base_monotonic = value, time.monotonic()

    def __call__(self) -> datetime:
        with self._lock:
            elapsed = time.monotonic() - self._base_monotonic
            if elapsed > REANCHOR_SECONDS and threading.current_thread() is threading.main_thread():
                self._anchor()
                elapsed = time.monotonic() - self._base_monotonic
            now = self._base + timedelta(seconds=elapsed)
            if self._latest is not None and now < self._latest:
                now = self._latest  # a re-anchor never moves this clock backwards
            self._latest = now
            return now
