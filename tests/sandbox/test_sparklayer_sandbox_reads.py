"""The SparkLayer sandbox's read calls (stock by SKU, stored prices) and its direct-edit control routes.

Like the other sandbox tests, they need nothing but the sandbox (``pytest tests/sandbox -p no:django``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox.server import SandboxServer, serve_in_thread
from sandbox.sparklayer.app import SparkLayerSandbox
from tests.sandbox.sparklayer_support import SITE, TIMEOUT, address, call, customer, product, state

LIST = {"slug": "woocommerce-gbp", "name": "WooCommerce GBP", "currency_code": "gbp", "source": "platform"}


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    started = serve_in_thread(SparkLayerSandbox())
    yield started
    started.stop()


@pytest.fixture
def url(server: SandboxServer) -> str:
    requests.post(f"{server.url}/_sandbox/reset", timeout=TIMEOUT).raise_for_status()
    return server.url


def control(method: str, url: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(method, f"{url}/_sandbox/sites/{SITE}{path}", json=body, timeout=TIMEOUT)


def stats(url: str) -> dict[str, Any]:
    return requests.get(f"{url}/_sandbox/stats", timeout=TIMEOUT).json()["sites"][SITE]


def seed_stock(url: str) -> str:
    """Stock at three locations (SparkLayer refuses unknown ones), the third addressed by its id; returns that id."""
    for external_id in ("default", "warehouse", "annex"):
        created = call("POST", url, "/api/v1/stock-locations", json={"name": external_id, "external_id": external_id})
        assert created.status_code == 200, created.text
    annex = call("GET", url, "/api/v1/stock-locations/annex").json()["id"]
    rows = [
        {"sku": "A", "stock_location_external_id": "default", "stock_level": 5},
        {"sku": "A", "stock_location_external_id": "warehouse", "stock_level": 2},
        {"sku": "B", "stock_location_external_id": "warehouse", "stock_level": 7},
        {"sku": "C", "stock_location_id": annex, "stock_level": 1},
    ]
    assert call("POST", url, "/api/v1/batch-update-stock", json=rows).status_code == 204
    return str(annex)


# --- batch-fetch-stock ---------------------------------------------------------------------------


def test_fetch_stock_defaults_to_the_default_location_and_leaves_out_skus_without_levels(url: str) -> None:
    seed_stock(url)
    default_id = call("GET", url, "/api/v1/stock-locations/default").json()["id"]
    response = call("POST", url, "/api/v1/batch-fetch-stock", json={"skus": ["A", "B", "NOPE"]})
    assert response.status_code == 200
    assert response.json() == [
        {
            "sku": "A",
            "stock_levels": [
                {
                    "stock_location_external_id": "default",
                    "stock_location_id": default_id,
                    "stock_level": 5,
                    "restock_date": None,
                    "min_stock_level": None,
                }
            ],
        }
    ]


def test_fetch_stock_all_locations_and_by_location_id(url: str) -> None:
    annex = seed_stock(url)
    every = call(
        "POST",
        url,
        "/api/v1/batch-fetch-stock",
        json={"skus": ["A", "B", "C"], "filter": {"all_stock_locations": True}},
    ).json()
    assert [(row["sku"], [level["stock_level"] for level in row["stock_levels"]]) for row in every] == [
        ("A", [5, 2]),
        ("B", [7]),
        ("C", [1]),
    ]
    assert every[2]["stock_levels"][0]["stock_location_id"] == annex
    by_id = call(
        "POST",
        url,
        "/api/v1/batch-fetch-stock",
        json={"skus": ["A", "C"], "filter": {"stock_location_ids": [annex]}},
    ).json()
    assert [row["sku"] for row in by_id] == ["C"]


def test_fetch_stock_is_counted_as_a_read_and_refuses_a_bad_body(url: str) -> None:
    seed_stock(url)
    writes = stats(url)["by_kind"]["write"]
    call("POST", url, "/api/v1/batch-fetch-stock", json={"skus": ["A"]})
    assert stats(url)["by_kind"]["write"] == writes
    bad = call("POST", url, "/api/v1/batch-fetch-stock", json={"skus": "A", "filter": {"every": True}})
    assert bad.status_code == 400
    assert [error["property"] for error in bad.json()["errors"]] == ["skus", "filter.every"]


# --- stored prices -------------------------------------------------------------------------------


def test_price_list_pricing_rows_by_sku_204_when_empty_404_when_missing(url: str) -> None:
    assert call("POST", url, "/api/v1/price-lists", json=LIST).status_code == 201
    assert call("GET", url, "/api/v1/price-lists/woocommerce-gbp/pricing").status_code == 204
    items = [
        {"sku": "B", "price_list_slug": "woocommerce-gbp", "pricing": [{"quantity": 1, "price": "9.50"}]},
        {
            "sku": "A",
            "price_list_slug": "woocommerce-gbp",
            "pricing": [{"quantity": 10, "price": "8.00"}, {"quantity": 1, "price": "10.00"}],
        },
    ]
    assert call("PATCH", url, "/api/v1/batch-update-pricing", json=items).status_code == 204
    response = call("GET", url, "/api/v1/price-lists/woocommerce-gbp/pricing")
    assert response.status_code == 200
    assert [(row["sku"], row["quantity"], row["price"]) for row in response.json()] == [
        ("A", 1, "10.00"),
        ("A", 10, "8.00"),
        ("B", 1, "9.50"),
    ]
    assert call("GET", url, "/api/v1/price-lists/nope/pricing").status_code == 404
    by_sku = call("GET", url, "/api/v1/pricing/A").json()
    assert [(row["price_list_slug"], len(row["pricing"])) for row in by_sku] == [("woocommerce-gbp", 2)]
    assert call("GET", url, "/api/v1/pricing/NOPE").json() == []


# --- direct edits --------------------------------------------------------------------------------


def test_edit_product_variant_and_delete_product(url: str) -> None:
    assert call("POST", url, "/api/v1/products", json=product("101", "S-1", "S-2")).status_code == 200
    writes = stats(url)["by_kind"]["write"]
    assert control("PATCH", url, "/products/101", {"title": "Edited in the dashboard"}).status_code == 200
    assert control("PATCH", url, "/variants/101-S-1", {"status": "suspended"}).status_code == 200
    stored = call("GET", url, "/api/v1/products/101").json()
    assert stored["title"] == "Edited in the dashboard"
    assert [v["status"] for v in stored["variants"]] == ["suspended", "pending"]
    assert stats(url)["by_kind"]["write"] == writes  # edits are not API calls
    assert control("DELETE", url, "/products/101").status_code == 204
    assert call("GET", url, "/api/v1/products/101").status_code == 404
    assert call("POST", url, "/api/v1/products", json=product("102", "S-1")).status_code == 200  # SKU free again
    assert control("PATCH", url, "/products/101", {"title": "x"}).status_code == 404
    assert control("PATCH", url, "/products/102", {"price": "1"}).status_code == 400


def test_edit_stock_pricing_and_customers(url: str) -> None:
    seed_stock(url)
    call("POST", url, "/api/v1/price-lists", json=LIST)
    rows = [
        {"sku": "A", "stock_location_external_id": "default", "stock_level": 99},
        {"sku": "B", "stock_location_external_id": "warehouse", "stock_level": None},
    ]
    assert control("PUT", url, "/stock", rows).status_code == 204
    stock = {(r["sku"], r.get("stock_location_external_id")): r["stock_level"] for r in state(url)["stock"]}
    assert stock[("A", "default")] == 99
    assert ("B", "warehouse") not in stock
    items = [{"sku": "A", "price_list_slug": "woocommerce-gbp", "pricing": [{"quantity": 1, "price": "1.00"}]}]
    assert control("PUT", url, "/pricing", items).status_code == 204
    assert call("GET", url, "/api/v1/pricing/A").json()[0]["pricing"] == [{"quantity": 1, "price": "1.00"}]

    body = customer("7", addresses=[address("7-billing"), address("7-shipping", "2 Low Road")])
    assert call("PUT", url, "/api/v2/customers/platform/7", json=body).status_code == 201
    kept = [
        a
        for a in call("GET", url, "/api/v2/customers/platform/7").json()["addresses"]
        if a["external_id"] == "7-billing"
    ]
    assert control("PATCH", url, "/customers/7", {"addresses": kept}).status_code == 200
    assert [a["external_id"] for a in call("GET", url, "/api/v2/customers/platform/7").json()["addresses"]] == [
        "7-billing"
    ]
    other = customer("8", "other@example.com", addresses=[address("7-shipping")])
    assert call("PUT", url, "/api/v2/customers/platform/8", json=other).status_code == 201  # address id free again
    assert control("DELETE", url, "/customers/7").status_code == 204
    assert call("GET", url, "/api/v2/customers/platform/7").status_code == 404
    assert control("DELETE", url, "/customers/7").status_code == 404
