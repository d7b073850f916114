"""Optional tracing: nothing of OpenTelemetry when off; when on, one webhook is one trace from the
intake (gunicorn) through the Celery task (a real worker) to the SparkLayer write."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.processes import ROOT
from tests.workers import WorkerProcess, worker_environment


def test_tracing_off_imports_nothing_of_opentelemetry() -> None:
    script = (
        "import os, sys\n"
        "os.environ.pop('OTEL_EXPORTER_OTLP_ENDPOINT', None)\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'ignite_bridge.settings.test'\n"
        "import ignite_bridge.wsgi\n"
        "from django.test import Client\n"
        "assert Client().get('/healthz').status_code == 200\n"
        "from ignite_bridge.celery import app\n"
        "from celery import signals\n"
        "signals.worker_process_init.send(sender=None)\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


class Collector:
    """A tiny OTLP/HTTP receiver: keeps every span it is sent, with its service process."""

    def __init__(self) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        self.spans: list[dict[str, Any]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                for resource_spans in request.resource_spans:
                    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                    for scope in resource_spans.scope_spans:
                        for span in scope.spans:
                            attributes = {a.key: a.value.string_value or a.value.int_value for a in span.attributes}
                            collector.spans.append(
                                {
                                    "trace": span.trace_id.hex(),
                                    "name": span.name,
                                    "kind": span.kind,
                                    "process": resource.get("ignite.process"),
                                    "attributes": attributes,
                                }
                            )
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def collector() -> Iterator[Collector]:
    running = Collector()
    yield running
    running.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_one_webhook_is_one_trace_from_intake_to_the_sparklayer_write(
    collector: Collector, spark: Any, woo_store: Any, tmp_path: Path
) -> None:
    from ignite_bridge.celery import app
    from sync.models import EventState, WebhookEvent
    from sync.models.webhooks import PENDING_EVENT_STATES
    from tests.sync.helpers import make_connection
    from tests.sync.webhook_support import store_body, woo_headers

    app.control.purge()
    connection = make_connection(woo_store, site_id="traced-store")
    with woo_store.app.store.lock:
        product_id = next(
            i for i, h in woo_store.app.store.products.items() if h.type == "simple" and h.status == "publish"
        )
    otel = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "SPARKLAYER_URL_TEST": spark.url,
    }
    env = worker_environment(**otel)
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:ignite_bridge.gunicorn_conf", "ignite_bridge.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=env, stdout=(tmp_path / "web.log").open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    worker = WorkerProcess(env, queues="webhooks", concurrency=1).start()
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/healthz", timeout=10)
                break
            except requests.RequestException:  # not up yet, or still busy starting (a loaded machine)
                time.sleep(0.2)
        body = store_body(woo_store.app, "product", product_id)
        headers = {
            **woo_headers(body, connection.webhook_secret, "product.updated"),
            "Content-Type": "application/json",
        }
        response = requests.post(
            f"{base}/webhooks/woocommerce/{connection.uuid}/", data=body, headers=headers, timeout=10
        )
        assert response.status_code == 200, response.text
        event_id = response.json()["event"]

        def traced() -> str | None:
            by_trace: dict[str, list[dict[str, Any]]] = {}
            for span in list(collector.spans):
                by_trace.setdefault(span["trace"], []).append(span)
            for trace_id, spans in by_trace.items():
                processes = {s["process"] for s in spans}
                wrote = any(
                    "/api/v1/products" in str(s["attributes"].get("url.full") or s["attributes"].get("http.url") or "")
                    for s in spans
                    if s["process"] == "worker"
                )
                if {"web", "worker"} <= processes and wrote:
                    return trace_id
            return None

        def settled() -> bool:
            # The write's span can reach the collector before the worker commits the event's outcome.
            unsettled = (*PENDING_EVENT_STATES, EventState.PROCESSING)
            return traced() is not None and WebhookEvent.objects.get(pk=event_id).state not in unsettled

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not settled():
            time.sleep(0.2)
        assert WebhookEvent.objects.get(pk=event_id).state == EventState.SUCCEEDED
        trace_id = traced()
        summary = [
            (s["trace"][:8], s["process"], s["name"], s["attributes"].get("http.url", "")) for s in collector.spans
        ]
        assert trace_id is not None, "\n".join(map(str, summary))
        names = {s["name"] for s in collector.spans if s["trace"] == trace_id}
        assert any("webhook_process_task" in name for name in names), names  # the Celery task, in the same trace
    finally:
        worker.stop()
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=20)
