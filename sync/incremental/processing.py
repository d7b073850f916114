"""Processing a stored webhook event: claim (coalescing its record's pending events), apply, record.

Retry policy (``settings.WEBHOOK_*``):

* ``TransientError`` (SparkLayer or the store down, 5xx, 429, a busy record): retry with capped
  exponential backoff and jitter, at least any ``Retry-After``. A wait up to
  ``WEBHOOK_RETRY_COUNTDOWN_MAX_SECONDS`` is a Celery countdown; a longer one is stored as
  ``next_attempt_at`` and sent by the sweeper, so the broker never holds it. After
  ``WEBHOOK_MAX_ATTEMPTS`` attempts, or once ``WEBHOOK_RETRY_BUDGET_SECONDS`` have passed since the
  first attempt, the event ends ``failed`` with the error and traceback (replayable).
* ``AuthenticationError`` (credentials refused): ``failed`` at once. Only the operator can fix it;
  after that, "reprocess all failed" replays the connection's events.
* Any other ``PermanentError`` (the store refuses to give the record, ...) is about the record: a
  ``SyncIssue`` is opened and the event ends ``succeeded`` with outcome ``issue``. SparkLayer's own
  refusals of one record (409 email owned by another customer) are turned into issues by the push
  path and end the same way. The issue, not the event, is what the operator acts on; the record's
  next change resolves it.
* Anything else is a bug: ``failed`` with the traceback, never retried blindly.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

from billiard.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from ignite_bridge.core import correlation, metrics
from ignite_bridge.core.backoff import backoff_delay, retry_delay_at_least
from ignite_bridge.core.errors import AuthenticationError, PermanentError, TransientError
from ignite_bridge.core.slots import Slot
from platforms.types import RecordIssue
from sync.engine.issues import issues_record
from sync.incremental import sql
from sync.incremental.apply import webhook_event_apply
from sync.intake.enqueue import webhook_event_send
from sync.intake.nudge import webhook_nudge_release
from sync.models import EventOutcome, EventState, WebhookEvent, WebhookEventAttempt
from sync.models.webhooks import PENDING_EVENT_STATES

logger = logging.getLogger(__name__)

ERROR_TEXT_LIMIT = 4000


@dataclass(frozen=True)
class ProcessResult:
    event_id: int
    state: str
    outcome: str = ""
    superseded: int = 0
    retry_in: float | None = None  # set when the caller (the task) must retry after a broker countdown


def webhook_event_claim(*, event_id: int, worker: str = "") -> tuple[WebhookEvent, WebhookEventAttempt, int] | None:
    """Claim the event and coalesce the other pending events of its record into it.

    One short transaction with ``SELECT ... FOR UPDATE SKIP LOCKED``: rows another worker holds
    are left to it (on PostgreSQL the same steps are one statement, ``sql.event_claim``). Returns None
    when the event is gone, already claimed or done, or waiting for a later ``next_attempt_at`` (a
    duplicate message). Returns ``(event, attempt, superseded)``."""
    now = timezone.now()
    if db.vendor == "postgresql":
        return sql.event_claim(event_id=event_id, worker=worker, now=now)
    with transaction.atomic():
        event = (
            # of=("self",): lock the event row only. Locking the joined connection row too would make
            # concurrent claims of the same connection skip each other's events and drop them.
            WebhookEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("connection")
            .filter(pk=event_id, state__in=PENDING_EVENT_STATES)
            .first()
        )
        if event is None or (event.next_attempt_at is not None and event.next_attempt_at > now):
            return None
        siblings = list(
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(
                connection_id=event.connection_id,
                data_type=event.data_type,
                record_id=event.record_id,
                state__in=PENDING_EVENT_STATES,
            )
            .exclude(pk=event.pk)
            .values_list("pk", flat=True)
        )
        if siblings:
            WebhookEvent.objects.filter(pk__in=siblings).update(
                state=EventState.SUPERSEDED, superseded_by=event, processed_at=now, next_attempt_at=None, updated_at=now
            )
        event.state = EventState.PROCESSING
        event.attempts += 1
        event.processing_started_at = now
        event.next_attempt_at = None
        event.save(update_fields=["state", "attempts", "processing_started_at", "next_attempt_at", "updated_at"])
        attempt = WebhookEventAttempt.objects.create(
            event=event, number=event.attempts, started_at=now, outcome="processing", worker=worker[:255]
        )
    return event, attempt, len(siblings)


def webhook_event_process(*, event_id: int, worker: str = "") -> ProcessResult | None:
    """Process one event (and, through coalescing, every pending event of the same record).

    Returns None when there was nothing to claim; otherwise what happened, including a
    ``retry_in`` the task must honour with a broker countdown."""
    claimed = webhook_event_claim(event_id=event_id, worker=worker)
    if claimed is None:
        return None
    event, attempt, superseded = claimed
    # the lines of this event name its own delivery, also inside a task that goes on with others
    with correlation.bound(correlation.from_headers(event.headers) or correlation.current()):
        return _process_claimed(event, attempt, superseded)


def _process_claimed(event: WebhookEvent, attempt: WebhookEventAttempt, superseded: int) -> ProcessResult:
    try:
        applied = webhook_event_apply(event=event)
    except (TransientError, SoftTimeLimitExceeded) as exc:
        return _retry_or_fail(event, attempt, exc, superseded)
    except AuthenticationError as exc:
        return _finish(event, attempt, EventState.FAILED, EventOutcome.ERROR, superseded, error=exc)
    except PermanentError as exc:
        _open_issue(event, exc)
        return _finish(event, attempt, EventState.SUCCEEDED, EventOutcome.ISSUE, superseded, error=exc)
    except Exception as exc:  # a bug: keep the evidence on the event, do not retry blindly
        logger.exception("webhook event crashed", extra={"event": event.pk})
        return _finish(event, attempt, EventState.FAILED, EventOutcome.ERROR, superseded, error=exc)
    state = EventState.IGNORED if applied.outcome == EventOutcome.IGNORED else EventState.SUCCEEDED
    return _finish(event, attempt, state, applied.outcome, superseded)


def webhook_event_process_fairly(
    *, event_id: int, worker: str = "", connection_id: int | None = None
) -> ProcessResult | None:
    """What a processing task does: take one of its connection's slots, process the event and go
    on with the connection's waiting events, then give the slot back.

    At most ``WEBHOOK_MAX_CONCURRENCY_PER_CONNECTION`` tasks work on one connection at once (a
    ``Slot`` shared by every worker). A task refused a slot returns at once: the connection's
    holders go on with its waiting events, oldest first, and the holder that releases next learns of
    the refusal (atomically with it) and looks once more, sending a task for any event still waiting.
    So a burst from one store holds at most that many worker slots, and the other stores' tasks find
    the rest free; while other stores have events waiting it holds one (``_connection_slot``).

    ``connection_id``: the event's connection when the sender knew it (the message carries it), which
    spares a query; the claim goes by the event alone, so a wrong one costs only fairness."""
    if connection_id is None:
        connection_id = WebhookEvent.objects.filter(pk=event_id).values_list("connection_id", flat=True).first()
    if connection_id is None:
        return None
    slot = _connection_slot(connection_id=connection_id)
    if not slot.acquire():
        metrics.webhook_handover(reason="refused")
        return None
    handover: int | None = None
    try:
        result = webhook_event_process(event_id=event_id, worker=worker)
        _processed, handover = _follow_on(connection_id=connection_id, worker=worker, processed=1)
    finally:
        refused = slot.release()
    # The hand-over goes out only now that the slot is free: sent before, an idle worker could take it
    # while this task still held the slot, be refused, and leave its mark to this very release, which
    # sent nothing more (it had handed over) - the connection's events stranded until the sweeper.
    if handover is not None:
        webhook_event_send(event_id=handover, connection_id=connection_id)
    elif refused:
        webhook_events_look_again(connection_id=connection_id)
    return result


def _connection_slot(*, connection_id: int) -> Slot:
    """The slot a processing task takes to work on a connection's events: one of
    ``WEBHOOK_MAX_CONCURRENCY_PER_CONNECTION`` while no other connection has events waiting, the
    only one while another has. A connection draining a backlog then gives its second worker, and
    the share of the cores that goes with it, to the other stores' events (a worker slot is not a
    share of the CPU: two slots of a burst took the cores the quiet stores needed); its holder goes
    on, handing over at every check, and takes a second slot again once nobody else waits. The
    extra look costs a Redis read, and a query only when a task already works on the connection."""
    limit = settings.WEBHOOK_MAX_CONCURRENCY_PER_CONNECTION
    slot = Slot(f"webhooks:{connection_id}", limit=limit)
    if limit > 1 and slot.holders() > 0 and _others_waiting(connection_id=connection_id):
        slot.limit = 1
    return slot


def webhook_events_look_again(*, connection_id: int) -> int | None:
    """After releasing a slot that someone was refused while it was held: send a task for the
    connection's oldest waiting event, if any (the refused task returned without working)."""
    waiting = _next_waiting_event(connection_id=connection_id, exclude=set())
    if waiting is not None:
        webhook_event_send(event_id=waiting, connection_id=connection_id)
    return waiting


def webhook_events_follow_on(*, after_event_id: int, worker: str = "", budget_seconds: float | None = None) -> int:
    """Process the waiting events of ``after_event_id``'s connection, oldest first; returns how many.

    What a processing task does after its own event, so that one message per connection and
    nudge window is enough (``sync.intake.nudge``). When none is left it opens the window again
    and looks once more (an event committed before that look is seen; one committed after it
    finds the window open and sends its own task). It hands the next waiting event on to a new task
    (at the back of the queue) instead of holding the worker after ``WEBHOOK_FOLLOW_ON_SECONDS``,
    and sooner when other connections have events waiting: it checks every
    ``WEBHOOK_HANDOVER_EVENTS`` events or ``WEBHOOK_HANDOVER_SECONDS``. Events another worker holds
    are left to it; retries go to the broker as countdowns, as the task's own would."""
    connection_id = WebhookEvent.objects.filter(pk=after_event_id).values_list("connection_id", flat=True).first()
    if connection_id is None:
        return 0
    processed, handover = _follow_on(connection_id=connection_id, worker=worker, budget_seconds=budget_seconds)
    if handover is not None:
        webhook_event_send(event_id=handover, connection_id=connection_id)
    return processed


def _follow_on(
    *, connection_id: int, worker: str, processed: int = 0, budget_seconds: float | None = None
) -> tuple[int, int | None]:
    """The loop of ``webhook_events_follow_on``; returns (events processed, the event to hand over).

    The hand-over is the caller's to send, after it gave back its slot (``webhook_event_process_fairly``)."""
    budget = settings.WEBHOOK_FOLLOW_ON_SECONDS if budget_seconds is None else budget_seconds
    started = time.monotonic()
    deadline = started + budget
    checked_at, since_check = started, processed
    skipped: set[int] = set()
    done = 0
    released = False
    while True:
        next_id = _next_waiting_event(connection_id=connection_id, exclude=skipped)
        if next_id is None:
            if released:
                return done, None
            webhook_nudge_release(connection_id=connection_id)
            released = True
            continue
        now = time.monotonic()
        if now >= deadline:
            metrics.webhook_handover(reason="deadline")
            return done, next_id
        if since_check >= settings.WEBHOOK_HANDOVER_EVENTS or now - checked_at >= settings.WEBHOOK_HANDOVER_SECONDS:
            checked_at, since_check = now, 0
            if _others_waiting(connection_id=connection_id):
                metrics.webhook_handover(reason="fair_share")
                return done, next_id
        result = webhook_event_process(event_id=next_id, worker=worker)
        if result is None:  # claimed by another worker meanwhile, or not due
            skipped.add(next_id)
            continue
        done += 1
        since_check += 1
        if result.retry_in is not None:
            webhook_event_send(event_id=result.event_id, countdown=result.retry_in, connection_id=connection_id)


def _others_waiting(*, connection_id: int) -> bool:
    """Whether another connection has an event ready to be worked on (its task is somewhere in the queue)."""
    if db.vendor == "postgresql":
        return sql.others_waiting(connection_id=connection_id, now=timezone.now())
    return (
        WebhookEvent.objects.filter(
            state__in=PENDING_EVENT_STATES, next_attempt_at__isnull=True, queued_at__lte=timezone.now()
        )
        .exclude(connection_id=connection_id)
        .exists()
    )


def _next_waiting_event(*, connection_id: int, exclude: set[int]) -> int | None:
    """The connection's oldest event that is queued, sent (or suppressed) already and not waiting
    for a retry: not a broker countdown (``queued_at`` in the future), not a long wait."""
    if db.vendor == "postgresql":
        return sql.next_waiting_event(connection_id=connection_id, exclude=exclude, now=timezone.now())
    waiting = WebhookEvent.objects.filter(
        connection_id=connection_id,
        state=EventState.QUEUED,
        next_attempt_at__isnull=True,
        queued_at__lte=timezone.now(),
    )
    if exclude:
        waiting = waiting.exclude(pk__in=exclude)
    return waiting.order_by("pk").values_list("pk", flat=True).first()


def event_retry_delay(*, attempt: int, retry_after: float | None = None) -> float:
    """The shared back-off (equal jitter, attempts counted from 1), never below Retry-After."""
    delay = backoff_delay(
        attempt=attempt, base=settings.WEBHOOK_RETRY_BASE_SECONDS, cap=settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS
    )
    return retry_delay_at_least(delay, retry_after)


def _window_start(event: WebhookEvent, default: datetime) -> datetime:
    """When the current run of attempts began (a replay starts a new run at attempt 1)."""
    first = WebhookEventAttempt.objects.filter(event=event, number=1).order_by("-started_at").first()
    return first.started_at if first else default


def _retry_or_fail(
    event: WebhookEvent, attempt: WebhookEventAttempt, exc: BaseException, superseded: int
) -> ProcessResult:
    now = timezone.now()
    retry_after = getattr(exc, "retry_after", None)
    delay = event_retry_delay(attempt=event.attempts, retry_after=retry_after)
    budget_end = _window_start(event, now) + timedelta(seconds=settings.WEBHOOK_RETRY_BUDGET_SECONDS)
    if event.attempts >= settings.WEBHOOK_MAX_ATTEMPTS or now + timedelta(seconds=delay) > budget_end:
        logger.warning("webhook event failed: retries exhausted", extra={"event": event.pk, "attempts": event.attempts})
        return _finish(event, attempt, EventState.FAILED, EventOutcome.ERROR, superseded, error=exc)
    held_by_broker = delay <= settings.WEBHOOK_RETRY_COUNTDOWN_MAX_SECONDS
    due = now + timedelta(seconds=delay)
    with transaction.atomic():
        _close_attempt(attempt, "retry", error=exc, now=now)
        WebhookEvent.objects.filter(pk=event.pk, state=EventState.PROCESSING).update(
            state=EventState.QUEUED,
            # a broker countdown: the sweeper treats it as stale only after it should have run;
            # a long wait: no message at all, the sweeper sends it at next_attempt_at
            queued_at=due if held_by_broker else None,
            next_attempt_at=None if held_by_broker else due,
            last_error=_error_text(exc),
            updated_at=now,
        )
    _count(event, state=EventState.QUEUED, outcome="retry", now=now)
    logger.info(
        "webhook event retry",
        extra={"event": event.pk, "attempt": event.attempts, "delay": round(delay, 2), "broker": held_by_broker},
    )
    return ProcessResult(
        event_id=event.pk,
        state=EventState.QUEUED,
        outcome=EventOutcome.ERROR,
        superseded=superseded,
        retry_in=delay if held_by_broker else None,
    )


def _finish(
    event: WebhookEvent,
    attempt: WebhookEventAttempt,
    state: EventState,
    outcome: str,
    superseded: int,
    *,
    error: BaseException | None = None,
) -> ProcessResult:
    now = timezone.now()
    last_error = _error_text(error) if error else ""
    last_traceback = _traceback_text(error) if error and state == EventState.FAILED else ""
    attempt_outcome = outcome if state != EventState.FAILED else "failed"
    if db.vendor == "postgresql":  # both updates in one statement: one round trip, no BEGIN/COMMIT
        _attempt_closed(attempt, attempt_outcome, error=error, now=now)
        sql.event_finish(
            event=event,
            attempt=attempt,
            state=state,
            outcome=outcome,
            last_error=last_error,
            traceback=last_traceback,
            now=now,
        )
    else:
        with transaction.atomic():
            _close_attempt(attempt, attempt_outcome, error=error, now=now)
            WebhookEvent.objects.filter(pk=event.pk, state=EventState.PROCESSING).update(
                state=state,
                outcome=outcome,
                processed_at=now,
                next_attempt_at=None,
                last_error=last_error,
                traceback=last_traceback,
                updated_at=now,
            )
    _count(event, state=state, outcome=outcome, now=now)
    return ProcessResult(event_id=event.pk, state=state, outcome=outcome, superseded=superseded)


def _count(event: WebhookEvent, *, state: str, outcome: str, now: datetime) -> None:
    """Outcome counters and, for an event that ended, its lag from receipt."""
    ended = state not in PENDING_EVENT_STATES
    metrics.webhook_event_finished(
        platform=event.platform,
        data_type=event.data_type,
        state=str(state),
        outcome=str(outcome),
        lag_seconds=(now - event.received_at).total_seconds() if ended else None,
    )


def _close_attempt(attempt: WebhookEventAttempt, outcome: str, *, error: BaseException | None, now: datetime) -> None:
    _attempt_closed(attempt, outcome, error=error, now=now)
    attempt.save(update_fields=["finished_at", "outcome", "error", "traceback"])


def _attempt_closed(attempt: WebhookEventAttempt, outcome: str, *, error: BaseException | None, now: datetime) -> None:
    attempt.finished_at = now
    attempt.outcome = outcome[:16]
    attempt.error = _error_text(error) if error else ""
    attempt.traceback = _traceback_text(error) if error else ""


def _open_issue(event: WebhookEvent, exc: PermanentError) -> None:
    issue = RecordIssue(
        external_id=event.record_id,
        code="platform_refused" if exc.status else "permanent_error",
        message=f"The {event.data_type} record {event.record_id} could not be synced: {exc.message}"[:2000],
    )
    issues_record(connection=event.connection, data_type=event.data_type, issues=[issue], event=event)


def _error_text(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    return f"{type(exc).__name__}: {exc}"[:ERROR_TEXT_LIMIT]


def _traceback_text(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    return "".join(traceback.format_exception(exc))[-ERROR_TEXT_LIMIT * 4 :]
