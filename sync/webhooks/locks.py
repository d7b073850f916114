"""One worker at a time per record: a PostgreSQL session advisory lock around fetch-and-push.

Two events of one record can be claimed by two workers at once (the second arrived after the first
was claimed). Without a lock, worker A could fetch v1, worker B fetch and push v2, then A push v1
over it. Holding the lock across fetch and push makes the second fetch see the newest state. A
session lock (not a transaction lock) keeps no transaction open during HTTP calls, and PostgreSQL
releases it when the connection dies with a killed worker.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection as db

from ignite_bridge.core.errors import TransientError

LOCK_WAIT_SECONDS = 60.0


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


@contextmanager
def record_lock(name: str, *, wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the lock named ``name``; raises ``TransientError`` (retry later) after ``wait_seconds``."""
    with advisory_lock(name, wait_seconds=wait_seconds) as held:
        if not held:
            raise TransientError(f"record {name} is busy in another worker")
        yield
