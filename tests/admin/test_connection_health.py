"""Connection health (``sync.selectors.health``): an outage read from retrying events and jobs, the threshold that
turns it red, recovery, and the lights every console page shares."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from connections.models import Connection, ConnectionState
from sync.jobs.jobs import syncable_data_types
from sync.models import EventState, IssueState, JobKind, JobState, SyncIssue, SyncJob, WebhookEvent, WebhookEventAttempt
from sync.selectors.health import (
    AMBER,
    GREEN,
    NONE,
    RED,
    call_failure,
    connection_health,
    health_summary,
    sync_job_last_error,
)
from tests.admin.support import History, make_history
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

ERROR_503 = "TransientError: sparklayer PUT /api/v2/customers/platform/12: 503 Service Unavailable; maintenance"


def _settle(history: History) -> None:
    """A connection with nothing wrong: every type synced, no issues, no failed events, no running job."""
    now = timezone.now()
    SyncIssue.objects.filter(connection=history.connection).update(state=IssueState.RESOLVED, resolved_at=now)
    WebhookEvent.objects.filter(connection=history.connection).delete()
    SyncJob.objects.filter(connection=history.connection).delete()
    for data_type in syncable_data_types(history.connection):
        SyncJob.objects.create(
            connection=history.connection, data_type=data_type, kind=JobKind.FULL, state=JobState.SUCCEEDED,
            started_at=now - timedelta(minutes=10), finished_at=now - timedelta(minutes=9),
        )  # fmt: skip


def _retrying_event(history: History, n: int, *, first_attempt_ago: float, error: str = ERROR_503) -> WebhookEvent:
    now = timezone.now()
    event = WebhookEvent.objects.create(
        connection=history.connection, platform="woocommerce", topic="customer.updated", data_type="customers",
        record_id=str(n), action="updated", dedupe_key=f"retry-{n}", body=b"{}", received_at=now,
        state=EventState.QUEUED, attempts=2, last_error=error, queued_at=now + timedelta(seconds=20),
    )  # fmt: skip
    for number, ago in ((1, first_attempt_ago), (2, first_attempt_ago - 30)):
        WebhookEventAttempt.objects.create(
            event=event, number=number, started_at=now - timedelta(seconds=ago), outcome="retry", error=error
        )
    return event


def test_call_failures_are_read_back_from_the_error_text() -> None:
    failure = call_failure(ERROR_503)
    assert failure is not None
    assert (failure.service, failure.verb, failure.summary) == (
        "SparkLayer",
        "unreachable",
        "503 on PUT /api/v2/customers/platform/12",
    )
    refused = call_failure("TransientError: sparklayer POST /api/auth/token: ConnectionError")
    assert refused is not None
    assert (refused.verb, refused.summary) == ("unreachable", "ConnectionError on POST /api/auth/token")
    store = call_failure("woocommerce GET /wp-json/wc/v3/products/5: 429 Too Many Requests")
    assert store is not None
    assert (store.service, store.verb) == ("the store (woocommerce)", "rate-limiting writes")
    assert call_failure("ValueError: something else entirely") is None


def test_a_healthy_connection_is_green(history_a: History) -> None:
    _settle(history_a)
    health = connection_health(connection=history_a.connection)
    assert (health.light, health.headline, health.outage) == (GREEN, "Synced, nothing open.", None)


def test_retrying_events_are_an_outage_amber_then_red_after_the_threshold(history_a: History, settings: Any) -> None:
    _settle(history_a)
    settings.IGNITE_HEALTH_RED_AFTER_SECONDS = 60
    events = [_retrying_event(history_a, n, first_attempt_ago=45 + n) for n in range(6)]
    health = connection_health(connection=history_a.connection)
    outage = health.outage
    assert outage is not None
    assert (outage.who, outage.verb, outage.detail) == ("SparkLayer", "unreachable",
                                                         "503 on PUT /api/v2/customers/platform/12")  # fmt: skip
    assert (outage.waiting, outage.retrying_events, outage.retrying_jobs) == (6, 6, 0)
    assert outage.retry_every_seconds == 30.0
    first_attempt = WebhookEventAttempt.objects.get(event=events[5], number=1).started_at
    assert outage.since == first_attempt
    assert outage.next_retry_at is not None
    assert outage.next_retry_at > timezone.now()
    assert outage.sentence(when="10:02:13 UTC") == (
        "SparkLayer unreachable since 10:02:13 UTC (503 on PUT /api/v2/customers/platform/12), 6 changes waiting, "
        "retrying every 30 s"
    )
    assert health.light == AMBER  # failing for 50 s: under the threshold
    customers = next(t for t in health.types if t.data_type == "customers")
    assert (customers.light, customers.reason) == (
        AMBER,
        "Retrying: SparkLayer unreachable (503 on PUT /api/v2/customers/platform/12).",
    )
    assert health.headline == "SparkLayer unreachable (503 on PUT /api/v2/customers/platform/12)."

    settings.IGNITE_HEALTH_RED_AFTER_SECONDS = 30
    health = connection_health(connection=history_a.connection)
    assert health.light == RED
    assert next(t for t in health.types if t.data_type == "customers").light == RED
    assert next(t for t in health.types if t.data_type == "products").light == GREEN  # nothing of it is failing


def test_recovery_clears_the_outage(history_a: History) -> None:
    _settle(history_a)
    events = [_retrying_event(history_a, n, first_attempt_ago=45) for n in range(3)]
    assert connection_health(connection=history_a.connection).outage is not None
    WebhookEvent.objects.filter(pk__in=[e.pk for e in events]).update(
        state=EventState.SUCCEEDED, last_error="", processed_at=timezone.now()
    )
    health = connection_health(connection=history_a.connection)
    assert (health.outage, health.light) == (None, GREEN)


def test_a_full_sync_waiting_to_retry_is_an_outage_and_its_error_is_shown(history_a: History) -> None:
    _settle(history_a)
    now = timezone.now()
    job = SyncJob.objects.create(
        connection=history_a.connection, data_type="products", kind=JobKind.FULL, state=JobState.QUEUED,
        started_at=now - timedelta(minutes=1), resume_at=now + timedelta(seconds=40), attempts=3,
        result={"last_transient_error": "sparklayer PATCH /api/v1/products/7: 502 Bad Gateway"},
    )  # fmt: skip
    assert sync_job_last_error(job) == "sparklayer PATCH /api/v1/products/7: 502 Bad Gateway"
    outage = connection_health(connection=history_a.connection).outage
    assert outage is not None
    assert (outage.retrying_jobs, outage.waiting, outage.detail) == (1, 0, "502 on PATCH /api/v1/products/7")
    assert outage.next_retry_at == job.resume_at
    assert "1 full sync waiting to retry" in outage.sentence(when="x")

    # the error the job itself carries wins (the write path records it there)
    SyncJob.objects.filter(pk=job.pk).update(error="sparklayer PATCH /api/v1/products/8: 503 Service Unavailable")
    outage = connection_health(connection=history_a.connection).outage
    assert outage is not None
    assert outage.detail == "503 on PATCH /api/v1/products/8"


def test_a_job_that_recovered_from_an_error_is_not_an_outage(history_a: History) -> None:
    _settle(history_a)
    SyncJob.objects.create(
        connection=history_a.connection, data_type="products", kind=JobKind.FULL, state=JobState.RUNNING,
        started_at=timezone.now(), result={"last_transient_error": "sparklayer PUT /x: 503"},
    )  # fmt: skip
    assert connection_health(connection=history_a.connection).outage is None


def test_a_type_the_platform_does_not_have_is_never_green(history_a: History) -> None:
    Connection.objects.filter(pk=history_a.connection.pk).update(platform="standard")  # it has no customer groups
    history_a.connection.refresh_from_db()
    _settle(history_a)
    SyncJob.objects.create(
        connection=history_a.connection, data_type="customer_groups", kind=JobKind.FULL, state=JobState.SUCCEEDED,
        finished_at=timezone.now(), result={"note": "standard has no customer_groups: nothing to sync."},
    )  # fmt: skip
    health = connection_health(connection=history_a.connection)
    groups = next(t for t in health.types if t.data_type == "customer_groups")
    assert (groups.light, groups.reason) == (NONE, "standard has no customer_groups: nothing is synced.")
    assert health.light == GREEN  # the others are; "none" does not make the connection worse or better


def test_admin_index_summary_counts_by_light_worst_first(history_a: History) -> None:
    _settle(history_a)
    red = make_history(ConnectionFactory(site_id="red-store", state=ConnectionState.ERROR), prefix="red")
    amber = make_history(ConnectionFactory(site_id="amber-store"), prefix="amber")
    _settle(amber)
    SyncIssue.objects.create(
        connection=amber.connection, data_type="products", external_id="1", code="c", message="m",
        first_seen_at=timezone.now(), last_seen_at=timezone.now(),
    )  # fmt: skip
    summary = health_summary(connections=[history_a.connection, amber.connection, red.connection])
    assert summary["counts"] == [(RED, 1), (AMBER, 1), (GREEN, 1)]
    assert [h.connection for h in summary["healths"]] == [red.connection, amber.connection, history_a.connection]
    assert summary["healths"][0].headline == "Connection is error."
    assert summary["healths"][1].headline == "1 record issue(s) open (products 1)."
