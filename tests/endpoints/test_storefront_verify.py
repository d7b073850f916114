"""POST /v1/{env}/{site}/authentication/verify: storefront single sign-on (docs/ignite-contract.md §1.5)."""

from __future__ import annotations

import base64
import json
import time

import pytest

from connections.models import ConnectionState
from tests.endpoints.storefront_helpers import (
    STOREFRONT_SECRET,
    assert_problem,
    create_customer,
    path,
    store_calls,
    token,
)
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def _unsigned(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def test_valid_token_answers_the_customer_id(api_client, connection, store):
    customer = create_customer(store, "sso@example.com")
    response = api_client.post(
        path(connection, "/authentication/verify"), {"data": token(str(customer["id"]))}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"customer_external_id": str(customer["id"])}
    assert [c["path"] for c in store_calls(store)][-1] == f"/wp-json/wc/v3/customers/{customer['id']}"


def test_numeric_sub_claim_is_accepted(api_client, connection, store):
    customer = create_customer(store, "numeric@example.com")
    response = api_client.post(
        path(connection, "/authentication/verify"), {"data": token(customer["id"])}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"customer_external_id": str(customer["id"])}


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda cid: token(cid, ttl=-120), id="expired"),
        pytest.param(lambda cid: token(cid, secret="not-the-store-secret-0123456789abcdef"), id="forged"),
        pytest.param(lambda cid: _unsigned({"sub": cid, "exp": int(time.time()) + 300}), id="alg-none"),
        pytest.param(lambda cid: token(cid)[:-4] + "AAAA", id="tampered-signature"),
        pytest.param(lambda cid: "not-a-jwt", id="garbage"),
        pytest.param(lambda cid: token("abc"), id="non-numeric-sub"),
        pytest.param(
            lambda cid: __import__("jwt").encode({"sub": cid}, STOREFRONT_SECRET, algorithm="HS256"), id="no-exp"
        ),
        pytest.param(
            lambda cid: __import__("jwt").encode(
                {"sub": cid, "exp": int(time.time()) + 300}, STOREFRONT_SECRET, algorithm="HS512"
            ),
            id="other-alg",
        ),
    ],
)
def test_bad_credentials_are_401(api_client, connection, store, make_token):
    customer = create_customer(store, "victim@example.com")
    response = api_client.post(
        path(connection, "/authentication/verify"), {"data": make_token(str(customer["id"]))}, format="json"
    )
    body = assert_problem(response, 401)
    assert "storefront credential" in body["detail"]


def test_token_for_a_customer_the_store_does_not_have_is_401(api_client, connection, store):
    response = api_client.post(path(connection, "/authentication/verify"), {"data": token("987654")}, format="json")
    assert_problem(response, 401)
    assert store_calls(store)[-1]["path"] == "/wp-json/wc/v3/customers/987654"


def test_connection_without_storefront_secret_refuses_every_token(api_client, db, store):
    connection = ConnectionFactory(store_url=store.url, storefront_secret="")
    customer = create_customer(store, "nosecret@example.com")
    response = api_client.post(path(connection, "/authentication/verify"), {"data": token(customer["id"], secret="")},
                               format="json")  # fmt: skip
    assert_problem(response, 401)


@pytest.mark.parametrize(
    ("body", "prop"),
    [({}, "data"), ({"data": 123}, "data"), ({"data": None}, "data"), ({"data": "x" * 5000}, "data")],
)
def test_bad_input_is_400_with_the_field(api_client, connection, body, prop):
    response = api_client.post(path(connection, "/authentication/verify"), body, format="json")
    problem = assert_problem(response, 400)
    assert [e["property"] for e in problem["errors"]] == [prop]


def test_missing_bearer_token_is_401(anonymous_client, connection, store):
    response = anonymous_client.post(path(connection, "/authentication/verify"), {"data": token(2)}, format="json")
    assert_problem(response, 401)
    assert store_calls(store) == []


@pytest.mark.parametrize("state", [ConnectionState.PENDING, ConnectionState.REMOVED, ConnectionState.ERROR])
def test_inactive_connection_is_404(api_client, connection, store, state):
    connection.state = state
    connection.save()
    response = api_client.post(path(connection, "/authentication/verify"), {"data": token(2)}, format="json")
    assert_problem(response, 404)
    assert store_calls(store) == []


def test_unknown_site_is_404(api_client, db):
    response = api_client.post("/v1/test/nobody-here/authentication/verify", {"data": token(2)}, format="json")
    assert_problem(response, 404)


def test_cross_tenant_token_is_refused_without_touching_the_other_store(
    api_client, connection, store, other_connection, other_store
):
    customer = create_customer(store, "tenant-a@example.com")
    calls_before = len(store_calls(store))
    response = api_client.post(
        path(other_connection, "/authentication/verify"), {"data": token(str(customer["id"]))}, format="json"
    )
    assert_problem(response, 401)  # signed with A's secret, not B's
    assert len(store_calls(store)) == calls_before
    assert store_calls(other_store) == []


def test_store_down_is_502(api_client, connection, store, short_timeouts):
    from sandbox.faults import FaultConfig

    customer = create_customer(store, "down@example.com")
    store.app.faults.configure(FaultConfig(down=True))
    started = time.monotonic()
    response = api_client.post(
        path(connection, "/authentication/verify"), {"data": token(customer["id"])}, format="json"
    )
    assert_problem(response, 502)
    assert time.monotonic() - started < 2


def test_slow_store_is_504_within_the_timeout(api_client, connection, store, short_timeouts):
    from sandbox.faults import FaultConfig

    customer = create_customer(store, "slow@example.com")
    store.app.faults.configure(FaultConfig(latency_ms=2000))
    started = time.monotonic()
    response = api_client.post(
        path(connection, "/authentication/verify"), {"data": token(customer["id"])}, format="json"
    )
    body = assert_problem(response, 504)
    assert body["detail"] == "The store did not answer in time."
    assert time.monotonic() - started < short_timeouts + 1.0
