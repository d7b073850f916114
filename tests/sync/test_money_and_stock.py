"""Money and quantities as SparkLayer takes them, end to end from a WooCommerce store.

A price typed with more decimals than the currency has is rounded half up to its minor unit; a
fractional stock quantity (stores whose ``wc_stock_amount`` keeps fractions) is floored, not
dropped; a negative quantity (sold on backorder) is sent as 0 and the variant stays live.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connections.models import Connection
from tests.sync.helpers import run_full, spark_state

pytestmark = pytest.mark.django_db(transaction=True)


def create_product(store: Any, **fields: Any) -> dict[str, Any]:
    auth = (store.app.consumer_key, store.app.consumer_secret)
    response = requests.post(f"{store.url}/wp-json/wc/v3/products", json=fields, auth=auth, timeout=10)
    response.raise_for_status()
    return response.json()


def test_prices_are_rounded_half_up_and_stock_is_whole_and_never_negative(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    create_product(woo_store, name="Rounded", sku="ROUND-1", regular_price="12.345",
                   manage_stock=True, stock_quantity=-3, backorders="notify")  # fmt: skip
    fraction = create_product(woo_store, name="By the metre", sku="METRE-1", regular_price="7.5",
                              manage_stock=True, stock_quantity=3)  # fmt: skip
    with woo_store.app.store.lock:  # WooCommerce casts to int unless a plugin filters wc_stock_amount
        woo_store.app.store.product_records[fraction["id"]]["stock_quantity"] = 2.7
    auth = (woo_store.app.consumer_key, woo_store.app.consumer_secret)
    served = requests.get(f"{woo_store.url}/wp-json/wc/v3/products/{fraction['id']}", auth=auth, timeout=10).json()
    assert served["stock_quantity"] == 2.7

    run_full(connection, "products")

    state = spark_state(spark, "bobs-store", "products,stock,pricing")
    pricing = {item["sku"]: item["pricing"] for item in state["pricing"]}
    assert [(t["quantity"], t["price"]) for t in pricing["ROUND-1"]] == [(1, "12.35")]
    assert [(t["quantity"], t["price"]) for t in pricing["METRE-1"]] == [(1, "7.50")]
    stock = {row["sku"]: (row["stock_level"], row["stock_location_external_id"]) for row in state["stock"]}
    assert (stock["ROUND-1"], stock["METRE-1"]) == ((0, "default"), (2, "default"))
    variants = {v["sku"]: v for p in state["products"] for v in p["variants"]}
    assert variants["ROUND-1"]["rrp"] == [{"currency_code": "gbp", "price": "12.35"}]
    assert variants["ROUND-1"]["status"] == "live"
