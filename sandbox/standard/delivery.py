"""Signed webhook deliveries of the standard platform sandbox (Standard Webhooks).

Each event goes to every active subscription that asked for its type, as
``POST <url>`` with ``{"type", "timestamp", "data": {"id"}}`` and the headers ``webhook-id``
(``msg_<hex>``, the same on every retry of a message), ``webhook-timestamp`` and
``webhook-signature``: ``v1`` with the subscription's ``whsec_`` secret, plus ``v1a`` (Ed25519)
when the sandbox has a signing key. A background thread delivers in order; a failed attempt
(non-2xx or transport error) is retried ``retries`` times after a short pause, then given up.

The signing is written out here with ``hmac``/``cryptography`` rather than imported from the
bridge, so the sandbox stays an independent implementation of the documented scheme.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sandbox.standard.store import PlatformStore, now, rfc3339

DELIVERY_LOG_SIZE = 10_000
RETRY_PAUSES = (0.2, 1.0, 3.0)


def sign_v1(secret: str, content: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_") + "==")
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def sign_v1a(private_key: Ed25519PrivateKey, content: bytes) -> str:
    return "v1a," + base64.b64encode(private_key.sign(content)).decode()


@dataclass
class Message:
    subscription_id: str
    url: str
    secret: str
    body: bytes
    event_type: str
    record_id: str
    webhook_id: str = field(default_factory=lambda: f"msg_{uuid.uuid4().hex}")
    attempt: int = 0


class WebhookDispatcher:
    """Queues the store's events and delivers them from one background thread."""

    def __init__(
        self,
        store: PlatformStore,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        signing_key: Ed25519PrivateKey | None = None,
        bad_signatures: bool = False,
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.retries = retries
        self.signing_key = signing_key
        self.bad_signatures = bad_signatures  # a broken platform: signs with a secret nobody was given
        self.enabled = True
        self.log: deque[dict[str, Any]] = deque(maxlen=DELIVERY_LOG_SIZE)
        self._queue: queue.Queue[Message] = queue.Queue()
        self._idle = threading.Condition()
        self._busy = 0
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._run, name="standard-sandbox-webhooks", daemon=True)
        self._thread.start()
        store.emit = self.emit

    def emit(self, event_type: str, record_id: str) -> None:
        """Called by the store (under its lock) for every change."""
        if not self.enabled:
            return
        body = json.dumps(
            {"type": event_type, "timestamp": rfc3339(now()), "data": {"id": record_id}}, separators=(",", ":")
        ).encode()
        for subscription in self.store.subscriptions.values():
            if subscription["status"] != "active":
                continue
            if event_type != "ping" and event_type not in subscription["events"]:
                continue
            self.send(
                Message(subscription["id"], subscription["url"], subscription["secret"], body, event_type, record_id)
            )

    def send(self, message: Message) -> None:
        with self._idle:
            self._busy += 1
        self._queue.put(message)

    def ping(self, subscription: dict[str, Any]) -> None:
        body = json.dumps(
            {"type": "ping", "timestamp": rfc3339(now()), "data": {"id": subscription["id"]}}, separators=(",", ":")
        ).encode()
        self.send(
            Message(subscription["id"], subscription["url"], subscription["secret"], body, "ping", subscription["id"])
        )

    def headers(self, message: Message) -> dict[str, str]:
        timestamp = str(int(time.time()))
        content = f"{message.webhook_id}.{timestamp}.".encode() + message.body
        secret = message.secret
        if self.bad_signatures:
            secret = "whsec_" + base64.b64encode(b"a secret nobody was given!").decode()
        signatures = [sign_v1(secret, content)]
        if self.signing_key is not None and not self.bad_signatures:
            signatures.append(sign_v1a(self.signing_key, content))
        return {
            "Content-Type": "application/json",
            "webhook-id": message.webhook_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": " ".join(signatures),
        }

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued delivery (retries included) is done."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def _run(self) -> None:
        while True:
            message = self._queue.get()
            try:
                retry = self._deliver(message)
            except Exception:  # noqa: BLE001 - a delivery bug must not kill the thread
                retry = False
            if retry:
                threading.Timer(
                    RETRY_PAUSES[min(message.attempt, len(RETRY_PAUSES)) - 1], self._queue.put, (message,)
                ).start()
                continue
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def _deliver(self, message: Message) -> bool:
        """One attempt; True when it should be tried again."""
        message.attempt += 1
        started = time.monotonic()
        status: int | None = None
        error = ""
        try:
            response = self._session.post(
                message.url,
                data=message.body,
                headers=self.headers(message),
                timeout=self.timeout,
                allow_redirects=False,
            )
            status = response.status_code
        except requests.RequestException as exc:
            error = type(exc).__name__
        self.log.append(
            {
                "webhook_id": message.webhook_id,
                "subscription_id": message.subscription_id,
                "type": message.event_type,
                "record_id": message.record_id,
                "url": message.url,
                "attempt": message.attempt,
                "status": status,
                "error": error,
                "time": time.time(),
                "duration_ms": round((time.monotonic() - started) * 1000, 2),
            }
        )
        succeeded = status is not None and 200 <= status < 300
        return not succeeded and message.attempt <= self.retries
