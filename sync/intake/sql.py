"""Raw-SQL fast paths of the webhook intake: the statements every delivery takes.

Every statement of this package that reads or writes rows with SQL text lives here, one function a
statement, each with a test that it does what the ORM would (``tests/sync/intake/test_intake_sql.py``).
The rule and its layout test: ``docs/architecture.md`` ("Raw SQL") and ``tests/test_layout.py``.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection as db_connection

from connections.models import Connection, ConnectionState
from sync.models import WebhookEvent, WebhookVerificationFailure


class _EventInsert:
    """``INSERT ... ON CONFLICT (connection_id, dedupe_key) DO NOTHING RETURNING id`` for WebhookEvent.

    One statement, committed on its own in autocommit mode: no BEGIN/COMMIT round trips, and a
    repeat delivery is told apart by the missing ``RETURNING`` row rather than by an IntegrityError
    and a rolled-back transaction. It inserts only while the connection exists and is not removed
    (the intake's connection may come from its cache). Both PostgreSQL and SQLite (3.35+) speak this form. The column
    list comes from the model, so a new field with a default cannot be forgotten here."""

    def __init__(self) -> None:
        self.fields = [f for f in WebhookEvent._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(db_connection.ops.quote_name(f.column) for f in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        connections = db_connection.ops.quote_name(Connection._meta.db_table)
        self.sql = (
            f"INSERT INTO {db_connection.ops.quote_name(WebhookEvent._meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT {placeholders} WHERE EXISTS "
            f"(SELECT 1 FROM {connections} WHERE id = %s AND state <> %s) "
            "ON CONFLICT (connection_id, dedupe_key) DO NOTHING RETURNING id"
        )

    def __call__(self, event: WebhookEvent) -> int | None:
        for f in self.fields:  # what Model.save() would do: defaults, auto_now(_add)
            f.pre_save(event, add=True)
        params = [f.get_db_prep_save(f.value_from_object(event), db_connection) for f in self.fields]
        params += [event.connection_id, ConnectionState.REMOVED.value]
        with db_connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        return None if row is None else int(row[0])


_event_insert: _EventInsert | None = None


def webhook_event_insert(*, event: WebhookEvent) -> int | None:
    """Insert the unsaved ``event`` as its own row; returns the new id, or None when nothing was
    inserted: a row with the same ``(connection, dedupe_key)`` exists, or the connection is gone or
    removed. ``event`` itself is not marked saved (its pk stays unset); fields the database would
    fill on save (defaults, ``auto_now``) are filled on it as ``Model.save()`` would."""
    global _event_insert
    if _event_insert is None:
        _event_insert = _EventInsert()
    return _event_insert(event)


def webhook_verification_failure_upsert(*, connection_id: int, hour: datetime, at: datetime, reason: str) -> None:
    """Add one to the counter of ``(connection_id, hour)``, creating it at one, and make ``at`` and
    ``reason`` its latest failure: ``INSERT ... ON CONFLICT (connection_id, hour) DO UPDATE``, one
    statement whatever the row's state (no read, no race between two workers)."""
    table = db_connection.ops.quote_name(WebhookVerificationFailure._meta.db_table)
    sql = (
        f"INSERT INTO {table} (connection_id, hour, count, last_at, last_reason) "  # noqa: S608
        "VALUES (%s, %s, 1, %s, %s) ON CONFLICT (connection_id, hour) DO UPDATE SET "
        "count = " + table + ".count + 1, last_at = EXCLUDED.last_at, last_reason = EXCLUDED.last_reason"
    )
    with db_connection.cursor() as cursor:
        cursor.execute(sql, [connection_id, hour, at, reason])
