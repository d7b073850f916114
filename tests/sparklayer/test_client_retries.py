"""The retry matrix of docs/ignite-contract.md §2.2, with `responses` where a sandbox cannot produce the exact case."""

from __future__ import annotations

import email.utils
import time

import pytest
import requests
import responses

from ignite_bridge.core.errors import AuthenticationError, PermanentError, TransientError
from platforms.concurrency import AIMDLimiter
from sparklayer.client import SparkLayerClient
from sparklayer.payloads import Product
from tests.sparklayer.helpers import BASE, TOKEN_URL, SleepRecorder

PRODUCT_URL = f"{BASE}/api/v1/products/p-1"
PRODUCT: Product = {"external_id": "p-1", "title": "Jumper", "slug": "jumper"}


def api_calls(mocked: responses.RequestsMock) -> list[responses.Call]:
    return [call for call in mocked.calls if call.request.url != TOKEN_URL]


def token_calls(mocked: responses.RequestsMock) -> list[responses.Call]:
    return [call for call in mocked.calls if call.request.url == TOKEN_URL]


def test_500_then_200_succeeds_after_exactly_one_retry(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    token_endpoint.patch(PRODUCT_URL, status=500, json={"title": "Internal Server Error", "status": 500})
    token_endpoint.patch(PRODUCT_URL, status=200, json={"id": "pp_1", **PRODUCT})

    assert client.update_product("p-1", PRODUCT)["id"] == "pp_1"

    assert len(api_calls(token_endpoint)) == 2
    assert len(sleeps.calls) == 1


def test_429_retry_after_seconds_is_slept(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    token_endpoint.patch(PRODUCT_URL, status=429, headers={"Retry-After": "2"})
    token_endpoint.patch(PRODUCT_URL, status=200, json=PRODUCT)

    client.update_product("p-1", PRODUCT)

    assert sleeps.calls == [2.0]
    assert len(api_calls(token_endpoint)) == 2


def test_429_retry_after_http_date_is_slept(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    # An HTTP-date has one-second resolution: 3 s ahead is at least 2 s by the time it is parsed.
    when = email.utils.formatdate(time.time() + 3, usegmt=True)
    token_endpoint.patch(PRODUCT_URL, status=429, headers={"Retry-After": when})
    token_endpoint.patch(PRODUCT_URL, status=200, json=PRODUCT)

    client.update_product("p-1", PRODUCT)

    assert len(sleeps.calls) == 1
    assert 2.0 <= sleeps.calls[0] <= 3.0


def test_retry_after_above_ceiling_raises_transient_without_sleeping(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    token_endpoint.patch(PRODUCT_URL, status=429, headers={"Retry-After": "120"})

    with pytest.raises(TransientError) as raised:
        client.update_product("p-1", PRODUCT)

    assert raised.value.retry_after == 120.0
    assert raised.value.status == 429
    assert sleeps.calls == []
    assert len(api_calls(token_endpoint)) == 1


def test_409_is_retried(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    token_endpoint.patch(PRODUCT_URL, status=409, json={"title": "Conflict", "status": 409})
    token_endpoint.patch(PRODUCT_URL, status=200, json=PRODUCT)

    client.update_product("p-1", PRODUCT)

    assert len(api_calls(token_endpoint)) == 2
    assert len(sleeps.calls) == 1


def test_empty_body_502_is_retried(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    token_endpoint.patch(PRODUCT_URL, status=502, body="")
    token_endpoint.patch(PRODUCT_URL, status=200, json=PRODUCT)

    client.update_product("p-1", PRODUCT)

    assert len(api_calls(token_endpoint)) == 2


def test_connection_error_then_success(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    token_endpoint.patch(PRODUCT_URL, body=requests.ConnectionError("reset"))
    token_endpoint.patch(PRODUCT_URL, status=200, json=PRODUCT)

    client.update_product("p-1", PRODUCT)

    assert len(api_calls(token_endpoint)) == 2
    assert len(sleeps.calls) == 1


def test_persistent_500_gives_up_after_max_attempts_with_transient_error(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    token_endpoint.patch(PRODUCT_URL, status=503)

    with pytest.raises(TransientError) as raised:
        client.update_product("p-1", PRODUCT)

    assert raised.value.status == 503
    assert len(api_calls(token_endpoint)) == 5
    assert len(sleeps.calls) == 4
    assert all(0 < wait <= 30 for wait in sleeps.calls)


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_other_4xx_raise_immediately_with_the_problem(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, sleeps: SleepRecorder, status: int
) -> None:
    problem = {
        "title": "Bad",
        "status": status,
        "detail": "slug is invalid",
        "errors": [{"code": "invalid", "message": "not a slug", "property": "slug"}],
    }
    token_endpoint.patch(PRODUCT_URL, status=status, json=problem)

    with pytest.raises(PermanentError) as raised:
        client.update_product("p-1", PRODUCT)

    assert raised.value.status == status
    assert raised.value.problem.title == "Bad"
    assert raised.value.problem.detail == "slug is invalid"
    assert raised.value.problem.errors == problem["errors"]
    assert len(api_calls(token_endpoint)) == 1
    assert sleeps.calls == []


def test_non_json_400_is_permanent_with_status(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    token_endpoint.patch(PRODUCT_URL, status=400, body="<html>Bad Request</html>", content_type="text/html")

    with pytest.raises(PermanentError) as raised:
        client.update_product("p-1", PRODUCT)

    assert raised.value.status == 400
    assert raised.value.problem.status == 400
    assert len(api_calls(token_endpoint)) == 1


def test_empty_body_404_is_permanent(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    token_endpoint.patch(PRODUCT_URL, status=404, body="")

    with pytest.raises(PermanentError) as raised:
        client.update_product("p-1", PRODUCT)

    assert raised.value.status == 404


def test_customer_409_is_permanent_after_one_request(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    url = f"{BASE}/api/v2/customers/platform/c-1"
    problem = {
        "title": "Conflict",
        "status": 409,
        "errors": [{"code": "email_taken", "message": "email in use", "property": "email"}],
    }
    token_endpoint.put(url, status=409, json=problem)

    with pytest.raises(PermanentError) as raised:
        client.upsert_customer("c-1", {"external_id": "c-1", "email": "a@example.com"})

    assert raised.value.status == 409
    assert raised.value.problem.errors[0]["property"] == "email"
    assert len(api_calls(token_endpoint)) == 1
    assert sleeps.calls == []


def test_customer_500_is_still_retried(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    url = f"{BASE}/api/v2/customers/platform/c-1"
    token_endpoint.put(url, status=500)
    token_endpoint.put(url, status=201, json={})

    assert client.upsert_customer("c-1", {"external_id": "c-1", "email": "a@example.com"}) is True
    assert len(api_calls(token_endpoint)) == 2


def test_401_mid_run_renews_the_token_once_and_retries_once(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock
) -> None:
    token_endpoint.patch(PRODUCT_URL, status=200, json=PRODUCT)
    token_endpoint.patch(PRODUCT_URL, status=401, json={"title": "Unauthorized", "status": 401})
    token_endpoint.patch(PRODUCT_URL, status=200, json=PRODUCT)

    client.update_product("p-1", PRODUCT)
    client.update_product("p-1", PRODUCT)

    assert len(token_calls(token_endpoint)) == 2
    used = [call.request.headers["Authorization"] for call in api_calls(token_endpoint)]
    assert used == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


def test_second_401_raises_authentication_error(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    token_endpoint.patch(PRODUCT_URL, status=401, body="")

    with pytest.raises(AuthenticationError) as raised:
        client.update_product("p-1", PRODUCT)

    assert raised.value.status == 401
    assert "site-1" in str(raised.value)
    assert len(token_calls(token_endpoint)) == 2
    assert len(api_calls(token_endpoint)) == 2
    assert sleeps.calls == []


@pytest.mark.parametrize("status", [400, 401, 403])
def test_refused_credentials_raise_authentication_error_without_secrets(
    client: SparkLayerClient, mocked: responses.RequestsMock, status: int
) -> None:
    mocked.post(TOKEN_URL, status=status, json={"title": "invalid_client", "status": status})

    with pytest.raises(AuthenticationError) as raised:
        client.update_product("p-1", PRODUCT)

    message = str(raised.value)
    assert "site-1" in message
    assert "client-1" in message
    assert client._client_secret not in message
    assert client._client_secret not in repr(raised.value.problem)
    assert len(mocked.calls) == 1


def test_token_endpoint_500_is_retried(client: SparkLayerClient, mocked: responses.RequestsMock) -> None:
    mocked.post(TOKEN_URL, status=500)
    mocked.post(TOKEN_URL, json={"access_token": "tok-x", "expires_in": 3600})
    mocked.patch(PRODUCT_URL, json=PRODUCT)

    client.update_product("p-1", PRODUCT)

    assert mocked.calls[-1].request.headers["Authorization"] == "Bearer tok-x"


def test_writes_pass_the_write_limiter_and_report_503_429_and_timeouts_as_overload(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    limiter = AIMDLimiter(maximum=4, limit=4, judge_latency=False)
    client.write_limiter = limiter
    token_endpoint.patch(PRODUCT_URL, status=503, json={"title": "Busy", "status": 503})
    token_endpoint.patch(PRODUCT_URL, status=200, json=PRODUCT)
    client.update_product("p-1", PRODUCT)
    assert limiter.limit == 2  # the 503 halved it (the token call and the retry's 200 did not count against it)
    assert limiter.in_flight == 0

    token_endpoint.patch(PRODUCT_URL, body=requests.ReadTimeout("slow"))
    token_endpoint.patch(PRODUCT_URL, status=200, json=PRODUCT)
    limiter.cut_in_window = False  # a new window: the next refusal cuts again
    client.update_product("p-1", PRODUCT)
    assert limiter.limit == 1
    token_endpoint.get(f"{BASE}/api/v1/products", status=503, json={"title": "Busy", "status": 503})
    token_endpoint.get(f"{BASE}/api/v1/products", status=200, json={"data": []})
    limiter.cut_in_window = False
    client.call("GET", "/api/v1/products")
    assert limiter.changes == [2, 1]  # a read does not pass the write limiter
    assert limiter.in_flight == 0


@pytest.mark.parametrize(("status", "cut"), [(429, True), (502, True), (503, True), (504, True), (500, False)])
def test_overload_answers_cut_the_writes_and_a_server_error_does_not(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, status: int, cut: bool
) -> None:
    limiter = AIMDLimiter(maximum=4, limit=4, judge_latency=False)
    client.write_limiter = limiter
    token_endpoint.patch(PRODUCT_URL, status=status, json={"title": "Not now", "status": status})
    token_endpoint.patch(PRODUCT_URL, status=200, json=PRODUCT)
    client.update_product("p-1", PRODUCT)
    assert limiter.limit == (2 if cut else 4)
