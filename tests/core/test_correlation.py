"""Correlation ids (request → stored event → task message → outbound call) and JSON logs with tracebacks."""

from __future__ import annotations

import json
import logging
import logging.config
import sys

import pytest
import redis
import responses
from django.conf import settings
from django.test import Client

from ignite_bridge.core import correlation
from ignite_bridge.core.http import HttpClientBase
from ignite_bridge.core.logging import build_logging


def test_a_request_keeps_a_valid_incoming_id_and_gets_one_otherwise(client: Client) -> None:
    assert client.get("/healthz", HTTP_X_REQUEST_ID="edge-42.a").headers["X-Request-ID"] == "edge-42.a"
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="x\nlevel=error injected").headers["X-Request-ID"]
    assert forged != "x\nlevel=error injected"
    assert len(forged) == 32
    assert correlation.current() == ""  # nothing leaks out of the request


@responses.activate
def test_outbound_calls_carry_the_bound_id() -> None:
    responses.add(responses.GET, "https://api.example.test/thing", json={})
    client = HttpClientBase("https://api.example.test", max_attempts=1)
    with correlation.bound("job-7"):
        client.request("GET", "/thing")
    client.request("GET", "/thing")
    assert responses.calls[0].request.headers["X-Request-ID"] == "job-7"
    assert "X-Request-ID" not in responses.calls[1].request.headers


@pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis://"), reason="reads the message in Redis")
def test_a_published_task_carries_the_id_and_its_send_time() -> None:
    from ignite_bridge.core.tasks import ping_task

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("realtime")
    with correlation.bound("webhook-abc"):
        ping_task.apply_async(args=("x",))
    ping_task.apply_async(args=("y",))  # none bound (beat): a fresh one
    messages = [json.loads(raw)["headers"] for raw in reversed(broker.lrange("realtime", 0, -1))]
    broker.delete("realtime")
    assert messages[0]["ignite_correlation_id"] == "webhook-abc"
    assert messages[1]["ignite_correlation_id"] not in ("", "webhook-abc")
    assert all(isinstance(headers["ignite_sent_at"], float) for headers in messages)


def test_json_log_lines_keep_the_whole_traceback_and_the_id(capsys: pytest.CaptureFixture[str]) -> None:
    config = build_logging(level="INFO", fmt="json")
    formatter = logging.config.dictConfigClass(config).configure_formatter(config["formatters"]["structured"])  # type: ignore[attr-defined]
    logger = logging.getLogger("tests.json")

    def fails_deep_inside() -> None:
        raise ValueError("store said no")

    try:
        fails_deep_inside()
    except ValueError:
        record = logger.makeRecord(
            "tests.json", logging.ERROR, __file__, 1, "push failed", (), sys.exc_info(), extra={"api_token": "s3cr3t"}
        )
    with correlation.bound("evt-9"):
        line = json.loads(formatter.format(record))
    assert line["event"] == "push failed"
    assert line["correlation_id"] == "evt-9"
    assert line["api_token"] == "***"
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert "fails_deep_inside" in line["exception"]
    assert line["exception"].rstrip().endswith("ValueError: store said no")
    assert "<traceback object" not in json.dumps(line)
