"""Helpers for the webhook tests: WooCommerce-format signed deliveries, sandbox records, waiting."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from django.test import Client

from connections.models import Connection
from platforms.woocommerce.webhooks import signature_for
from sandbox.woocommerce.common import php_json
from sandbox.woocommerce.delivery import resource_body
from sync.models import WebhookEvent


def webhook_path(connection: Connection) -> str:
    return f"/webhooks/{connection.platform}/{connection.uuid}/"


def woo_headers(
    body: bytes, secret: str, topic: str, *, webhook_id: int = 7, delivery_id: str = "d1"
) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {
        "X-WC-Webhook-Source": "http://store.example/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": signature_for(body, secret),
        "X-WC-Webhook-ID": str(webhook_id),
        "X-WC-Webhook-Delivery-ID": delivery_id,
    }


def as_meta(headers: dict[str, str]) -> dict[str, str]:
    """Django test-client spelling of request headers."""
    return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}


def post_delivery(client: Client, connection: Connection, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(webhook_path(connection), data=body, content_type="application/json", **as_meta(headers))


def store_body(store_app: Any, resource: str, record_id: int, *, deleted: bool = False) -> bytes:
    """The body WooCommerce would send now for ``resource`` ``record_id`` (``wp_json_encode``)."""
    if deleted:
        return php_json({"id": record_id})
    with store_app.store.lock:
        return php_json(resource_body(store_app.store, resource, record_id))


def deliver_product(connection: Connection, store: Any, record_id: int, delivery: str = "d1") -> WebhookEvent:
    """Post the store's current body of product ``record_id`` as a signed delivery; returns the stored event."""
    body = store_body(store.app, "product", record_id)
    headers = woo_headers(body, connection.webhook_secret, "product.updated", delivery_id=delivery)
    response = post_delivery(Client(), connection, body, headers)
    assert response.status_code == 200, response.content
    return WebhookEvent.objects.get(pk=response.json()["event"])


def simple_body(record_id: int = 101, modified: str = "2025-01-02T03:04:05") -> bytes:
    return json.dumps({"id": record_id, "type": "simple", "date_modified_gmt": modified}).encode()


def wait_for(check: Callable[[], bool], *, timeout: float = 30.0, interval: float = 0.1, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
