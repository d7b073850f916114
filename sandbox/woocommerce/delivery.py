"""Webhook delivery the way WooCommerce does it: queued, asynchronous, signed, no retries.

Store events are queued per active webhook whose topic matches; a pending ``(webhook, resource)``
job is not queued twice (Action Scheduler's collapse). A background worker builds the body *when it
delivers* (current state, or ``{"id"}`` for deleted), serialises it like ``wp_json_encode``, signs
it, and POSTs without following redirects. 200-302 is success; otherwise ``failure_count`` grows
and the webhook is disabled when a failure arrives while the count is above 5.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import requests

from sandbox.woocommerce import customers, orders, products, variations
from sandbox.woocommerce.common import WooError, now_ts, php_json
from sandbox.woocommerce.store import WooStore

logger = logging.getLogger(__name__)

USER_AGENT = "WooCommerce/9.8.5 Hookshot (WordPress/6.8.1)"
MAX_FAILURES = 5
LOG_SIZE = 10_000


@dataclass(frozen=True)
class Job:
    webhook_id: int
    topic: str
    resource_id: int


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def delivery_id(webhook_id: int, moment: int) -> str:
    """``wp_hash(webhook_id . time())``: the same for two deliveries of one webhook in one second."""
    return hmac.new(b"sandbox-wp-salt", f"{webhook_id}{moment}".encode(), hashlib.md5).hexdigest()


def resource_body(store: WooStore, resource: str, resource_id: int) -> dict[str, Any]:
    """What ``GET /wc/v3/<resource>s/<id>`` returns now, or its error object if the record is gone."""
    try:
        if resource == "product":
            if resource_id in store.variation_parent:
                return variations.render_as_product(store, resource_id)
            return products.render(store, resource_id)
        if resource == "customer":
            return customers.render(store, resource_id)
        if resource == "order":
            return orders.render(store, resource_id)
    except WooError as error:
        return error.as_json()
    return {"action": resource, "arg": resource_id}


class WebhookDispatcher:
    """Turns store events into deliveries on one background worker thread."""

    def __init__(self, store: WooStore, *, timeout: float = 10.0) -> None:
        self.store = store
        self.timeout = timeout
        self.enabled = True
        self.log: deque[dict[str, Any]] = deque(maxlen=LOG_SIZE)
        self._queue: queue.Queue[Job] = queue.Queue()
        self._pending: set[tuple[int, int]] = set()
        self._pending_lock = threading.Lock()
        self._session = requests.Session()
        self._worker = threading.Thread(target=self._run, name="woocommerce-webhooks", daemon=True)
        self._worker.start()
        store.listeners.append(self.on_event)

    def on_event(self, topic: str, resource_id: int) -> None:
        """Called under the store lock for every change; queues one job per matching active webhook."""
        if not self.enabled:
            return
        if topic == "webhook.ping":
            self._queue.put(Job(resource_id, "ping", 0))
            return
        for webhook in self.store.webhooks.values():
            if webhook["status"] != "active" or webhook["topic"] != topic:
                continue
            with self._pending_lock:
                key = (webhook["id"], resource_id)
                if key in self._pending:
                    continue
                self._pending.add(key)
            self._queue.put(Job(webhook["id"], topic, resource_id))

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued delivery has been attempted; False if it took longer than ``timeout``."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def pending(self) -> int:
        return self._queue.unfinished_tasks

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job.topic == "ping":
                    self._ping(job.webhook_id)
                else:
                    self._deliver(job)
            except Exception:  # the worker must survive anything one delivery does
                logger.exception("webhook delivery crashed", extra={"webhook_id": job.webhook_id})
            finally:
                self._queue.task_done()

    def _deliver(self, job: Job) -> None:
        with self._pending_lock:
            self._pending.discard((job.webhook_id, job.resource_id))
        with self.store.lock:
            webhook = self.store.webhooks.get(job.webhook_id)
            if webhook is None or webhook["status"] != "active" or not self.enabled:
                return
            resource, _, event = job.topic.partition(".")
            payload = (
                {"id": job.resource_id} if event == "deleted" else resource_body(self.store, resource, job.resource_id)
            )
            body = php_json(payload)
            moment = now_ts()
            headers = {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-WC-Webhook-Source": f"{self.store.base_url}/",
                "X-WC-Webhook-Topic": job.topic,
                "X-WC-Webhook-Resource": resource,
                "X-WC-Webhook-Event": event,
                "X-WC-Webhook-Signature": signature(body, webhook["secret"]),
                "X-WC-Webhook-ID": str(job.webhook_id),
                "X-WC-Webhook-Delivery-ID": delivery_id(job.webhook_id, moment),
            }
            url = webhook["delivery_url"]
        status, error, elapsed = self._post(url, body, headers)
        success = status is not None and 200 <= status <= 302
        with self.store.lock:
            webhook = self.store.webhooks.get(job.webhook_id)
            if webhook is not None:
                if success:
                    webhook["failure_count"] = 0
                elif webhook["failure_count"] > MAX_FAILURES:
                    webhook["status"] = "disabled"
                else:
                    webhook["failure_count"] += 1
        self._record(job.webhook_id, job.topic, job.resource_id, url, status, error, elapsed, headers)

    def _ping(self, webhook_id: int) -> None:
        with self.store.lock:
            webhook = self.store.webhooks.get(webhook_id)
            if webhook is None:
                return
            url = webhook["delivery_url"]
        headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT}
        status, error, elapsed = self._post(url, f"webhook_id={webhook_id}".encode(), headers)
        with self.store.lock:
            if status == 200 and webhook_id in self.store.webhooks:
                self.store.webhooks[webhook_id]["pending_delivery"] = False
        self._record(webhook_id, "ping", 0, url, status, error, elapsed, headers)

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None, float]:
        started = time.monotonic()
        try:
            response = self._session.post(url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            return None, f"{type(exc).__name__}: {exc}", time.monotonic() - started
        return response.status_code, None, time.monotonic() - started

    def _record(self, webhook_id: int, topic: str, resource_id: int, url: str, status: int | None,
                error: str | None, elapsed: float, headers: dict[str, str]) -> None:  # fmt: skip
        self.log.append(
            {
                "webhook_id": webhook_id,
                "topic": topic,
                "resource_id": resource_id,
                "url": url,
                "status": status,
                "error": error,
                "time": time.time(),
                "duration_ms": round(elapsed * 1000, 1),
                "delivery_id": headers.get("X-WC-Webhook-Delivery-ID"),
            }
        )
