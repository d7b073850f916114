"""``issues_record``: open once per record and code, refresh what is seen again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from platforms.types import RecordIssue
from sync.models import IssueState, SyncIssue
from sync.services.issues import issues_record
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
    assert (rows["3"].occurrences, rows["3"].first_seen_at) == (1, later)
    assert SyncIssue.objects.get(connection=other).occurrences == 1  # another connection's issue is untouched
