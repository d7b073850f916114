"""Input limits: over-nested JSON is a 400 problem, oversized bodies a 413 problem before parsing."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from connections.models import ConnectionState
from ignite_bridge.core.jsonlimits import MAX_JSON_DEPTH, JsonTooDeep, json_loads_bounded
from sync.models import WebhookEvent
from tests.factories import ConnectionFactory
from tests.sync.webhook_support import post_delivery, woo_headers

pytestmark = pytest.mark.django_db

NESTED = b'{"a":' * 5000 + b"1" + b"}" * 5000
NESTED_ARRAY = b"[" * 5000 + b"]" * 5000
PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    return body


# -- nesting ------------------------------------------------------------------------------------


def test_json_loads_bounded_refuses_deep_documents_and_keeps_shallow_ones() -> None:
    with pytest.raises(JsonTooDeep):
        json_loads_bounded(NESTED)
    with pytest.raises(JsonTooDeep):
        json_loads_bounded("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))  # parses, but too deep
    assert json_loads_bounded("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    assert json_loads_bounded(b'{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}


@pytest.mark.parametrize("body", [NESTED, NESTED_ARRAY], ids=["objects", "arrays"])
def test_deeply_nested_json_on_an_ignite_endpoint_is_a_400_problem(api_client: APIClient, body: bytes) -> None:
    response = api_client.post("/v1/test/bobs-store", data=body, content_type="application/json")
    assert "nested more than" in assert_problem(response, 400)["detail"]


def test_deeply_nested_json_on_a_customer_request_is_a_400_problem(api_client: APIClient) -> None:
    connection = ConnectionFactory()
    response = api_client.put(
        f"/v1/{connection.site_env}/{connection.site_id}/customers", data=NESTED, content_type="application/json"
    )
    assert_problem(response, 400)


def test_deeply_nested_json_on_the_install_callback_is_a_400_problem(client: Client) -> None:
    connection = ConnectionFactory(state=ConnectionState.PENDING, platform_credentials={})
    response = client.post(
        f"/install/woocommerce/{connection.uuid}/callback?state=x", data=NESTED_ARRAY, content_type="application/json"
    )
    assert "nested more than" in assert_problem(response, 400)["detail"]


def test_deeply_nested_json_in_a_signed_webhook_is_a_400_problem_and_stores_nothing(client: Client) -> None:
    connection = ConnectionFactory()
    response = post_delivery(
        client, connection, NESTED, woo_headers(NESTED, connection.webhook_secret, "product.updated")
    )
    assert "nested more than" in assert_problem(response, 400)["detail"]
    assert WebhookEvent.objects.count() == 0


# -- size -----------------------------------------------------------------------------------------


def big_json(size: int) -> bytes:
    return json.dumps({"store_id": "x" * size}).encode()


def test_the_default_limit_is_one_megabyte(settings: Any) -> None:
    assert settings.IGNITE_MAX_BODY_BYTES == 1024 * 1024


def test_an_ignite_body_over_the_limit_is_a_413_problem_before_parsing(api_client: APIClient) -> None:
    response = api_client.post("/v1/test/bobs-store", data=big_json(1024 * 1024), content_type="application/json")
    assert "larger than 1048576 bytes" in assert_problem(response, 413)["detail"]


def test_an_oversized_body_is_refused_before_authentication(anonymous_client: APIClient, settings: Any) -> None:
    settings.IGNITE_MAX_BODY_BYTES = 100
    response = anonymous_client.put(
        "/v1/test/bobs-store/customers", data=big_json(200), content_type="application/json"
    )
    assert_problem(response, 413)


def test_the_install_callback_is_limited_too(client: Client, settings: Any) -> None:
    settings.IGNITE_MAX_BODY_BYTES = 100
    connection = ConnectionFactory(state=ConnectionState.PENDING)
    response = client.post(
        f"/install/woocommerce/{connection.uuid}/callback", data=big_json(200), content_type="application/json"
    )
    assert_problem(response, 413)


def chunked(client: Any, path: str, body: bytes, **extra: Any) -> Any:
    """A request whose body has no Content-Length (chunked, de-chunked and terminated by the server)."""
    return client.generic(
        "POST",
        path,
        data=b"",
        content_type="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True},
        **extra,
    )


def test_a_streamed_body_over_the_limit_is_a_413_problem(api_client: APIClient, settings: Any) -> None:
    settings.IGNITE_MAX_BODY_BYTES = 1000
    response = chunked(api_client, "/v1/test/bobs-store", big_json(5000))
    assert_problem(response, 413)


def test_a_streamed_body_under_the_limit_is_read_and_validated(api_client: APIClient) -> None:
    response = chunked(api_client, "/v1/test/bobs-store", json.dumps({"store_id": 5}).encode())
    body = assert_problem(response, 400)
    # The body was read (not taken as empty): its wrong-typed store_id is what the 400 names.
    assert {e["property"] for e in body["errors"]} >= {"store_id", "spark_api_client_id"}
    assert next(e for e in body["errors"] if e["property"] == "store_id")["message"] == "Must be a string."


def test_a_non_numeric_content_length_is_a_400_problem(api_client: APIClient) -> None:
    response = api_client.post("/v1/test/bobs-store", data=b"{}", content_type="application/json", CONTENT_LENGTH="x")
    assert_problem(response, 400)
