"""Fetch one entity (docs/ignite-contract.md §1.9): the answer is the pull endpoint's item for the same record.

Against the WooCommerce sandbox over loopback: every record the pull endpoint lists is fetched by
its id and compared whole; records the pull leaves out (no SKU, trashed, checkout drafts, out of
scope) are 404 or 422; bad input is a 400 problem; a failing store is a 502/504 problem.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from rest_framework.test import APIClient

from connections.models import Connection, CustomerSyncScope
from sandbox.woocommerce import orders as woo_orders
from sandbox.woocommerce import products as woo_products
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db
SITE = "/v1/test/fetch-site"


@pytest.fixture
def connection(woocommerce_sandbox: Any) -> Connection:
    store = woocommerce_sandbox
    return ConnectionFactory(
        site_id="fetch-site",
        store_url=store.url,
        platform_credentials={"consumer_key": store.app.consumer_key, "consumer_secret": store.app.consumer_secret},
    )


def pull_all(api_client: APIClient, data_type: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page: str | None = None
    while True:
        response = api_client.get(f"{SITE}/sync/{data_type}", {"page": page} if page else {})
        assert response.status_code == 200, response.content
        items.extend(response.json()["data"])
        page = response.json()["next_page"]
        if page is None:
            return items


def fetch(api_client: APIClient, data_type: str, entity_id: str, body: Any = None) -> Any:
    return api_client.post(f"{SITE}/sync/{data_type}/{entity_id}", body, format="json")


@pytest.mark.parametrize(("data_type", "key"), [("products", "external_id"), ("customers", "external_id"),
                                                ("purchases", "external_id"), ("stock", "sku")])  # fmt: skip
def test_every_pulled_record_fetched_by_id_is_the_same_item(
    api_client: APIClient, connection: Connection, data_type: str, key: str
) -> None:
    pulled = pull_all(api_client, data_type)
    assert len(pulled) >= 8
    for item in pulled:
        entity_id = item[key] if data_type != "purchases" else item["purchase_identifiers"]["platform"]
        response = fetch(api_client, data_type, entity_id, {"payload": None})
        assert response.status_code == 200, (entity_id, response.content)
        assert response.json() == item, entity_id


def test_body_is_optional_and_payload_must_be_a_string_or_null(api_client: APIClient, connection: Connection) -> None:
    (first, *_rest) = pull_all(api_client, "customers")
    assert api_client.post(f"{SITE}/sync/customers/{first['external_id']}").json() == first
    assert fetch(api_client, "customers", first["external_id"], {"payload": "anything"}).json() == first
    for bad in ({"payload": 5}, {"payload": {"id": 1}}, ["payload"]):
        response = fetch(api_client, "customers", first["external_id"], bad)
        assert response.status_code == 400, bad
        assert response["Content-Type"] == "application/problem+json"


def test_a_variant_id_fetches_its_stock_row(api_client: APIClient, connection: Connection) -> None:
    products = pull_all(api_client, "products")
    stock = {row["sku"]: row for row in pull_all(api_client, "stock")}
    variant = next(
        v for p in products for v in p["variants"] if v["sku"] in stock and v["external_id"] != p["external_id"]
    )
    assert fetch(api_client, "stock", variant["external_id"]).json() == stock[variant["sku"]]


def test_records_the_pull_leaves_out_are_404(
    api_client: APIClient, connection: Connection, woocommerce_sandbox: Any
) -> None:
    store = woocommerce_sandbox.app.store
    with store.lock:
        trashed = next(i for i, h in store.products.items() if h.type == "simple" and h.status == "publish")
        woo_products.trash(store, trashed)
        variable = next(i for i, h in store.products.items() if h.type == "variable" and h.status == "publish")
        variation = woo_products.render(store, variable)["variations"][0]
        draft = woo_orders.create(store, {"status": "checkout-draft"})["id"]
        unmanaged = woo_products.create(store, {"name": "No stock kept", "sku": "NOSTOCK-1", "regular_price": "1"})
    for data_type, entity_id in [
        ("products", str(trashed)),
        ("products", str(variation)),  # a variation is not a product, though the store answers its parent
        ("products", "999999"),
        ("customers", "999999"),
        ("purchases", str(draft)),
        ("stock", "NO-SUCH-SKU"),
        ("stock", unmanaged["sku"]),  # stock not managed: the stock pages have no row for it
        ("products", "12%2F..%2Fcustomers"),  # decodes to a path: never sent to the store
    ]:
        response = fetch(api_client, data_type, entity_id)
        assert response.status_code == 404, (data_type, entity_id, response.content)
        assert response["Content-Type"] == "application/problem+json"


def test_customers_are_out_of_scope_when_customer_sync_is_off(api_client: APIClient, connection: Connection) -> None:
    (first, *_rest) = pull_all(api_client, "customers")
    Connection.objects.filter(pk=connection.pk).update(customer_sync_scope=CustomerSyncScope.NONE)
    assert fetch(api_client, "customers", first["external_id"]).status_code == 404


def test_a_record_that_cannot_sync_is_422_naming_the_issue(
    api_client: APIClient, connection: Connection, woocommerce_sandbox: Any
) -> None:
    store = woocommerce_sandbox.app.store
    with store.lock:
        product = woo_products.create(store, {"name": "Nameless stock", "regular_price": "5.00"})  # no SKU
    response = fetch(api_client, "products", str(product["id"]))
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [
        {"code": "product_missing_sku", "message": body["errors"][0]["message"], "property": "entityId"}
    ]
    assert str(product["id"]) in body["errors"][0]["message"]
    assert str(product["id"]) not in [p["external_id"] for p in pull_all(api_client, "products")]


def test_unknown_types_unknown_sites_and_missing_token(
    api_client: APIClient, anonymous_client: APIClient, connection: Connection
) -> None:
    for data_type in ("merchant", "customer_groups", "orders"):
        response = fetch(api_client, data_type, "1")
        assert response.status_code == 400
        assert response.json()["errors"][0]["property"] == "syncDataType"
    assert api_client.post("/v1/test/nobody/sync/products/1").status_code == 404
    assert anonymous_client.post(f"{SITE}/sync/products/1").status_code == 401


def test_a_failing_store_is_502_and_a_silent_one_504(
    api_client: APIClient, connection: Connection, woocommerce_sandbox: Any, settings: Any
) -> None:
    faults = f"{woocommerce_sandbox.url}/_sandbox/faults"
    requests.put(faults, json={"error_500_rate": 1.0}, timeout=5).raise_for_status()
    failing = fetch(api_client, "products", "12")
    assert failing.status_code == 502
    assert failing["Content-Type"] == "application/problem+json"
    settings.PLATFORM_INLINE_READ_TIMEOUT = 0.3
    requests.put(faults, json={"hang_seconds": 2}, timeout=5).raise_for_status()
    silent = fetch(api_client, "customers", "2")
    assert silent.status_code == 504
    requests.put(faults, json={}, timeout=5).raise_for_status()
