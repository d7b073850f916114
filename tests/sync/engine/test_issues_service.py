"""``issues_record``: open once per record and code, refresh what is seen again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from platforms.types import RecordIssue
from sync.engine.issues import issues_record
from sync.models import IssueState, SyncIssue
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def issue(external_id: str, message: str = "SKU missing", **extra: str) -> RecordIssue:
    return RecordIssue(external_id=external_id, code="missing_sku", message=message, **extra)


def test_seen_again_moves_last_seen_and_occurrences_and_keeps_the_rest() -> None:
    connection = ConnectionFactory()
    first = timezone.now() - timedelta(hours=1)
    issues_record(
        connection=connection, data_type="products", issues=[issue("1", platform_url="https://s/1")], now=first
    )
    later = first + timedelta(minutes=30)
    assert issues_record(connection=connection, data_type="products", issues=[issue("1")], now=later) == 1
    row = SyncIssue.objects.get()
    assert (row.occurrences, row.first_seen_at, row.last_seen_at) == (2, first, later)
    assert (row.message, row.platform_url, row.state) == ("SKU missing", "https://s/1", IssueState.OPEN)


def test_a_changed_message_is_refreshed_and_a_new_record_opens_its_own_issue() -> None:
    connection = ConnectionFactory()
    other = ConnectionFactory()
    start = timezone.now()
    issues_record(connection=connection, data_type="products", issues=[issue("1"), issue("2")], now=start)
    issues_record(connection=other, data_type="products", issues=[issue("1")], now=start)
    later = start + timedelta(minutes=5)
    issues_record(
        connection=connection,
        data_type="products",
        issues=[issue("1", "SKU missing on variant 7"), issue("2"), issue("3")],
        now=later,
    )
    rows = {r.external_id: r for r in SyncIssue.objects.filter(connection=connection)}
    assert set(rows) == {"1", "2", "3"}
    assert (rows["1"].message, rows["1"].occurrences, rows["1"].last_seen_at) == ("SKU missing on variant 7", 2, later)
    assert (rows["2"].message, rows["2"].occurrences, rows["2"].last_seen_at) == ("SKU missing", 2, later)
    assert rows["1"].updated_at == rows["2"].updated_at == later  # refreshed or seen again: both rows moved
    assert (rows["3"].occurrences, rows["3"].first_seen_at) == (1, later)
    assert SyncIssue.objects.get(connection=other).occurrences == 1  # another connection's issue is untouched


def test_a_resolved_issue_that_comes_back_is_reopened_with_its_count_and_history() -> None:
    from sync.engine.issues import issues_resolve, issues_set_state
    from sync.models import IssueAction, JobKind, SyncIssueChange, SyncJob

    connection = ConnectionFactory()
    first_job = SyncJob.objects.create(connection=connection, data_type="products", kind=JobKind.FULL)
    second_job = SyncJob.objects.create(connection=connection, data_type="products", kind=JobKind.CATCH_UP)
    start = timezone.now() - timedelta(hours=2)
    issues_record(connection=connection, data_type="products", issues=[issue("1")], now=start, job=first_job)
    issues_record(connection=connection, data_type="products", issues=[issue("1")], now=start + timedelta(minutes=1))
    assert issues_resolve(connection=connection, data_type="products", current={"1": set()}, job=first_job) == ["1"]
    row = SyncIssue.objects.get()
    assert (row.state, row.occurrences) == (IssueState.RESOLVED, 2)

    back = timezone.now() + timedelta(seconds=1)  # after the resolve (which is stamped now)
    issues_record(
        connection=connection, data_type="products", issues=[issue("1", "SKU missing again")], now=back,
        job=second_job,
    )  # fmt: skip
    assert SyncIssue.objects.count() == 1  # the same row, not a new one
    row = SyncIssue.objects.get()
    assert (row.state, row.occurrences, row.resolved_at) == (IssueState.OPEN, 3, None)
    assert (row.first_seen_at, row.last_seen_at, row.message) == (start, back, "SKU missing again")
    assert row.last_job == second_job
    history = list(SyncIssueChange.objects.filter(issue=row).values_list("action", "job_id", "note"))
    assert history == [
        (IssueAction.OPENED, first_job.pk, "SKU missing"),
        (IssueAction.RESOLVED, first_job.pk, "The record synced without this problem."),
        (IssueAction.REOPENED, second_job.pk, "SKU missing again"),
    ]

    issues_set_state(issues=SyncIssue.objects.all(), state=IssueState.MUTED, by="support-1")
    issues_record(connection=connection, data_type="products", issues=[issue("1")], now=back + timedelta(minutes=1))
    row = SyncIssue.objects.get()
    assert (row.state, row.occurrences) == (IssueState.MUTED, 4)  # muted stays muted when it recurs
    assert SyncIssueChange.objects.get(issue=row, action=IssueAction.MUTED).by == "support-1"


def test_only_the_latest_resolved_row_of_a_record_and_code_is_reopened() -> None:
    connection = ConnectionFactory()
    now = timezone.now()
    for n, resolved in enumerate((now - timedelta(days=3), now - timedelta(days=1))):
        SyncIssue.objects.create(
            connection=connection, data_type="products", external_id="1", code="missing_sku", message=f"old {n}",
            state=IssueState.RESOLVED, first_seen_at=resolved, last_seen_at=resolved, resolved_at=resolved,
            occurrences=5 + n,
        )  # fmt: skip
    issues_record(connection=connection, data_type="products", issues=[issue("1")], now=now)
    reopened = SyncIssue.objects.get(state=IssueState.OPEN)
    assert (reopened.message, reopened.occurrences) == ("SKU missing", 7)  # the newer row (6 occurrences) came back
    assert SyncIssue.objects.filter(state=IssueState.RESOLVED).count() == 1


def test_a_resolved_row_without_a_resolution_time_is_reopened_only_when_no_dated_one_is_left() -> None:
    connection = ConnectionFactory()
    now = timezone.now()
    for n, resolved in enumerate((now - timedelta(days=2), None, None)):
        SyncIssue.objects.create(
            connection=connection, data_type="products", external_id="1", code="missing_sku", message=f"old {n}",
            state=IssueState.RESOLVED, first_seen_at=now - timedelta(days=3), last_seen_at=now - timedelta(days=3),
            resolved_at=resolved, occurrences=5 + 10 * n,
        )  # fmt: skip
    issues_record(connection=connection, data_type="products", issues=[issue("1")], now=now)
    assert SyncIssue.objects.get(state=IssueState.OPEN).occurrences == 6  # the dated row, not a newer undated one
    SyncIssue.objects.filter(state=IssueState.OPEN).delete()

    issues_record(connection=connection, data_type="products", issues=[issue("1")], now=now)

    assert SyncIssue.objects.get(state=IssueState.OPEN).occurrences == 26  # of the undated ones, the latest row
