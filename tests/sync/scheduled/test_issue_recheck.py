"""Re-check an issue now: the record is fetched from the store (the WooCommerce sandbox over HTTP), validated
and pushed to SparkLayer (its sandbox) again, and the result is written into the issue's history."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from connections.clients import connection_platform_adapter
from connections.models import Connection
from platforms.types import DataType
from sync.engine.issues import issues_record
from sync.models import IssueAction, IssueState, SyncIssue, SyncIssueChange
from sync.scheduled.issue_recheck import issue_recheck
from tests.sync.helpers import spark_state

pytestmark = pytest.mark.django_db


def _issue(connection: Connection, external_id: str, code: str = "variant_missing_sku") -> SyncIssue:
    now = timezone.now()
    return SyncIssue.objects.create(
        connection=connection, data_type="products", external_id=external_id, code=code, message="old problem",
        first_seen_at=now, last_seen_at=now,
    )  # fmt: skip


def _records(connection: Connection) -> list[Any]:
    return next(connection_platform_adapter(connection).iter_pages(DataType.PRODUCTS)).records


def test_a_fixed_record_is_pushed_and_its_issue_resolved(connection: Connection, spark: Any) -> None:
    clean = next(r for r in _records(connection) if r.payload and not r.issues)
    issue = _issue(connection, clean.external_id)
    note = issue_recheck(issue_id=issue.pk, requested_by="support-1")
    assert note == "Fixed: the record validated and synced, so the issue is resolved."
    assert SyncIssue.objects.get(pk=issue.pk).state == IssueState.RESOLVED
    history = list(SyncIssueChange.objects.filter(issue=issue).values_list("action", "by", "note"))
    assert history[-1] == (IssueAction.RECHECKED, "support-1", note)
    stored = spark_state(spark, connection.site_id, "products")["products"]
    assert clean.external_id in {p["external_id"] for p in stored}


def test_a_record_still_wrong_stays_open_and_says_why(connection: Connection, spark: Any) -> None:
    broken = next(r for r in _records(connection) if r.issues)
    problem = broken.issues[0]
    issues_record(connection=connection, data_type="products", issues=[problem])
    issue = SyncIssue.objects.get(external_id=problem.external_id, code=problem.code)
    note = issue_recheck(issue_id=issue.pk)
    assert note == f"Still failing: {problem.message}"
    assert SyncIssue.objects.get(pk=issue.pk).state == IssueState.OPEN
    assert SyncIssueChange.objects.filter(issue=issue, action=IssueAction.RECHECKED).get().note == note


def test_a_record_gone_from_the_store_resolves_its_issues(connection: Connection, spark: Any) -> None:
    issue = _issue(connection, "999999")
    note = issue_recheck(issue_id=issue.pk)
    assert note == "The record no longer exists on the store: it is removed from SparkLayer and its issues resolved."
    assert SyncIssue.objects.get(pk=issue.pk).state == IssueState.RESOLVED
