"""Raw-SQL fast paths of the scheduled checks: the reads retention walks its tables with.

Every statement of this package that reads or writes rows with SQL text lives here, one function a
statement, each with a test that it selects what the ORM filter it stands for selects
(``tests/sync/scheduled/test_scheduled_sql.py``). The rule and its layout test: ``docs/architecture.md``
("Raw SQL") and ``tests/test_layout.py``.

Retention (``sync/scheduled/retention.py``) reads its candidates a keyset page at a time, each row
with whether it may go, so a page whose rows all stay still moves the walk on; the ORM would need an
annotation per condition and a subquery it builds on every page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection as db_connection

from sync.models import EventState, IssueState, PushLog, SyncIssue, SyncJob, WebhookEvent
from sync.models.jobs import FINAL_JOB_STATES

#: the event states retention may prune: nothing is left to do for the event
FINAL_EVENT_STATES = (EventState.SUCCEEDED, EventState.FAILED, EventState.SUPERSEDED, EventState.IGNORED)
#: a record with an issue in one of these keeps its events and push logs (its timeline)
LIVE_ISSUE_STATES = (IssueState.OPEN, IssueState.MUTED)

#: (``received_at`` or ``at``, id) of the last row of the previous page; None for the first page
After = tuple[datetime, int] | None
#: (id, ``received_at`` or ``at``, whether the row may be pruned)
PageRow = tuple[int, datetime, bool]


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with db_connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _no_live_issue(table_alias: str, record_column: str) -> str:
    """SQL: the row's record has no open or muted issue (uses the partial unique index of live issues)."""
    issues = db_connection.ops.quote_name(SyncIssue._meta.db_table)
    live = ", ".join(f"'{state.value}'" for state in LIVE_ISSUE_STATES)
    return (
        f"NOT EXISTS (SELECT 1 FROM {issues} i WHERE i.connection_id = {table_alias}.connection_id "  # noqa: S608
        f"AND i.data_type = {table_alias}.data_type AND i.external_id = {table_alias}.{record_column} "
        f"AND i.state IN ({live}))"
    )


def _webhook_events_page(ok: str, *, received_before: datetime, after: After, limit: int) -> list[PageRow]:
    """Up to ``limit`` events received before ``received_before`` and after ``after``, in
    (``received_at``, id) order, each with whether it is final and the SQL condition ``ok`` (on alias
    ``e``) holds."""
    table = db_connection.ops.quote_name(WebhookEvent._meta.db_table)
    final = [str(s.value) for s in FINAL_EVENT_STATES]
    marks = ", ".join(["%s"] * len(final))
    keyset = "AND (e.received_at, e.id) > (%s, %s)" if after else ""
    rows = _rows(
        f"SELECT e.id, e.received_at, e.state IN ({marks}) AND {ok} FROM {table} e "  # noqa: S608
        f"WHERE e.received_at < %s {keyset} ORDER BY e.received_at, e.id LIMIT %s",
        [*final, received_before, *(after or ()), limit],
    )
    return [(int(pk), received_at, bool(ok_)) for pk, received_at, ok_ in rows]


def webhook_event_bodies_page(*, received_before: datetime, after: After, limit: int) -> list[PageRow]:
    """A keyset page of old events, each with whether its body may be emptied: the event is final
    and its body is not empty already."""
    return _webhook_events_page("octet_length(e.body) > 0", received_before=received_before, after=after, limit=limit)


def webhook_events_deletable_page(*, received_before: datetime, after: After, limit: int) -> list[PageRow]:
    """A keyset page of old events, each with whether it may be deleted: the event is final and its
    record has no live issue."""
    return _webhook_events_page(
        _no_live_issue("e", "record_id"), received_before=received_before, after=after, limit=limit
    )


def push_logs_deletable_page(*, at_before: datetime, after: After, limit: int) -> list[PageRow]:
    """Up to ``limit`` push logs written before ``at_before`` and after ``after``, in (``at``, id)
    order, each with whether it may be deleted: its record has no live issue."""
    table = db_connection.ops.quote_name(PushLog._meta.db_table)
    keyset = "AND (p.at, p.id) > (%s, %s)" if after else ""
    rows = _rows(
        f"SELECT p.id, p.at, {_no_live_issue('p', 'external_id')} FROM {table} p "  # noqa: S608
        f"WHERE p.at < %s {keyset} ORDER BY p.at, p.id LIMIT %s",
        [at_before, *(after or ()), limit],
    )
    return [(int(pk), at, bool(ok)) for pk, at, ok in rows]


def sync_jobs_beyond_kept(*, kept: int) -> list[int]:
    """Ids of the finished jobs beyond the newest ``kept`` (by ``created_at``, then id) of their
    connection, data type and kind, in id order. One statement lists them all: a few hundred bytes per
    connection and type, far below the events."""
    table = db_connection.ops.quote_name(SyncJob._meta.db_table)
    final = [str(s.value) for s in FINAL_JOB_STATES]
    marks = ", ".join(["%s"] * len(final))
    rows = _rows(
        f"SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY connection_id, data_type, kind "  # noqa: S608
        f"ORDER BY created_at DESC, id DESC) AS position FROM {table} WHERE state IN ({marks})) ranked "
        "WHERE position > %s ORDER BY id",
        [*final, kept],
    )
    return [int(row[0]) for row in rows]
