"""Per-record write locks: one writer at a time per (connection, data type, record), on every machine.

PostgreSQL session advisory locks, taken many at once with ``pg_try_advisory_lock`` (never a
blocking wait while holding others, so two writers can never deadlock: a writer that cannot get a
record leaves it for later, releases what it holds, and tries again). Like PostgreSQL's, a lock is
reentrant: the holder may take it again and must release it as often. Session locks keep no
transaction open during HTTP calls, and PostgreSQL releases them when a killed worker's
connection closes. On SQLite (the embedded mode, one machine) ``flock`` on files in the var
directory plays the same part across the worker's processes.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection as db


def record_lock_key(connection_id: int, data_type: str, external_id: str) -> int:
    """A signed 64-bit key for the record (the advisory-lock key space)."""
    name = f"record:{connection_id}:{data_type}:{external_id}"
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


#: the embedded mode's locks: files under the var directory, one per bucket of keys, held with
#: ``flock`` (released by the operating system when a worker process dies, like a session lock)
LOCAL_BUCKETS = 1024
#: bucket → (holding thread, count, open file): reentrant like PostgreSQL's session locks
_local_held: dict[int, tuple[int, int, Any]] = {}
_local_lock = threading.Lock()


def _forget_inherited() -> None:
    """A forked child does not hold its parent's locks (the parent still does)."""
    _local_held.clear()


os.register_at_fork(after_in_child=_forget_inherited)


def _bucket(key: int) -> int:
    return key % LOCAL_BUCKETS


def _local_try(key: int) -> bool:
    me = threading.get_ident()
    bucket = _bucket(key)
    with _local_lock:
        held = _local_held.get(bucket)
        if held is not None:
            holder, count, handle = held
            if holder != me:
                return False
            _local_held[bucket] = (me, count + 1, handle)
            return True
        folder = Path(settings.VAR_DIR) / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        handle = (folder / f"record-{bucket}.lock").open("a+b")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        _local_held[bucket] = (me, 1, handle)
        return True


def _local_release(key: int) -> None:
    me = threading.get_ident()
    bucket = _bucket(key)
    with _local_lock:
        held = _local_held.get(bucket)
        if held is None or held[0] != me:
            return
        _, count, handle = held
        if count > 1:
            _local_held[bucket] = (me, count - 1, handle)
            return
        del _local_held[bucket]
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def locks_try(keys: Iterable[int]) -> set[int]:
    """Take every free lock of ``keys`` now; returns the ones taken (held by this connection)."""
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    if db.vendor != "postgresql":
        return {key for key in wanted if _local_try(key)}
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
        for key in held:
            _local_release(key)
        return
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(key) FROM unnest(%s::bigint[]) AS key", [held])
