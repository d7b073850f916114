"""The standard platform through the bridge, in-process: full sync field for field, pull, deletions,
and webhooks (duplicated, reordered, A-B-A), against the standard and SparkLayer sandboxes over HTTP.

The same story as the WooCommerce tests (``tests/sync``), with their helpers: what lands in
SparkLayer is compared with what the adapter maps from the store, record for record.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from connections.clients import connection_platform_adapter
from connections.models import Connection
from platforms.types import DataType
from sync.engine.hashing import record_hashes
from sync.incremental.processing import webhook_event_process
from sync.models import EventOutcome, EventState, IssueState, RecordState, SyncIssue, WebhookEvent
from tests.platforms.standard.support import arrival_order, captured_deliveries, clean_product_ids, post_delivery
from tests.sync.helpers import (
    assert_catalogue_landed,
    expected_products,
    run_full,
    spark_calls,
    spark_state,
    spark_writes,
)

pytestmark = pytest.mark.django_db(transaction=True)


def mapped(connection: Connection, data_type: DataType) -> dict[str, Any]:
    """external id → the payload the adapter maps, for every record of a type that can be pushed."""
    pages = connection_platform_adapter(connection).iter_pages(data_type)
    return {r.external_id: r.payload for page in pages for r in page.records if r.payload is not None}


def with_issues(connection: Connection, data_type: DataType) -> set[str]:
    pages = connection_platform_adapter(connection).iter_pages(data_type)
    return {r.external_id for page in pages for r in page.records if r.issues}


def assert_holds(stored: Any, sent: Any, where: str = "") -> None:
    """SparkLayer holds everything that was sent (it adds ids and timestamps of its own)."""
    if isinstance(sent, Mapping):
        for key, value in sent.items():
            assert key in stored, f"{where}.{key} missing"
            assert_holds(stored[key], value, f"{where}.{key}")
    elif isinstance(sent, list) and sent and all(isinstance(i, Mapping) and "external_id" in i for i in sent):
        by_id = {item["external_id"]: item for item in stored}
        assert set(by_id) == {item["external_id"] for item in sent}, where
        for item in sent:
            assert_holds(by_id[item["external_id"]], item, f"{where}[{item['external_id']}]")
    else:
        assert stored == sent, (where, stored, sent)


@pytest.mark.parametrize("data_type", ["products", "customers", "purchases", "merchant"])
def test_full_sync_lands_field_for_field_with_issues_and_a_rerun_writes_nothing(
    connection: Connection, spark: Any, data_type: str
) -> None:
    job = run_full(connection, data_type)
    state = spark_state(spark, connection.site_id, "products,stock,pricing,customers,purchases,settings")
    if data_type == "products":
        assert_catalogue_landed(connection, state)
    elif data_type == "customers":
        landed = {customer["external_id"]: customer for customer in state["customers"]}
        expected = mapped(connection, DataType.CUSTOMERS)
        assert set(landed) == set(expected)
        for external_id, payload in expected.items():
            assert_holds(landed[external_id], payload, external_id)
    elif data_type == "purchases":
        landed = {purchase["purchase_identifiers"]["platform"]: purchase for purchase in state["purchases"]}
        expected = mapped(connection, DataType.PURCHASES)
        assert set(landed) == set(expected)
        for external_id, payload in expected.items():
            assert_holds(landed[external_id], payload, external_id)
    else:
        assert {s["key"]: s["value"] for s in state["settings"]} == {
            "currency_code": "gbp", "weight_unit": "kg", "prices_include_tax": False,
        }  # fmt: skip
    open_issues = SyncIssue.objects.filter(connection=connection, data_type=data_type, state=IssueState.OPEN)
    if data_type in ("products", "customers"):  # the seeded store has records with data problems
        assert set(open_issues.values_list("external_id", flat=True)) == with_issues(connection, DataType(data_type))
        assert open_issues.exists()
        assert all(issue.platform_url.startswith(connection.store_url) for issue in open_issues)
    assert job.pushed > 0
    writes = spark_writes(spark, connection.site_id)
    again = run_full(connection, data_type)
    assert again.pushed == 0
    assert spark_writes(spark, connection.site_id) == writes + 2  # the two sync-log PUTs, no record write


def pull_all(api_client: APIClient, connection: Connection, data_type: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page: str | None = None
    for _ in range(50):
        response = api_client.get(f"/v1/test/{connection.site_id}/sync/{data_type}", {"page": page} if page else {})
        assert response.status_code == 200, response.content
        items.extend(response.json()["data"])
        page = response.json()["next_page"]
        if page is None:
            return items
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("data_type", ["products", "customers", "purchases", "stock"])
def test_pull_returns_every_record_once_in_the_pushed_shape(
    api_client: APIClient, connection: Connection, data_type: str, settings: Any
) -> None:
    items = pull_all(api_client, connection, data_type)
    if data_type == "stock":
        assert {row["sku"]: row for row in items} == expected_products(connection)[1]
        assert len(items) == len(expected_products(connection)[1])
        return
    expected = mapped(connection, DataType(data_type))
    assert items == list(expected.values())  # once each, in the platform's order, exactly the pushed shape


@pytest.mark.parametrize("via", ["full sync", "webhook"])
def test_products_deleted_on_the_store_are_discontinued_with_their_stock_removed(
    connection: Connection, spark: Any, std_store: Any, via: str
) -> None:
    run_full(connection, "products")
    gone = clean_product_ids(connection, 3)
    with captured_deliveries(connection, std_store) as deliveries, std_store.app.store.lock:
        skus = {sku for pid in gone for v in std_store.app.store.get("products", pid)["variants"] if (sku := v["sku"])}
        for product_id in gone:
            std_store.app.store.delete("products", product_id)
    if via == "full sync":
        assert run_full(connection, "products").deleted == 3
    else:
        client = Client()
        events = [post_delivery(client, connection, d).json()["event"] for d in deliveries]
        assert len(events) == 3
        for event_id in events:
            webhook_event_process(event_id=event_id)
        outcomes = set(WebhookEvent.objects.filter(pk__in=events).values_list("state", "outcome"))
        assert outcomes == {(EventState.SUCCEEDED, EventOutcome.DELETED)}
    state = spark_state(spark, connection.site_id, "products,stock")
    stored = {p["external_id"]: p for p in state["products"]}
    for product_id in gone:
        assert {v["status"] for v in stored[product_id]["variants"]} == {"discontinued"}
    assert not skus & {row["sku"] for row in state["stock"]}
    assert RecordState.objects.filter(connection=connection, data_type="products", deleted=True).count() == 3
    assert any(c["route"] == "/api/v1/batch-delete-stock" for c in spark_calls(spark, connection.site_id))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_duplicated_and_reordered_deliveries_converge_on_the_store(
    connection: Connection, spark: Any, std_store: Any, seed: int
) -> None:
    """Renames and stock moves (5 → 4 → 5: the last delivery's record equals the first's) of four
    products, each delivery arriving one to three times in a random order, processing interleaved
    with arrival. SparkLayer ends up holding every product as the store has it, each delivery is
    stored once (``webhook-id`` is its key), and nothing is written twice for one change."""
    rng = random.Random(seed)
    product_ids = clean_product_ids(connection, 4)
    store = std_store.app.store
    with captured_deliveries(connection, std_store) as deliveries:
        for n in range(8):
            product_id = rng.choice(product_ids)
            with store.lock:
                if n % 2:
                    store.update_product(product_id, {"title": f"Change {n} of {product_id}"})
                else:
                    sku = next(v["sku"] for v in store.get("products", product_id)["variants"] if v["sku"])
                    for level in (5, 4, 5):
                        store.set_stock(sku, level)
    client = Client()
    pending: list[int] = []
    for delivery in arrival_order(deliveries, rng):
        response = post_delivery(client, connection, delivery)
        assert response.status_code == 200, response.content
        if response.json()["stored"]:
            pending.append(response.json()["event"])
        if pending and rng.random() < 0.5:
            webhook_event_process(event_id=pending.pop(rng.randrange(len(pending))))
    for event_id in pending:
        webhook_event_process(event_id=event_id)

    events = WebhookEvent.objects.filter(connection=connection)
    assert events.count() == len(deliveries)  # one row per delivery, whatever the copies
    assert set(events.values_list("dedupe_key", flat=True)) == {d.headers["webhook-id"] for d in deliveries}
    assert set(events.values_list("state", flat=True)) <= {EventState.SUCCEEDED, EventState.SUPERSEDED}
    adapter = connection_platform_adapter(connection)
    landed = {p["external_id"]: p for p in spark_state(spark, connection.site_id, "products")["products"]}
    stock = {row["sku"]: row["stock_level"] for row in spark_state(spark, connection.site_id, "stock")["stock"]}
    for product_id in {str(e) for e in events.values_list("record_id", flat=True)}:
        current = adapter.fetch_record(DataType.PRODUCTS, product_id)
        assert current is not None
        assert current.payload is not None
        state = RecordState.objects.get(connection=connection, data_type="products", external_id=product_id)
        assert state.content_hash == record_hashes(current).content
        assert landed[product_id]["title"] == current.payload["title"]
        assert {row["sku"]: stock[row["sku"]] for row in current.stock} == {
            r["sku"]: r["stock_level"] for r in current.stock
        }
