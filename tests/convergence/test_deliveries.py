"""The harness's webhook delivery: bodies built at delivery time and signed as WooCommerce signs them,
variation bodies as WooCommerce sends them, duplicates byte-identical, lost ones never sent, and
distinct deliveries never indistinguishable from a duplicate."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from connections.models import Connection
from platforms.woocommerce.webhooks import signature_for
from sandbox.woocommerce import products, variations, webhooks
from sandbox.woocommerce.app import WooCommerceSandbox
from tests.convergence import catalogue
from tests.convergence.actionlog import ActionLog
from tests.convergence.catalogue import Names
from tests.convergence.deliveries import DUPLICATE_RATE, LOSE_RATE, WebhookQueue
from tests.convergence.semantics import InvisibleChanges

SECRET = "convergence-webhook-secret"


class Recorder:
    """Stands in for the test client: keeps what would reach the intake, answers 200."""

    def __init__(self) -> None:
        self.posts: list[tuple[bytes, dict[str, Any]]] = []

    def post(self, path: str, data: bytes, content_type: str, **meta: Any) -> Any:
        self.posts.append((data, meta))
        return type("Answer", (), {"status_code": 200})()


class Rolls(random.Random):
    """A Random whose ``random()`` answers the given rolls first (the fate of each delivery)."""

    def __init__(self, *rolls: float) -> None:
        super().__init__(1)
        self.rolls = list(rolls)

    def random(self) -> float:
        return self.rolls.pop(0) if self.rolls else super().random()


@pytest.fixture
def store() -> Iterator[Any]:
    app = WooCommerceSandbox(products=0, customers=0, orders=0, seed=1)
    with app.store.lock:
        for topic in ("product.updated", "product.created"):
            webhooks.create(app.store, {"topic": topic, "delivery_url": "http://127.0.0.1:9/hook", "secret": SECRET})
    return app.store


def queue_for(store: Any, rng: random.Random) -> tuple[WebhookQueue, Recorder, InvisibleChanges]:
    invisible = InvisibleChanges()
    app = type("App", (), {"store": store})()
    queue = WebhookQueue(store_app=app, connection=Connection(platform="woocommerce"), rng=rng, log=ActionLog(0),
                         invisible=invisible)  # fmt: skip
    recorder = Recorder()
    queue.client = recorder  # type: ignore[assignment]
    store.listeners.append(queue.on_event)
    return queue, recorder, invisible


def test_a_variation_change_arrives_as_woocommerce_sends_it_with_the_body_read_at_delivery(store: Any) -> None:
    queue, recorder, _ = queue_for(store, Rolls(0.9))  # delivered at the step it happened
    names = Names(1, random.Random(1))
    with store.lock:
        product_id = catalogue.create_variable(store, names)
        variation_id = products.children(store, product_id)[0]
    queue.pending.clear()
    with store.lock:
        variations.update(store, product_id, variation_id, {"regular_price": "11.00"})
        variations.update(store, product_id, variation_id, {"regular_price": "12.00"}, emit=False)
    queue.flush()
    ((body, meta),) = recorder.posts
    payload = json.loads(body)
    assert (payload["id"], payload["type"], payload["parent_id"], payload["regular_price"]) == (
        variation_id, "variation", product_id, "12.00",
    )  # fmt: skip
    assert meta["HTTP_X_WC_WEBHOOK_TOPIC"] == "product.updated"
    assert meta["HTTP_X_WC_WEBHOOK_SIGNATURE"] == signature_for(body, SECRET)


def test_a_duplicate_is_the_same_bytes_and_headers_and_a_lost_delivery_is_never_sent(store: Any) -> None:
    rng = Rolls()
    queue, recorder, invisible = queue_for(store, rng)
    names = Names(1, random.Random(2))
    with store.lock:
        first = catalogue.create_simple(store, names)
        second = catalogue.create_simple(store, names)
    queue.pending.clear()
    # the fates of the two deliveries, then the flush's "shuffle?" and the duplicate's "at once?"
    rng.rolls = [LOSE_RATE + DUPLICATE_RATE / 2, LOSE_RATE / 2, 0.99, 0.1]
    with store.lock:
        products.update(store, first, {"name": "Renamed"})
        queue.dateless = True
        products.set_stock_silently(store, second, 3, notify=True)
        queue.dateless = False
    queue.flush()
    assert len(recorder.posts) == 2
    assert recorder.posts[0] == recorder.posts[1]
    assert json.loads(recorder.posts[0][0])["id"] == first
    assert set(invisible.marks) == {str(second)}  # a dateless change whose webhook was lost


def test_distinct_deliveries_with_identical_bodies_never_share_a_delivery_id(store: Any) -> None:
    queue, recorder, _ = queue_for(store, Rolls())
    queue.reliable = True
    names = Names(1, random.Random(3))
    with store.lock:
        product_id = catalogue.create_simple(store, names)
    queue.pending.clear()
    for quantity in (4, 5, 4):  # stock moved by orders: date unchanged, the first and last bodies are equal
        with store.lock:
            products.set_stock_silently(store, product_id, quantity, notify=True)
        queue.flush()
    bodies = [body for body, _meta in recorder.posts]
    ids = [meta["HTTP_X_WC_WEBHOOK_DELIVERY_ID"] for _body, meta in recorder.posts]
    assert bodies[0] == bodies[2] != bodies[1]
    assert ids[0] != ids[2]
