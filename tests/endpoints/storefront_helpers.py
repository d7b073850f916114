"""Plain helpers shared by the customer-request endpoint tests (``test_storefront_*``, ``test_ascii_ids``); the
fixtures they go with (``store``, ``connection``, their other-tenant pair, ``short_timeouts``) live in
``tests/endpoints/conftest.py``.

Everything goes over real loopback HTTP: the API client calls the bridge in-process, the bridge calls the
WooCommerce sandbox through its inline adapter.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import requests

from connections.models import Connection
from sandbox.server import SandboxServer

STOREFRONT_SECRET = "storefront-secret-for-tests-0123456789abcdef"
WC_AUTH = ("ck_sandbox", "cs_sandbox")


def wc(server: SandboxServer, method: str, path: str, **kwargs: Any) -> Any:
    """Read or write the sandbox store directly (to check its state after a bridge call)."""
    response = requests.request(method, f"{server.url}/wp-json/wc/v3/{path}", auth=WC_AUTH, timeout=10, **kwargs)
    response.raise_for_status()
    return response.json()


def meta(record: dict[str, Any], key: str) -> Any:
    found = None
    for entry in record.get("meta_data") or []:
        if entry["key"] == key:
            found = entry["value"]
    return found


def store_calls(server: SandboxServer) -> list[dict[str, Any]]:
    return [dict(call) for call in server.app.calls]


def path(connection: Connection, suffix: str) -> str:
    return f"/v1/{connection.site_env}/{connection.site_id}{suffix}"


def token(sub: Any, *, secret: str = STOREFRONT_SECRET, ttl: int = 300, **extra: Any) -> str:
    return jwt.encode({"sub": sub, "exp": int(time.time()) + ttl, **extra}, secret, algorithm="HS256")


def simple_skus(server: SandboxServer, count: int = 2) -> list[tuple[str, str]]:
    """(sku, price) of published simple products that have a SKU."""
    products = wc(server, "GET", "products", params={"per_page": 100, "type": "simple", "status": "publish"})
    found = [(p["sku"], p["price"]) for p in products if p["sku"]]
    assert len(found) >= count
    return found[:count]


def create_customer(server: SandboxServer, email: str, **extra: Any) -> dict[str, Any]:
    body = {"email": email, "first_name": "Sam", "last_name": "Buyer", **extra}
    return wc(server, "POST", "customers", json=body)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert set(body) >= {"type", "title", "status", "detail"}
    return body


#: addresses and a cart body for the checkout tests
GB = {"first_name": "Bob", "last_name": "Jones", "address_line1": "1 Crag Road", "city": "London",
      "postal_code": "EC1A 1BB", "country_code": "GB"}  # fmt: skip
DE = {**GB, "city": "Berlin", "postal_code": "10115", "country_code": "DE"}
US = {**GB, "city": "Austin", "postal_code": "73301", "country_code": "US", "region_code": "TX"}


def standard_rated_sku(store) -> str:
    products = wc(store, "GET", "products", params={"per_page": 100, "type": "simple", "status": "publish"})
    return next(p["sku"] for p in products if p["sku"] and p["tax_class"] in ("", "standard"))


def cart(sku: str, *, unit: str = "15.99", quantity: int = 2, address=GB, customer_id=None, **extra):
    body = {
        "cart_id": str(uuid.uuid4()),
        "customer": {
            "id": "cu_1",
            "email": "bob@example.com",
            "external_id": str(customer_id) if customer_id else None,
        },
        "currency_code": "gbp",
        "billing_address": address,
        "shipping_address": address,
        "line_items": [{"sku": sku, "quantity": quantity, "unit_price": {"number": unit, "currency": "gbp"}}],
        "ignite_state": {},
    }
    body.update(extra)
    return body
