"""Price lists SparkLayer owns (a ``source`` other than the bridge's ``platform``) are never written.

End to end: a list with the store's slug made in SparkLayer's dashboard (``custom``) is neither
created, renamed nor priced into, by a full sync or a webhook; one issue says why; once the list
is gone from SparkLayer the next product sync creates the store's own and prices go in. The
listing answers the sandbox does not give (no ``source`` at all, another integration's list) are
mocked with ``responses``.
"""

from __future__ import annotations

from typing import Any

import pytest
import responses
from django.test import Client

from connections.clients import connection_sparklayer_client
from connections.models import Connection
from platforms.woocommerce.mapping import StoreSettings, price_list_payloads
from sandbox.woocommerce import products as woo_products
from sync.engine.price_lists import price_lists_ensure, price_lists_not_ours
from sync.incremental.processing import webhook_event_process
from sync.models import SyncIssue
from tests.factories import ConnectionFactory
from tests.sync.helpers import deliver, expected_products, run_full, simple_product_id, spark_calls, spark_state

pytestmark = pytest.mark.django_db(transaction=True)


class GbpStore:
    """The one thing ``price_lists_ensure`` asks of an adapter, answered as WooCommerce's mapping does."""

    def price_lists(self) -> list[dict[str, Any]]:
        return price_list_payloads(StoreSettings(currency="GBP"))


DASHBOARD_LIST = {
    "slug": "woocommerce-gbp",
    "name": "Trade prices (dashboard)",
    "currency_code": "gbp",
    "source": "custom",
}


def pricing_calls(spark: Any, since: int = 0) -> list[dict[str, Any]]:
    return [c for c in spark_calls(spark, "bobs-store")[since:] if c["route"] == "/api/v1/batch-update-pricing"]


def test_a_list_made_in_sparklayers_dashboard_is_never_written(
    client: Client, connection: Connection, spark: Any, woo_store: Any
) -> None:
    connection_sparklayer_client(connection).create_price_list(DASHBOARD_LIST)  # type: ignore[arg-type]
    start = len(spark_calls(spark, "bobs-store"))

    job = run_full(connection, "products")

    state = spark_state(spark, "bobs-store", "products,stock,price_lists,pricing")
    assert [{k: row[k] for k in DASHBOARD_LIST} for row in state["price_lists"]] == [DASHBOARD_LIST]
    assert state["pricing"] == []
    assert pricing_calls(spark) == []
    list_writes = [c for c in spark_calls(spark, "bobs-store")[start:] if c["route"].startswith("/api/v1/price-lists")]
    assert list_writes == []
    assert len(state["products"]) == job.pushed > 0  # products and stock still go
    assert {row["sku"] for row in state["stock"]} == set(expected_products(connection)[1])
    (issue,) = SyncIssue.objects.filter(connection=connection, code="price_list_not_ours", state="open")
    assert (issue.data_type, issue.external_id, issue.visible_id) == (
        "products",
        "price-list:woocommerce-gbp",
        "woocommerce-gbp",
    )
    assert "'custom'" in issue.message

    product_id = simple_product_id(woo_store)
    with woo_store.app.store.lock:
        woo_products.update(woo_store.app.store, product_id, {"regular_price": "99.99"})
    before = len(spark_calls(spark, "bobs-store"))
    event = deliver(client, connection, woo_store, "product.updated", product_id)
    webhook_event_process(event_id=event.pk)
    assert pricing_calls(spark, before) == []
    assert spark_state(spark, "bobs-store", "pricing")["pricing"] == []


def test_the_stores_list_is_created_and_priced_once_sparklayers_is_gone(connection: Connection, spark: Any) -> None:
    connection_sparklayer_client(connection).create_price_list(DASHBOARD_LIST)  # type: ignore[arg-type]
    run_full(connection, "products")
    with spark.app.lock:
        del spark.app.sites["bobs-store"].price_lists["woocommerce-gbp"]  # the merchant deleted it

    run_full(connection, "products")

    state = spark_state(spark, "bobs-store", "price_lists,pricing")
    assert [(row["slug"], row["source"]) for row in state["price_lists"]] == [("woocommerce-gbp", "platform")]
    expected = expected_products(connection)[2]
    assert {item["sku"] for item in state["pricing"]} == set(expected)
    issue = SyncIssue.objects.get(connection=connection, code="price_list_not_ours")
    assert issue.state == "resolved"


@pytest.mark.parametrize(
    ("row", "ours"),
    [
        ({"source": "platform"}, True),
        ({}, True),  # no source in the answer: taken as the bridge's own
        ({"source": None}, True),
        ({"source": "custom"}, False),
        ({"source": "integration"}, False),
    ],
)
def test_every_listing_answer_about_the_source(db: None, row: dict[str, Any], ours: bool) -> None:
    connection = ConnectionFactory(site_id="sources", store_url="https://shop.example.com")
    client = connection_sparklayer_client(connection)
    listed = {"slug": "woocommerce-gbp", "name": "Any", "currency_code": "gbp", **row}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.post(f"{client.base_url}/api/auth/token", json={"access_token": "t", "expires_in": 3600})
        mocked.get(f"{client.base_url}/api/v2/price-lists", json={"data": [listed], "pagination": {"total_pages": 1}})
        created = price_lists_ensure(connection_id=connection.pk, client=client, adapter=GbpStore())  # type: ignore[arg-type]
    assert created == 0  # never created: the slug exists either way
    assert price_lists_not_ours(connection_id=connection.pk) == ({} if ours else {"woocommerce-gbp": row["source"]})
    assert SyncIssue.objects.filter(connection=connection, code="price_list_not_ours").exists() is not ours
