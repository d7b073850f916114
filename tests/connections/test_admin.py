"""The connection admin: list, search, change page, replace-only credentials, actions, operator scoping.

Every page a test renders is checked for the plaintext of every secret the connections hold.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from connections.models import Connection
from tests.connections.support import SPARK_SECRET, STOREFRONT_SECRET
from tests.factories import ConnectionFactory
from tests.support import Stores

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/connections/connection/"


def change_url(connection: Connection) -> str:
    return f"{CHANGELIST}{connection.pk}/change/"


def secrets_of(*connections: Connection) -> list[str]:
    found = []
    for c in connections:
        c.refresh_from_db()
        found += [c.spark_client_id, c.spark_client_secret, c.webhook_secret, c.storefront_secret]
        found += [v for v in (c.platform_credentials or {}).values()]
    return [s for s in found if s]


def assert_no_secret(response: Any, connections: list[Connection]) -> None:
    html = response.content.decode()
    for secret in secrets_of(*connections):
        assert secret not in html, f"secret {secret[:4]}... rendered"


@pytest.fixture
def live_connection(stores: Stores) -> Connection:
    return ConnectionFactory(
        site_id="bobs-store",
        store_id="bobs-woo",
        store_url=stores.woo_url,
        spark_client_id="spark-client-id-visible-nowhere",
        spark_client_secret=SPARK_SECRET,
        storefront_secret=STOREFRONT_SECRET,
    )


@pytest.fixture
def other_connection() -> Connection:
    return ConnectionFactory(
        site_id="alices-store",
        store_id="alices-woo",
        spark_client_secret="alices-spark-secret-000000000",
        platform_credentials={"consumer_key": "ck_alice_0000", "consumer_secret": "cs_alice_0000000"},
        webhook_secret="aliceswebhooksecretaliceswebhooksecret",
        storefront_secret="alicesstorefrontsecretalicesstorefront",
    )


@pytest.fixture
def superuser_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.fixture
def staff(live_connection: Connection) -> User:
    user = User.objects.create_user("operator", "op@example.com", "pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_connection", "change_connection"]))
    live_connection.operators.add(user)
    return user


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def test_changelist_shows_state_platform_and_store_and_no_secret(
    superuser_client: Client, live_connection: Connection, other_connection: Connection
) -> None:
    response = superuser_client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "test/bobs-store (woocommerce)" in html
    assert "test/alices-store (woocommerce)" in html
    assert live_connection.store_url in html
    assert_no_secret(response, [live_connection, other_connection])


@pytest.mark.parametrize(("query", "expected"), [("bobs", "bobs-store"), ("alices-woo", "alices-store")])
def test_search_by_site_id_and_store(
    superuser_client: Client, live_connection: Connection, other_connection: Connection, query: str, expected: str
) -> None:
    response = superuser_client.get(CHANGELIST, {"q": query})
    assert response.status_code == 200
    assert [c.site_id for c in response.context["cl"].result_list] == [expected]


def test_change_page_masks_credentials(
    superuser_client: Client, live_connection: Connection, other_connection: Connection
) -> None:
    response = superuser_client.get(change_url(live_connection))
    assert response.status_code == 200
    html = response.content.decode()
    assert "SparkLayer client id: set; secret: set; platform credentials: set" in html
    assert 'name="replace_spark_client_secret"' in html
    assert 'type="password"' in html
    assert_no_secret(response, [live_connection, other_connection])


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


def test_saving_with_empty_replace_inputs_keeps_every_secret(
    superuser_client: Client, live_connection: Connection
) -> None:
    before = secrets_of(live_connection)
    response = superuser_client.post(change_url(live_connection), form_data(live_connection, batch_size="50"))
    assert response.status_code == 302
    live_connection.refresh_from_db()
    assert live_connection.batch_size == 50
    assert secrets_of(live_connection) == before


def test_replace_inputs_replace_the_stored_values(superuser_client: Client, live_connection: Connection) -> None:
    creds = {"consumer_key": "ck_replaced", "consumer_secret": "cs_replaced"}
    data = form_data(
        live_connection,
        replace_spark_client_secret="replaced-spark-secret",
        replace_platform_credentials=json.dumps(creds),
        replace_storefront_secret="replaced-storefront-secret",
    )
    response = superuser_client.post(change_url(live_connection), data, follow=True)
    assert response.status_code == 200
    assert_no_secret(response, [live_connection])
    live_connection.refresh_from_db()
    assert live_connection.spark_client_secret == "replaced-spark-secret"
    assert live_connection.spark_client_id == "spark-client-id-visible-nowhere"
    assert live_connection.platform_credentials == creds
    assert live_connection.storefront_secret == "replaced-storefront-secret"


def test_bad_platform_credentials_json_is_refused_without_echoing_it(
    superuser_client: Client, live_connection: Connection
) -> None:
    data = form_data(live_connection, replace_platform_credentials="cs_typed_secret_not_json")
    response = superuser_client.post(change_url(live_connection), data)
    assert response.status_code == 200
    assert "Enter a JSON object." in response.content.decode()
    assert "cs_typed_secret_not_json" not in response.content.decode()
    live_connection.refresh_from_db()
    assert live_connection.platform_credentials == {"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"}


def test_unsafe_store_url_is_refused_in_the_admin(
    superuser_client: Client, live_connection: Connection, settings: Any
) -> None:
    settings.IGNITE_ALLOWED_PLATFORM_HOSTS = []
    response = superuser_client.post(
        change_url(live_connection), form_data(live_connection, store_url="https://10.0.0.1")
    )
    assert response.status_code == 200
    assert "This store URL is refused" in response.content.decode()
    live_connection.refresh_from_db()
    assert live_connection.store_url != "https://10.0.0.1"


def action(client: Client, name: str, *connections: Connection) -> Any:
    return client.post(CHANGELIST, {"action": name, "_selected_action": [c.pk for c in connections]}, follow=True)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_reverify_action_reports_accepted_and_refused_credentials(
    superuser_client: Client, live_connection: Connection, stores: Stores
) -> None:
    response = action(superuser_client, "reverify_credentials", live_connection)
    assert messages_of(response) == ["test/bobs-store (woocommerce): credentials accepted."]
    assert_no_secret(response, [live_connection])

    stores.spark_register("bobs-store", "spark-client-id-visible-nowhere", "another-secret")
    Connection.objects.filter(pk=live_connection.pk).update(
        platform_credentials={"consumer_key": "ck_sandbox", "consumer_secret": "cs_wrong"}
    )
    response = action(superuser_client, "reverify_credentials", live_connection)
    (message,) = messages_of(response)
    assert "SparkLayer refused the SparkLayer API client id/secret" in message
    assert "refused the platform credentials" in message
    assert_no_secret(response, [live_connection])


def test_reregister_webhooks_action(superuser_client: Client, live_connection: Connection, stores: Stores) -> None:
    Connection.objects.filter(pk=live_connection.pk).update(state_reason="Webhook registration failed")
    response = action(superuser_client, "reregister_webhooks", live_connection)
    assert messages_of(response) == ["test/bobs-store (woocommerce): 11 webhooks registered."]
    live_connection.refresh_from_db()
    assert len(live_connection.webhook_ids) == 11
    assert live_connection.state_reason == ""
    delivery = f"http://127.0.0.1:8000/webhooks/woocommerce/{live_connection.uuid}/"
    assert len(stores.woo_webhooks(delivery)) == 11
    assert_no_secret(response, [live_connection])


def test_reregister_webhooks_failure_is_reported_and_recorded(
    superuser_client: Client, live_connection: Connection, stores: Stores
) -> None:
    Connection.objects.filter(pk=live_connection.pk).update(
        platform_credentials={"consumer_key": "ck_sandbox", "consumer_secret": "cs_wrong"}
    )
    response = action(superuser_client, "reregister_webhooks", live_connection)
    (message,) = messages_of(response)
    assert "Webhook registration failed (AuthenticationError, HTTP 401)" in message
    live_connection.refresh_from_db()
    assert live_connection.state_reason.startswith("Webhook registration failed")
    assert live_connection.state == "active"


# -- operator scoping ----------------------------------------------------------------------------


def test_staff_operator_sees_only_assigned_connections(
    staff_client: Client, live_connection: Connection, other_connection: Connection
) -> None:
    response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    assert [c.site_id for c in response.context["cl"].result_list] == ["bobs-store"]
    assert_no_secret(response, [live_connection, other_connection])
    assert staff_client.get(change_url(live_connection)).status_code == 200
    hidden = staff_client.get(change_url(other_connection))
    assert hidden.status_code == 404  # the scoped queryset does not contain it
    assert "alices" not in hidden.content.decode()
    assert list(staff_client.get(CHANGELIST, {"q": "alices"}).context["cl"].result_list) == []


def test_staff_operator_cannot_act_on_or_change_other_connections(
    staff_client: Client, live_connection: Connection, other_connection: Connection, stores: Stores
) -> None:
    response = action(staff_client, "reregister_webhooks", live_connection, other_connection)
    assert messages_of(response) == ["test/bobs-store (woocommerce): 11 webhooks registered."]
    other_connection.refresh_from_db()
    assert other_connection.webhook_ids == []
    before = other_connection.spark_client_secret
    staff_client.post(change_url(other_connection), form_data(other_connection, replace_spark_client_secret="x"))
    other_connection.refresh_from_db()
    assert other_connection.spark_client_secret == before


def test_staff_operator_cannot_assign_operators(staff_client: Client, live_connection: Connection) -> None:
    html = staff_client.get(change_url(live_connection)).content.decode()
    assert 'name="operators"' not in html


def test_staff_without_assignment_sees_nothing(client: Client, live_connection: Connection) -> None:
    user = User.objects.create_user("newbie", "n@example.com", "pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_connection", "change_connection"]))
    client.force_login(user)
    assert list(client.get(CHANGELIST).context["cl"].result_list) == []
    assert client.get(change_url(live_connection)).status_code == 404


def test_no_add_or_delete_in_the_admin(superuser_client: Client, live_connection: Connection) -> None:
    assert superuser_client.get(f"{CHANGELIST}add/").status_code == 403
    assert superuser_client.get(f"{CHANGELIST}{live_connection.pk}/delete/").status_code == 403
