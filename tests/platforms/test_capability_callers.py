"""What the bridge does with a platform that lacks a capability (``tests/platforms/sync_only.py``: only
``SyncSource``): each caller answers as it documents instead of failing at run time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from connections.models import Connection
from connections.services import connection_webhooks_register
from platforms import base
from sync.models import WebhookEvent
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sync_only() -> Iterator[None]:
    # override_settings: this package's ``settings`` fixture is a store's settings, not Django's
    with override_settings(IGNITE_PLATFORMS=[*base.DEFAULT_PLATFORMS, "tests.platforms.sync_only.SyncOnlyAdapter"]):
        base._REGISTRY.clear()
        yield
    base._REGISTRY.clear()  # the next test loads the platforms its settings name


@pytest.fixture
def connection() -> Connection:
    return ConnectionFactory(platform="synconly", platform_credentials={"token": "t"})


def connect(api_client: Any, **extra_config: Any) -> Any:
    body = {
        "store_id": "store-1",
        "spark_api_client_id": "client-id",
        "spark_api_client_secret": "client-secret",
        "extra_config": {"platform": "synconly", "store_url": "https://shop.example.com", **extra_config},
    }
    return api_client.post("/v1/test/sync-only-store", body, format="json")


def test_connect_without_credentials_is_refused_when_the_platform_has_no_install_flow(api_client: Any) -> None:
    response = connect(api_client)

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The synconly platform has no app-authorisation flow: pass its credentials in extra_config."
    )
    assert not Connection.objects.filter(site_id="sync-only-store").exists()


def test_the_connect_call_checks_the_credential_keys_the_platform_declares(api_client: Any) -> None:
    response = connect(api_client, synconly_token={"not": "a string"})

    assert response.status_code == 400
    assert [error["property"] for error in response.json()["errors"]] == ["extra_config.synconly_token"]


def test_a_customer_request_to_a_platform_without_them_is_a_501_problem(
    api_client: Any, connection: Connection
) -> None:
    response = api_client.post(
        f"/v1/{connection.site_env}/{connection.site_id}/authentication/verify", {"data": "x.y.z"}, format="json"
    )

    assert response.status_code == 501
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "The synconly platform does not offer StorefrontRequests."


def test_a_webhook_to_a_platform_that_sends_none_is_404_and_not_stored(connection: Connection, client: Any) -> None:
    response = client.post(f"/webhooks/synconly/{connection.uuid}/", b"{}", content_type="application/json")

    assert response.status_code == 404
    assert not WebhookEvent.objects.exists()


def test_activation_registers_no_webhooks_for_a_platform_that_sends_none(connection: Connection) -> None:
    assert connection_webhooks_register(connection=connection) == []
