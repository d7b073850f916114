"""Nudge window and follow-on: one processing task per connection and window under a burst, and
every event still processed (against both sandboxes, through the real task function)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client

from connections.models import Connection
from sync.incremental.processing import webhook_events_follow_on
from sync.intake.enqueue import webhook_event_send_after_commit
from sync.intake.nudge import webhook_nudge_claim, webhook_nudge_release
from sync.models import EventOutcome, EventState, WebhookEvent
from sync.tasks.webhooks import webhook_process_task
from tests.support import broker_messages, emptied_broker_queue
from tests.sync.helpers import make_connection, spark_state
from tests.sync.webhook_support import post_delivery, store_body, woo_headers

pytestmark = pytest.mark.django_db

needs_redis_cache = pytest.mark.skipif(
    not isinstance(caches["default"], RedisCache), reason="the nudge window lives in a Redis cache"
)


@pytest.fixture
def broker() -> Iterator[Any]:
    with emptied_broker_queue("webhooks") as client:
        yield client


def sent_task(broker: Any) -> tuple[list[Any], dict[str, Any]]:
    """The arguments of the newest processing task waiting in the broker."""
    headers, args, kwargs = broker_messages(broker, "webhooks")[0]
    assert headers["task"] == "sync.tasks.webhook_process_task"
    return args, kwargs


def product_ids(store: Any, count: int) -> list[int]:
    with store.app.store.lock:
        ids = [i for i, h in store.app.store.products.items() if h.type == "simple" and h.status == "publish"]
    return ids[:count]


def deliver(client: Client, connection: Connection, store: Any, record_id: int) -> WebhookEvent:
    body = store_body(store.app, "product", record_id)
    response = post_delivery(client, connection, body, woo_headers(body, connection.webhook_secret, "product.updated"))
    assert response.status_code == 200, response.content
    return WebhookEvent.objects.get(pk=response.json()["event"])


@needs_redis_cache
def test_window_sends_one_task_per_connection_and_reopens_on_release(settings: Any, connection: Connection) -> None:
    settings.WEBHOOK_NUDGE_WINDOW_MS = 60_000
    webhook_nudge_release(connection_id=connection.pk)
    other = connection.pk + 10_000
    webhook_nudge_release(connection_id=other)
    assert webhook_nudge_claim(connection_id=connection.pk) is True
    assert webhook_nudge_claim(connection_id=connection.pk) is False  # inside the window
    assert webhook_nudge_claim(connection_id=other) is True  # windows are per connection
    webhook_nudge_release(connection_id=connection.pk)
    assert webhook_nudge_claim(connection_id=connection.pk) is True
    settings.WEBHOOK_NUDGE_WINDOW_MS = 0
    assert webhook_nudge_claim(connection_id=connection.pk) is True  # 0: every event sends
    webhook_nudge_release(connection_id=connection.pk)
    webhook_nudge_release(connection_id=other)


@needs_redis_cache
def test_burst_sends_one_message_and_the_task_processes_every_event(
    client: Client, settings: Any, connection: Connection, spark: Any, woo_store: Any, broker: Any
) -> None:
    settings.WEBHOOK_NUDGE_WINDOW_MS = 60_000
    webhook_nudge_release(connection_id=connection.pk)
    ids = product_ids(woo_store, 12)
    assert len(ids) >= 4
    events = [deliver(client, connection, woo_store, record_id) for record_id in ids]
    # The test transaction holds the commit: send as the intake does after it.
    sent = [webhook_event_send_after_commit(event_id=e.pk, connection_id=connection.pk) for e in events]
    assert sent == [True] + [False] * (len(ids) - 1)
    assert broker.llen("webhooks") == 1
    args, kwargs = sent_task(broker)
    assert (args, kwargs) == ([events[0].pk], {"connection_id": connection.pk})  # its connection travels with it

    webhook_process_task.apply(args=args, kwargs=kwargs)  # the one message: its event, then the rest

    done = WebhookEvent.objects.filter(pk__in=[e.pk for e in events])
    assert set(done.values_list("state", flat=True)) == {EventState.SUCCEEDED}
    pushed = {e.record_id for e in done if e.outcome == EventOutcome.PUSHED}
    assert len(pushed) >= 2  # the rest are records the mapping turns into issues
    landed = {p["external_id"] for p in spark_state(spark, connection.site_id, "products")["products"]}
    assert pushed <= landed
    # Drained: the window is open again, the next delivery sends its own task.
    assert webhook_nudge_claim(connection_id=connection.pk) is True
    webhook_nudge_release(connection_id=connection.pk)


def test_follow_on_leaves_retry_waits_and_other_connections_alone(
    client: Client, connection: Connection, woo_store: Any, spark: Any, settings: Any
) -> None:
    from django.utils import timezone

    settings.WEBHOOK_HANDOVER_SECONDS = 60  # the other connection's event must not make it hand over here

    ids = product_ids(woo_store, 3)
    first, waiting, later = (deliver(client, connection, woo_store, i) for i in ids)
    in_an_hour = timezone.now() + timezone.timedelta(hours=1)
    WebhookEvent.objects.filter(pk=waiting.pk).update(queued_at=in_an_hour)  # a broker countdown retry
    other = make_connection(woo_store)
    foreign = deliver(client, other, woo_store, ids[0])

    assert webhook_events_follow_on(after_event_id=first.pk) == 2  # first and later
    states = dict(WebhookEvent.objects.values_list("pk", "state"))
    assert states[first.pk] == states[later.pk] == EventState.SUCCEEDED
    assert states[waiting.pk] == EventState.QUEUED
    assert states[foreign.pk] == EventState.QUEUED


def test_follow_on_hands_on_when_its_time_is_up(
    client: Client, connection: Connection, woo_store: Any, spark: Any, broker: Any, settings: Any
) -> None:
    ids = product_ids(woo_store, 2)
    events = [deliver(client, connection, woo_store, i) for i in ids]
    assert webhook_events_follow_on(after_event_id=events[0].pk, budget_seconds=0) == 0
    assert broker.llen("webhooks") == 1  # the next waiting event got its own task
    assert set(WebhookEvent.objects.values_list("state", flat=True)) == {EventState.QUEUED}
