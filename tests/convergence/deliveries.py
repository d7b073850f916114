"""Webhook delivery taken over from the store, with faults: lost, duplicated, reordered, delayed.

The store's own delivery is switched off. Every store event is queued here once per active webhook
of its topic (as WooCommerce queues it), and delivered to the bridge's intake in this process
(``POST /webhooks/woocommerce/<connection uuid>/`` through the Django test client): the body is
built *at delivery time* from the store's current record (``{"id": N}`` for a deleted topic), signed
with the webhook's secret, with WooCommerce's headers. ``X-WC-Webhook-Delivery-ID`` is a hash of the
webhook id and the unix second, so it is not unique within a second.

Two distinct deliveries with the same body and the same delivery id cannot be told apart from a
duplicate by anyone, so a fresh delivery that would repeat both waits for the next second (an
A-B-A change on a real store is that far apart unless two writes land within one second).
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass
from typing import Any

from django.test import Client

from connections.models import Connection
from sandbox.woocommerce.common import now_ts, php_json
from sandbox.woocommerce.delivery import USER_AGENT, delivery_id, resource_body, signature
from tests.convergence.actionlog import ActionLog
from tests.convergence.semantics import InvisibleChanges
from tests.sync.webhook_support import post_delivery

RESOURCE_TYPES = {"product": "products", "customer": "customers", "order": "purchases"}

#: share of deliveries lost, duplicated (the same bytes and headers again) and delayed by a few steps
LOSE_RATE = 0.12
DUPLICATE_RATE = 0.10
DELAY_RATE = 0.15
#: share of flushes that deliver what is due in a shuffled order
REORDER_RATE = 0.3


@dataclass
class Delivery:
    number: int
    webhook_id: int
    topic: str
    resource_id: int
    data_type: str
    record_id: str  # the record the bridge syncs: a variation's product
    dateless: bool  # the change behind it left date_modified alone
    fate: str  # deliver, lose, duplicate
    due_step: int

    def label(self) -> str:
        record = "" if str(self.resource_id) == self.record_id else f" (of {self.record_id})"
        return f"#{self.number} {self.topic} {self.resource_id}{record}"


@dataclass
class Replay:
    due_step: int
    delivery: Delivery
    body: bytes
    headers: dict[str, str]


class WebhookQueue:
    """The seed's deliveries. ``on_event`` is the store listener (it runs under the store lock)."""

    def __init__(
        self, *, store_app: Any, connection: Connection, rng: random.Random, log: ActionLog, invisible: InvisibleChanges
    ) -> None:
        self.store = store_app.store
        self.connection = connection
        self.rng = rng
        self.log = log
        self.invisible = invisible
        self.client = Client(SERVER_NAME="localhost")
        self.pending: list[Delivery] = []
        self.replays: list[Replay] = []
        self.numbers = 0
        self.step = 0
        self.dateless = False  # set while a change that leaves date_modified alone is made
        self.reliable = False  # set while an A-B-A sequence is made: every copy is delivered
        self.fresh: set[tuple[int, int, str]] = set()
        self.anomalies: list[str] = []
        self.delivered = 0

    # -- capture -------------------------------------------------------------------------------

    def on_event(self, topic: str, resource_id: int) -> None:
        resource = topic.partition(".")[0]
        data_type = RESOURCE_TYPES.get(resource)
        if data_type is None:
            return  # pings and topics the bridge does not subscribe to
        record_id = resource_id
        if resource == "product":
            record_id = self.store.variation_parent.get(resource_id, resource_id)
        for webhook in sorted(self.store.webhooks.values(), key=lambda w: w["id"]):
            if webhook["status"] != "active" or webhook["topic"] != topic:
                continue
            self.numbers += 1
            fate, due = self._fate()
            delivery = Delivery(self.numbers, webhook["id"], topic, resource_id, data_type, str(record_id),
                                self.dateless, fate, due)  # fmt: skip
            self.pending.append(delivery)
            if fate == "lose" and delivery.dateless and data_type == "products":
                self.invisible.mark(delivery.record_id, f"webhook {delivery.label()} of a dateless change lost")

    def _fate(self) -> tuple[str, int]:
        if self.reliable:
            return "deliver", self.step
        roll = self.rng.random()
        if roll < LOSE_RATE:
            return "lose", self.step
        if roll < LOSE_RATE + DUPLICATE_RATE:
            return "duplicate", self.step
        if roll < LOSE_RATE + DUPLICATE_RATE + DELAY_RATE:
            return "deliver", self.step + self.rng.randint(2, 5)
        return "deliver", self.step

    # -- delivery ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Deliver (or lose) what is due at the current step, sometimes in a shuffled order."""
        due = [d for d in self.pending if d.due_step <= self.step]
        replays = [r for r in self.replays if r.due_step <= self.step]
        if not due and not replays:
            return
        self.pending = [d for d in self.pending if d.due_step > self.step]
        self.replays = [r for r in self.replays if r.due_step > self.step]
        if len(due) > 1 and not self.reliable and self.rng.random() < REORDER_RATE:
            self.rng.shuffle(due)
            self.log.add("webhooks.reorder", " ".join(f"#{d.number}" for d in due))
        for delivery in due:
            self._handle(delivery)
        for replay in replays:
            self._post(replay.delivery, replay.body, replay.headers, what="webhook.duplicate")

    def deliver_all(self) -> None:
        """Quiescence: everything still queued arrives now, in order (the lost ones stay lost)."""
        for delivery in self.pending:
            self._handle(delivery)
        for replay in self.replays:
            self._post(replay.delivery, replay.body, replay.headers, what="webhook.duplicate")
        self.pending, self.replays = [], []

    def _handle(self, delivery: Delivery) -> None:
        if delivery.fate == "lose":
            self.log.add("webhook.lost", delivery.label())
            return
        built = self._build(delivery)
        if built is None:
            return
        body, headers = built
        self._post(delivery, body, headers, what="webhook")
        if delivery.fate == "duplicate":
            if self.rng.random() < 0.5:
                self._post(delivery, body, headers, what="webhook.duplicate")
            else:
                self.replays.append(Replay(self.step + self.rng.randint(1, 4), delivery, body, headers))

    def _build(self, delivery: Delivery) -> tuple[bytes, dict[str, str]] | None:
        while True:
            with self.store.lock:
                webhook = self.store.webhooks.get(delivery.webhook_id)
                if webhook is None or webhook["status"] != "active":
                    self.log.add("webhook.dropped", f"{delivery.label()}: the store's webhook is not active")
                    return None
                resource, _, event = delivery.topic.partition(".")
                payload = (
                    {"id": delivery.resource_id}
                    if event == "deleted"
                    else resource_body(self.store, resource, delivery.resource_id)
                )
                body = php_json(payload)
                secret, source = webhook["secret"], f"{self.store.base_url}/"
            moment = now_ts()
            key = (delivery.webhook_id, moment, hashlib.sha256(body).hexdigest())
            if key not in self.fresh:
                break
            time.sleep(max(0.0, moment + 1 - time.time()) + 0.01)  # see the module docstring
        self.fresh.add(key)
        headers = {
            "User-Agent": USER_AGENT,
            "X-WC-Webhook-Source": source,
            "X-WC-Webhook-Topic": delivery.topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": signature(body, secret),
            "X-WC-Webhook-ID": str(delivery.webhook_id),
            "X-WC-Webhook-Delivery-ID": delivery_id(delivery.webhook_id, moment),
        }
        return body, headers

    def _post(self, delivery: Delivery, body: bytes, headers: dict[str, str], *, what: str) -> None:
        response = post_delivery(self.client, self.connection, body, headers)
        self.delivered += 1
        self.log.add(what, f"{delivery.label()} -> {response.status_code}")
        if not 200 <= response.status_code <= 302:
            self.anomalies.append(f"the intake answered {response.status_code} to {what} {delivery.label()}")
            return
        if delivery.data_type == "products":
            self.invisible.covered(delivery.record_id)  # processing reads the record from now on
