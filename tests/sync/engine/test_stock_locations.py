"""Stock locations (issue: SparkLayer answers 400 to stock at a location it does not have).

End to end against both sandboxes: the first stock write of a connection is preceded by the
store's location (``default``, named by the store's address); a changed address renames it on the
next full sync; a location deleted in SparkLayer behind the bridge's back is created again when a
stock write is refused for it, and the refused rows are sent again.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.test import Client

from connections.clients import connection_sparklayer_client
from connections.models import Connection
from sandbox.woocommerce import products as woo_products
from sync.incremental.processing import webhook_event_process
from sync.models import EventState, SyncIssue
from tests.sync.helpers import deliver, expected_products, run_full, simple_product_id, spark_calls, spark_state

pytestmark = pytest.mark.django_db(transaction=True)
STORE_LOCATION = {"external_id": "default", "name": "1 Sandbox Street, London, EC1A 1BB"}


def locations(spark: Any) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in row.items() if k != "id"} for row in spark.app.sites["bobs-store"].stock_locations.values()
    ]


def test_the_store_location_exists_before_the_first_stock_write(connection: Connection, spark: Any) -> None:
    run_full(connection, "products")

    assert locations(spark) == [STORE_LOCATION]
    stock = spark_state(spark, "bobs-store", "stock")["stock"]
    assert {row["sku"] for row in stock} == set(expected_products(connection)[1])
    assert {row["stock_location_external_id"] for row in stock} == {"default"}
    routes = [(c["method"], c["route"], c["status"]) for c in spark_calls(spark, "bobs-store")]
    created = routes.index(("POST", "/api/v1/stock-locations", 200))
    assert created < routes.index(("POST", "/api/v1/batch-update-stock", 204))
    assert not [r for r in routes if r[1] == "/api/v1/batch-update-stock" and r[2] != 204]  # never refused
    assert not SyncIssue.objects.filter(connection=connection).exclude(code__in=ISSUES_OF_THE_STORE).exists()


#: issues the generated store has on purpose (no SKU, duplicate SKUs, bad prices...), not ours
ISSUES_OF_THE_STORE = {
    "product_missing_sku", "variant_missing_sku", "duplicate_sku", "unsupported_product_type", "price_not_a_number",
}  # fmt: skip


def test_a_changed_store_address_renames_the_location_on_the_next_full_sync(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    run_full(connection, "products")
    auth = (woo_store.app.consumer_key, woo_store.app.consumer_secret)
    requests.put(
        f"{woo_store.url}/wp-json/wc/v3/settings/general/woocommerce_store_city",
        json={"value": "Leeds"}, auth=auth, timeout=10,
    ).raise_for_status()  # fmt: skip
    before = len(spark_calls(spark, "bobs-store"))

    run_full(connection, "products")

    assert locations(spark) == [{**STORE_LOCATION, "name": "1 Sandbox Street, Leeds, EC1A 1BB"}]
    writes = [(c["method"], c["route"]) for c in spark_calls(spark, "bobs-store")[before:] if c["method"] != "GET"]
    assert ("PATCH", "/api/v1/stock-locations/{location_id}") in writes
    assert ("POST", "/api/v1/stock-locations") not in writes


def test_stock_refused_for_a_location_deleted_in_sparklayer_is_sent_again_once_it_exists(
    client: Client, connection: Connection, spark: Any, woo_store: Any
) -> None:
    run_full(connection, "products")
    sparklayer = connection_sparklayer_client(connection)
    sparklayer.call("DELETE", "/api/v1/stock-locations/default")  # the merchant removed it in the dashboard
    assert locations(spark) == []
    product_id = simple_product_id(woo_store)
    with woo_store.app.store.lock:
        woo_products.update(woo_store.app.store, product_id, {"manage_stock": True, "stock_quantity": 77})
    before = len(spark_calls(spark, "bobs-store"))

    event = deliver(client, connection, woo_store, "product.updated", product_id)
    webhook_event_process(event_id=event.pk)  # this process still believes the location exists
    event.refresh_from_db()

    assert event.state == EventState.SUCCEEDED
    calls = [(c["method"], c["route"], c["status"]) for c in spark_calls(spark, "bobs-store")[before:]]
    stock_calls = [c for c in calls if "stock" in c[1]]
    assert stock_calls == [
        ("POST", "/api/v1/batch-update-stock", 400),
        ("GET", "/api/v1/stock-locations", 200),
        ("POST", "/api/v1/stock-locations", 200),
        ("POST", "/api/v1/batch-update-stock", 204),
    ]
    assert locations(spark) == [STORE_LOCATION]
    sku = woo_products.render(woo_store.app.store, product_id)["sku"]
    rows = [row for row in spark_state(spark, "bobs-store", "stock")["stock"] if row["sku"] == sku]
    assert [(row["stock_level"], row["stock_location_external_id"]) for row in rows] == [(77, "default")]
    assert not SyncIssue.objects.filter(connection=connection, external_id=str(product_id), state="open").exists()


def test_a_location_sparklayer_will_not_create_leaves_issues_on_the_stock_not_a_loop(
    connection: Connection, spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sandbox.sparklayer import organisation
    from sandbox.sparklayer.problems import FieldError, invalid

    def refuse(state: Any, data: dict[str, Any]) -> Any:
        raise invalid([FieldError("invalid", "Stock locations are managed by the ERP.", "external_id")])

    monkeypatch.setattr(organisation, "stock_location_create", refuse)

    job = run_full(connection, "products")

    assert locations(spark) == []
    assert spark_state(spark, "bobs-store", "stock")["stock"] == []
    stock_skus = expected_products(connection)[1]
    calls = spark_calls(spark, "bobs-store")
    ensures = [(c["method"], c["status"]) for c in calls if c["route"] == "/api/v1/stock-locations"]
    assert ensures == [("GET", 200), ("POST", 400)] * 2  # the full sync's, and once after the first refusal
    assert len([c for c in calls if c["route"] == "/api/v1/batch-update-stock"]) <= len(stock_skus) + 10
    refused = SyncIssue.objects.filter(connection=connection, code="sparklayer_rejected", state="open")
    assert refused.count() == len({p for p, _ in products_with_stock(connection)})
    assert "stock" in refused.first().message  # type: ignore[union-attr]
    assert job.pushed > 0  # the products themselves landed


def products_with_stock(connection: Connection) -> list[tuple[str, str]]:
    from connections.clients import connection_platform_adapter
    from platforms.types import DataType

    found = []
    for page in connection_platform_adapter(connection).iter_pages(DataType.PRODUCTS):
        found += [(record.external_id, row["sku"]) for record in page.records if record.payload for row in record.stock]
    return found
