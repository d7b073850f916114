"""Raw-SQL fast paths of webhook event processing: the claim and the end of every event (PostgreSQL).

Every statement of this package that reads or writes rows with SQL text lives here, one function a
statement, each with a test that it leaves the rows the ORM path would
(``tests/sync/incremental/test_incremental_sql.py``). The rule and its layout test: ``docs/architecture.md``
("Raw SQL") and ``tests/test_layout.py``. Callers keep the ORM path for the embedded SQLite mode
(``sync/incremental/processing.py``).

**The claim** (``event_claim``): lock the event (``SKIP LOCKED``), lock and supersede its record's other
pending events, mark it processing and open its attempt, as data-modifying CTEs: one round trip where the
ORM path takes six with BEGIN/COMMIT, each CTE one step of it. **The end** (``event_finish``): the
attempt closed and the event ended, unless it is no longer processing (a sweep took it back), in one.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection as db

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
SELECT claimed.*, (SELECT id FROM attempt) AS claim_attempt_id, (SELECT count(*) FROM superseded) AS claim_superseded
FROM claimed
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
    params = {
        "id": event_id,
        "pending": [str(state) for state in PENDING_EVENT_STATES],
        "now": now,
        "superseded": str(EventState.SUPERSEDED),
        "processing": str(EventState.PROCESSING),
        "worker": worker[:255],
    }
    rows = list(WebhookEvent.objects.raw(_CLAIM_SQL, params))
    if not rows:
        return None
    event = rows[0]
    columns = vars(event)  # the statement's two extra columns, off the instance
    attempt_id, superseded = columns.pop("claim_attempt_id"), columns.pop("claim_superseded")
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
