"""``sync/incremental/sql.py``: the claim and the end of an event leave the rows the ORM path leaves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from django.db import connection as db
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.incremental import processing, sql
from sync.models import EventOutcome, EventState, WebhookEvent, WebhookEventAttempt
from tests.factories import ConnectionFactory, WebhookEventFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(db.vendor != "postgresql", reason="the fast paths are PostgreSQL's"),
]

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WAITS = {"none": None, "due": NOW - timedelta(hours=1), "later": NOW + timedelta(hours=1)}
STATES = [EventState.RECEIVED, EventState.QUEUED, EventState.PROCESSING, EventState.SUCCEEDED]

#: events of one connection: (same record as the first, state, retry wait, attempts so far)
events = st.lists(
    st.tuples(st.booleans(), st.sampled_from(STATES), st.sampled_from(list(WAITS)), st.integers(0, 3)),
    min_size=1,
    max_size=5,
)


def make_events(spec: list[tuple[bool, str, str, int]]) -> list[WebhookEvent]:
    connection = ConnectionFactory()
    return [
        WebhookEventFactory(
            connection=connection,
            record_id="7" if same or index == 0 else f"other-{index}",
            state=state,
            next_attempt_at=WAITS[wait],
            attempts=attempts,
        )
        for index, (same, state, wait, attempts) in enumerate(spec)
    ]


def snapshot(made: list[WebhookEvent]) -> dict[str, Any]:
    """The events' and attempts' columns, ids replaced by positions (the two runs get different ids)."""
    position = {event.pk: index for index, event in enumerate(made)}
    rows = WebhookEvent.objects.filter(pk__in=position).order_by("pk")
    attempts = WebhookEventAttempt.objects.filter(event_id__in=position).order_by("event_id", "number")
    return {
        "events": [
            (
                e.state,
                e.attempts,
                position.get(e.superseded_by_id),
                e.processed_at,
                e.next_attempt_at,
                e.processing_started_at,
                e.outcome,
                e.last_error,
            )
            for e in rows
        ],
        "attempts": [
            (position[a.event_id], a.number, a.started_at, a.finished_at, a.outcome, a.error, a.worker)
            for a in attempts
        ],
    }


@contextmanager
def on_path(vendor: str, rolled_back: Any) -> Iterator[None]:
    """Inside a rolled-back example, processing takes the ``vendor``'s path (PostgreSQL's statements or the
    ORM's) and the clock stands at ``NOW``."""
    with (
        rolled_back(),
        mock.patch.object(processing, "db", SimpleNamespace(vendor=vendor)),
        mock.patch("django.utils.timezone.now", return_value=NOW),
    ):
        yield


def both_ways(
    spec: list[tuple[bool, str, str, int]], then: Callable[[list[WebhookEvent], Any], Any], rolled_back: Any
) -> list[tuple[Any, dict[str, Any]]]:
    """``then(events, claimed)`` after a claim of the first event, on the fast path and on the ORM path."""
    results = []
    for vendor in ("postgresql", "sqlite"):
        with on_path(vendor, rolled_back):
            made = make_events(spec)
            claimed = processing.webhook_event_claim(event_id=made[0].pk, worker="w-1")
            summary = None if claimed is None else (claimed[0].pk == made[0].pk, claimed[0].attempts, claimed[2])
            then(made, claimed)
            results.append((summary, snapshot(made)))
    return results


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=events)
def test_the_claim_leaves_what_the_orm_claim_leaves(
    spec: list[tuple[bool, str, str, int]], example_rolled_back: Any
) -> None:
    fast, orm = both_ways(spec, lambda made, claimed: None, example_rolled_back)
    assert fast == orm


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=events, failed=st.booleans(), taken_back=st.booleans())
def test_the_end_leaves_what_the_orm_end_leaves(
    spec: list[tuple[bool, str, str, int]], failed: bool, taken_back: bool, example_rolled_back: Any
) -> None:
    def finish(made: list[WebhookEvent], claimed: Any) -> None:
        if claimed is None:
            return
        event, attempt, superseded = claimed
        if taken_back:  # a sweep queued it again meanwhile: the event is left as the sweep left it
            WebhookEvent.objects.filter(pk=event.pk).update(state=EventState.QUEUED)
        state, error = (EventState.FAILED, RuntimeError("boom")) if failed else (EventState.SUCCEEDED, None)
        processing._finish(event, attempt, state, EventOutcome.PUSHED, superseded, error=error)

    fast, orm = both_ways(spec, finish, example_rolled_back)
    assert fast == orm


def test_the_claim_returns_the_event_its_attempt_and_the_superseded_count() -> None:
    made = make_events([(True, EventState.QUEUED, "none", 0), (True, EventState.RECEIVED, "due", 1)])
    claimed = sql.event_claim(event_id=made[0].pk, worker="w-2", now=NOW)
    assert claimed is not None
    event, attempt, superseded = claimed
    assert (event.pk, event.state, event.attempts, superseded) == (made[0].pk, EventState.PROCESSING, 1, 1)
    assert WebhookEventAttempt.objects.get(pk=attempt.pk).worker == "w-2"
    assert sql.event_claim(event_id=made[0].pk, worker="w-2", now=NOW) is None  # processing: nothing to claim


def test_the_claim_reads_the_events_connection_as_the_orm_reads_it() -> None:
    """The connection comes back with the claim, every field as the ORM converts it: encrypted secrets
    decrypted, JSON decoded, times aware."""
    made = make_events([(True, EventState.QUEUED, "none", 0)])
    claimed = sql.event_claim(event_id=made[0].pk, worker="w-3", now=NOW)
    assert claimed is not None
    connection = claimed[0].connection
    stored = type(connection).objects.get(pk=made[0].connection_id)
    fields = type(connection)._meta.concrete_fields
    assert [getattr(connection, f.attname) for f in fields] == [getattr(stored, f.attname) for f in fields]
    assert connection.platform_credentials == {"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"}
    assert not connection._state.adding


QUEUED_AT = {"none": None, "past": NOW - timedelta(seconds=5), "later": NOW + timedelta(seconds=30)}

#: pending and finished events over three connections: (connection, state, queued_at, retry wait)
waiting = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from([EventState.RECEIVED, EventState.QUEUED, EventState.QUEUED, EventState.SUCCEEDED]),
        st.sampled_from(["past", "past", "none", "later"]),
        st.sampled_from(["none", "none", "none", "due", "later"]),
    ),
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=waiting, excluded=st.sets(st.integers(0, 7), max_size=3), asking=st.integers(0, 2))
def test_the_looks_for_waiting_events_answer_as_the_orm_looks_do(
    spec: list[tuple[int, str, str, str]], excluded: set[int], asking: int, example_rolled_back: Any
) -> None:
    """What a processing task asks after each event: its connection's next waiting event (skipping
    those it was refused) and whether another connection has one."""
    answers = []
    for vendor in ("postgresql", "sqlite"):
        with on_path(vendor, example_rolled_back):
            connections = [ConnectionFactory() for _ in range(3)]
            made = [
                WebhookEventFactory(
                    connection=connections[owner], state=state, queued_at=QUEUED_AT[queued], next_attempt_at=WAITS[wait]
                )
                for owner, state, queued, wait in spec
            ]
            position = {event.pk: index for index, event in enumerate(made)}
            exclude = {made[index].pk for index in excluded if index < len(made)}
            asked = connections[asking].pk
            next_id = processing._next_waiting_event(connection_id=asked, exclude=exclude)
            answers.append((position.get(next_id), processing._others_waiting(connection_id=asked)))
    assert answers[0] == answers[1]
