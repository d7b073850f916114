"""Property: duplicated, reordered deliveries end with SparkLayer holding the store's current state,
and each record written at most once per distinct change."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.clients import connection_platform_adapter
from platforms.types import DataType
from sandbox.woocommerce import products as woo_products
from sync.engine.hashing import record_hashes
from sync.incremental.processing import webhook_event_process
from sync.models import EventState, PushLog, RecordState, WebhookEvent
from tests.sync.helpers import make_connection, spark_state
from tests.sync.webhook_support import post_delivery, store_body, woo_headers

pytestmark = pytest.mark.django_db

SITES = itertools.count()

changes_strategy = st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=8)  # which product changes


def clean_products(connection: Any, store: Any) -> list[int]:
    """Four simple products that map without issues (some seeded ones carry deliberate data problems)."""
    adapter = connection_platform_adapter(connection)
    with store.lock:
        candidates = sorted(i for i, h in store.products.items() if h.type == "simple" and h.status == "publish")
    found = []
    for product_id in candidates:
        record = adapter.fetch_record(DataType.PRODUCTS, str(product_id))
        if record is not None and record.payload is not None and not record.issues:
            found.append(product_id)
        if len(found) == 4:
            return found
    raise AssertionError("the seeded store has fewer than four clean simple products")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=changes_strategy, data=st.data())
def test_duplicates_and_reordering_converge(changes: list[int], data: Any, spark: Any, woo_store: Any) -> None:
    connection = make_connection(woo_store, site_id=f"prop-{next(SITES)}")
    store = woo_store.app.store
    product_ids = clean_products(connection, store)

    # Each change builds its delivery body at once (what WooCommerce would sign), 1-3 copies of each.
    deliveries: list[tuple[bytes, dict[str, str]]] = []
    distinct_changes: dict[str, int] = {}
    for n, index in enumerate(changes):
        product_id = product_ids[index]
        with store.lock:
            woo_products.update(store, product_id, {"name": f"Change {n} of {product_id} @ {connection.site_id}"})
        body = store_body(woo_store.app, "product", product_id)
        headers = woo_headers(body, connection.webhook_secret, "product.updated")
        copies = data.draw(st.integers(min_value=1, max_value=3), label="copies")
        deliveries.extend([(body, headers)] * copies)
        distinct_changes[str(product_id)] = distinct_changes.get(str(product_id), 0) + 1
    order = data.draw(st.permutations(range(len(deliveries))), label="arrival order")

    client = Client()
    pending: list[int] = []
    for position in order:
        body, headers = deliveries[position]
        response = post_delivery(client, connection, body, headers)
        assert response.status_code == 200
        if response.json()["stored"]:
            pending.append(response.json()["event"])
        if pending and data.draw(st.booleans(), label="process now"):  # processing interleaves with arrival
            webhook_event_process(event_id=pending.pop(data.draw(st.integers(0, len(pending) - 1), label="which")))
    for event_id in pending:
        webhook_event_process(event_id=event_id)

    events = WebhookEvent.objects.filter(connection=connection)
    # Every distinct delivery is stored; a copy is stored again only when the first copy was
    # already read (it may carry a later change: A-B-A), never while the first one waits.
    assert len(changes) <= events.count() <= len(deliveries)
    assert set(events.values_list("state", flat=True)) <= {EventState.SUCCEEDED, EventState.SUPERSEDED}

    adapter = connection_platform_adapter(connection)
    for external_id, change_count in distinct_changes.items():
        current = adapter.fetch_record(DataType.PRODUCTS, external_id)
        assert current is not None
        state = RecordState.objects.get(connection=connection, data_type="products", external_id=external_id)
        assert state.content_hash == record_hashes(current).content  # SparkLayer holds the current state
        writes = PushLog.objects.filter(connection=connection, external_id=external_id, operation="upsert").count()
        assert 1 <= writes <= change_count
    spark_products = {p["external_id"]: p for p in spark_state(spark, connection.site_id, "products")["products"]}
    for external_id in distinct_changes:
        with store.lock:
            assert spark_products[external_id]["title"] == woo_products.stored(store, int(external_id))["name"]
