"""The standard platform sandbox follows the Platform API it stands in for: deterministic seeded data,
token and schema checks, capabilities, faults, and Standard Webhooks deliveries a third party can verify."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import standardwebhooks

from platforms.standard.conformance.receiver import Receiver
from sandbox.server import SandboxServer, serve_in_thread
from sandbox.standard import StandardSandbox

AUTH = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture
def store() -> Iterator[SandboxServer]:
    server = serve_in_thread(StandardSandbox(products=20, customers=8, orders=4, seed=9))
    yield server
    server.stop()


def get(store: SandboxServer, path: str, **params: Any) -> requests.Response:
    return requests.get(f"{store.url}{path}", params=params, headers=AUTH, timeout=10)


def test_same_seed_same_records() -> None:
    first, second = (serve_in_thread(StandardSandbox(products=20, customers=8, orders=4, seed=9)) for _ in range(2))
    try:
        for path in ("/products", "/customers", "/orders"):
            left, right = get(first, path).json(), get(second, path).json()
            for body in (left, right):
                for record in body["data"]:
                    record.pop("updated_at", None)
                    record.pop("admin_url", None)
                    for variant in record.get("variants", []):
                        variant.pop("image_url", None)
            assert left == right, path
    finally:
        first.stop()
        second.stop()


def test_token_limits_cursors_and_unknown_routes_are_refused_with_problems(store: SandboxServer) -> None:
    assert requests.get(f"{store.url}/products", timeout=5).status_code == 401
    assert get(store, "/products", limit=251).json()["code"] == "invalid_parameter"
    assert get(store, "/products", cursor="bm9wZQ").json()["code"] == "invalid_cursor"
    missing = get(store, "/products/999999")
    assert (missing.status_code, missing.headers["Content-Type"]) == (404, "application/problem+json")


def test_bodies_are_checked_against_the_published_request_schemas(store: SandboxServer) -> None:
    response = requests.put(f"{store.url}/customers", json={"email": "a@b.example", "first_name": 1}, headers=AUTH,
                            timeout=5)  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"property": "(body)", "message": "'last_name' is a required property"},
        {"property": "first_name", "message": "1 is not of type 'string'"},
    ]


def test_a_capability_left_out_answers_501() -> None:
    server = serve_in_thread(StandardSandbox(products=2, customers=1, orders=1, capabilities=["webhooks"]))
    try:
        response = requests.post(f"{server.url}/checkout/calculate", json={}, headers=AUTH, timeout=5)
        assert (response.status_code, response.json()["code"]) == (501, "not_implemented")
        assert get(server, "/").json()["capabilities"] == ["webhooks"]
    finally:
        server.stop()


def test_faults_apply_to_the_api_not_to_the_control_routes(store: SandboxServer) -> None:
    requests.put(f"{store.url}/_sandbox/faults", json={"error_429_rate": 1.0, "retry_after": "3"}, timeout=5)
    limited = get(store, "/products")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3")
    assert requests.get(f"{store.url}/_sandbox/state", timeout=5).status_code == 200


def test_deliveries_are_standard_webhooks_that_the_reference_library_verifies(store: SandboxServer) -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    with Receiver() as receiver:
        body = {"url": receiver.url, "secret": secret, "events": ["product.updated", "order.deleted"]}
        assert requests.post(f"{store.url}/webhooks", json=body, headers=AUTH, timeout=5).status_code == 201
        with store.app.store.lock:
            store.app.store.update_product("3", {"title": "Renamed"})
            store.app.store.touch("customers", "1")  # not subscribed: not delivered
            store.app.store.delete("orders", "2")
        assert store.app.dispatcher.flush(10)
        deliveries = list(receiver.deliveries)
    assert [json.loads(d.body)["type"] for d in deliveries] == ["product.updated", "order.deleted"]
    for delivery in deliveries:
        event = standardwebhooks.Webhook(secret).verify(delivery.body, delivery.headers)
        assert event["data"]["id"] in ("3", "2")
        assert delivery.headers["webhook-id"].startswith("msg_")


def test_a_failed_delivery_is_retried_under_the_same_webhook_id() -> None:
    server = serve_in_thread(StandardSandbox(products=2, customers=1, orders=1, webhook_retries=1))
    try:
        with Receiver() as receiver:
            body = {"url": receiver.url + "nowhere", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                    "events": ["product.updated"]}  # fmt: skip
            requests.post(f"{server.url}/webhooks", json=body, headers=AUTH, timeout=5)
            receiver.server.shutdown()  # nobody answers now
            receiver.server.server_close()
            with server.app.store.lock:
                server.app.store.touch("products", "1")
            assert server.app.dispatcher.flush(10)
        attempts = requests.get(f"{server.url}/_sandbox/deliveries", timeout=5).json()
        assert [a["attempt"] for a in attempts] == [1, 2]
        assert len({a["webhook_id"] for a in attempts}) == 1
        assert all(a["status"] is None for a in attempts)
    finally:
        server.stop()
