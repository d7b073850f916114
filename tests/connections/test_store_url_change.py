"""The store URL is bound to its credentials: only superusers change it, and another origin clears them.

Before: any staff user with ``change_connection`` could point ``store_url`` at a host of their own
and press "Re-verify credentials", which sent the store's consumer key and secret there.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from connections.models import Connection, ConnectionState
from connections.services import STORE_MOVED_REASON
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

KEYS = {"consumer_key": "ck_original_store_key", "consumer_secret": "cs_original_store_secret"}


def change_url(connection: Connection) -> str:
    return f"/admin/connections/connection/{connection.pk}/change/"


def form_data(connection: Connection, **replacements: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "store_id": connection.store_id,
        "store_url": connection.store_url,
        "batch_size": connection.batch_size,
        "push_concurrency": connection.push_concurrency,
        "request_budget_per_minute": connection.request_budget_per_minute,
        "customer_sync_scope": connection.customer_sync_scope,
        "replace_spark_client_id": "",
        "replace_spark_client_secret": "",
        "replace_platform_credentials": "",
        "replace_storefront_secret": "",
    }
    data.update(replacements)
    return data


@pytest.fixture
def connection() -> Connection:
    return ConnectionFactory(store_url="http://127.0.0.1:8802", platform_credentials=KEYS, webhook_ids=["7", "8"])


@pytest.fixture
def superuser_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.fixture
def operator_client(connection: Connection) -> Client:
    user = User.objects.create_user("operator", "op@example.com", "pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_connection", "change_connection"]))
    connection.operators.add(user)
    client = Client()
    client.force_login(user)
    return client


def test_an_operator_with_change_permission_cannot_change_the_store_url(
    operator_client: Client, connection: Connection
) -> None:
    page = operator_client.get(change_url(connection)).content.decode()
    assert 'name="store_url"' not in page  # shown read-only
    response = operator_client.post(change_url(connection), form_data(connection, store_url="http://127.0.0.1:9999"))
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.store_url == "http://127.0.0.1:8802"
    assert connection.platform_credentials == KEYS


def test_a_superuser_moving_the_store_to_another_origin_clears_its_credentials(
    superuser_client: Client, connection: Connection
) -> None:
    response = superuser_client.post(
        change_url(connection), form_data(connection, store_url="http://127.0.0.1:9999"), follow=True
    )
    assert response.status_code == 200
    connection.refresh_from_db()
    assert connection.store_url == "http://127.0.0.1:9999"
    assert connection.platform_credentials == {}
    assert connection.webhook_ids == []
    assert (connection.state, connection.state_reason) == (ConnectionState.PENDING, STORE_MOVED_REASON)
    assert "the platform credentials of the old store were cleared" in response.content.decode()


def test_reverify_after_a_move_sends_no_credentials_anywhere(
    superuser_client: Client, connection: Connection, settings: Any
) -> None:
    settings.SPARKLAYER_URL_TEST = "http://127.0.0.1:9"  # SparkLayer unreachable (discard port): only the store matters
    superuser_client.post(change_url(connection), form_data(connection, store_url="http://127.0.0.1:9999"))
    response = superuser_client.post(
        "/admin/connections/connection/",
        {"action": "reverify_credentials", "_selected_action": [str(connection.pk)], "index": "0"},
        follow=True,
    )
    assert "No platform credentials are stored" in response.content.decode()


@pytest.mark.parametrize("new_url", ["http://127.0.0.1:8802/shop", "http://localhost:8802", "https://127.0.0.1:8802"])
def test_the_origin_is_scheme_host_and_port(superuser_client: Client, connection: Connection, new_url: str) -> None:
    superuser_client.post(change_url(connection), form_data(connection, store_url=new_url))
    connection.refresh_from_db()
    assert connection.store_url == new_url
    same_origin = new_url.startswith("http://127.0.0.1:8802")
    assert (connection.platform_credentials == KEYS) is same_origin
    assert (connection.state == ConnectionState.ACTIVE) is same_origin


def test_new_credentials_given_with_the_move_are_kept(superuser_client: Client, connection: Connection) -> None:
    new_keys = '{"consumer_key": "ck_new_store", "consumer_secret": "cs_new_store"}'
    superuser_client.post(
        change_url(connection),
        form_data(connection, store_url="http://127.0.0.1:9999", replace_platform_credentials=new_keys),
    )
    connection.refresh_from_db()
    assert connection.platform_credentials == {"consumer_key": "ck_new_store", "consumer_secret": "cs_new_store"}
    assert connection.state == ConnectionState.ACTIVE
    assert connection.webhook_ids == []
