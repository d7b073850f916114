"""Checkout calculate and complete against the sandbox store, including idempotency and faults.

docs/ignite-contract.md §1.7.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from sandbox.faults import FaultConfig
from storefront.models import CheckoutCompletion
from tests.endpoints.storefront_helpers import (
    DE,
    GB,
    US,
    assert_problem,
    cart,
    create_customer,
    meta,
    path,
    standard_rated_sku,
    store_calls,
    wc,
)


def money(number: str) -> dict:
    return {"number": number, "currency": "gbp"}


def orders_for_cart(store, cart_id: str) -> list[dict]:
    found = wc(store, "GET", "orders", params={"per_page": 100, "orderby": "id", "order": "desc"})
    return [o for o in found if meta(o, "sparkCartId") == cart_id]


# -- calculate ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_calculate_gb_cart_uses_the_uk_zone_and_store_tax(api_client, connection, store):
    sku = standard_rated_sku(store)
    response = api_client.post(path(connection, "/checkout/calculate"), cart(sku), format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["available_shipping_methods"] == [
        {"id": "flat_rate:1", "name": "Standard delivery", "price": money("4.95")}
    ]
    # 31.98 + 4.95 shipping; VAT 20% on both: 6.40 + 0.99
    assert body["totals"] == {"subtotal": money("31.98"), "shipping": money("4.95"), "tax": money("7.39"),
                              "total": money("44.32")}  # fmt: skip
    assert body["ignite_state"]["shipping_method_id"] == "flat_rate:1"


@pytest.mark.django_db
def test_calculate_leaves_no_order_on_the_store(api_client, connection, store):
    before = wc(store, "GET", "orders", params={"per_page": 1})
    total_before = len(store.app.store.orders)
    api_client.post(path(connection, "/checkout/calculate"), cart(standard_rated_sku(store)), format="json")
    assert len(store.app.store.orders) == total_before
    assert wc(store, "GET", "orders", params={"per_page": 1}) == before
    writes = [(c["method"], c["path"].rsplit("/", 1)[-1] if c["method"] == "DELETE" else c["path"])
              for c in store_calls(store) if c["method"] != "GET"]  # fmt: skip
    assert writes[0] == ("POST", "/wp-json/wc/v3/orders")
    assert writes[1][0] == "DELETE"
    assert len(writes) == 2


@pytest.mark.django_db
def test_calculate_offers_free_shipping_over_the_minimum_and_honours_the_choice(api_client, connection, store):
    sku = standard_rated_sku(store)
    body = cart(sku, unit="40.00", quantity=2, shipping_line={"id": "free_shipping:2"})
    result = api_client.post(path(connection, "/checkout/calculate"), body, format="json").json()
    assert [m["id"] for m in result["available_shipping_methods"]] == ["flat_rate:1", "free_shipping:2"]
    assert result["available_shipping_methods"][1]["price"] == money("0.00")
    assert result["totals"] == {"subtotal": money("80.00"), "shipping": money("0.00"), "tax": money("16.00"),
                                "total": money("96.00")}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("address", "method", "cost", "tax"),
    [(DE, "flat_rate:3", "12.00", "8.36"), (US, "flat_rate:4", "25.00", "0.00")],
)
def test_calculate_matches_zones_by_continent_and_falls_back_to_zone_zero(
    api_client, connection, store, address, method, cost, tax
):
    result = api_client.post(path(connection, "/checkout/calculate"), cart(standard_rated_sku(store), address=address),
                             format="json").json()  # fmt: skip
    assert [(m["id"], m["price"]["number"]) for m in result["available_shipping_methods"]] == [(method, cost)]
    assert result["totals"]["shipping"] == money(cost)
    assert result["totals"]["tax"] == money(tax)  # DE 19% on 31.98 + 12.00; no US:TX rate


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "prop"),
    [
        ({"cart_id": "not-a-uuid"}, "cart_id"),
        ({"cart_id": 12}, "cart_id"),
        ({"currency_code": "pounds"}, "currency_code"),
        ({"line_items": []}, "line_items"),
        ({"line_items": [{"sku": "A", "quantity": 0, "unit_price": money("1.00")}]}, "line_items[0].quantity"),
        ({"line_items": [{"sku": "A", "quantity": "2", "unit_price": money("1.00")}]}, "line_items[0].quantity"),
        ({"line_items": [{"sku": "A", "quantity": 1, "unit_price": {"number": 1.5, "currency": "gbp"}}]},
         "line_items[0].unit_price.number"),
        ({"line_items": [{"sku": "A", "quantity": 1, "unit_price": {"number": "1,50", "currency": "gbp"}}]},
         "line_items[0].unit_price.number"),
        ({"line_items": [{"sku": "A", "quantity": 1, "unit_price": {"number": "1.50", "currency": "eur"}}]},
         "line_items[0].unit_price.currency"),
        ({"shipping_address": {**GB, "country_code": "UK"}}, "shipping_address.country_code"),
        ({"customer": "cu_1"}, "customer"),
        ({"ignite_state": []}, "ignite_state"),
    ],
)  # fmt: skip
def test_checkout_bad_input_is_400_and_calls_nothing(api_client, connection, store, change, prop):
    for suffix in ("/checkout/calculate", "/checkout/complete"):
        body = {**cart("SKU"), "payment_type": "quote", **change}
        problem = assert_problem(api_client.post(path(connection, suffix), body, format="json"), 400)
        assert [e["property"] for e in problem["errors"]] == [prop]
    assert store_calls(store) == []


@pytest.mark.django_db
def test_unknown_sku_is_400_naming_line_items(api_client, connection, store):
    response = api_client.post(path(connection, "/checkout/calculate"), cart("NO-SUCH-SKU"), format="json")
    problem = assert_problem(response, 400)
    assert problem["errors"] == [{"code": "unknown_sku", "message": problem["detail"], "property": "line_items"}]


# -- complete ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payment_type", "status"),
    [("paymentOnAccount", "on-hold"), ("paymentByInvoice", "on-hold"), ("quote", "pending")],
)
def test_complete_creates_the_order_with_spark_meta(api_client, connection, store, payment_type, status):
    customer = create_customer(store, "orders@example.com")
    sku = standard_rated_sku(store)
    body = {**cart(sku, customer_id=customer["id"], shipping_line={"id": "flat_rate:1"}), "payment_type": payment_type}
    response = api_client.post(path(connection, "/checkout/complete"), body, format="json")
    assert response.status_code == 201, response.content
    order_id = response.json()["order_external_id"]
    assert response.json() == {"order_external_id": order_id, "redirect_url": None}
    order = wc(store, "GET", f"orders/{order_id}")
    assert order["status"] == status
    assert order["customer_id"] == customer["id"]
    assert (meta(order, "sparkCartId"), meta(order, "sparkPaymentType")) == (body["cart_id"], payment_type)
    assert [(li["sku"], li["quantity"], li["total"]) for li in order["line_items"]] == [(sku, 2, "31.98")]
    assert [(s["method_id"], s["total"]) for s in order["shipping_lines"]] == [("flat_rate", "4.95")]
    assert order["shipping"]["city"] == "London"
    assert Decimal(order["total"]) == Decimal("44.32")


@pytest.mark.django_db
def test_upfront_payment_answers_the_store_payment_url(api_client, connection, store):
    body = {**cart(standard_rated_sku(store)), "payment_type": "upfrontPayment"}
    response = api_client.post(path(connection, "/checkout/complete"), body, format="json")
    assert response.status_code == 201
    (order,) = orders_for_cart(store, body["cart_id"])
    assert order["status"] == "pending"
    assert response.json() == {"order_external_id": None, "redirect_url": order["payment_url"]}
    assert "/order-pay/" in order["payment_url"]


@pytest.mark.django_db
def test_retried_complete_returns_the_same_order(api_client, connection, store):
    body = {**cart(standard_rated_sku(store)), "payment_type": "paymentOnAccount"}
    first = api_client.post(path(connection, "/checkout/complete"), body, format="json")
    second = api_client.post(path(connection, "/checkout/complete"), body, format="json")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(orders_for_cart(store, body["cart_id"])) == 1
    row = CheckoutCompletion.objects.get(connection=connection, cart_id=body["cart_id"])
    assert (row.state, row.order_id) == ("completed", first.json()["order_external_id"])


@pytest.mark.django_db
def test_store_side_guard_finds_an_order_the_database_lost(api_client, connection, store):
    """A crash after the order was created but before the answer was stored: the retry finds the order."""
    customer = create_customer(store, "crash@example.com")
    body = {**cart(standard_rated_sku(store), customer_id=customer["id"]), "payment_type": "paymentOnAccount"}
    first = api_client.post(path(connection, "/checkout/complete"), body, format="json").json()
    CheckoutCompletion.objects.all().delete()
    again = api_client.post(path(connection, "/checkout/complete"), body, format="json")
    assert again.json() == first
    assert len(orders_for_cart(store, body["cart_id"])) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_completes_of_one_cart_make_one_order(connection, store, ignite_token):
    from django.db import connection as db_connection

    store.app.faults.configure(FaultConfig(latency_ms=150, path_prefix="/wp-json/wc/v3/orders"))
    body = {**cart(standard_rated_sku(store)), "payment_type": "paymentOnAccount"}
    barrier = threading.Barrier(3)
    answers: list[tuple[int, dict]] = []

    def complete() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {ignite_token}")
        try:
            barrier.wait()
            response = client.post(path(connection, "/checkout/complete"), body, format="json")
            answers.append((response.status_code, response.json()))
        finally:
            db_connection.close()

    threads = [threading.Thread(target=complete) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    store.app.faults.configure(FaultConfig())
    assert [status for status, _ in answers] == [201, 201, 201]
    assert len({str(answer) for _, answer in answers}) == 1
    assert len(orders_for_cart(store, body["cart_id"])) == 1
    assert CheckoutCompletion.objects.filter(cart_id=body["cart_id"]).count() == 1


@pytest.mark.django_db
def test_complete_with_a_method_the_address_does_not_offer_is_400(api_client, connection, store):
    body = {**cart(standard_rated_sku(store), shipping_line={"id": "flat_rate:3"}), "payment_type": "quote"}
    problem = assert_problem(api_client.post(path(connection, "/checkout/complete"), body, format="json"), 400)
    assert [e["property"] for e in problem["errors"]] == ["shipping_line"]
    assert orders_for_cart(store, body["cart_id"]) == []
    assert not CheckoutCompletion.objects.exists()


@pytest.mark.django_db
def test_payment_type_is_required_on_complete(api_client, connection, store):
    problem = assert_problem(api_client.post(path(connection, "/checkout/complete"), cart("SKU"), format="json"), 400)
    assert [e["property"] for e in problem["errors"]] == ["payment_type"]


# -- faults and tenancy ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["/checkout/calculate", "/checkout/complete"])
def test_store_down_is_502_fast_and_leaves_no_completion(api_client, connection, store, short_timeouts, suffix):
    body = {**cart(standard_rated_sku(store)), "payment_type": "paymentOnAccount"}
    store.app.faults.configure(FaultConfig(down=True))
    started = time.monotonic()
    body_502 = assert_problem(api_client.post(path(connection, suffix), body, format="json"), 502)
    assert time.monotonic() - started < 2
    assert "service_unavailable" in body_502["detail"] or "error" in body_502["detail"]
    assert not CheckoutCompletion.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["/checkout/calculate", "/checkout/complete"])
def test_slow_store_is_504_within_the_timeout(api_client, connection, store, short_timeouts, suffix):
    body = {**cart(standard_rated_sku(store)), "payment_type": "paymentOnAccount"}
    store.app.faults.configure(FaultConfig(latency_ms=1500))
    started = time.monotonic()
    assert_problem(api_client.post(path(connection, suffix), body, format="json"), 504)
    assert time.monotonic() - started < short_timeouts + 1.0
    assert not CheckoutCompletion.objects.exists()


@pytest.mark.django_db
def test_store_500_on_order_create_is_502(api_client, connection, store):
    store.app.faults.configure(FaultConfig(error_500_rate=1.0, path_prefix="/wp-json/wc/v3/orders"))
    body = {**cart(standard_rated_sku(store)), "payment_type": "paymentOnAccount"}
    assert_problem(api_client.post(path(connection, "/checkout/complete"), body, format="json"), 502)


@pytest.mark.django_db
def test_cross_tenant_checkout_never_reaches_the_other_store(
    api_client, connection, store, other_connection, other_store
):
    customer = create_customer(store, "tenant-a@example.com")
    body = {**cart("NO-SKU-ON-B", customer_id=customer["id"]), "payment_type": "paymentOnAccount"}
    calls_on_a = len(store_calls(store))
    assert api_client.post(path(other_connection, "/checkout/complete"), body, format="json").status_code == 400
    assert len(store_calls(store)) == calls_on_a
    assert not CheckoutCompletion.objects.filter(connection=connection).exists()


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_that_waits_too_long_gets_409_and_no_second_order(connection, store, ignite_token, monkeypatch):
    """The wait for a concurrent completion of the same cart is bounded: past it, 409 "retry"."""
    from django.db import connection as db_connection

    import storefront.services as service

    monkeypatch.setattr(service, "completion_wait_seconds", lambda: 0.2)
    # The first call holds the cart while its order call is slow (4 s); the duplicate comes 1.5 s in,
    # long enough after for the first to hold the cart even on a busy machine.
    store.app.faults.configure(FaultConfig(latency_ms=4000, path_prefix="/wp-json/wc/v3/orders"))
    body = {**cart(standard_rated_sku(store)), "payment_type": "paymentOnAccount"}
    answers: dict[str, tuple[int, dict]] = {}

    def complete(name: str, delay: float) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {ignite_token}")
        try:
            time.sleep(delay)
            response = client.post(path(connection, "/checkout/complete"), body, format="json")
            answers[name] = (response.status_code, response.json())
        finally:
            db_connection.close()

    first = threading.Thread(target=complete, args=("first", 0))
    second = threading.Thread(target=complete, args=("second", 1.5))
    first.start()
    second.start()
    first.join(timeout=30)
    second.join(timeout=30)
    store.app.faults.configure(FaultConfig())
    assert answers["first"][0] == 201
    assert answers["second"][0] == 409
    assert answers["second"][1]["detail"] == "This cart is being completed by another call; retry."
    assert len(orders_for_cart(store, body["cart_id"])) == 1


# -- the shipping-configuration cache ------------------------------------------------------------


def _shipping_reads(store) -> int:
    return sum(1 for c in store_calls(store) if c["method"] == "GET" and "/shipping/zones" in c["path"])


@pytest.mark.django_db
def test_repeat_calculation_reuses_the_stores_shipping_zones_until_they_expire(
    api_client, connection, store, monkeypatch
):
    from platforms.woocommerce import checkout

    sku = standard_rated_sku(store)
    first = api_client.post(path(connection, "/checkout/calculate"), cart(sku), format="json")
    assert first.status_code == 200, first.content
    reads = _shipping_reads(store)
    assert reads >= 3  # zones, the matching zone's locations, its methods

    again = api_client.post(path(connection, "/checkout/calculate"), cart(sku), format="json")
    assert again.json()["available_shipping_methods"] == first.json()["available_shipping_methods"]
    assert _shipping_reads(store) == reads  # nothing read again
    assert [c["method"] for c in store_calls(store)][-2:] == ["POST", "DELETE"]  # the order is not cached

    monkeypatch.setattr(checkout, "SHIPPING_CACHE_SECONDS", 0.0)  # expired
    api_client.post(path(connection, "/checkout/calculate"), cart(sku), format="json")
    assert _shipping_reads(store) == 2 * reads


# -- input serializers reused within a thread ----------------------------------------------------


@pytest.mark.django_db
def test_reused_input_serializer_carries_nothing_from_one_body_to_the_next(api_client, connection, store):
    sku = standard_rated_sku(store)
    bad = cart(sku)
    bad["line_items"][0]["quantity"] = 0
    del bad["currency_code"]
    first = api_client.post(path(connection, "/checkout/calculate"), bad, format="json")
    assert first.status_code == 400
    assert {e["property"] for e in first.json()["errors"]} >= {"currency_code"}

    good = api_client.post(path(connection, "/checkout/calculate"), cart(sku, quantity=3), format="json")
    assert good.status_code == 200, good.content
    assert good.json()["totals"]["subtotal"] == money("47.97")

    other = cart(sku)
    other["line_items"][0]["unit_price"]["currency"] = "eur"
    third = api_client.post(path(connection, "/checkout/calculate"), other, format="json")
    assert third.status_code == 400
    assert [e["property"] for e in third.json()["errors"]] == ["line_items[0].unit_price.currency"]
