"""Webhook events through a REAL Celery worker, Redis and PostgreSQL: crash after commit, SIGKILL of the
worker mid-stream, SparkLayer down for a while and past the retry budget, and real deliveries from the
WooCommerce sandbox to the bridge served over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.test import Client
from django.utils import timezone

from connections.clients import connection_platform_adapter
from connections.models import Connection
from platforms.types import DataType
from sync.engine.hashing import record_hashes
from sync.incremental.replay import webhook_events_reprocess_failed
from sync.incremental.sweeper import webhook_events_sweep
from sync.models import EventState, RecordState, SyncIssue, WebhookEvent
from tests.sync.helpers import make_connection
from tests.sync.webhook_support import post_delivery, store_body, wait_for, webhook_path, woo_headers
from tests.workers import WorkerProcess, worker_environment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

TERMINAL = {EventState.SUCCEEDED, EventState.SUPERSEDED}


def start_worker(spark: Any, **env: str) -> WorkerProcess:
    return WorkerProcess(
        worker_environment(SPARKLAYER_URL_TEST=spark.url, **env), queues="webhooks", concurrency=4
    ).start()


@pytest.fixture
def worker_factory(spark: Any) -> Iterator[Any]:
    started: list[WorkerProcess] = []

    def start(**env: str) -> WorkerProcess:
        worker = start_worker(spark, **env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def live_connection(spark: Any, woo_store: Any) -> Connection:
    return make_connection(woo_store, site_id="live-store", push_concurrency=2)


def simple_ids(store: Any, count: int) -> list[int]:
    with store.app.store.lock:
        ids = [i for i, h in store.app.store.products.items() if h.type == "simple" and h.status == "publish"]
    return ids[:count]


def deliver(connection: Connection, store: Any, product_id: int, webhook_id: int = 7) -> int:
    body = store_body(store.app, "product", product_id)
    response = post_delivery(
        Client(),
        connection,
        body,
        woo_headers(body, connection.webhook_secret, "product.updated", webhook_id=webhook_id),
    )
    assert response.status_code == 200
    return int(response.json()["event"])


def states(connection: Connection) -> dict[str, int]:
    found: dict[str, int] = {}
    for state in WebhookEvent.objects.filter(connection=connection).values_list("state", flat=True):
        found[state] = found.get(state, 0) + 1
    return found


def set_faults(spark: Any, **faults: Any) -> None:
    requests.put(f"{spark.url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()


def test_crash_between_commit_and_enqueue_is_delivered_by_the_sweeper(
    live_connection: Connection, woo_store: Any, worker_factory: Any, settings: Any
) -> None:
    settings.WEBHOOK_SKIP_ENQUEUE = True  # the web process "dies" after the commit, before the send
    event_id = deliver(live_connection, woo_store, simple_ids(woo_store, 1)[0])
    worker_factory()
    stranded = WebhookEvent.objects.get(pk=event_id)
    assert (stranded.state, stranded.attempts) == (EventState.QUEUED, 0)  # committed, never sent
    settings.WEBHOOK_SKIP_ENQUEUE = False
    assert webhook_events_sweep().sent == 0  # within the grace period nothing is re-sent
    settings.WEBHOOK_SWEEP_GRACE_SECONDS = 0
    assert webhook_events_sweep(now=timezone.now() + timedelta(seconds=1)).sent == 1
    wait_for(lambda: WebhookEvent.objects.get(pk=event_id).state == EventState.SUCCEEDED, what="swept event")


@pytest.fixture
def big_store() -> Iterator[Any]:
    from sandbox.server import serve_in_thread
    from sandbox.woocommerce.app import WooCommerceSandbox

    server = serve_in_thread(WooCommerceSandbox(products=150, customers=5, orders=0, seed=5))
    yield server
    server.stop()


def test_sigkill_mid_stream_loses_nothing(spark: Any, big_store: Any, worker_factory: Any, settings: Any) -> None:
    connection = make_connection(big_store, site_id="kill-store", push_concurrency=2)
    with big_store.app.store.lock:
        ids = [i for i, h in big_store.app.store.products.items() if h.status == "publish"][:100]
    worker = worker_factory()
    event_ids = [deliver(connection, big_store, pid, webhook_id=w) for w in range(5) for pid in ids]
    assert len(set(event_ids)) == 500
    wait_for(lambda: sum(n for s, n in states(connection).items() if s in TERMINAL) >= 50,
             timeout=60, what="some progress")  # fmt: skip
    worker.kill()
    in_flight = states(connection)
    assert sum(in_flight.values()) == 500
    assert sum(n for s, n in in_flight.items() if s in TERMINAL) < 500, in_flight  # killed mid-stream

    settings.WEBHOOK_PROCESSING_TIMEOUT_SECONDS = 0
    settings.WEBHOOK_SWEEP_GRACE_SECONDS = 0
    swept = webhook_events_sweep(now=timezone.now() + timedelta(seconds=1))
    assert swept.sent > 0
    worker_factory()
    settings.WEBHOOK_PROCESSING_TIMEOUT_SECONDS = 30
    settings.WEBHOOK_SWEEP_GRACE_SECONDS = 3

    def finished() -> bool:  # the beat schedule runs the sweeper; here every check does
        webhook_events_sweep()
        return set(states(connection)) <= TERMINAL

    wait_for(finished, timeout=120, interval=2, what="every event finished")
    assert sum(states(connection).values()) == 500
    adapter = connection_platform_adapter(connection)
    for product_id in ids:  # SparkLayer holds every record's current state (or its issue says why not)
        record = adapter.fetch_record(DataType.PRODUCTS, str(product_id))
        assert record is not None
        state = RecordState.objects.filter(connection=connection, data_type="products", external_id=str(product_id))
        if record.payload is None:
            assert SyncIssue.objects.filter(connection=connection, external_id=str(product_id), state="open").exists()
        else:
            assert state.get().content_hash == record_hashes(record).content


def test_sparklayer_down_for_a_while_recovers_without_an_operator(
    live_connection: Connection, spark: Any, woo_store: Any, worker_factory: Any
) -> None:
    worker_factory(WEBHOOK_RETRY_BASE_SECONDS="0.5", WEBHOOK_RETRY_MAX_DELAY_SECONDS="2",
                   WEBHOOK_RETRY_BUDGET_SECONDS="120", WEBHOOK_MAX_ATTEMPTS="30")  # fmt: skip
    set_faults(spark, down=True)
    event_ids = [deliver(live_connection, woo_store, pid) for pid in simple_ids(woo_store, 3)]
    wait_for(lambda: WebhookEvent.objects.filter(pk__in=event_ids, attempts__gte=1, state=EventState.QUEUED).exists(),
             timeout=30, what="a retry while SparkLayer is down")  # fmt: skip
    set_faults(spark)
    wait_for(lambda: states(live_connection) == {EventState.SUCCEEDED: 3}, timeout=60, what="recovery")
    assert WebhookEvent.objects.filter(pk__in=event_ids, attempt_log__outcome="retry").exists()


def test_down_past_the_budget_fails_then_reprocess_succeeds(
    live_connection: Connection, spark: Any, woo_store: Any, worker_factory: Any
) -> None:
    worker_factory(WEBHOOK_RETRY_BASE_SECONDS="0.5", WEBHOOK_RETRY_BUDGET_SECONDS="2", WEBHOOK_MAX_ATTEMPTS="3")
    set_faults(spark, down=True)
    event_id = deliver(live_connection, woo_store, simple_ids(woo_store, 1)[0])
    wait_for(lambda: WebhookEvent.objects.get(pk=event_id).state == EventState.FAILED, timeout=60, what="failed")
    failed = WebhookEvent.objects.get(pk=event_id)
    assert "TransientError" in failed.last_error
    assert "Traceback" in failed.traceback
    set_faults(spark)
    assert webhook_events_reprocess_failed(connection=live_connection) == [event_id]
    wait_for(lambda: WebhookEvent.objects.get(pk=event_id).state == EventState.SUCCEEDED, what="replayed")


def test_store_deliveries_over_http_are_processed(
    live_server: Any, live_connection: Connection, spark: Any, woo_store: Any, worker_factory: Any
) -> None:
    adapter = connection_platform_adapter(live_connection)
    adapter.register_webhooks(delivery_url=live_server.url + webhook_path(live_connection),
                              secret=live_connection.webhook_secret)  # fmt: skip
    worker_factory()
    changes = requests.post(f"{woo_store.url}/_sandbox/mutate", json={"count": 5, "seed": 3,
                            "kinds": ["product_update"]}, timeout=30).json()["changes"]  # fmt: skip
    assert requests.post(f"{woo_store.url}/_sandbox/webhooks/flush", timeout=60).json()["flushed"] is True
    deliveries = requests.get(f"{woo_store.url}/_sandbox/deliveries", timeout=10).json()
    assert {d["status"] for d in deliveries if d["topic"] != "ping"} == {200}
    changed = {str(c["id"]) for c in changes}
    wait_for(lambda: set(WebhookEvent.objects.filter(connection=live_connection).values_list("record_id", flat=True))
             >= changed, what="deliveries stored")  # fmt: skip
    wait_for(lambda: set(states(live_connection)) <= TERMINAL, what="deliveries processed")
