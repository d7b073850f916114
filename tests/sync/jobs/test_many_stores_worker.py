"""Operating many stores, through REAL Celery workers, Redis, PostgreSQL and both sandboxes:

* a worker's /metrics (its whole prefork pool, multiprocess mode) after known work;
* one correlation id from the webhook's request through the task to the outbound calls' log lines;
* one SparkLayer budget shared by two worker processes: a sandbox limited to N calls a second sees
  no more than N in any second, and never answers 429.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from connections.models import Connection
from sync.models import EventState, WebhookEvent, WebhookEventAttempt
from tests.sync.helpers import make_connection, spark_calls
from tests.sync.webhook_support import as_meta, store_body, wait_for, webhook_path, woo_headers
from tests.workers import WorkerProcess, worker_environment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def workers(spark: Any) -> Iterator[Any]:
    from ignite_bridge.celery import app

    app.control.purge()
    started: list[WorkerProcess] = []

    def start(concurrency: int = 2, **env: str) -> WorkerProcess:
        worker = WorkerProcess(
            worker_environment(SPARKLAYER_URL_TEST=spark.url, **env), queues="webhooks", concurrency=concurrency
        ).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def product_ids(store: Any, count: int) -> list[int]:
    with store.app.store.lock:
        ids = [
            i for i, h in store.app.store.products.items() if h.type in ("simple", "variable") and h.status == "publish"
        ]
    assert len(ids) >= count
    return ids[:count]


def deliver(connection: Connection, store: Any, product_id: int, request_id: str = "") -> int:
    body = store_body(store.app, "product", product_id)
    meta = as_meta(woo_headers(body, connection.webhook_secret, "product.updated", delivery_id=f"d{product_id}"))
    if request_id:
        meta["HTTP_X_REQUEST_ID"] = request_id
    response = Client().post(webhook_path(connection), data=body, content_type="application/json", **meta)
    assert response.status_code == 200, response.content
    if request_id:
        assert response["X-Request-ID"] == request_id
    return int(response.json()["event"])


def all_done(event_ids: list[int]) -> bool:
    states = set(WebhookEvent.objects.filter(pk__in=event_ids).values_list("state", flat=True))
    return states <= {EventState.SUCCEEDED, EventState.SUPERSEDED}


def test_a_worker_serves_its_pool_metrics_and_the_correlation_id_follows_the_webhook(
    spark: Any, woo_store: Any, workers: Any, tmp_path: Path
) -> None:
    connection = make_connection(woo_store, site_id="metrics-store", push_concurrency=2)
    port = free_port()
    worker = workers(
        concurrency=3, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"), METRICS_PORT=str(port), LOG_FORMAT="json"
    )
    ids = product_ids(woo_store, 6)
    with woo_store.app.store.lock:
        simple = next(
            i for i, h in woo_store.app.store.products.items() if h.type == "simple" and h.status == "publish"
        )
    ids = [simple, *[i for i in ids if i != simple][:5]]
    event_ids = [deliver(connection, woo_store, ids[0], request_id="trace-me-1")]
    event_ids += [deliver(connection, woo_store, i) for i in ids[1:]]
    wait_for(lambda: all_done(event_ids), timeout=60, what="events processed")

    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }

    def total(name: str, **labels: str) -> float:
        return sum(v for (n, ls), v in found.items() if n == name and set(labels.items()) <= set(ls))

    assert total("ignite_webhook_events_finished_total", platform="woocommerce", data_type="products") == 6
    assert total("ignite_webhook_event_lag_seconds_count", platform="woocommerce", data_type="products") == 6
    assert total("ignite_outbound_requests_total", service="woocommerce", endpoint="/wp-json/wc/v3/products/{id}") >= 6
    assert total("ignite_outbound_requests_total", service="sparklayer", endpoint="/api/auth/token", status="200") >= 1
    pushed = WebhookEvent.objects.filter(pk__in=event_ids, outcome="pushed").count()
    assert total("ignite_webhook_events_finished_total", state="succeeded", outcome="pushed") == pushed
    assert not [
        n for n, labels in found if n.startswith("ignite_") and dict(labels).get("site_id")
    ]  # no per-store series

    traced = WebhookEvent.objects.get(pk=event_ids[0])
    assert traced.headers.get("X-Request-Id") == "trace-me-1"  # stored with the event
    lines = [json.loads(line) for line in worker.log().splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("correlation_id") == "trace-me-1"]
    assert {"woocommerce request", "sparklayer request"} <= {line["event"] for line in mine}, worker.log()[-3000:]
    # the product write itself is sent from the push path's thread pool: the id went along
    assert WebhookEvent.objects.get(pk=event_ids[0]).outcome == "pushed"
    assert {"/api/v1/products", "/api/v1/batch-update-stock"} & {line.get("path") for line in mine}
    others = {line.get("correlation_id") for line in lines if line.get("event") == "woocommerce request"}
    assert len(others) >= 2  # the other deliveries have ids of their own


def test_two_workers_share_one_budget_and_the_site_never_sees_more_or_a_429(
    spark: Any, woo_store: Any, workers: Any, settings: Any
) -> None:
    settings.WEBHOOK_NUDGE_WINDOW_MS = 0  # a task per event: both workers get work
    limit = 8
    requests.put(f"{spark.url}/_sandbox/faults", json={"rate_limit_per_second": limit}, timeout=10).raise_for_status()
    connection = make_connection(woo_store, site_id="budget-store", push_concurrency=2)
    env = {"SPARKLAYER_MAX_RPS_PER_SITE": str(limit), "WEBHOOK_MAX_CONCURRENCY_PER_CONNECTION": "4"}
    workers(concurrency=2, **env)
    workers(concurrency=2, **env)
    event_ids = [deliver(connection, woo_store, i) for i in product_ids(woo_store, 12)]
    wait_for(lambda: all_done(event_ids), timeout=120, what="events processed")

    calls = spark_calls(spark, connection.site_id)
    assert not [call for call in calls if call["status"] == 429]
    times = sorted(call["timestamp"] for call in calls)
    # the sandbox stamps a call when its answer is ready: 0.9 s windows leave handler time out
    assert max(sum(1 for t in times if start <= t < start + 0.9) for start in times) <= limit
    assert len(calls) >= 2 * len(event_ids)  # they did write: the product and its stock/prices or sync log
    used = {
        worker for worker in WebhookEventAttempt.objects.filter(event_id__in=event_ids).values_list("worker", flat=True)
    }
    assert len(used) == 2  # both worker processes wrote to the site


def test_one_store_never_gets_more_than_its_cap_of_workers_across_processes(
    spark: Any, woo_store: Any, workers: Any, settings: Any
) -> None:
    settings.WEBHOOK_NUDGE_WINDOW_MS = 0  # a task per event: every worker process wants this store's events
    busy = make_connection(woo_store, site_id="busy-store", push_concurrency=1)
    env = {"WEBHOOK_MAX_CONCURRENCY_PER_CONNECTION": "1"}
    workers(concurrency=2, **env)
    workers(concurrency=2, **env)
    event_ids = [deliver(busy, woo_store, i) for i in product_ids(woo_store, 14)]
    wait_for(lambda: all_done(event_ids), timeout=120, what="events processed")

    attempts = list(
        WebhookEventAttempt.objects.filter(event_id__in=event_ids).values_list("started_at", "finished_at", "worker")
    )
    assert len(attempts) >= len(event_ids) - 1  # one attempt per event (coalescing may merge one)
    edges = sorted([(start, 1) for start, _, _ in attempts] + [(end, -1) for _, end, _ in attempts])
    running, most = 0, 0
    for _, step in edges:
        running += step
        most = max(most, running)
    assert most == 1  # four worker processes, one store: never two of its events at once
