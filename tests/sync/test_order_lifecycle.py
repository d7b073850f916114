"""Purchases follow their order after it was placed: status changes and refunds reach SparkLayer.

End to end: an order placed through SparkLayer's checkout (the bridge's ``checkout/complete``)
is pushed with its cart id; each later change (status, a partial refund, the full refund) reaches
SparkLayer on the order's webhook, with the total net of refunds and the same SparkLayer id
(SparkLayer answers 403 to a change of it, which the sandbox enforces); changes made while no
webhook arrives (cancelled, failed) reach it on the next catch-up.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from django.test import Client
from rest_framework.test import APIClient

from connections.models import Connection
from sync.incremental.catch_up import connection_catch_up
from sync.incremental.processing import webhook_event_process
from sync.models import EventState, SyncIssue
from tests.sync.helpers import deliver, spark_state

pytestmark = pytest.mark.django_db(transaction=True)


def woo(store: Any, method: str, path: str, **kwargs: Any) -> Any:
    auth = (store.app.consumer_key, store.app.consumer_secret)
    response = requests.request(method, f"{store.url}/wp-json/wc/v3/{path}", auth=auth, timeout=10, **kwargs)
    response.raise_for_status()
    return response.json()


def purchase(spark: Any, order_id: int) -> dict[str, Any]:
    found = [
        p
        for p in spark_state(spark, "bobs-store", "purchases")["purchases"]
        if p["purchase_identifiers"]["platform"] == str(order_id)
    ]
    assert len(found) == 1
    return found[0]


def meta(payload: dict[str, Any]) -> dict[str, str]:
    return {entry["name"]: entry["value"] for entry in payload["metadata"]}


def processed(client: Client, connection: Connection, store: Any, order_id: int, webhook_id: int) -> None:
    event = deliver(client, connection, store, "order.updated", order_id, webhook_id=webhook_id)
    webhook_event_process(event_id=event.pk)
    event.refresh_from_db()
    assert event.state == EventState.SUCCEEDED, event.error


def checkout(api_client: APIClient, store: Any) -> tuple[int, str]:
    listed = woo(store, "GET", "products", params={"type": "simple", "status": "publish", "per_page": 50})
    product = next(p for p in listed if p["sku"] and p["tax_class"] in ("", "standard"))
    address = {"first_name": "Bob", "last_name": "Jones", "address_line1": "1 Crag Road", "city": "London",
               "postal_code": "EC1A 1BB", "country_code": "GB"}  # fmt: skip
    cart_id = str(uuid.uuid4())
    body = {
        "cart_id": cart_id, "customer": {"id": "cu_1", "email": "bob@example.com", "external_id": None},
        "currency_code": "gbp", "billing_address": address, "shipping_address": address,
        "line_items": [{"sku": product["sku"], "quantity": 2, "unit_price": {"number": "15.00", "currency": "gbp"}}],
        "shipping_line": {"id": "flat_rate:1"}, "ignite_state": {}, "payment_type": "paymentOnAccount",
    }  # fmt: skip
    response = api_client.post("/v1/test/bobs-store/checkout/complete", body, format="json")
    assert response.status_code == 201, response.content
    return int(response.json()["order_external_id"]), cart_id


def test_status_changes_and_refunds_follow_an_order_from_sparklayers_checkout(
    api_client: APIClient, client: Client, connection: Connection, spark: Any, woo_store: Any
) -> None:
    order_id, cart_id = checkout(api_client, woo_store)
    total = woo(woo_store, "GET", f"orders/{order_id}")["total"]
    processed(client, connection, woo_store, order_id, webhook_id=1)
    placed = purchase(spark, order_id)
    assert placed["purchase_identifiers"] == {
        "sparklayer": cart_id,
        "platform": str(order_id),
        "visible": str(order_id),
    }
    assert placed["calculated_total"] == {"number": total, "currency": "gbp"}
    assert meta(placed)["woocommerce_status"] == "on-hold"  # payment on account: awaiting payment

    woo(woo_store, "PUT", f"orders/{order_id}", json={"status": "processing", "set_paid": True})
    processed(client, connection, woo_store, order_id, webhook_id=5)
    assert meta(purchase(spark, order_id))["woocommerce_status"] == "processing"
    woo(woo_store, "PUT", f"orders/{order_id}", json={"status": "completed"})
    processed(client, connection, woo_store, order_id, webhook_id=2)
    completed = purchase(spark, order_id)
    assert meta(completed)["woocommerce_status"] == "completed"
    assert "completed_at" in completed["dates"]
    assert completed["purchase_identifiers"]["sparklayer"] == cart_id

    woo(woo_store, "POST", f"orders/{order_id}/refunds", json={"amount": "10.00", "reason": "one arrived broken"})
    processed(client, connection, woo_store, order_id, webhook_id=3)
    partly = purchase(spark, order_id)
    net = f"{float(total) - 10:.2f}"
    assert partly["calculated_total"] == {"number": net, "currency": "gbp"}
    assert (meta(partly)["order_total"], meta(partly)["refunded_total"]) == (total, "10.00")
    assert meta(partly)["woocommerce_status"] == "completed"

    woo(woo_store, "POST", f"orders/{order_id}/refunds", json={"amount": net})
    processed(client, connection, woo_store, order_id, webhook_id=4)
    refunded = purchase(spark, order_id)
    assert refunded["calculated_total"] == {"number": "0.00", "currency": "gbp"}
    assert meta(refunded)["woocommerce_status"] == "refunded"
    assert meta(refunded)["refunded_total"] == total
    assert refunded["purchase_identifiers"]["sparklayer"] == cart_id
    assert not SyncIssue.objects.filter(connection=connection, data_type="purchases", state="open").exists()


def test_status_changes_without_a_webhook_reach_sparklayer_on_the_catch_up(
    api_client: APIClient, client: Client, connection: Connection, spark: Any, woo_store: Any
) -> None:
    cancelled, cancelled_cart = checkout(api_client, woo_store)
    failed, _failed_cart = checkout(api_client, woo_store)
    for order_id in (cancelled, failed):
        processed(client, connection, woo_store, order_id, webhook_id=order_id)
    woo(woo_store, "PUT", f"orders/{cancelled}", json={"status": "cancelled"})
    woo(woo_store, "PUT", f"orders/{failed}", json={"status": "failed"})  # their webhooks never arrive

    connection_catch_up(connection=connection)

    assert meta(purchase(spark, cancelled))["woocommerce_status"] == "cancelled"
    assert meta(purchase(spark, failed))["woocommerce_status"] == "failed"
    assert purchase(spark, cancelled)["purchase_identifiers"]["sparklayer"] == cancelled_cart
