"""Plain helpers shared by test packages (fixtures built on them live in ``tests/conftest.py``)."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests


def shared_gates_clear() -> None:
    """Forget every SparkLayer back-off, request budget and concurrency slot kept in the cache's Redis
    (they outlive a test: a 429 in one test would pause the next test's site)."""
    from ignite_bridge.core.shared_redis import cache_redis
    from sparklayer.budget import site_budgets_forget

    site_budgets_forget()
    client = cache_redis()
    if client is None:
        return
    keys = [
        key
        for pattern in ("*sparklayer-pause:*", "*sparklayer-budget:*", "*slots:*")
        for key in client.scan_iter(match=pattern, count=500)
    ]
    if keys:
        client.delete(*keys)


@dataclass
class Stores:
    """The SparkLayer and WooCommerce sandboxes the ``stores`` fixture hands over, with what tests ask of them."""

    spark: Any
    woo: Any

    @property
    def woo_url(self) -> str:
        return str(self.woo.url)

    def spark_register(self, site_id: str, client_id: str, client_secret: str) -> None:
        """Make the SparkLayer sandbox accept only this pair for the site (its control API)."""
        reply = requests.put(
            f"{self.spark.url}/_sandbox/sites/{site_id}/credentials",
            json={"client_id": client_id, "client_secret": client_secret},
            timeout=5,
        )
        assert reply.status_code == 204, reply.text

    def woo_add_key(self, key: str, secret: str) -> None:
        with self.woo.app.store.lock:
            self.woo.app.store.add_api_key(key, secret, permissions="read_write", description="test")

    def woo_webhooks(self, delivery_url: str | None = None) -> list[dict[str, Any]]:
        """The store's webhooks (as its REST API lists them), optionally only those to ``delivery_url``."""
        reply = requests.get(
            f"{self.woo_url}/wp-json/wc/v3/webhooks",
            params={"status": "all", "per_page": 100},
            auth=(self.woo.app.consumer_key, self.woo.app.consumer_secret),
            timeout=5,
        )
        assert reply.status_code == 200, reply.text
        hooks = reply.json()
        return [h for h in hooks if delivery_url is None or h["delivery_url"] == delivery_url]


class LoopbackHandler(BaseHTTPRequestHandler):
    """A test server's handler: HTTP/1.1 (keep-alive), every method to ``answer``, no log lines."""

    protocol_version = "HTTP/1.1"

    def answer(self) -> None:
        raise NotImplementedError

    def reply(self, status: int, body: bytes, headers: list[tuple[str, str]], reason: str | None = None) -> None:
        self.send_response(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], *, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """A threaded HTTP(S) server with ``handler`` on a free loopback port: its base URL, shut down after."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def emptied_broker_queue(name: str) -> Iterator[Any]:
    """A Redis client of the Celery broker with its queue ``name`` emptied before and after: for tests
    that read what was sent to it (``broker_messages``)."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(name)
    try:
        yield client
    finally:
        client.delete(name)


def broker_messages(client: Any, name: str) -> list[tuple[dict[str, Any], list[Any], dict[str, Any]]]:
    """(headers, args, kwargs) of every message waiting in the broker's queue ``name``, newest first
    (Celery's message protocol 2 on the Redis transport)."""
    import base64
    import json

    messages = []
    for raw in client.lrange(name, 0, -1):
        message = json.loads(raw)
        args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        messages.append((message["headers"], args, kwargs))
    return messages
