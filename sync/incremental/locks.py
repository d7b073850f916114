"""One run at a time per connection for the periodic jobs (catch-up, reconcile): a PostgreSQL
session advisory lock. A session lock (not a transaction lock) keeps no transaction open during HTTP
calls, and PostgreSQL releases it when the connection dies with a killed worker. Records have their
own locks, taken by the write path (``sync.engine.record_locks``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection as db


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def advisory_lock(name: str, *, wait_seconds: float) -> Iterator[bool]:
    """Try to hold the lock named ``name`` for up to ``wait_seconds``; yields whether it is held.

    Always True on SQLite (the embedded mode runs one worker process)."""
    if db.vendor != "postgresql":
        yield True
        return
    key = _lock_key(name)
    deadline = time.monotonic() + wait_seconds
    with db.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            held = bool(cursor.fetchone()[0])
            if held or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
    try:
        yield held
    finally:
        if held:
            with db.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
