"""Raw-SQL fast paths of webhook event processing: the claim and the end of every event (PostgreSQL).

Every statement of this package that reads or writes rows with SQL text lives here, one function a
statement, each with a test that it leaves the rows the ORM path would
(``tests/sync/incremental/test_incremental_sql.py``). The rule and its layout test: ``docs/architecture.md``
("Raw SQL") and ``tests/test_layout.py``. Callers keep the ORM path for the embedded SQLite mode
(``sync/incremental/processing.py``).

**The claim** (``event_claim``): lock the event (``SKIP LOCKED``), lock and supersede its record's other
pending events, mark it processing and open its attempt, as data-modifying CTEs, and read its connection:
one round trip where the ORM path takes seven with BEGIN/COMMIT, each CTE one step of it. **The end**
(``event_finish``): the attempt closed and the event ended, unless it is no longer processing (a sweep
took it back), in one. **The looks** a processing task makes after every event (``next_waiting_event``,
``others_waiting``): fixed statements over the pending events' partial index, where the ORM built the
same query again each time (a tenth of a worker's CPU).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection as db
from django.db import connections
from django.db.models import Model
from django.db.models.sql import Query

from connections.models import Connection
from sync.models import EventState, WebhookEvent, WebhookEventAttempt
from sync.models.webhooks import PENDING_EVENT_STATES

_CLAIM_SQL = """
WITH ev AS (
    SELECT id, connection_id, data_type, record_id FROM sync_webhookevent
    WHERE id = %(id)s AND state = ANY(%(pending)s) AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
    FOR UPDATE SKIP LOCKED
), siblings AS (
    SELECT s.id FROM sync_webhookevent s JOIN ev ON s.connection_id = ev.connection_id AND s.data_type = ev.data_type
        AND s.record_id = ev.record_id AND s.id <> ev.id
    WHERE s.state = ANY(%(pending)s)
    FOR UPDATE OF s SKIP LOCKED
), superseded AS (
    UPDATE sync_webhookevent s SET state = %(superseded)s, superseded_by_id = ev.id, processed_at = %(now)s,
        next_attempt_at = NULL, updated_at = %(now)s
    FROM siblings, ev WHERE s.id = siblings.id
    RETURNING s.id
), claimed AS (
    UPDATE sync_webhookevent e SET state = %(processing)s, attempts = e.attempts + 1, processing_started_at = %(now)s,
        next_attempt_at = NULL, updated_at = %(now)s
    FROM ev WHERE e.id = ev.id
    RETURNING e.*
), attempt AS (
    INSERT INTO sync_webhookeventattempt (event_id, number, started_at, finished_at, outcome, error, traceback, worker)
    SELECT id, attempts, %(now)s, NULL, %(processing)s, '', '', %(worker)s FROM claimed
    RETURNING id
)
SELECT {event_columns}, (SELECT id FROM attempt), (SELECT count(*) FROM superseded), {connection_columns}
FROM claimed JOIN connections_connection c ON c.id = claimed.connection_id
"""

# The two looks walk the pending events' partial index (``webhook_event_pending``: connection, id) and stop at
# the first row. Written so no other plan can answer them in that order: ``ORDER BY connection_id, id`` with
# a range on connection_id (an equality would let the planner drop connection_id from the order and walk the
# primary key instead, past every finished event, whenever a burst makes pending rows look common), and
# "another connection" as the first row below plus the first row above (``<>`` would scan the burst's rows).
_NEXT_WAITING_SQL = """
SELECT id FROM sync_webhookevent
WHERE connection_id >= %(connection)s AND connection_id <= %(connection)s AND state = ANY(%(pending)s)
    AND next_attempt_at IS NULL AND queued_at <= %(now)s AND state = %(queued)s AND id <> ALL(%(exclude)s)
ORDER BY connection_id, id LIMIT 1
"""

_OTHERS_WAITING_SQL = """
(SELECT 1 FROM sync_webhookevent
    WHERE connection_id < %(connection)s AND state = ANY(%(pending)s) AND next_attempt_at IS NULL
        AND queued_at <= %(now)s
    ORDER BY connection_id, id LIMIT 1)
UNION ALL
(SELECT 1 FROM sync_webhookevent
    WHERE connection_id > %(connection)s AND state = ANY(%(pending)s) AND next_attempt_at IS NULL
        AND queued_at <= %(now)s
    ORDER BY connection_id, id LIMIT 1)
LIMIT 1
"""


_FINISH_SQL = """
WITH attempt AS (
    UPDATE sync_webhookeventattempt SET finished_at = %(now)s, outcome = %(attempt_outcome)s, error = %(error)s,
        traceback = %(attempt_traceback)s
    WHERE id = %(attempt)s
)
UPDATE sync_webhookevent SET state = %(state)s, outcome = %(outcome)s, processed_at = %(now)s, next_attempt_at = NULL,
    last_error = %(last_error)s, traceback = %(traceback)s, updated_at = %(now)s
WHERE id = %(event)s AND state = %(processing)s
"""


def event_claim(*, event_id: int, worker: str, now: datetime) -> tuple[WebhookEvent, WebhookEventAttempt, int] | None:
    """``(event, its new attempt, events superseded)``, or None when there is nothing to claim."""
    params: dict[str, Any] = {
        "id": event_id,
        "pending": [str(state) for state in PENDING_EVENT_STATES],
        "now": now,
        "superseded": str(EventState.SUPERSEDED),
        "processing": str(EventState.PROCESSING),
        "worker": worker[:255],
    }
    with db.cursor() as cursor:
        cursor.execute(_claim_sql(), params)
        row = cursor.fetchone()
    if row is None:
        return None
    width = len(_fields(WebhookEvent))
    event = _instance(WebhookEvent, row[:width])
    attempt_id, superseded = row[width], row[width + 1]
    event.connection = _instance(Connection, row[width + 2 :])
    attempt = WebhookEventAttempt(
        id=attempt_id, event=event, number=event.attempts, started_at=now, outcome="processing", worker=worker[:255]
    )
    attempt._state.adding = False
    return event, attempt, int(superseded)


def event_finish(
    *,
    event: WebhookEvent,
    attempt: WebhookEventAttempt,
    state: str,
    outcome: str,
    last_error: str,
    traceback: str,
    now: datetime,
) -> None:
    """Store ``attempt`` as closed (its fields set by the caller) and end ``event`` if still processing."""
    with db.cursor() as cursor:
        cursor.execute(
            _FINISH_SQL,
            {
                "attempt": attempt.pk,
                "attempt_outcome": attempt.outcome,
                "error": attempt.error,
                "attempt_traceback": attempt.traceback,
                "event": event.pk,
                "state": str(state),
                "outcome": str(outcome),
                "last_error": last_error,
                "traceback": traceback,
                "processing": str(EventState.PROCESSING),
                "now": now,
            },
        )


def next_waiting_event(*, connection_id: int, exclude: set[int], now: datetime) -> int | None:
    """The connection's oldest queued event that is due and not in ``exclude``, or None."""
    with db.cursor() as cursor:
        cursor.execute(_NEXT_WAITING_SQL, {**_pending(connection_id, now), "exclude": sorted(exclude)})
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def others_waiting(*, connection_id: int, now: datetime) -> bool:
    """Whether a connection other than ``connection_id`` has a pending event that is due and sent."""
    with db.cursor() as cursor:
        cursor.execute(_OTHERS_WAITING_SQL, _pending(connection_id, now))
        return cursor.fetchone() is not None


def _pending(connection_id: int, now: datetime) -> dict[str, Any]:
    return {
        "connection": connection_id,
        "pending": [str(state) for state in PENDING_EVENT_STATES],
        "queued": str(EventState.QUEUED),
        "now": now,
    }


@cache
def _fields(model: type[Model]) -> list[Any]:
    return list(model._meta.concrete_fields)


@cache
def _claim_sql() -> str:
    quote = db.ops.quote_name
    return _CLAIM_SQL.format(
        event_columns=", ".join(f"claimed.{quote(f.column)}" for f in _fields(WebhookEvent)),
        connection_columns=", ".join(f"c.{quote(f.column)}" for f in _fields(Connection)),
    )


@cache
def _converters(model: type[Model]) -> list[tuple[int, list[Any], Any]]:
    """(position, converters, column) of the model's columns that have any, as the ORM's compiler finds
    them: the fields' own ``from_db_value`` (PostgreSQL adds none), which take the database connection
    when called, so one list serves every thread's."""
    compiler = Query(model).get_compiler(connection=db)
    found = compiler.get_converters([field.get_col(model._meta.db_table) for field in _fields(model)])
    return [(position, converters, column) for position, (converters, column) in found.items()]


def _instance(model: type[Model], values: tuple[Any, ...]) -> Any:
    """A model instance from its concrete columns' values, converted as a query of the ORM would
    (``from_db_value`` of every field: the connection's encrypted credentials, JSON, ...)."""
    row, wrapper = list(values), connections[db.alias]
    for position, converters, column in _converters(model):
        for converter in converters:
            row[position] = converter(row[position], column, wrapper)
    return model.from_db(db.alias, [field.attname for field in _fields(model)], row)
