"""SparkLayer's customer requests through the Ignite endpoints to a standard platform.

The contract: docs/ignite-contract.md §1.5 to §1.8.

Every call goes over loopback HTTP: the API client calls the bridge in-process, the bridge calls the
standard sandbox, which checks each body against the published request schemas.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest

from connections.models import Connection
from tests.endpoints.storefront_helpers import assert_problem
from tests.platforms.standard.support import STOREFRONT_SECRET, standard_store, std_connection

pytestmark = pytest.mark.django_db

ADDRESS = {
    "first_name": "Bob",
    "last_name": "Jones",
    "address_line1": "1 Crag Road",
    "city": "Sheffield",
    "postal_code": "S1 2AB",
    "country_code": "GB",
    "is_default_billing": True,
    "is_default_shipping": True,
}
CUSTOMER = {
    "email": "buyer@climbing.example",
    "first_name": "Bob",
    "last_name": "Jones",
    "company_name": "Jones Climbing Ltd",
    "accounting_id": "ACC-1",
    "price_lists": ["trade"],
    "customer_discount_percentage": 12.5,
    "role": "main",
    "addresses": [ADDRESS],
}


def path(connection: Connection, suffix: str) -> str:
    return f"/v1/{connection.site_env}/{connection.site_id}{suffix}"


def customer(store: Any, customer_id: str) -> dict[str, Any]:
    with store.app.store.lock:
        return dict(store.app.store.get("customers", customer_id))


def selling_sku(store: Any) -> tuple[str, str]:
    with store.app.store.lock:
        for product in store.app.store.tables["products"].records.values():
            for variant in product["variants"]:
                if product["status"] == "active" and variant["sku"] and variant["price"]:
                    return variant["sku"], variant["price"]
    raise AssertionError("no sellable variant")


def cart(sku: str, price: str, **extra: Any) -> dict[str, Any]:
    return {
        "cart_id": str(uuid.uuid4()),
        "customer": {"id": "cu_1", "email": "bob@example.com", "external_id": "1"},
        "currency_code": "gbp",
        "billing_address": ADDRESS,
        "shipping_address": ADDRESS,
        "line_items": [{"sku": sku, "quantity": 2, "unit_price": {"number": price, "currency": "gbp"}}],
        "ignite_state": {},
        **extra,
    }


def test_customer_upsert_creates_then_updates_by_email_keeping_sparklayer_attributes(
    api_client: Any, connection: Connection, std_store: Any
) -> None:
    created = api_client.put(path(connection, "/customers"), CUSTOMER, format="json")
    assert created.status_code == 201, created.content
    customer_id = created.json()["customer_external_id"]
    stored = customer(std_store, customer_id)
    assert stored["sparklayer"] == {"accounting_id": "ACC-1", "price_lists": ["trade"], "discount_percentage": 12.5,
                                    "role": "main"}  # fmt: skip
    assert [a["address_line1"] for a in stored["addresses"]] == ["1 Crag Road"]

    changed = {"email": "BUYER@climbing.example", "first_name": "Robert", "last_name": "Jones", "group": "vip"}
    again = api_client.put(path(connection, "/customers"), changed, format="json")
    assert again.json()["customer_external_id"] == customer_id
    stored = customer(std_store, customer_id)
    assert stored["first_name"] == "Robert"
    assert stored["sparklayer"]["accounting_id"] == "ACC-1"  # not sent, so kept
    assert stored["sparklayer"]["group"] == "vip"


def test_sub_accounts_create_conflict_update_and_detach(
    api_client: Any, connection: Connection, std_store: Any
) -> None:
    body = {
        "email": "sub@climbing.example",
        "first_name": "Sue",
        "last_name": "Sub",
        "parent_customer_external_id": "2",
    }
    created = api_client.post(path(connection, "/sub-accounts"), body, format="json")
    assert created.status_code == 201, created.content
    child = created.json()["customer_external_id"]
    assert customer(std_store, child)["sparklayer"]["parent_customer_id"] == "2"

    taken = api_client.post(path(connection, "/sub-accounts"), body, format="json")
    assert (taken.status_code, taken.json()) == (400, {"error_code": "email-already-taken"})
    orphan = api_client.post(path(connection, "/sub-accounts"), {**body, "email": "x@y.example",
                             "parent_customer_external_id": "404404"}, format="json")  # fmt: skip
    assert assert_problem(orphan, 400)["errors"][0]["property"] == "parent_customer_external_id"

    updated = api_client.patch(path(connection, f"/sub-accounts/{child}"), {"last_name": "Renamed"}, format="json")
    assert (updated.status_code, customer(std_store, child)["last_name"]) == (200, "Renamed")
    assert api_client.delete(path(connection, f"/sub-accounts/{child}")).status_code == 204
    assert customer(std_store, child)["sparklayer"]["parent_customer_id"] is None  # detached, not deleted
    assert_problem(api_client.delete(path(connection, f"/sub-accounts/{child}")), 404)


def test_addresses_create_replace_delete(api_client: Any, connection: Connection, std_store: Any) -> None:
    created = api_client.post(path(connection, "/customers/3/addresses"), ADDRESS, format="json")
    assert created.status_code == 201, created.content
    address_id = created.json()["customer_address_external_id"]
    assert created.json()["city"] == "Sheffield"
    replaced = api_client.put(path(connection, f"/customers/3/addresses/{address_id}"), {**ADDRESS, "city": "York"},
                              format="json")  # fmt: skip
    assert (replaced.status_code, replaced.json()["city"]) == (200, "York")
    assert api_client.delete(path(connection, f"/customers/3/addresses/{address_id}")).status_code == 204
    assert address_id not in {a["id"] for a in customer(std_store, "3")["addresses"]}
    assert_problem(api_client.delete(path(connection, f"/customers/3/addresses/{address_id}")), 404)
    assert_problem(api_client.post(path(connection, "/customers/404404/addresses"), ADDRESS, format="json"), 404)


def test_checkout_calculates_and_completes_once_per_cart(
    api_client: Any, connection: Connection, std_store: Any
) -> None:
    sku, price = selling_sku(std_store)
    calculated = api_client.post(path(connection, "/checkout/calculate"), cart(sku, price), format="json")
    assert calculated.status_code == 200, calculated.content
    totals = calculated.json()["totals"]
    assert totals["subtotal"]["currency"] == "gbp"
    assert {m["id"] for m in calculated.json()["available_shipping_methods"]} == {"standard", "express"}

    body = cart(sku, price, payment_type="paymentOnAccount", shop={})
    first = api_client.post(path(connection, "/checkout/complete"), body, format="json")
    assert first.status_code == 201, first.content
    order_id = first.json()["order_external_id"]
    assert api_client.post(path(connection, "/checkout/complete"), body, format="json").json() == first.json()
    with std_store.app.store.lock:
        orders = [o for o in std_store.app.store.tables["orders"].records.values() if o["cart_id"] == body["cart_id"]]
    assert [o["id"] for o in orders] == [order_id]
    assert orders[0]["payment_type"] == "paymentOnAccount"

    upfront = api_client.post(path(connection, "/checkout/complete"), cart(sku, price, payment_type="upfrontPayment",
                              shop={}), format="json")  # fmt: skip
    assert upfront.json()["order_external_id"] is None
    assert upfront.json()["redirect_url"].startswith(f"{std_store.url}/pay/")
    unknown = api_client.post(path(connection, "/checkout/calculate"), cart("NO-SUCH-SKU", "1.00"), format="json")
    assert assert_problem(unknown, 400)["errors"][0]["property"] == "line_items"


def test_metafields_list_and_enable(api_client: Any, connection: Connection) -> None:
    listed = api_client.get(path(connection, "/metafield-configuration")).json()
    states = {item["key"]: item["state"] for item in listed}
    assert states["customer.group"] == "disabled"
    enabled = api_client.post(path(connection, "/metafield-configuration/enable"), {"key": "customer.group"},
                              format="json")  # fmt: skip
    assert enabled.json() == {"key": "customer.group", "state": "enabled"}


def token(sub: str, *, secret: str = STOREFRONT_SECRET) -> str:
    return jwt.encode({"sub": sub, "exp": int(time.time()) + 300}, secret, algorithm="HS256")


@pytest.mark.parametrize(
    ("login", "valid", "forged"),
    [
        ("jwt", token("4"), token("4", secret="not-the-storefront-secret-0123456789")),
        ("platform", "sf_4", "sf_404404"),
    ],
    ids=["jwt", "platform"],  # a token's expiry moves with the clock: ids must not (parallel workers compare them)
)
def test_storefront_login_by_jwt_or_by_the_platform(
    api_client: Any, spark: Any, std_store: Any, login: str, valid: str, forged: str
) -> None:
    connection = std_connection(std_store, credentials={"storefront_login": login})
    url = path(connection, "/authentication/verify")
    assert api_client.post(url, {"data": valid}, format="json").json() == {"customer_external_id": "4"}
    assert_problem(api_client.post(url, {"data": forged}, format="json"), 401)


REQUESTS = [
    ("put", "/customers", CUSTOMER, "customers.write"),
    (
        "post",
        "/sub-accounts",
        {"email": "s@x.example", "first_name": "S", "last_name": "S", "parent_customer_external_id": "2"},
        "sub_accounts",
    ),
    ("post", "/customers/3/addresses", ADDRESS, "addresses"),
    ("post", "/checkout/calculate", cart("SKU-1-1", "1.00"), "checkout"),
    ("get", "/metafield-configuration", None, "metafields"),
]


@pytest.mark.parametrize(("method", "suffix", "body", "capability"), REQUESTS)
def test_a_capability_the_platform_leaves_out_is_refused_with_a_clear_problem(
    api_client: Any, spark: Any, method: str, suffix: str, body: Any, capability: str
) -> None:
    store = standard_store(capabilities=[])
    try:
        connection = std_connection(store, credentials={"storefront_login": "platform"})
        response = getattr(api_client, method)(path(connection, suffix), body, format="json")
        problem = assert_problem(response, 501)
        assert f"does not announce the '{capability}' capability" in problem["detail"]
        assert [call["route"] for call in store.app.calls] == ["GET discovery"]  # nothing else was called
    finally:
        store.stop()
