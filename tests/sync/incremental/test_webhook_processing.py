"""Processing webhook events in-process against both sandboxes: fetch-fresh, hash skip, stale, coalesce,
deletes, issues, retry decisions, replay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests
from django.test import Client
from django.utils import timezone

from connections.models import Connection
from sandbox.woocommerce import customers as woo_customers
from sandbox.woocommerce import products as woo_products
from sync.incremental.processing import webhook_event_process
from sync.incremental.replay import webhook_events_reprocess, webhook_events_reprocess_failed
from sync.models import EventOutcome, EventState, PushLog, RecordState, SyncIssue, WebhookEvent
from tests.support import shared_gates_clear
from tests.sync.helpers import deliver, simple_product_id, spark_state, spark_writes
from tests.sync.webhook_support import post_delivery, store_body, woo_headers

pytestmark = pytest.mark.django_db


def rename(store: Any, product_id: int, name: str) -> None:
    with store.app.store.lock:
        woo_products.update(store.app.store, product_id, {"name": name})


def process(event: WebhookEvent) -> Any:
    result = webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    return result


def set_faults(spark: Any, **faults: Any) -> None:
    requests.put(f"{spark.url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()


def test_event_pushes_fresh_state_and_unchanged_record_writes_nothing(
    client: Client, connection: Connection, spark: Any, woo_store: Any
) -> None:
    product_id = simple_product_id(woo_store)
    first = deliver(client, connection, woo_store, "product.updated", product_id)
    rename(woo_store, product_id, "Renamed after the delivery was built")  # the body is stale now
    assert process(first).state == EventState.SUCCEEDED
    assert first.outcome == EventOutcome.PUSHED
    products = {p["external_id"]: p for p in spark_state(spark, connection.site_id, "products")["products"]}
    assert products[str(product_id)]["title"] == "Renamed after the delivery was built"
    writes = spark_writes(spark, connection.site_id)

    again = deliver(client, connection, woo_store, "product.updated", product_id, webhook_id=8)
    process(again)
    assert (again.state, again.outcome) == (EventState.SUCCEEDED, EventOutcome.UNCHANGED)
    assert spark_writes(spark, connection.site_id) == writes  # no record write, no sync-log call
    assert list(again.attempt_log.values_list("number", "outcome")) == [(1, "unchanged")]


def test_a_write_read_before_what_sparklayer_holds_is_dropped(
    client: Client, connection: Connection, spark: Any, woo_store: Any
) -> None:
    """The write path orders writes by when their read started, not by platform timestamps: a record
    read before the one SparkLayer holds was read is never written over it."""
    product_id = simple_product_id(woo_store)
    process(deliver(client, connection, woo_store, "product.updated", product_id))
    states = RecordState.objects.filter(connection=connection, data_type="products", external_id=str(product_id))
    assert states.get().read_version is not None
    states.update(read_version=timezone.now() + timedelta(hours=1))  # a later read was pushed meanwhile
    rename(woo_store, product_id, "A change this older read must not be the one to push")
    writes = spark_writes(spark, connection.site_id)
    late = deliver(client, connection, woo_store, "product.updated", product_id, webhook_id=9)
    process(late)
    assert (late.state, late.outcome) == (EventState.SUCCEEDED, EventOutcome.STALE)
    assert spark_writes(spark, connection.site_id) == writes


def test_an_event_with_an_old_platform_date_still_pushes_the_current_record(
    client: Client, connection: Connection, spark: Any, woo_store: Any
) -> None:
    """WooCommerce does not move date_modified when an order reduces stock: a delivery whose date is
    older than what was pushed is still a change (regression: such events were dropped as stale)."""
    product_id = simple_product_id(woo_store)
    rename(woo_store, product_id, "Renamed, so the pushed date is recent")
    process(deliver(client, connection, woo_store, "product.updated", product_id))
    with woo_store.app.store.lock:
        woo_products.set_stock_silently(woo_store.app.store, product_id, 3)
        sku = woo_products.stored(woo_store.app.store, product_id)["sku"]
    body = store_body(woo_store.app, "product", product_id)
    body = body.replace(b'"date_modified_gmt":"', b'"date_modified_gmt":"2001-01-01T00:00:00","x":"', 1)
    headers = woo_headers(body, connection.webhook_secret, "product.updated", delivery_id="d-stock")
    event = WebhookEvent.objects.get(pk=post_delivery(client, connection, body, headers).json()["event"])
    process(event)
    assert (event.state, event.outcome) == (EventState.SUCCEEDED, EventOutcome.PUSHED)
    stock = {row["sku"]: row for row in spark_state(spark, connection.site_id, "stock")["stock"]}
    assert stock[sku]["stock_level"] == 3


def test_pending_events_of_one_record_are_coalesced(client: Client, connection: Connection, woo_store: Any) -> None:
    product_id = simple_product_id(woo_store)
    events = []
    for n in range(3):
        rename(woo_store, product_id, f"Version {n}")
        events.append(deliver(client, connection, woo_store, "product.updated", product_id))
    other = deliver(client, connection, woo_store, "customer.updated", 1)
    result = process(events[1])
    assert result.superseded == 2
    for event in events:
        event.refresh_from_db()
    assert [e.state for e in events] == [EventState.SUPERSEDED, EventState.SUCCEEDED, EventState.SUPERSEDED]
    assert {e.superseded_by_id for e in (events[0], events[2])} == {events[1].pk}
    assert webhook_event_process(event_id=events[0].pk) is None  # a late duplicate message does nothing
    other.refresh_from_db()
    assert other.state in (EventState.RECEIVED, EventState.QUEUED)  # another record is untouched
    assert other.attempts == 0
    assert PushLog.objects.filter(event__in=events, operation="upsert").count() == 1


def test_trashed_and_deleted_products_are_discontinued(
    client: Client, connection: Connection, spark: Any, woo_store: Any
) -> None:
    product_id = simple_product_id(woo_store)
    process(deliver(client, connection, woo_store, "product.updated", product_id))
    with woo_store.app.store.lock:
        woo_products.delete(woo_store.app.store, product_id)  # permanent: WooCommerce sends nothing itself
    gone = deliver(client, connection, woo_store, "product.deleted", product_id)
    process(gone)
    assert (gone.state, gone.outcome) == (EventState.SUCCEEDED, EventOutcome.DELETED)
    assert RecordState.objects.get(connection=connection, external_id=str(product_id), data_type="products").deleted
    product = {p["external_id"]: p for p in spark_state(spark, connection.site_id, "products")["products"]}[
        str(product_id)
    ]
    assert product["variants"]
    assert all(variant["status"] == "discontinued" for variant in product["variants"])


def test_email_owned_by_another_customer_becomes_an_issue(
    client: Client, connection: Connection, spark: Any, woo_store: Any
) -> None:
    store = woo_store.app.store
    address = {"first_name": "Ann", "last_name": "Lee", "company": "Acme Ltd", "address_1": "1 High St",
               "address_2": "Unit 2", "city": "Leeds", "state": "West Yorkshire", "postcode": "LS1 1AA",
               "country": "GB", "phone": "0113 000000"}  # fmt: skip
    with store.lock:
        a_id, b_id = (
            woo_customers.create(store, {"email": email, "first_name": "Ann", "last_name": "Lee",
                                         "billing": {**address, "email": email}, "shipping": address})["id"]
            for email in ("ann@example.com", "bob@example.com")
        )  # fmt: skip
    first = deliver(client, connection, woo_store, "customer.updated", a_id)
    assert process(first).outcome == EventOutcome.PUSHED, first.last_error
    with store.lock:
        a_email = woo_customers.stored(store, a_id)["email"]
    with store.lock:  # A moves to a new address; B takes A's old one. Only B's webhook reaches us.
        woo_customers.update(store, a_id, {"email": "moved-away@example.com"})
        woo_customers.update(store, b_id, {"email": a_email})
    event = deliver(client, connection, woo_store, "customer.updated", b_id)
    process(event)
    assert (event.state, event.outcome) == (EventState.SUCCEEDED, EventOutcome.ISSUE)
    issue = SyncIssue.objects.get(connection=connection, data_type="customers", external_id=str(b_id))
    assert (issue.code, issue.state) == ("email_conflict", "open")
    assert event.attempts == 1


def test_long_retry_after_is_stored_not_held_by_the_broker(
    client: Client, connection: Connection, spark: Any, woo_store: Any, settings: Any
) -> None:
    settings.WEBHOOK_RETRY_COUNTDOWN_MAX_SECONDS = 60
    set_faults(spark, error_429_rate=1.0, retry_after="300")
    event = deliver(client, connection, woo_store, "product.updated", simple_product_id(woo_store))
    result = process(event)
    assert result.retry_in is None
    assert event.state == EventState.QUEUED
    assert event.next_attempt_at is not None
    assert 299 <= (event.next_attempt_at - event.processing_started_at).total_seconds() <= 301
    assert webhook_event_process(event_id=event.pk) is None  # not due: a stray message does nothing
    assert list(event.attempt_log.values_list("outcome", flat=True)) == ["retry"]


def test_short_wait_is_a_countdown_then_exhaustion_fails_and_replay_succeeds(
    client: Client, connection: Connection, spark: Any, woo_store: Any, settings: Any
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1
    set_faults(spark, error_429_rate=1.0, retry_after="31")  # above the client's ceiling: raised at once
    settings.WEBHOOK_RETRY_COUNTDOWN_MAX_SECONDS = 40
    event = deliver(client, connection, woo_store, "product.updated", simple_product_id(woo_store))
    first = process(event)
    assert first.retry_in is not None
    assert 31 <= first.retry_in <= 40
    assert (event.state, event.next_attempt_at) == (EventState.QUEUED, None)
    second = process(event)
    assert (second.state, event.state, event.attempts) == (EventState.FAILED, EventState.FAILED, 2)
    assert "TransientError" in event.last_error
    assert "Traceback" in event.traceback

    set_faults(spark)
    shared_gates_clear()  # the 31 s the 429 paused the site for have passed
    assert webhook_events_reprocess_failed(connection=connection) == [event.pk]
    event.refresh_from_db()
    assert (event.state, event.attempts, event.traceback) == (EventState.RECEIVED, 0, "")
    process(event)
    assert (event.state, event.outcome) == (EventState.SUCCEEDED, EventOutcome.PUSHED)
    assert list(event.attempt_log.values_list("number", "outcome")) == [(1, "retry"), (2, "failed"), (1, "pushed")]


def test_reprocess_of_succeeded_event_fetches_fresh_and_skips_unchanged(
    client: Client, connection: Connection, spark: Any, woo_store: Any
) -> None:
    event = deliver(client, connection, woo_store, "product.updated", simple_product_id(woo_store))
    process(event)
    writes = spark_writes(spark, connection.site_id)
    assert webhook_events_reprocess(events=[event]) == [event.pk]
    process(event)
    assert (event.state, event.outcome) == (EventState.SUCCEEDED, EventOutcome.UNCHANGED)
    assert spark_writes(spark, connection.site_id) == writes


def test_refused_platform_credentials_fail_the_event(client: Client, connection: Connection, woo_store: Any) -> None:
    event = deliver(client, connection, woo_store, "product.updated", simple_product_id(woo_store))
    refused = {"consumer_key": "ck_x", "consumer_secret": "cs_x"}
    Connection.objects.filter(pk=connection.pk).update(platform_credentials=refused)
    event.refresh_from_db()
    process(event)
    assert (event.state, event.outcome) == (EventState.FAILED, EventOutcome.ERROR)  # credentials refused
    assert "AuthenticationError" in event.last_error
