"""Helpers for the standard platform's tests: JSON fixtures in the Platform API's format, its sandbox, a connection
to it, captured webhook deliveries."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.test import Client

from connections.clients import connection_platform_adapter
from connections.models import Connection
from platforms.standard.conformance.receiver import Delivery, Receiver
from platforms.types import DataType
from sandbox.server import SandboxServer, serve_in_thread
from sandbox.standard import StandardSandbox
from tests.connections.support import connect_body
from tests.factories import ConnectionFactory

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "sandbox-token"
STOREFRONT_SECRET = "standard-storefront-secret-0123456789abcdef"


def load(name: str) -> Any:
    """A fresh copy of a fixture, safe to modify in the test."""
    return copy.deepcopy(json.loads((FIXTURES / name).read_text()))


def standard_store(**options: Any) -> SandboxServer:
    options = {"products": 40, "customers": 25, "orders": 12, "seed": 7, **options}
    return serve_in_thread(StandardSandbox(**options))


def std_connection(store: SandboxServer, **extra: Any) -> Connection:
    credentials = {"api_token": TOKEN, "storefront_login": "jwt", **extra.pop("credentials", {})}
    return ConnectionFactory(
        platform="standard",
        store_url=store.url,
        platform_credentials=credentials,
        storefront_secret=STOREFRONT_SECRET,
        **extra,
    )


def webhook_path(connection: Connection) -> str:
    return f"/webhooks/{connection.platform}/{connection.uuid}/"


@contextmanager
def captured_deliveries(connection: Connection, store: SandboxServer) -> Iterator[list[Delivery]]:
    """Subscribe a local receiver (through the adapter, with the connection's secret) and hand over
    what the store delivers inside the block, pings left out. Flushes the store's queue on exit."""
    found: list[Delivery] = []
    with Receiver() as receiver:
        connection_platform_adapter(connection).register_webhooks(
            delivery_url=receiver.url.rstrip("/") + webhook_path(connection), secret=connection.webhook_secret
        )
        yield found
        assert store.app.dispatcher.flush(30)
        found.extend(d for d in receiver.deliveries if b'"type":"ping"' not in d.body)


def post_delivery(client: Client, connection: Connection, delivery: Delivery) -> Any:
    meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in delivery.headers.items()
            if name.startswith("webhook-")}  # fmt: skip
    return client.post(webhook_path(connection), data=delivery.body, content_type="application/json", **meta)


def clean_product_ids(connection: Connection, count: int) -> list[str]:
    """Active products that map without issues (the seeded store has some with data problems)."""
    adapter = connection_platform_adapter(connection)
    found = []
    for page in adapter.iter_pages(DataType.PRODUCTS):
        for record in page.records:
            if record.payload is not None and not record.issues and record.stock:
                found.append(record.external_id)
    assert len(found) >= count
    return found[:count]


def arrival_order(deliveries: list[Delivery], rng: random.Random) -> list[Delivery]:
    """Each delivery one to three times (a sender's retries), in a shuffled order."""
    arrivals = [delivery for delivery in deliveries for _ in range(rng.randint(1, 3))]
    rng.shuffle(arrivals)
    return arrivals


#: the Ignite connect path of the standard sandbox store's site
URL = "/v1/test/std-store"


def body(store: Any, **extra_config: Any) -> dict[str, Any]:
    return connect_body(store.url, key=None, extra_config={"platform": "standard", "api_token": TOKEN, **extra_config})
