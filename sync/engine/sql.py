"""Raw-SQL fast paths of the write engine: the bookkeeping statements a full sync sends per page.

Every statement of this package that reads or writes rows with SQL text lives here, one function a
statement, each with a test that it leaves the rows the ORM would (``tests/sync/engine/test_engine_sql.py``).
The rule and its layout test: ``docs/architecture.md`` ("Raw SQL") and ``tests/test_layout.py``.
All of them are PostgreSQL only: callers keep an ORM branch for the embedded SQLite mode.

**Many rows in one statement** (``rows_insert``). The bookkeeping of a full sync writes thousands of
``RecordState`` and ``PushLog`` rows a minute. Django's ``bulk_create`` builds a model instance per row
and, on PostgreSQL, sends each column as an array (``UNNEST``), escaping every JSON value once more into
the array's text form; a multi-row ``VALUES`` list instead costs a client-side parse of thousands of
placeholders per statement. Here the rows are serialised once, as one JSON document (the C encoder),
and PostgreSQL unpacks it: ``INSERT ... SELECT ... FROM jsonb_to_recordset(%s)``, optionally
``ON CONFLICT ... DO UPDATE`` the named columns. One parameter, one statement per call.

**The record states of a page** (``record_states_select``): the rows the write path reads before it decides
and again under the records' locks, by a fixed statement where the ORM compiled the same query each time
(the largest share of a webhook worker's CPU after the event's own statements).

**Issues opened** (``issues_open_insert``): the new issues of a page and their "opened" history rows in
one ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` feeding a second ``INSERT``, where the ORM took an
insert, a read back of what it inserted and a third statement for the history.

**Issues seen again** (``issues_seen_again_update``): a re-sync finds most of a page's issues as they were;
one ``UPDATE ... FROM jsonb_to_recordset(...) RETURNING`` counts them, where the ORM read every issue of the
page's records into model instances and then updated the ones it found unchanged.

**Per-event reads** (``issues_open_select``, ``record_state_hash_select``): the open issues of the records
just written, and the live hash of one data type (the store settings' version a webhook's adapter is
keyed by), both read for every webhook event.

**Compare-and-set of a page** (``record_states_confirm_unchanged``, ``record_states_confirm_raw_unchanged``):
one ``UPDATE ... FROM unnest(...) RETURNING`` for a page of records instead of a read and an update per
record (``sync/engine/record_states.py`` says what they guarantee).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import orjson
from django.db import connection as db
from django.db import models

from sync.models import RecordState


@functools.cache
def _columns(model: type[models.Model], names: tuple[str, ...]) -> list[tuple[str, str]]:
    """(column, SQL type) per field name (``connection_id`` or ``connection`` alike)."""
    out = []
    for name in names:
        field = model._meta.get_field(name)
        out.append((str(field.column), str(field.db_type(db))))  # type: ignore[union-attr]
    return out


def _json_text(value: Any) -> str:
    """``value`` as JSON text for a ``jsonb`` parameter: orjson (the push log's payloads make this the
    largest document a sync writes), ``json`` for what orjson refuses (an integer beyond 64 bits)."""
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, default=str)


def rows_insert(
    *,
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
) -> None:
    """Insert ``rows`` (values in the order of ``names``); with ``conflict``, update ``update`` instead.

    Values go through orjson (``json`` for what it refuses; datetimes as their ISO text): what JSON
    cannot say exactly (a float's last digit aside) must not be passed."""
    if not rows:
        return
    columns = _columns(model, tuple(names))
    quote = db.ops.quote_name
    keys = [f"c{index}" for index in range(len(columns))]
    record_type = ", ".join(f"{key} {sql_type}" for key, (_column, sql_type) in zip(keys, columns, strict=True))
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(column) for column, _ in columns)}) "  # noqa: S608
        f"SELECT {', '.join(keys)} FROM jsonb_to_recordset(%s::jsonb) AS v({record_type})"
    )
    if conflict:
        target = ", ".join(quote(column) for column, _ in _columns(model, tuple(conflict)))
        sets = ", ".join(f"{quote(column)} = EXCLUDED.{quote(column)}" for column, _ in _columns(model, tuple(update)))
        sql += f" ON CONFLICT ({target}) DO UPDATE SET {sets}" if sets else f" ON CONFLICT ({target}) DO NOTHING"
    document = _json_text([dict(zip(keys, row, strict=True)) for row in rows])
    with db.cursor() as cursor:
        cursor.execute(sql, [document])


class UnchangedRecord(Protocol):
    """What ``record_states_confirm_unchanged`` reads of a record (``record_states.Unchanged``)."""

    @property
    def external_id(self) -> str: ...
    @property
    def read_at(self) -> datetime | None: ...
    @property
    def content_hash(self) -> str: ...
    @property
    def stock_hash(self) -> str: ...
    @property
    def pricing_hash(self) -> str: ...
    @property
    def raw_hash(self) -> str: ...


_STATES_SELECT_SQL = """
SELECT * FROM sync_recordstate WHERE connection_id = %s AND data_type = %s AND external_id = ANY(%s)
"""


def record_states_select(*, connection_id: int, data_type: str, external_ids: Sequence[str]) -> list[RecordState]:
    """The ``RecordState`` rows of these records (any order), as model instances the ORM would build."""
    return list(RecordState.objects.raw(_STATES_SELECT_SQL, [connection_id, data_type, list(external_ids)]))


_ISSUES_OPEN_SQL = """
SELECT id, external_id, code FROM sync_syncissue
WHERE connection_id = %s AND data_type = %s AND external_id = ANY(%s) AND state = %s
"""

_ISSUES_SEEN_AGAIN_SQL = """
UPDATE sync_syncissue AS i
SET last_seen_at = %(now)s, updated_at = %(now)s, occurrences = i.occurrences + 1,
    last_job_id = COALESCE(%(job_id)s, i.last_job_id), last_event_id = COALESCE(%(event_id)s, i.last_event_id)
FROM jsonb_to_recordset(%(rows)s::jsonb) AS v(external_id text, code text, message text, platform_url text,
                                              visible_id text)
WHERE i.connection_id = %(connection_id)s AND i.data_type = %(data_type)s AND i.state = ANY(%(states)s)
  AND i.external_id = v.external_id AND i.code = v.code AND i.message = v.message
  AND i.platform_url = COALESCE(NULLIF(v.platform_url, ''), i.platform_url)
  AND i.visible_id = COALESCE(NULLIF(v.visible_id, ''), i.visible_id)
RETURNING i.external_id, i.code
"""


def issues_seen_again_update(
    *,
    connection_id: int,
    data_type: str,
    issues: Sequence[tuple[str, str, str, str, str]],
    states: Sequence[str],
    now: datetime,
    job_id: int | None,
    event_id: int | None,
) -> set[tuple[str, str]]:
    """The refresh of issues that came back as they were, in one statement: per ``(external_id, code,
    message, platform_url, visible_id)`` (values already cut to their columns), where that record's issue
    of that code in one of ``states`` has that message and that platform URL and visible id (an empty
    one given matches any), count one more occurrence, seen ``now`` and, when given, by ``job_id`` and
    ``event_id``. Returns the ``(external_id, code)`` of the issues it refreshed."""
    document = _json_text(
        [
            {"external_id": external_id, "code": code, "message": message, "platform_url": url, "visible_id": visible}
            for external_id, code, message, url, visible in issues
        ]
    )
    params: dict[str, Any] = {
        "rows": document, "connection_id": connection_id, "data_type": data_type, "states": list(states),
        "now": now, "job_id": job_id, "event_id": event_id,
    }  # fmt: skip
    with db.cursor() as cursor:
        cursor.execute(_ISSUES_SEEN_AGAIN_SQL, params)
        return {(str(external_id), str(code)) for external_id, code in cursor.fetchall()}


_STATE_HASH_SQL = """
SELECT content_hash FROM sync_recordstate WHERE connection_id = %s AND data_type = %s AND NOT deleted
ORDER BY id LIMIT 1
"""


def issues_open_select(
    *, connection_id: int, data_type: str, external_ids: Sequence[str]
) -> list[tuple[int, str, str]]:
    """``(id, external_id, code)`` of the open issues of these records (any order)."""
    with db.cursor() as cursor:
        cursor.execute(_ISSUES_OPEN_SQL, [connection_id, data_type, list(external_ids), "open"])
        return [(int(pk), str(external_id), str(code)) for pk, external_id, code in cursor.fetchall()]


_ISSUES_OPEN_INSERT_SQL = """
WITH opened AS (
    INSERT INTO sync_syncissue (connection_id, data_type, external_id, visible_id, platform_url, code, message,
                                state, first_seen_at, last_seen_at, occurrences, last_job_id, last_event_id,
                                created_at, updated_at)
    SELECT %(connection_id)s, %(data_type)s, v.external_id, v.visible_id, v.platform_url, v.code, v.message,
           'open', %(now)s, %(now)s, 1, %(job_id)s, %(event_id)s, %(now)s, %(now)s
    FROM jsonb_to_recordset(%(rows)s::jsonb)
        AS v(external_id text, visible_id text, platform_url text, code text, message text)
    ON CONFLICT DO NOTHING
    RETURNING id, message
)
INSERT INTO sync_syncissuechange (issue_id, at, action, "by", note, job_id, event_id)
SELECT id, %(now)s, 'opened', '', left(message, 2000), %(job_id)s, %(event_id)s FROM opened
"""


def issues_open_insert(
    *,
    connection_id: int,
    data_type: str,
    issues: Sequence[tuple[str, str, str, str, str]],
    now: datetime,
    job_id: int | None,
    event_id: int | None,
) -> int:
    """Open an issue per ``(external_id, visible_id, platform_url, code, message)`` (values already cut
    to their columns) and record each one's "opened" change, in one statement; an issue that is live
    already (the one-live-issue constraint: a concurrent run opened it) is left alone. Returns how
    many were opened."""
    document = _json_text(
        [
            {"external_id": external_id, "visible_id": visible_id, "platform_url": platform_url, "code": code,
             "message": message}
            for external_id, visible_id, platform_url, code, message in issues
        ]
    )  # fmt: skip
    params: dict[str, Any] = {
        "connection_id": connection_id, "data_type": data_type, "now": now, "job_id": job_id,
        "event_id": event_id, "rows": document,
    }  # fmt: skip
    with db.cursor() as cursor:
        cursor.execute(_ISSUES_OPEN_INSERT_SQL, params)
        return int(cursor.rowcount)


def record_state_hash_select(*, connection_id: int, data_type: str) -> str | None:
    """The content hash of the first live record state of this data type (the merchant's one), or None."""
    with db.cursor() as cursor:
        cursor.execute(_STATE_HASH_SQL, [connection_id, data_type])
        row = cursor.fetchone()
    return None if row is None else str(row[0])


def record_states_confirm_unchanged(
    *, connection_id: int, data_type: str, records: Sequence[UnchangedRecord], job_id: int | None
) -> set[str]:
    """Where a record's row still has its three hashes, is not in doubt and not deleted: move
    ``read_version`` to its ``read_at`` if later, store its ``raw_hash`` and, with ``job_id``, mark it
    seen by that job. One statement; returns the external ids whose rows it changed."""
    table = db.ops.quote_name(RecordState._meta.db_table)
    seen = ", last_seen_job_id = %s" if job_id is not None else ""
    sql = (
        f"UPDATE {table} AS s SET read_version = GREATEST(s.read_version, v.read_at), "  # noqa: S608
        f"raw_hash = v.raw_hash{seen} "
        "FROM unnest(%s::text[], %s::timestamptz[], %s::text[], %s::text[], %s::text[], %s::text[]) "
        "AS v(external_id, read_at, content_hash, stock_hash, pricing_hash, raw_hash) "
        "WHERE s.connection_id = %s AND s.data_type = %s AND s.external_id = v.external_id "
        "AND s.content_hash = v.content_hash AND s.stock_hash = v.stock_hash "
        "AND s.pricing_hash = v.pricing_hash AND NOT s.in_doubt AND NOT s.deleted "
        "RETURNING s.external_id"
    )
    params: list[Any] = [job_id] if job_id is not None else []
    params += [
        [r.external_id for r in records],
        [r.read_at for r in records],
        [r.content_hash for r in records],
        [r.stock_hash for r in records],
        [r.pricing_hash for r in records],
        [r.raw_hash for r in records],
        connection_id,
        data_type,
    ]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return {str(row[0]) for row in cursor.fetchall()}


def record_states_confirm_raw_unchanged(
    *, connection_id: int, data_type: str, raw_hashes: Mapping[str, str], read_at: datetime | None, job_id: int | None
) -> dict[str, dict[str, str]]:
    """Where a record's row still has the raw hash given for it (external id → raw hash), holds
    content, is not in doubt and not deleted: move ``read_version`` to ``read_at`` if later and, with
    ``job_id``, mark it seen by that job. One statement; returns external id → the row's variants
    (id → SKU) of each row it changed."""
    table = db.ops.quote_name(RecordState._meta.db_table)
    seen = ", last_seen_job_id = %s" if job_id is not None else ""
    sql = (
        f"UPDATE {table} AS s SET read_version = GREATEST(s.read_version, %s::timestamptz){seen} "  # noqa: S608
        "FROM unnest(%s::text[], %s::text[]) AS v(external_id, raw_hash) "
        "WHERE s.connection_id = %s AND s.data_type = %s AND s.external_id = v.external_id "
        "AND s.raw_hash = v.raw_hash AND s.content_hash <> '' AND NOT s.in_doubt AND NOT s.deleted "
        "RETURNING s.external_id, s.variants"
    )
    params: list[Any] = [read_at] + ([job_id] if job_id is not None else [])
    params += [list(raw_hashes), list(raw_hashes.values()), connection_id, data_type]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return {str(row[0]): _variants(row[1]) for row in cursor.fetchall()}


def _variants(value: Any) -> dict[str, str]:
    if isinstance(value, str):  # a driver that hands JSON back as text
        value = json.loads(value)
    return {str(vid): str(sku) for vid, sku in (value or {}).items()}
