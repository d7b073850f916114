"""Connecting a standard platform store through the Ignite connect endpoint (docs/ignite-contract.md §1.1)."""

from __future__ import annotations

from typing import Any

import pytest

from connections.models import Connection, ConnectionState
from platforms.standard import signatures
from sync.models import SyncJob
from tests.connections.support import job_states
from tests.platforms.standard.support import TOKEN, URL, body

pytestmark = pytest.mark.django_db


def test_connect_activates_subscribes_the_bridge_and_queues_every_full_sync(
    api_client: Any, spark: Any, std_store: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(URL, body(std_store), format="json")
    assert response.status_code == 204, response.content
    connection = Connection.objects.get()
    assert (connection.platform, connection.state) == ("standard", ConnectionState.ACTIVE)
    assert connection.platform_credentials == {"api_token": TOKEN, "storefront_login": "jwt"}
    (subscription,) = std_store.app.store.subscriptions.values()
    assert subscription["url"] == f"http://127.0.0.1:8000/webhooks/standard/{connection.uuid}/"
    assert subscription["secret"] == signatures.secret_for(connection.webhook_secret)
    assert subscription["status"] == "active"
    assert len(subscription["events"]) == 9
    assert connection.webhook_ids == [subscription["id"]]
    assert job_states(connection) == {t: ["queued"] for t in ("customers", "products", "purchases", "merchant")}

    with django_capture_on_commit_callbacks(execute=True):  # a repeat changes nothing and subscribes once
        assert api_client.post(URL, body(std_store), format="json").status_code == 204
    assert len(std_store.app.store.subscriptions) == 1
    assert SyncJob.objects.count() == 4


@pytest.mark.parametrize(
    ("extra_config", "detail"),
    [
        ({"api_token": ""}, "extra_config.api_token is required for the standard platform"),
        ({"webhook_public_key": "whpk_nope"}, "extra_config.webhook_public_key: the whpk_ key is not base64"),
        ({"webhook_secret": "secret"}, "extra_config.webhook_secret: a Standard Webhooks secret starts with whsec_"),
        ({"storefront_login": "magic"}, "extra_config.storefront_login must be 'jwt' or 'platform'"),
    ],
)
def test_bad_standard_extra_config_is_a_400_naming_the_field(
    api_client: Any, spark: Any, std_store: Any, extra_config: dict[str, str], detail: str
) -> None:
    response = api_client.post(URL, body(std_store, **extra_config), format="json")
    assert response.status_code == 400
    assert detail in response.json()["detail"]
    assert Connection.objects.count() == 0


def test_a_token_the_platform_refuses_changes_nothing(api_client: Any, spark: Any, std_store: Any) -> None:
    response = api_client.post(URL, body(std_store, api_token="not-the-token"), format="json")
    assert response.status_code == 400
    assert "refused the platform credentials (HTTP 401" in response.json()["detail"]
    assert Connection.objects.count() == 0
    assert std_store.app.store.subscriptions == {}


def test_without_the_webhooks_capability_nothing_is_subscribed(
    api_client: Any, spark: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.platforms.standard.support import standard_store

    store = standard_store(capabilities=["checkout"])
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post(URL, body(store), format="json")
        assert response.status_code == 204
        connection = Connection.objects.get()
        assert connection.state == ConnectionState.ACTIVE
        assert (connection.webhook_ids, connection.state_reason) == ([], "")
        assert [call["route"] for call in store.app.calls if "webhook" in call["route"]] == []
    finally:
        store.stop()
