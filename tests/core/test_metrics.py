"""/metrics: present and counting after known work, in this process and under gunicorn (multiprocess mode)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from ignite_bridge.core import metrics
from ignite_bridge.core.http import metrics_endpoint_template
from sparklayer.client import SparkLayerClient
from sparklayer.token_cache import InMemoryTokenStore
from tests.processes import ROOT
from tests.workers import worker_environment


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client: Client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


@pytest.mark.django_db
def test_web_metrics_count_webhooks_by_result_and_requests(client: Client) -> None:
    from tests.factories import ConnectionFactory
    from tests.sync.webhook_support import post_delivery, simple_body, woo_headers

    connection = ConnectionFactory()
    before = scrape(client)
    body = simple_body(101)
    headers = woo_headers(body, connection.webhook_secret, "product.updated")
    assert post_delivery(client, connection, body, headers).status_code == 200
    assert post_delivery(client, connection, body, headers).status_code == 200  # the same delivery again
    bad = {**headers, "X-WC-Webhook-Signature": "forged"}
    assert post_delivery(client, connection, body, bad).status_code == 401
    after = scrape(client)

    def delta(result: str, data_type: str = "") -> float:
        labels = {"platform": "woocommerce", "data_type": data_type, "result": result}
        return value(after, "ignite_webhooks_received_total", **labels) - value(
            before, "ignite_webhooks_received_total", **labels
        )

    assert delta("stored", "products") == 1
    assert delta("duplicate", "products") == 1
    assert delta("rejected_signature") == 1
    # requests by URL name (the route, not its arguments: one series for every connection's webhook URL)
    labels = {"view": "sync:webhook-receive", "method": "POST", "status": "200"}
    assert (
        value(after, "ignite_http_requests_total", **labels) - value(before, "ignite_http_requests_total", **labels)
        == 2
    )
    assert "django_db_execute_total" in after  # django-prometheus: PostgreSQL queries
    # scrape-time gauges of this database and broker
    assert 'ignite_webhook_events_waiting{data_type="products",platform="woocommerce"}' in after
    assert "ignite_celery_queue_length" in after


def test_metrics_off_serves_nothing_and_counts_nothing(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_enabled", False)
    assert client.get("/metrics").status_code == 404
    metrics.webhook_received(platform="woocommerce", result="stored")  # a no-op, not an error


def test_outbound_endpoint_templates_never_carry_ids() -> None:
    client = SparkLayerClient("http://127.0.0.1:1", "site", "id", "secret", token_store=InMemoryTokenStore())
    paths = {
        "/api/auth/token": "/api/auth/token",
        "/api/v1/products": "/api/v1/products",
        "/api/v1/products/sku%2F42": "/api/v1/products/{id}",
        "/api/v1/variants/v-1": "/api/v1/variants/{id}",
        "/api/v2/customers/platform/bob@x": "/api/v2/customers/platform/{id}",
        "/api/v1/purchases/platform/1001": "/api/v1/purchases/platform/{id}",
        "/api/v1/sync-log/ignite-bridge/products": "/api/v1/sync-log/{integration}/{data_type}",
        "/api/v1/batch-update-stock": "/api/v1/batch-update-stock",
        "/api/v2/price-lists": "/api/v2/price-lists",
        "/api/v9/anything-new/abc": "other",
    }
    assert {path: client.endpoint_template(path) for path in paths} == paths
    assert metrics_endpoint_template("/wp-json/wc/v3/products/12/variations/34") == (
        "/wp-json/wc/v3/products/{id}/variations/{id}"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.integration
def test_gunicorn_workers_report_together_in_multiprocess_mode(transactional_db: None, tmp_path: Path) -> None:
    """Two gunicorn workers: whichever answers /metrics reports the requests both of them served."""
    port = free_port()
    env = worker_environment(PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"), METRICS_ENABLED="true")
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "stale.db").write_bytes(b"left by an earlier run")  # wiped when gunicorn starts
    log = (tmp_path / "gunicorn.log").open("ab")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:ignite_bridge.gunicorn_conf", "ignite_bridge.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:  # not up yet, or slow to answer its first request
                time.sleep(0.2)
        session = requests.Session()
        for _ in range(40):  # a new connection each time: both workers take some
            assert requests.get(f"{base}/healthz", timeout=5, headers={"Connection": "close"}).status_code == 200
        counts = set()
        for _ in range(6):
            response = session.get(f"{base}/metrics", timeout=10, headers={"Connection": "close"})
            assert response.status_code == 200
            counts.add(value(response.text, "ignite_http_requests_total", view="healthz", method="GET", status="200"))
        assert counts == {41.0}, counts  # the 40 probes and the first one, whichever worker answers the scrape
        assert not (tmp_path / "metrics" / "stale.db").exists()
        assert len(list((tmp_path / "metrics").glob("*.db"))) >= 2  # one file per worker process at least
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
