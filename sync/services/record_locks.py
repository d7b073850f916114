"""Per-record write locks: one writer at a time per (connection, data type, record), on every machine.

PostgreSQL session advisory locks, taken many at once with ``pg_try_advisory_lock`` (never a
blocking wait while holding others, so two writers can never deadlock: a writer that cannot get a
record leaves it for later, releases what it holds, and tries again). Like PostgreSQL's, a lock is
reentrant: the holder may take it again and must release it as often. Session locks keep no
transaction open during HTTP calls, and PostgreSQL releases them when a killed worker's
connection closes. On SQLite (the embedded mode: one worker process) a process-local table of
locks plays the same part.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable

from django.db import connection as db


def record_lock_key(connection_id: int, data_type: str, external_id: str) -> int:
    """A signed 64-bit key for the record (the advisory-lock key space)."""
    name = f"record:{connection_id}:{data_type}:{external_id}"
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


#: key → (holding thread, count): reentrant like PostgreSQL's session locks
_local_held: dict[int, tuple[int, int]] = {}
_local_lock = threading.Lock()


def locks_try(keys: Iterable[int]) -> set[int]:
    """Take every free lock of ``keys`` now; returns the ones taken (held by this connection)."""
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    if db.vendor != "postgresql":
        me = threading.get_ident()
        taken = set()
        with _local_lock:
            for key in wanted:
                holder, count = _local_held.get(key, (me, 0))
                if holder == me:
                    _local_held[key] = (me, count + 1)
                    taken.add(key)
        return taken
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT key FROM unnest(%s::bigint[]) AS key WHERE pg_try_advisory_lock(key)",
            [wanted],
        )
        return {int(row[0]) for row in cursor.fetchall()}


def locks_release(keys: Iterable[int]) -> None:
    """Release locks this connection holds (a key not held is ignored)."""
    held = sorted(set(keys))
    if not held:
        return
    if db.vendor != "postgresql":
        me = threading.get_ident()
        with _local_lock:
            for key in held:
                holder, count = _local_held.get(key, (None, 0))
                if holder == me:
                    if count > 1:
                        _local_held[key] = (me, count - 1)
                    else:
                        _local_held.pop(key, None)
        return
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(key) FROM unnest(%s::bigint[]) AS key", [held])
