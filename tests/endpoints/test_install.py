"""The WooCommerce install flow: pending connect → callback with the one-time state → active."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from connections.models import Connection, ConnectionState
from platforms.base import platform_adapter_class
from platforms.types import TRIGGERABLE_DATA_TYPES
from sync.models import SyncJob
from tests.connections.support import connect_body, job_states
from tests.support import Stores

URL = "/v1/test/bobs-store"
WOO_TYPES = [t for t in TRIGGERABLE_DATA_TYPES if t in platform_adapter_class("woocommerce").data_types]


def start_install(api_client: Any, stores: Stores, capture: Any) -> tuple[Connection, str, dict[str, str]]:
    with capture(execute=True):
        response = api_client.post(URL, connect_body(stores.woo_url, key=None), format="json")
    assert response.status_code == 201
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.json()["redirect_url"]).query).items()}
    return Connection.objects.get(), query["user_id"], query


def callback_body(state: str, key: str = "ck_installed", secret: str = "cs_installed") -> bytes:  # noqa: S107
    body = {
        "key_id": 7,
        "user_id": state,
        "consumer_key": key,
        "consumer_secret": secret,
        "key_permissions": "read_write",
    }
    return json.dumps(body).encode()


def callback(client: Any, connection: Connection, state: str, body: bytes, capture: Any) -> Any:
    with capture(execute=True):
        return client.post(
            f"/install/woocommerce/{connection.uuid}/callback?state={state}",
            body,
            content_type="application/json;charset=UTF-8",
        )


def assert_still_pending(connection: Connection, state: str) -> None:
    connection.refresh_from_db()
    assert connection.state == ConnectionState.PENDING
    assert connection.platform_credentials == {}
    assert connection.install_state_hash == hashlib.sha256(state.encode()).hexdigest()
    assert SyncJob.objects.count() == 0


@pytest.mark.django_db
def test_callback_with_the_right_state_activates_registers_webhooks_and_queues_syncs(
    client: Any, api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    connection, state, _ = start_install(api_client, stores, django_capture_on_commit_callbacks)
    stores.woo_add_key("ck_installed", "cs_installed")

    response = callback(client, connection, state, callback_body(state), django_capture_on_commit_callbacks)

    assert response.status_code == 200
    connection.refresh_from_db()
    assert connection.state == ConnectionState.ACTIVE
    assert connection.platform_credentials == {"consumer_key": "ck_installed", "consumer_secret": "cs_installed"}
    assert connection.install_state_hash == ""
    hooks = stores.woo_webhooks(f"http://127.0.0.1:8000/webhooks/woocommerce/{connection.uuid}/")
    assert len(hooks) == 11
    assert job_states(connection) == {str(t): ["queued"] for t in WOO_TYPES}
    # once active, the repeat connect (without credentials) answers 204 and keeps the installed keys
    with django_capture_on_commit_callbacks(execute=True):
        again = api_client.post(URL, connect_body(stores.woo_url, key=None), format="json")
    assert again.status_code == 204
    connection.refresh_from_db()
    assert connection.platform_credentials["consumer_key"] == "ck_installed"
    assert job_states(connection) == {str(t): ["queued"] for t in WOO_TYPES}


@pytest.mark.django_db
def test_replayed_callback_is_refused_and_changes_nothing(
    client: Any, api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    connection, state, _ = start_install(api_client, stores, django_capture_on_commit_callbacks)
    stores.woo_add_key("ck_installed", "cs_installed")
    stores.woo_add_key("ck_replay", "cs_replay")
    assert (
        callback(client, connection, state, callback_body(state), django_capture_on_commit_callbacks).status_code == 200
    )
    jobs = SyncJob.objects.count()

    replay = callback(
        client, connection, state, callback_body(state, "ck_replay", "cs_replay"), django_capture_on_commit_callbacks
    )

    assert replay.status_code == 403
    assert replay["Content-Type"] == "application/problem+json"
    connection.refresh_from_db()
    assert connection.platform_credentials["consumer_key"] == "ck_installed"
    assert SyncJob.objects.count() == jobs


@pytest.mark.django_db
@pytest.mark.parametrize("forgery", ["wrong-state", "query-only", "body-only", "no-query-state"])
def test_forged_state_is_a_403_and_the_connection_stays_pending(
    client: Any, api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any, forgery: str
) -> None:
    connection, state, _ = start_install(api_client, stores, django_capture_on_commit_callbacks)
    stores.woo_add_key("ck_installed", "cs_installed")
    forged = "0" * 64
    query_state, body_state = {
        "wrong-state": (forged, forged),
        "query-only": (state, forged),
        "body-only": (forged, state),
        "no-query-state": ("", state),
    }[forgery]

    response = callback(client, connection, query_state, callback_body(body_state), django_capture_on_commit_callbacks)

    assert response.status_code == 403
    assert_still_pending(connection, state)


@pytest.mark.django_db
def test_expired_state_is_refused(
    client: Any, api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    connection, state, _ = start_install(api_client, stores, django_capture_on_commit_callbacks)
    stores.woo_add_key("ck_installed", "cs_installed")
    Connection.objects.filter(pk=connection.pk).update(install_state_expires_at=timezone.now() - timedelta(seconds=1))

    response = callback(client, connection, state, callback_body(state), django_capture_on_commit_callbacks)

    assert response.status_code == 403
    connection.refresh_from_db()
    assert connection.state == ConnectionState.PENDING


@pytest.mark.django_db
def test_expired_state_gets_a_new_link_on_the_next_connect(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    connection, state, _ = start_install(api_client, stores, django_capture_on_commit_callbacks)
    Connection.objects.filter(pk=connection.pk).update(install_state_expires_at=timezone.now() - timedelta(seconds=1))
    _, new_state, _ = start_install(api_client, stores, django_capture_on_commit_callbacks)
    assert new_state != state
    connection.refresh_from_db()
    assert connection.install_state_hash == hashlib.sha256(new_state.encode()).hexdigest()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"user_id": "x"}',
        b'{"user_id": "s", "consumer_key": "nope", "consumer_secret": "cs_1"}',
    ],
)
def test_malformed_callback_body_is_a_400(
    client: Any, api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any, body: bytes
) -> None:
    connection, state, _ = start_install(api_client, stores, django_capture_on_commit_callbacks)
    response = callback(client, connection, state, body, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert_still_pending(connection, state)


@pytest.mark.django_db
def test_keys_the_store_refuses_are_a_400_and_the_connection_stays_pending(
    client: Any, api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    connection, state, _ = start_install(api_client, stores, django_capture_on_commit_callbacks)
    stores.woo_add_key("ck_installed", "cs_other")

    response = callback(client, connection, state, callback_body(state), django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert_still_pending(connection, state)


@pytest.mark.django_db
def test_unknown_connection_and_wrong_method(client: Any) -> None:
    response = client.post("/install/woocommerce/7f1f4c37-0c4a-4c56-8a34-3c3c58f0a1c2/callback?state=x", b"{}",
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert (
        client.post("/install/woocommerce/not-a-uuid/callback", b"{}", content_type="application/json").status_code
        == 404
    )


@pytest.mark.django_db
def test_return_page_says_not_approved_or_connected(
    client: Any, api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    connection, state, query = start_install(api_client, stores, django_capture_on_commit_callbacks)
    path = urlsplit(query["return_url"]).path

    denied = client.get(path, {"success": "0", "user_id": state})
    assert denied.status_code == 200
    assert denied["Content-Type"].startswith("text/html")
    assert b"Not approved" in denied.content
    assert b"Not connected yet" in client.get(path, {"success": "1"}).content

    stores.woo_add_key("ck_installed", "cs_installed")
    assert (
        callback(client, connection, state, callback_body(state), django_capture_on_commit_callbacks).status_code == 200
    )
    page = client.get(path, {"success": "1", "user_id": state})
    assert b"Connected" in page.content
    assert state.encode() not in page.content


@pytest.mark.django_db(transaction=True)
def test_full_install_flow_through_the_woocommerce_sandbox(
    live_server: Any, api_client: Any, stores: Stores, settings: Any
) -> None:
    """The sandbox's /wc-auth/v1/authorize POSTs the new keys to the bridge over real HTTP."""
    settings.IGNITE_PUBLIC_URL = live_server.url
    response = api_client.post(URL, connect_body(stores.woo_url, key=None), format="json")
    assert response.status_code == 201
    connection = Connection.objects.get()

    approve = requests.get(response.json()["redirect_url"], allow_redirects=False, timeout=60)

    assert approve.status_code == 302, approve.text
    location = approve.headers["Location"]
    assert location.startswith(f"{live_server.url}/install/woocommerce/{connection.uuid}/return?")
    assert "success=1" in location
    connection.refresh_from_db()
    assert connection.state == ConnectionState.ACTIVE
    assert connection.platform_credentials["consumer_key"].startswith("ck_")
    with stores.woo.app.store.lock:
        keys = dict(stores.woo.app.store.api_keys)
    assert connection.platform_credentials["consumer_key"] in keys  # the sandbox kept the key: we answered 200
    hooks = stores.woo_webhooks(f"{live_server.url}/webhooks/woocommerce/{connection.uuid}/")
    assert len(hooks) == 11
    assert job_states(connection) == {str(t): ["queued"] for t in WOO_TYPES}
    landing = requests.get(location, timeout=10)
    assert landing.status_code == 200
    assert "Connected" in landing.text

    # the merchant replays the approval link: the state is used up, so the store deletes the new key
    replay = requests.get(response.json()["redirect_url"], allow_redirects=False, timeout=60)
    assert replay.status_code == 401
    connection.refresh_from_db()
    assert connection.platform_credentials["consumer_key"] in keys
    stores.woo.app.dispatcher.flush(10)  # webhook pings to the live server finish before the database goes


@pytest.mark.django_db(transaction=True)
def test_merchant_denies_the_install(live_server: Any, api_client: Any, stores: Stores, settings: Any) -> None:
    settings.IGNITE_PUBLIC_URL = live_server.url
    response = api_client.post(URL, connect_body(stores.woo_url, key=None), format="json")
    deny = requests.get(response.json()["redirect_url"] + "&deny=1", allow_redirects=True, timeout=30)
    assert deny.status_code == 200
    assert "Not approved" in deny.text
    assert Connection.objects.get().state == ConnectionState.PENDING
    stores.woo.app.dispatcher.flush(10)
