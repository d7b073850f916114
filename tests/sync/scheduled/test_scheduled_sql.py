"""``sync/scheduled/sql.py``: each retention read selects what the ORM filter it stands for selects, and
retention as a whole removes exactly the rows those filters select."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models import Exists, F, OuterRef, QuerySet
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from sync.models import EventState, IssueState, JobKind, JobState, PushLog, SyncIssue, SyncJob, WebhookEvent
from sync.models.jobs import FINAL_JOB_STATES
from sync.scheduled.retention import retention_cutoffs, retention_prune
from sync.scheduled.sql import (
    FINAL_EVENT_STATES,
    LIVE_ISSUE_STATES,
    PageRow,
    push_logs_deletable_page,
    sync_jobs_beyond_kept,
    webhook_event_bodies_page,
    webhook_events_deletable_page,
)
from tests.factories import ConnectionFactory, PushLogFactory, SyncIssueFactory, SyncJobFactory, WebhookEventFactory

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RECORDS = ["r0", "r1", "r2"]
EXAMPLES = hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# (connection, record, state, minute received: few values, so keyset ties are broken by id, body empty?)
events = st.lists(
    st.tuples(
        st.integers(0, 1), st.sampled_from(RECORDS), st.sampled_from(list(EventState)), st.integers(0, 4), st.booleans()
    ),
    max_size=12,
)
# (connection, record, issue state): a record may have several issues, each with its own code
issues = st.lists(st.tuples(st.integers(0, 1), st.sampled_from(RECORDS), st.sampled_from(list(IssueState))), max_size=4)
# (connection, record, minute written)
push_logs = st.lists(st.tuples(st.integers(0, 1), st.sampled_from(RECORDS), st.integers(0, 4)), max_size=10)
# (connection, data type, kind, state, minute created)
jobs = st.lists(
    st.tuples(
        st.integers(0, 1),
        st.sampled_from(["products", "customers"]),
        st.sampled_from([JobKind.FULL, JobKind.INCREMENTAL]),
        st.sampled_from(list(JobState)),
        st.integers(0, 3),
    ),
    max_size=12,
)


def minutes(when: int) -> datetime:
    return BASE + timedelta(minutes=when)


def make_rows(data: dict[str, list[tuple[Any, ...]]], *, time: Callable[[int], datetime] = minutes) -> None:
    """Two connections and the drawn events, issues, push logs and jobs; a drawn time ``when`` is ``time(when)``."""
    connections = [ConnectionFactory(), ConnectionFactory()]
    for number, (index, record, state, when, empty) in enumerate(data.get("events", [])):
        WebhookEventFactory(
            connection=connections[index], data_type="products", record_id=record, state=state,
            received_at=time(when), body=b"" if empty else b"{}", dedupe_key=f"delivery-{number}",
        )  # fmt: skip
    for number, (index, record, state) in enumerate(data.get("issues", [])):
        SyncIssueFactory(
            connection=connections[index], data_type="products", external_id=record, state=state, code=f"c{number}"
        )
    for index, record, when in data.get("push_logs", []):
        log = PushLogFactory(connection=connections[index], data_type="products", external_id=record)
        PushLog.objects.filter(pk=log.pk).update(at=time(when))  # auto_now_add
    for index, data_type, kind, state, when in data.get("jobs", []):
        active_full = kind == JobKind.FULL and state in (JobState.QUEUED, JobState.RUNNING)
        job = SyncJobFactory(  # one queued or running full sync per connection and type: the others incremental
            connection=connections[index], data_type=data_type, state=state,
            kind=JobKind.INCREMENTAL if active_full else kind,
        )  # fmt: skip
        SyncJob.objects.filter(pk=job.pk).update(created_at=time(when))  # auto_now_add


def walk(page: Callable[..., list[PageRow]], limit: int, **before: datetime) -> list[PageRow]:
    """Every row of a keyset walk, page after page, as retention takes it."""
    rows: list[PageRow] = []
    after = None
    while found := page(after=after, limit=limit, **before):
        assert len(found) <= limit
        rows += found
        after = (found[-1][1], found[-1][0])
    return rows


def as_page(candidates: QuerySet[Any], time_field: str, may_go: QuerySet[Any]) -> list[PageRow]:
    """What the ORM says a walk yields: ``candidates`` in (time, id) order, each with whether it is in ``may_go``."""
    going = set(may_go.values_list("pk", flat=True))
    ordered = candidates.order_by(time_field, "pk").values_list("pk", time_field)
    return [(pk, at, pk in going) for pk, at in ordered]


def live_issue(record_field: str) -> Exists:
    return Exists(
        SyncIssue.objects.filter(
            connection_id=OuterRef("connection_id"), data_type=OuterRef("data_type"),
            external_id=OuterRef(record_field), state__in=LIVE_ISSUE_STATES,
        )
    )  # fmt: skip


@EXAMPLES
@given(events=events, issues=issues, before=st.integers(0, 5), limit=st.integers(1, 4))
def test_the_event_pages_select_what_the_orm_filters_select(
    events: list[Any], issues: list[Any], before: int, limit: int, example_rolled_back: Any
) -> None:
    with example_rolled_back():
        make_rows({"events": events, "issues": issues})
        cutoff = BASE + timedelta(minutes=before)
        old = WebhookEvent.objects.filter(received_at__lt=cutoff)
        final = old.filter(state__in=FINAL_EVENT_STATES)

        assert walk(webhook_event_bodies_page, limit, received_before=cutoff) == as_page(
            old, "received_at", final.exclude(body=b"")
        )
        assert walk(webhook_events_deletable_page, limit, received_before=cutoff) == as_page(
            old, "received_at", final.exclude(live_issue("record_id"))
        )


@EXAMPLES
@given(push_logs=push_logs, issues=issues, before=st.integers(0, 5), limit=st.integers(1, 4))
def test_the_push_log_pages_select_what_the_orm_filter_selects(
    push_logs: list[Any], issues: list[Any], before: int, limit: int, example_rolled_back: Any
) -> None:
    with example_rolled_back():
        make_rows({"push_logs": push_logs, "issues": issues})
        cutoff = BASE + timedelta(minutes=before)
        old = PushLog.objects.filter(at__lt=cutoff)
        assert walk(push_logs_deletable_page, limit, at_before=cutoff) == as_page(
            old, "at", old.exclude(live_issue("external_id"))
        )


@EXAMPLES
@given(jobs=jobs, kept=st.integers(0, 3))
def test_the_jobs_beyond_kept_are_the_orm_window_beyond_kept(
    jobs: list[Any], kept: int, example_rolled_back: Any
) -> None:
    with example_rolled_back():
        make_rows({"jobs": jobs})
        position = Window(
            RowNumber(), partition_by=[F("connection_id"), F("data_type"), F("kind")],
            order_by=[F("created_at").desc(), F("pk").desc()],
        )  # fmt: skip
        by_orm = (
            SyncJob.objects.filter(state__in=FINAL_JOB_STATES)
            .annotate(position=position)
            .filter(position__gt=kept)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        assert sync_jobs_beyond_kept(kept=kept) == list(by_orm)


# -- retention as a whole -----------------------------------------------------------------------------


#: what a drawn time means in the prune test: days before now, on both sides of each cutoff (90 days for
#: events, 30 for push logs, 14 for bodies)
AGES = [100, 60, 20, 5, 0]


@EXAMPLES
@given(events=events, issues=issues, push_logs=push_logs, jobs=jobs, kept=st.integers(0, 3), batch=st.integers(1, 4))
def test_prune_removes_exactly_what_the_orm_filters_select(
    events: list[Any],
    issues: list[Any],
    push_logs: list[Any],
    jobs: list[Any],
    kept: int,
    batch: int,
    example_rolled_back: Any,
    settings: Any,
) -> None:
    """After a prune the events, bodies, push logs and jobs left are the ones the ORM filters keep."""
    settings.RETENTION_BATCH_SIZE = batch
    settings.RETENTION_JOBS_KEPT = kept
    now = BASE
    cutoffs = retention_cutoffs(now=now)
    with example_rolled_back():
        make_rows(
            {"events": events, "issues": issues, "push_logs": push_logs, "jobs": jobs},
            time=lambda when: now - timedelta(days=AGES[when]),
        )
        final = WebhookEvent.objects.filter(state__in=FINAL_EVENT_STATES)
        events_going = set(
            final.filter(received_at__lt=cutoffs.events).exclude(live_issue("record_id")).values_list("pk", flat=True)
        )
        empty_before = set(WebhookEvent.objects.filter(body=b"").values_list("pk", flat=True))
        bodies_going = set(
            final.filter(received_at__lt=cutoffs.bodies)
            .exclude(body=b"")
            .exclude(pk__in=events_going)
            .values_list("pk", flat=True)
        )
        logs_going = set(
            PushLog.objects.filter(at__lt=cutoffs.push_logs)
            .exclude(live_issue("external_id"))
            .values_list("pk", flat=True)
        )
        jobs_going = set(sync_jobs_beyond_kept(kept=kept))  # the ORM's window (the test above)
        events_before = set(WebhookEvent.objects.values_list("pk", flat=True))
        logs_before = set(PushLog.objects.values_list("pk", flat=True))
        jobs_before = set(SyncJob.objects.values_list("pk", flat=True))

        result = retention_prune(now=now)

        assert result.finished
        assert set(WebhookEvent.objects.values_list("pk", flat=True)) == events_before - events_going
        assert set(WebhookEvent.objects.filter(body=b"").values_list("pk", flat=True)) == (
            (empty_before - events_going) | bodies_going
        )
        assert set(PushLog.objects.values_list("pk", flat=True)) == logs_before - logs_going
        assert set(SyncJob.objects.values_list("pk", flat=True)) == jobs_before - jobs_going
        assert (result.events_deleted, result.bodies_emptied, result.push_logs_deleted, result.jobs_deleted) == (
            len(events_going), len(bodies_going), len(logs_going), len(jobs_going)
        )  # fmt: skip
