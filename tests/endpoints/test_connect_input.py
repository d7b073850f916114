"""Bad input on connect/disconnect, the SSRF guard on store URLs, and tenant isolation."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from connections.models import Connection, ConnectionState
from sync.models import SyncJob
from tests.connections.support import SPARK_SECRET, connect_body
from tests.support import Stores

pytestmark = pytest.mark.django_db
URL = "/v1/test/bobs-store"


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every outbound socket connect attempted during the test (recorded, then allowed)."""
    calls: list[Any] = []
    real = socket.socket.connect

    def record(self: socket.socket, address: Any) -> Any:
        calls.append(address)
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", record)
    return calls


def assert_problem(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert set(body) >= {"type", "title", "status", "detail"}
    return dict(body)


def properties(problem: dict[str, Any]) -> set[str]:
    return {error["property"] for error in problem["errors"]}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"store_id": None}, {"store_id"}),
        ({"spark_api_client_id": None}, {"spark_api_client_id"}),
        ({"spark_api_client_secret": None}, {"spark_api_client_secret"}),
        ({"store_id": 123}, {"store_id"}),
        ({"spark_api_client_id": True}, {"spark_api_client_id"}),
        ({"spark_api_client_secret": ["a"]}, {"spark_api_client_secret"}),
        ({"store_id": ""}, {"store_id"}),
        ({"extra_config": "https://shop.example.com"}, {"extra_config"}),
        ({"extra_config": {"store_url": 5}}, {"extra_config.store_url"}),
        (
            {"extra_config": {"store_url": "https://x", "woocommerce_api_key": {"a": 1}}},
            {"extra_config.woocommerce_api_key"},
        ),
    ],
)
def test_bad_fields_are_400_with_one_error_per_field_and_nothing_written(
    api_client: Any, connects: list[Any], change: dict[str, Any], expected: set[str]
) -> None:
    body = connect_body("https://shop.example.com")
    for key, value in change.items():
        if value is None:
            del body[key]
        else:
            body[key] = value

    problem = assert_problem(api_client.post(URL, body, format="json"))

    assert properties(problem) == expected
    assert Connection.objects.count() == 0
    assert connects == []


def test_empty_body_names_every_required_field(api_client: Any) -> None:
    problem = assert_problem(api_client.post(URL, b"", content_type="application/json"))
    assert properties(problem) == {"store_id", "spark_api_client_id", "spark_api_client_secret"}


def test_store_url_is_required(api_client: Any, connects: list[Any]) -> None:
    body = connect_body("x")
    del body["extra_config"]["store_url"]
    problem = assert_problem(api_client.post(URL, body, format="json"))
    assert properties(problem) == {"extra_config.store_url"}
    assert connects == []


def test_a_body_over_the_connect_limit_is_a_400_and_nothing_written(api_client: Any, connects: list[Any]) -> None:
    """Over 64 KB (the connect call's own limit) yet under IGNITE_MAX_BODY_BYTES (413 above it)."""
    body = connect_body("https://shop.example.com", store_id="s" * (512 * 1024))
    problem = assert_problem(api_client.post(URL, json.dumps(body), content_type="application/json"))
    assert problem["errors"][0]["property"] == "body"
    assert Connection.objects.count() == 0
    assert connects == []


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [(b"{not json", "application/json"), (b"store_id=1", "application/x-www-form-urlencoded"), (b"hi", "text/plain")],
)
def test_non_json_body_is_a_400_problem(api_client: Any, payload: bytes, content_type: str) -> None:
    assert_problem(api_client.post(URL, payload, content_type=content_type))
    assert Connection.objects.count() == 0


def test_json_array_body_is_a_400_problem(api_client: Any) -> None:
    problem = assert_problem(api_client.post(URL, b"[1, 2]", content_type="application/json"))
    assert problem["errors"]
    assert Connection.objects.count() == 0


@pytest.mark.parametrize(
    "store_url",
    [
        "http://127.0.0.1:9",
        "https://10.0.0.1",
        "https://169.254.169.254",
        "https://localhost",
        "file:///etc/passwd",
        "https://[::1]:8443",
        "gopher://shop.example.com",
    ],
)
def test_unsafe_store_urls_are_refused_before_any_connection(
    api_client: Any, connects: list[Any], settings: Any, store_url: str
) -> None:
    settings.IGNITE_ALLOWED_PLATFORM_HOSTS = []

    problem = assert_problem(api_client.post(URL, connect_body(store_url), format="json"))

    assert [e["property"] for e in problem["errors"]] == ["extra_config.store_url"]
    assert "store_url" in problem["errors"][0]["message"]
    assert connects == []
    assert Connection.objects.count() == 0


def test_unsafe_store_url_is_refused_for_the_install_flow_too(
    api_client: Any, connects: list[Any], settings: Any
) -> None:
    settings.IGNITE_ALLOWED_PLATFORM_HOSTS = []
    body = connect_body("https://10.0.0.1", key=None)
    assert_problem(api_client.post(URL, body, format="json"))
    assert connects == []


def test_delete_with_a_body_of_garbage_still_only_uses_the_path(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    response = api_client.delete(URL, b"\x00\xff garbage", content_type="application/json")
    assert_problem(response, 404)
    assert Connection.objects.count() == 0


def test_disconnect_of_a_never_connected_site_is_a_404(api_client: Any) -> None:
    problem = assert_problem(api_client.delete("/v1/live/nobody"), 404)
    assert "live/nobody" in problem["detail"]


# -- tenant isolation ----------------------------------------------------------------------------


def test_one_site_cannot_read_or_change_another_sites_connection(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post("/v1/test/site-a", connect_body(stores.woo_url), format="json").status_code == 204
    site_a = Connection.objects.get(site_id="site-a")
    jobs_a = SyncJob.objects.filter(connection=site_a).count()

    # another site's disconnect does not touch site-a
    assert api_client.delete("/v1/test/site-b").status_code == 404
    # another site's connect, even naming the same store, makes its own row
    body_b = connect_body(stores.woo_url, key=None, spark_api_client_secret="b-secret")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/v1/test/site-b", body_b, format="json")
    assert response.status_code == 201
    assert str(site_a.uuid) not in response.json()["redirect_url"]
    # the other environment of the same site id is another connection too
    assert api_client.delete("/v1/live/site-a").status_code == 404

    site_a.refresh_from_db()
    assert site_a.state == ConnectionState.ACTIVE
    assert site_a.spark_client_secret == SPARK_SECRET
    assert site_a.platform_credentials == {"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"}
    assert SyncJob.objects.filter(connection=site_a).count() == jobs_a
    assert Connection.objects.get(site_id="site-b").state == ConnectionState.PENDING

    # site-b's install state does not unlock site-a's callback
    redirect = response.json()["redirect_url"]
    state_b = redirect.split("user_id=")[1].split("&")[0]
    callback = f"/install/woocommerce/{site_a.uuid}/callback?state={state_b}"
    body = {
        "key_id": 9,
        "user_id": state_b,
        "consumer_key": "ck_x",
        "consumer_secret": "cs_x",
        "key_permissions": "read_write",
    }
    reply = api_client.post(callback, body, format="json")
    assert reply.status_code == 403
    site_a.refresh_from_db()
    assert site_a.platform_credentials == {"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"}
