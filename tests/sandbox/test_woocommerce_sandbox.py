"""The WooCommerce sandbox over real HTTP on loopback: it must behave like WooCommerce where the bridge cares."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from werkzeug.wrappers import Request, Response

from sandbox.server import SandboxServer, serve_in_thread
from sandbox.woocommerce import WooCommerceSandbox

KEY, SECRET = "ck_test", "cs_test"


class Receiver:
    """A tiny HTTP endpoint that records what it is sent and answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append({"path": request.full_path, "headers": dict(request.headers), "body": request.get_data()})
        return Response("ok", status=self.status)(environ, start_response)

    def deliveries(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if "X-Wc-Webhook-Topic" in r["headers"]]


@pytest.fixture
def woo() -> Iterator[SandboxServer]:
    server = serve_in_thread(
        WooCommerceSandbox(products=120, customers=60, orders=20, seed=7, consumer_key=KEY, consumer_secret=SECRET)
    )
    yield server
    server.stop()


@pytest.fixture
def api(woo: SandboxServer) -> requests.Session:
    session = requests.Session()
    session.auth = (KEY, SECRET)
    return session


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, SandboxServer]]:
    app = Receiver()
    server = serve_in_thread(app)
    yield app, server
    server.stop()


def url(woo: SandboxServer, path: str) -> str:
    return f"{woo.url}/wp-json/wc/v3{path}"


def flush(woo: SandboxServer) -> None:
    assert requests.post(f"{woo.url}/_sandbox/webhooks/flush", timeout=30).json()["flushed"] is True


def first_product(api: requests.Session, woo: SandboxServer, **params: Any) -> dict[str, Any]:
    return api.get(url(woo, "/products"), params={"per_page": 1, **params}).json()[0]


def make_webhook(api: requests.Session, woo: SandboxServer, topic: str, delivery_url: str) -> dict[str, Any]:
    body = {"name": "test", "topic": topic, "delivery_url": delivery_url, "secret": "s3cretS3cretS3cretS3cretS3cret42"}
    response = api.post(url(woo, "/webhooks"), json=body)
    assert response.status_code == 201
    flush(woo)  # the ping
    return response.json()


# ---- authentication ----


def test_basic_auth_and_query_auth_are_accepted(woo: SandboxServer) -> None:
    assert requests.get(url(woo, "/products"), auth=(KEY, SECRET)).status_code == 200
    response = requests.get(url(woo, "/products"), params={"consumer_key": KEY, "consumer_secret": SECRET})
    assert response.status_code == 200


def test_wrong_secret_is_an_authentication_error(woo: SandboxServer) -> None:
    response = requests.get(url(woo, "/products"), auth=(KEY, "cs_wrong"))
    assert response.status_code == 401
    assert response.json() == {
        "code": "woocommerce_rest_authentication_error",
        "message": "Consumer secret is invalid.",
        "data": {"status": 401},
    }
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_unknown_key_or_no_credentials_fail_the_capability_check(woo: SandboxServer) -> None:
    unknown = requests.get(url(woo, "/products"), auth=("ck_unknown", SECRET))
    anonymous = requests.post(url(woo, "/products"), json={"name": "x"})
    assert (unknown.status_code, unknown.json()["code"]) == (401, "woocommerce_rest_cannot_view")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "woocommerce_rest_cannot_create")


def test_rest_route_query_form_and_unknown_route(woo: SandboxServer, api: requests.Session) -> None:
    response = api.get(f"{woo.url}/", params={"rest_route": "/wc/v3/products", "per_page": 2})
    missing = api.get(url(woo, "/nothing-here"))
    assert response.status_code == 200
    assert len(response.json()) == 2
    assert (missing.status_code, missing.json()["code"]) == (404, "rest_no_route")


def test_a_store_before_10_3_has_no_variations_listing_but_reads_per_product(api: requests.Session) -> None:
    """``variations_listing=False`` answers as WooCommerce before 10.3 does: no cross-product listing."""
    server = serve_in_thread(
        WooCommerceSandbox(products=40, customers=1, orders=0, seed=7, consumer_key=KEY, consumer_secret=SECRET,
                           variations_listing=False)
    )  # fmt: skip
    try:
        across = api.get(url(server, "/variations"), params={"parent": 0})
        variable = api.get(url(server, "/products"), params={"type": "variable", "per_page": 1}).json()[0]
        own = api.get(url(server, f"/products/{variable['id']}/variations"))
    finally:
        server.stop()
    assert (across.status_code, across.json()["code"]) == (404, "rest_no_route")
    assert own.status_code == 200
    assert sorted(v["id"] for v in own.json()) == sorted(variable["variations"])


# ---- listing ----


def test_pagination_headers_and_links(woo: SandboxServer, api: requests.Session) -> None:
    response = api.get(url(woo, "/customers"), params={"role": "all", "per_page": 25, "page": 2})
    assert response.headers["X-WP-Total"] == "61"  # 60 generated + the administrator
    assert response.headers["X-WP-TotalPages"] == "3"
    assert 'rel="prev"' in response.headers["Link"]
    assert 'rel="next"' in response.headers["Link"]
    assert "page=3" in response.headers["Link"]
    assert len(response.json()) == 25


def test_per_page_above_100_is_rejected(woo: SandboxServer, api: requests.Session) -> None:
    response = api.get(url(woo, "/products"), params={"per_page": 101})
    assert response.status_code == 400
    assert response.json()["code"] == "rest_invalid_param"
    assert response.json()["data"]["params"] == {
        "per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"
    }


def test_iterating_1000_products_returns_each_once() -> None:
    server = serve_in_thread(WooCommerceSandbox(products=1000, customers=5, orders=0))
    try:
        session, seen, page = requests.Session(), [], 1
        session.auth = ("ck_sandbox", "cs_sandbox")
        while True:
            response = session.get(
                url(server, "/products"), params={"per_page": 100, "page": page, "orderby": "id", "_fields": "id"}
            )
            seen += [item["id"] for item in response.json()]
            if page >= int(response.headers["X-WP-TotalPages"]):
                break
            page += 1
        assert len(seen) == 1000
        assert len(set(seen)) == 1000
        assert page == 10
    finally:
        server.stop()


def test_same_seed_gives_the_same_catalogue() -> None:
    def snapshot(seed: int) -> list[Any]:
        server = serve_in_thread(WooCommerceSandbox(products=50, customers=20, orders=5, seed=seed))
        try:
            auth = ("ck_sandbox", "cs_sandbox")
            data = [
                requests.get(url(server, p), params={"per_page": 100}, auth=auth).json()
                for p in ("/products", "/customers", "/orders")
            ]
            return json.loads(json.dumps(data).replace(server.url, "BASE"))
        finally:
            server.stop()

    first, again, other = snapshot(3), snapshot(3), snapshot(4)
    assert first == again
    assert first != other


def test_modified_after_returns_a_product_updated_now(woo: SandboxServer, api: requests.Session) -> None:
    product = first_product(api, woo, type="simple")
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 2))
    api.put(url(woo, f"/products/{product['id']}"), json={"name": "Renamed"}).raise_for_status()
    response = api.get(url(woo, "/products"), params={"modified_after": since, "dates_are_gmt": "true"})
    assert [p["id"] for p in response.json()] == [product["id"]]
    assert response.json()[0]["date_modified_gmt"] > product["date_modified_gmt"]


def test_sku_filter_also_finds_variations(woo: SandboxServer, api: requests.Session) -> None:
    parent = first_product(api, woo, type="variable")
    variation = api.get(url(woo, f"/products/{parent['id']}/variations/{parent['variations'][0]}")).json()
    if not variation["sku"]:
        variation = api.put(
            url(woo, f"/products/{parent['id']}/variations/{variation['id']}"), json={"sku": "V-1"}
        ).json()
    found = api.get(url(woo, "/products"), params={"sku": variation["sku"]}).json()
    assert [(p["id"], p["type"], p["parent_id"]) for p in found] == [(variation["id"], "variation", parent["id"])]


def test_kept_generated_records_are_not_changed_by_readers_and_writes_replace_them() -> None:
    """Generated products and variations are kept for re-reads; what a reader does with its copy
    never reaches the next reader, and a write is what every later read sees."""
    from sandbox.woocommerce import products, variations
    from sandbox.woocommerce.catalogue import Catalogue

    app = WooCommerceSandbox(products=60, customers=1, orders=0, seed=5, base_url="http://store.test")
    store = app.store
    parent_id = next(i for i, head in store.products.items() if head.type == "variable")
    variation_id = products.children(store, parent_id)[0]
    fresh = Catalogue(seed=5, products=60, customers=1, orders=0).variation(variation_id, "http://store.test")

    first = variations.render(store, variation_id)
    first["attributes"][0]["option"] = "changed by a reader"
    first["sku"] = "changed too"
    variations.stored(store, variation_id)["attributes"].clear()
    products.render(store, parent_id)["attributes"].clear()
    again = variations.render(store, variation_id)
    assert again["attributes"] == fresh["attributes"]
    assert again["sku"] == fresh["sku"]
    assert products.render(store, parent_id)["attributes"][0]["options"]

    variations.update(store, parent_id, variation_id, {"regular_price": "1.00", "sku": "KEPT-1"}, emit=False)
    assert variations.render(store, variation_id)["sku"] == "KEPT-1"
    assert products.render(store, parent_id)["price"] == "1.00"


def test_variations_listing_across_products(woo: SandboxServer, api: requests.Session) -> None:
    """``GET /variations`` (WooCommerce 10.3+): all variations, each with ``parent_id``; ``parent``
    keeps those of the named products, in the order asked for, as their own listings show them."""
    variable = api.get(url(woo, "/products"), params={"type": "variable", "per_page": 3, "orderby": "id"}).json()
    ids = [p["id"] for p in variable]
    found = api.get(
        url(woo, "/variations"),
        params={"parent": ",".join(map(str, ids)), "orderby": "id", "order": "asc", "per_page": 100},
    )
    assert found.status_code == 200
    for product_id in ids:
        own = api.get(
            url(woo, f"/products/{product_id}/variations"), params={"orderby": "id", "order": "asc", "per_page": 100}
        ).json()
        assert own
        assert [v for v in found.json() if v["parent_id"] == product_id] == own
    assert {v["parent_id"] for v in found.json()} == set(ids)
    everything = api.get(url(woo, "/variations"), params={"per_page": 1})
    assert (
        int(everything.headers["X-WP-Total"])
        == requests.get(f"{woo.url}/_sandbox/state").json()["summary"]["variations"]
    )
    assert api.get(url(woo, "/variations"), params={"parent": "999999"}).json() == []
    refused = api.get(url(woo, "/variations"), params={"parent": "abc"})
    assert (refused.status_code, refused.json()["code"]) == (400, "rest_invalid_param")


# ---- deletion semantics ----


def test_trash_then_force_delete(woo: SandboxServer, api: requests.Session) -> None:
    product = first_product(api, woo, status="publish")
    path = url(woo, f"/products/{product['id']}")
    trashed = api.delete(path)
    assert (trashed.status_code, trashed.json()["status"]) == (200, "publish")
    assert api.get(path).json()["status"] == "trash"
    listed = api.get(url(woo, "/products"), params={"per_page": 100, "include": product["id"]}).json()
    assert listed == []
    assert [p["id"] for p in api.get(url(woo, "/products"), params={"status": "trash"}).json()] == [product["id"]]
    again = api.delete(path)
    assert (again.status_code, again.json()["code"]) == (410, "woocommerce_rest_already_trashed")
    assert api.delete(path, params={"force": "true"}).status_code == 200
    gone = api.get(path)
    assert (gone.status_code, gone.json()["code"]) == (404, "woocommerce_rest_product_invalid_id")


def test_variation_delete_needs_force(woo: SandboxServer, api: requests.Session) -> None:
    parent = first_product(api, woo, type="variable")
    path = url(woo, f"/products/{parent['id']}/variations/{parent['variations'][0]}")
    refused = api.delete(path)
    assert (refused.status_code, refused.json()["code"]) == (501, "woocommerce_rest_trash_not_supported")
    assert api.delete(path, params={"force": "true"}).status_code == 200
    assert parent["variations"][0] not in api.get(url(woo, f"/products/{parent['id']}")).json()["variations"]


def test_batch_over_100_items_is_413(woo: SandboxServer, api: requests.Session) -> None:
    response = api.post(url(woo, "/products/batch"), json={"delete": list(range(1, 102))})
    assert (response.status_code, response.json()["code"]) == (413, "woocommerce_rest_request_entity_too_large")


# ---- customers ----


def test_customer_email_filter_and_role_filter(woo: SandboxServer, api: requests.Session) -> None:
    customer = api.get(url(woo, "/customers"), params={"per_page": 1}).json()[0]
    found = api.get(url(woo, "/customers"), params={"email": customer["email"].upper()}).json()
    assert [c["id"] for c in found] == [customer["id"]]
    default = api.get(url(woo, "/customers"), params={"per_page": 100}).json()
    everyone = api.get(url(woo, "/customers"), params={"per_page": 100, "role": "all"}).json()
    assert {c["role"] for c in default} == {"customer"}
    assert {"administrator", "customer"} <= {c["role"] for c in everyone}
    assert len(everyone) > len(default)


def test_duplicate_email_is_refused_on_create_and_update(woo: SandboxServer, api: requests.Session) -> None:
    first, second = api.get(url(woo, "/customers"), params={"per_page": 2}).json()
    created = api.post(url(woo, "/customers"), json={"email": first["email"]})
    updated = api.put(url(woo, f"/customers/{second['id']}"), json={"email": first["email"]})
    assert (created.status_code, created.json()["code"]) == (400, "registration-error-email-exists")
    assert (updated.status_code, updated.json()["code"]) == (400, "woocommerce_rest_customer_invalid_email")


def test_customer_meta_data_write_and_update_by_id(woo: SandboxServer, api: requests.Session) -> None:
    created = api.post(
        url(woo, "/customers"),
        json={"email": "meta@example.com", "meta_data": [{"key": "sparklayer_group", "value": "gold"}]},
    )
    meta = created.json()["meta_data"]
    updated = api.put(
        url(woo, f"/customers/{created.json()['id']}"),
        json={"meta_data": [{"id": meta[0]["id"], "key": "sparklayer_group", "value": "silver"}]},
    )
    assert updated.json()["meta_data"] == [{"id": meta[0]["id"], "key": "sparklayer_group", "value": "silver"}]
    refused = api.delete(url(woo, f"/customers/{created.json()['id']}"))
    assert (refused.status_code, refused.json()["code"]) == (501, "woocommerce_rest_trash_not_supported")


# ---- orders ----


def test_order_create_computes_tax_and_totals(woo: SandboxServer, api: requests.Session) -> None:
    product = api.post(
        url(woo, "/products"), json={"name": "Tax test", "regular_price": "10.00", "sku": "TAX-1"}
    ).json()
    customer = api.get(url(woo, "/customers"), params={"per_page": 1}).json()[0]
    body = {
        "customer_id": customer["id"],
        "billing": {"country": "GB", "email": "b@example.com"},
        "shipping": {"country": "GB"},
        "line_items": [{"product_id": product["id"], "quantity": 3}, {"sku": "TAX-1", "quantity": 1, "total": "8.00"}],
        "shipping_lines": [{"method_id": "flat_rate", "method_title": "Standard", "total": "5.00"}],
        "meta_data": [{"key": "sparkCartId", "value": "cart-1"}],
    }
    order = api.post(url(woo, "/orders"), json=body).json()
    assert [(i["subtotal"], i["total"], i["total_tax"], i["price"]) for i in order["line_items"]] == [
        ("30.00", "30.00", "6.00", 10.0),
        ("8.00", "8.00", "1.60", 8.0),
    ]
    assert (order["shipping_total"], order["shipping_tax"], order["cart_tax"]) == ("5.00", "1.00", "7.60")
    assert (order["total_tax"], order["total"]) == ("8.60", "51.60")
    assert order["tax_lines"][0]["rate_code"] == "GB-VAT-1"
    assert order["needs_payment"] is True
    assert order["payment_url"].endswith(
        f"/checkout/order-pay/{order['id']}/?pay_for_order=true&key={order['order_key']}"
    )
    assert (order["status"], order["created_via"], order["number"]) == ("pending", "rest-api", str(order["id"]))
    us = api.post(url(woo, "/orders"), json={**body, "shipping": {"country": "US", "state": "CA"}}).json()
    assert us["cart_tax"] == str((Decimal("38.00") * Decimal("0.0725")).quantize(Decimal("0.01")))


def test_order_create_validates_shipping_lines_and_customer(woo: SandboxServer, api: requests.Session) -> None:
    product = first_product(api, woo, type="simple")
    no_method = api.post(
        url(woo, "/orders"), json={"line_items": [{"product_id": product["id"]}], "shipping_lines": [{"total": "1.00"}]}
    )
    bad_customer = api.post(url(woo, "/orders"), json={"customer_id": 999999})
    assert (no_method.status_code, no_method.json()["code"]) == (400, "woocommerce_rest_invalid_shipping_item")
    assert (bad_customer.status_code, bad_customer.json()["code"]) == (400, "woocommerce_rest_invalid_customer_id")


def test_refunds_are_listed_on_the_order_and_a_full_refund_marks_it_refunded(
    woo: SandboxServer, api: requests.Session, receiver: tuple[Receiver, SandboxServer]
) -> None:
    app, server = receiver
    product = api.post(url(woo, "/products"), json={"name": "Refund test", "regular_price": "10.00"}).json()
    order = api.post(
        url(woo, "/orders"), json={"line_items": [{"product_id": product["id"], "quantity": 2}], "set_paid": True}
    ).json()
    assert (order["status"], order["total"], order["refunds"]) == ("processing", "24.00", [])  # with 20% tax
    make_webhook(api, woo, "order.updated", f"{server.url}/hook")

    first = api.post(url(woo, f"/orders/{order['id']}/refunds"), json={"amount": "5.50", "reason": "scratched"})
    assert first.status_code == 201
    assert (first.json()["amount"], first.json()["reason"]) == ("5.50", "scratched")
    partly = api.get(url(woo, f"/orders/{order['id']}")).json()
    assert (partly["status"], partly["total"]) == ("processing", "24.00")  # the placed total stays
    assert partly["refunds"] == [{"id": first.json()["id"], "reason": "scratched", "total": "-5.50"}]

    too_much = api.post(url(woo, f"/orders/{order['id']}/refunds"), json={"amount": "18.51"})
    assert (too_much.status_code, too_much.json()["code"]) == (500, "woocommerce_rest_cannot_create_order_refund")
    nothing = api.post(url(woo, f"/orders/{order['id']}/refunds"), json={"amount": "0"})
    assert (nothing.status_code, nothing.json()["code"]) == (400, "woocommerce_rest_invalid_order_refund")

    rest = api.post(url(woo, f"/orders/{order['id']}/refunds"), json={"amount": "18.50"}).json()
    refunded = api.get(url(woo, f"/orders/{order['id']}")).json()
    assert refunded["status"] == "refunded"
    assert [r["total"] for r in refunded["refunds"]] == ["-18.50", "-5.50"]  # newest first
    assert [r["id"] for r in api.get(url(woo, f"/orders/{order['id']}/refunds")).json()] == [
        rest["id"], first.json()["id"],
    ]  # fmt: skip
    flush(woo)
    topics = [d["headers"]["X-Wc-Webhook-Topic"] for d in app.deliveries()]
    assert topics == ["order.updated", "order.updated"]  # one per refund; the refused ones changed nothing


# ---- webhooks ----


def test_webhook_delivery_is_signed_and_carries_the_current_resource(
    woo: SandboxServer, api: requests.Session, receiver: tuple[Receiver, SandboxServer]
) -> None:
    app, server = receiver
    webhook = make_webhook(api, woo, "product.updated", f"{server.url}/hook")
    assert "secret" not in webhook
    product = first_product(api, woo, type="simple")
    api.put(url(woo, f"/products/{product['id']}"), json={"name": "Café/Bar"}).raise_for_status()
    flush(woo)
    (delivery,) = app.deliveries()
    headers, body = delivery["headers"], delivery["body"]
    expected = base64.b64encode(hmac.new(b"s3cretS3cretS3cretS3cretS3cret42", body, hashlib.sha256).digest()).decode()
    assert headers["X-Wc-Webhook-Signature"] == expected
    assert (headers["X-Wc-Webhook-Topic"], headers["X-Wc-Webhook-Resource"], headers["X-Wc-Webhook-Event"]) == (
        "product.updated",
        "product",
        "updated",
    )
    assert headers["X-Wc-Webhook-Id"] == str(webhook["id"])
    assert headers["X-Wc-Webhook-Source"] == f"{woo.url}/"
    assert b"Caf\\u00e9\\/Bar" in body
    assert json.loads(body) == api.get(url(woo, f"/products/{product['id']}")).json()


def test_variation_changes_fire_product_topics_with_type_variation(
    woo: SandboxServer, api: requests.Session, receiver: tuple[Receiver, SandboxServer]
) -> None:
    app, server = receiver
    make_webhook(api, woo, "product.updated", f"{server.url}/hook")
    parent = first_product(api, woo, type="variable")
    variation_id = parent["variations"][0]
    api.put(url(woo, f"/products/{parent['id']}/variations/{variation_id}"), json={"regular_price": "12.00"})
    api.delete(url(woo, f"/products/{parent['id']}/variations/{parent['variations'][-1]}"), params={"force": "true"})
    flush(woo)
    (delivery,) = app.deliveries()
    body = json.loads(delivery["body"])
    assert (body["id"], body["type"], body["parent_id"], body["price"]) == (
        variation_id,
        "variation",
        parent["id"],
        "12.00",
    )


def test_ping_is_sent_on_creation(
    woo: SandboxServer, api: requests.Session, receiver: tuple[Receiver, SandboxServer]
) -> None:
    app, server = receiver
    webhook = make_webhook(api, woo, "order.created", f"{server.url}/hook")
    (ping,) = app.requests
    assert ping["body"] == f"webhook_id={webhook['id']}".encode()
    assert not [h for h in ping["headers"] if h.lower().startswith("x-wc-")]
    assert webhook["status"] == "active"


def test_webhook_is_disabled_after_repeated_failures(
    woo: SandboxServer, api: requests.Session, receiver: tuple[Receiver, SandboxServer]
) -> None:
    app, server = receiver
    webhook = make_webhook(api, woo, "product.updated", f"{server.url}/hook")
    app.status = 500
    ids = [p["id"] for p in api.get(url(woo, "/products"), params={"per_page": 7, "type": "simple"}).json()]
    for index, product_id in enumerate(ids):
        api.put(url(woo, f"/products/{product_id}"), json={"name": f"Fail {index}"}).raise_for_status()
        flush(woo)
        status = api.get(url(woo, f"/webhooks/{webhook['id']}")).json()["status"]
        assert status == ("disabled" if index == 6 else "active")
    assert len(app.deliveries()) == 7
    disabled = api.get(url(woo, "/webhooks"), params={"status": "disabled"}).json()
    assert [w["id"] for w in disabled] == [webhook["id"]]


def test_product_deleted_fires_on_trash_only(
    woo: SandboxServer, api: requests.Session, receiver: tuple[Receiver, SandboxServer]
) -> None:
    app, server = receiver
    make_webhook(api, woo, "product.deleted", f"{server.url}/hook")
    first, second = api.get(url(woo, "/products"), params={"per_page": 2, "status": "publish"}).json()
    api.delete(url(woo, f"/products/{first['id']}")).raise_for_status()
    api.delete(url(woo, f"/products/{second['id']}"), params={"force": "true"}).raise_for_status()
    flush(woo)
    assert [json.loads(d["body"]) for d in app.deliveries()] == [{"id": first["id"]}]


def test_webhook_delete_needs_force_and_delivery_can_be_switched_off(
    woo: SandboxServer, api: requests.Session, receiver: tuple[Receiver, SandboxServer]
) -> None:
    app, server = receiver
    webhook = make_webhook(api, woo, "customer.updated", f"{server.url}/hook")
    requests.put(f"{woo.url}/_sandbox/webhook-delivery", json={"enabled": False}).raise_for_status()
    customer = api.get(url(woo, "/customers"), params={"per_page": 1}).json()[0]
    api.put(url(woo, f"/customers/{customer['id']}"), json={"first_name": "Lost"}).raise_for_status()
    flush(woo)
    assert app.deliveries() == []
    refused = api.delete(url(woo, f"/webhooks/{webhook['id']}"))
    assert (refused.status_code, refused.json()["code"]) == (501, "woocommerce_rest_trash_not_supported")
    assert api.delete(url(woo, f"/webhooks/{webhook['id']}"), params={"force": "true"}).status_code == 200


def test_delivery_log_records_each_attempt(
    woo: SandboxServer, api: requests.Session, receiver: tuple[Receiver, SandboxServer]
) -> None:
    _, server = receiver
    webhook = make_webhook(api, woo, "customer.created", f"{server.url}/hook")
    created = api.post(url(woo, "/customers"), json={"email": "log@example.com"}).json()
    flush(woo)
    log = requests.get(f"{woo.url}/_sandbox/deliveries").json()
    assert [(e["webhook_id"], e["topic"], e["resource_id"], e["status"]) for e in log] == [
        (webhook["id"], "ping", 0, 200),
        (webhook["id"], "customer.created", created["id"], 200),
    ]


# ---- app authorisation ----


def _authorize(woo: SandboxServer, callback: str) -> requests.Response:
    params = {
        "app_name": "Ignite",
        "scope": "read_write",
        "user_id": "tenant-1",
        "return_url": "https://app.example/done",
        "callback_url": callback,
    }
    return requests.get(f"{woo.url}/wc-auth/v1/authorize", params=params, allow_redirects=False, timeout=10)


def test_wc_auth_flow_posts_keys_and_redirects(woo: SandboxServer, receiver: tuple[Receiver, SandboxServer]) -> None:
    app, server = receiver
    response = _authorize(woo, f"{server.url}/callback")
    assert response.status_code == 302
    assert response.headers["Location"] == "https://app.example/done?success=1&user_id=tenant-1"
    (callback,) = app.requests
    assert callback["headers"]["Content-Type"] == "application/json;charset=UTF-8"
    keys = json.loads(callback["body"])
    assert (keys["user_id"], keys["key_permissions"]) == ("tenant-1", "read_write")
    assert keys["consumer_key"].startswith("ck_")
    assert len(keys["consumer_key"]) == 43
    usable = requests.get(url(woo, "/products"), auth=(keys["consumer_key"], keys["consumer_secret"]))
    assert usable.status_code == 200


def test_wc_auth_deletes_the_key_when_the_callback_is_not_200(
    woo: SandboxServer, receiver: tuple[Receiver, SandboxServer]
) -> None:
    app, server = receiver
    app.status = 201
    response = _authorize(woo, f"{server.url}/callback")
    assert response.status_code == 401
    assert "Access denied" in response.text
    keys = json.loads(app.requests[0]["body"])
    refused = requests.get(url(woo, "/products"), auth=(keys["consumer_key"], keys["consumer_secret"]))
    assert refused.json()["code"] == "woocommerce_rest_cannot_view"


def test_wc_auth_validates_scope_and_https(woo: SandboxServer) -> None:
    bad_scope = requests.get(
        f"{woo.url}/wc-auth/v1/authorize",
        params={
            "app_name": "a",
            "scope": "admin",
            "user_id": "1",
            "return_url": "https://x",
            "callback_url": "https://x",
        },
    )
    assert bad_scope.status_code == 401
    assert "Invalid scope admin" in bad_scope.text
    assert "needs to be over SSL" in _authorize(woo, "http://bridge.example.com/cb").text


# ---- faults, control API ----


def test_fault_injection_answers_500_429_and_503(woo: SandboxServer, api: requests.Session) -> None:
    control = f"{woo.url}/_sandbox/faults"
    requests.put(control, json={"error_500_rate": 1.0}).raise_for_status()
    assert api.get(url(woo, "/products")).status_code == 500
    requests.put(control, json={"error_429_rate": 1.0, "retry_after": "3"}).raise_for_status()
    limited = api.get(url(woo, "/products"))
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3")
    requests.put(control, json={"down": True}).raise_for_status()
    assert api.get(url(woo, "/products")).status_code == 503
    requests.put(control, json={"drop_rate": 1.0}).raise_for_status()
    with pytest.raises(requests.ConnectionError):
        api.get(url(woo, "/products"), timeout=5)
    assert requests.get(f"{woo.url}/_sandbox/state").status_code == 200  # control routes are never faulted
    assert requests.put(control, json={"nonsense": 1}).status_code == 400
    requests.put(control, json={}).raise_for_status()
    assert api.get(url(woo, "/products")).status_code == 200


def test_mutate_changes_records_and_fires_webhooks(
    woo: SandboxServer, api: requests.Session, receiver: tuple[Receiver, SandboxServer]
) -> None:
    app, server = receiver
    make_webhook(api, woo, "product.updated", f"{server.url}/hook")
    make_webhook(api, woo, "order.created", f"{server.url}/hook")
    response = requests.post(
        f"{woo.url}/_sandbox/mutate", json={"count": 6, "seed": 5, "kinds": ["product_update", "order_create"]}
    )
    changes = response.json()["changes"]
    flush(woo)
    assert len(changes) == 6
    delivered = {(d["headers"]["X-Wc-Webhook-Topic"], json.loads(d["body"])["id"]) for d in app.deliveries()}
    expected = {({"product": "product.updated", "order": "order.created"}[c["resource"]], c["id"]) for c in changes}
    assert delivered == expected
    unknown = requests.post(f"{woo.url}/_sandbox/mutate", json={"count": 1, "kinds": ["explode"]})
    assert unknown.status_code == 400


def test_stock_from_order_fires_product_updated_and_keeps_date_modified(
    woo: SandboxServer, api: requests.Session, receiver: tuple[Receiver, SandboxServer]
) -> None:
    app, server = receiver
    make_webhook(api, woo, "product.updated", f"{server.url}/hook")
    changes = requests.post(
        f"{woo.url}/_sandbox/mutate", json={"count": 8, "seed": 3, "kinds": ["stock_from_order"]}
    ).json()["changes"]
    flush(woo)
    assert {c["kind"] for c in changes} == {"stock_from_order"}
    assert any("parent_id" in c for c in changes), "some changes hit a variation"
    bodies = [json.loads(d["body"]) for d in app.deliveries()]
    assert sorted(b["id"] for b in bodies) == sorted({c["id"] for c in changes})
    for change in changes:
        current = api.get(url(woo, f"/products/{change['id']}")).json()
        if "parent_id" in change:
            assert (current["type"], current["parent_id"]) == ("variation", change["parent_id"])
        assert current["date_modified_gmt"] < "2025-06-02", "an order's stock change leaves date_modified alone"


def test_keep_modified_writes_without_moving_the_date_and_parent_managed_stock_moves_the_parent(
    woo: SandboxServer,
) -> None:
    from sandbox.woocommerce import products, variations

    store = woo.app.store
    with store.lock:
        simple = next(i for i, h in store.products.items() if h.type == "simple" and h.status == "publish")
        before = products.stored(store, simple)["date_modified_gmt"]
        products.update(store, simple, {"regular_price": "7.77"}, keep_modified=True)
        after = products.stored(store, simple)
        assert (after["regular_price"], after["date_modified_gmt"]) == ("7.77", before)
        products.update(store, simple, {"regular_price": "7.78"})
        assert products.stored(store, simple)["date_modified_gmt"] > before

        parent = next(
            i
            for i in store.products
            if store.products[i].type == "variable"
            and any(variations.stored(store, v)["manage_stock"] == "parent" for v in products.children(store, i))
        )
        child = next(
            v for v in products.children(store, parent) if variations.stored(store, v)["manage_stock"] == "parent"
        )
        variations.set_stock_silently(store, child, 42)
        assert products.stored(store, parent)["stock_quantity"] == 42
        assert variations.render(store, child)["stock_quantity"] == 42
        assert variations.stored(store, child)["manage_stock"] == "parent"


def test_calls_stats_and_reset(woo: SandboxServer, api: requests.Session) -> None:
    api.post(url(woo, "/customers"), json={"email": "reset@example.com"}).raise_for_status()
    calls = requests.get(f"{woo.url}/_sandbox/calls").json()
    assert (calls[-1]["method"], calls[-1]["status"]) == ("POST", 201)
    assert requests.get(f"{woo.url}/_sandbox/stats").json()["by_route"] == {"POST /wc/v3/customers 201": 1}
    requests.post(f"{woo.url}/_sandbox/reset").raise_for_status()
    assert api.get(url(woo, "/customers"), params={"email": "reset@example.com"}).json() == []


def test_settings_system_status_taxes_and_shipping(woo: SandboxServer, api: requests.Session) -> None:
    currency = api.get(url(woo, "/settings/general/woocommerce_currency")).json()
    weight = [o for o in api.get(url(woo, "/settings/products")).json() if o["id"] == "woocommerce_weight_unit"]
    status = api.get(url(woo, "/system_status"), params={"_fields": "environment,settings"}).json()
    rates = api.get(url(woo, "/taxes")).json()
    methods = api.get(url(woo, "/shipping/zones/1/methods")).json()
    assert currency["value"] == "GBP"
    assert weight[0]["value"] == "kg"
    assert (status["environment"]["home_url"], status["settings"]["currency"]) == (woo.url, "GBP")
    assert {(r["country"], r["state"], r["rate"]) for r in rates} >= {("GB", "", "20.0000"), ("US", "CA", "7.2500")}
    assert methods[0]["settings"]["cost"]["value"] == "4.95"


# ---- generated data ----


def test_catalogue_contains_the_problems_real_stores_have() -> None:
    app = WooCommerceSandbox(products=1500, customers=600, orders=60, seed=1)
    server = serve_in_thread(app)
    try:
        session = requests.Session()
        session.auth = ("ck_sandbox", "cs_sandbox")

        def every(path: str, **params: Any) -> list[dict[str, Any]]:
            items, page = [], 1
            while True:
                response = session.get(url(server, path), params={"per_page": 100, "page": page, **params})
                items += response.json()
                if page >= int(response.headers["X-WP-TotalPages"]):
                    return items
                page += 1

        products = every("/products", status="any")
        skus = [p["sku"] for p in products if p["sku"]]
        assert {"simple", "variable", "grouped", "external"} == {p["type"] for p in products}
        assert any(p["sku"] == "" and p["type"] == "simple" for p in products)
        assert len(skus) > len(set(skus))
        assert any(p["regular_price"] == "abc" for p in products)
        assert any(p["images"][0]["id"] == 0 for p in products)
        assert {"draft", "pending", "private", "publish"} <= {p["status"] for p in products}
        variations = every(f"/products/{next(p['id'] for p in products if len(p['variations']) >= 3)}/variations")
        assert {"id", "name", "option"} <= set(variations[0]["attributes"][0])
        customers = every("/customers", role="all")
        assert any(not c["billing"]["address_1"] and c["id"] > 1 for c in customers)
        assert any(not c["shipping"]["address_1"] and c["billing"]["address_1"] for c in customers)
        assert any(m["key"].startswith("sparklayer_") for c in customers for m in c["meta_data"])
        orders = every("/orders")
        assert any(o["customer_id"] == 0 for o in orders)
        assert any(m["key"] == "sparkCartId" for o in orders for m in o["meta_data"])
    finally:
        server.stop()


def test_large_catalogue_is_generated_in_seconds() -> None:
    started = time.monotonic()
    app = WooCommerceSandbox(products=50_000, customers=100_000, orders=1000, seed=2)
    elapsed = time.monotonic() - started
    summary = app.store.summary()
    assert elapsed < 5
    assert summary["products"] == 50_000
    assert 120_000 < summary["variations"] < 170_000
    assert summary["customers"] == 100_001


def test_payment_url_and_query_params_are_parsed(woo: SandboxServer, api: requests.Session) -> None:
    order = api.get(url(woo, "/orders"), params={"per_page": 1}).json()[0]
    query = parse_qs(urlsplit(order["payment_url"]).query)
    assert query == {"pay_for_order": ["true"], "key": [order["order_key"]]}
