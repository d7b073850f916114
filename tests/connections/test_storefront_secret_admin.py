"""The storefront secret the bridge generates is revealed once in the admin, and can be rotated."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from connections.models import Connection
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/connections/connection/"


def act(client: Client, action: str, *connections: Connection) -> Any:
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(c.pk) for c in connections], "index": "0"},
        follow=True,
    )


@pytest.fixture
def generated() -> Connection:
    return ConnectionFactory(storefront_secret="generated-secret-0123456789abcdef", storefront_secret_revealable=True)


@pytest.fixture
def operator_client(generated: Connection) -> Client:
    user = User.objects.create_user("operator", "op@example.com", "pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_connection", "change_connection"]))
    generated.operators.add(user)
    client = Client()
    client.force_login(user)
    return client


def test_the_generated_secret_is_shown_once(operator_client: Client, generated: Connection) -> None:
    first = act(operator_client, "reveal_storefront_secret", generated)
    assert first.status_code == 200
    assert "generated-secret-0123456789abcdef" in first.content.decode()
    assert "no-store" in first["Cache-Control"]
    second = act(operator_client, "reveal_storefront_secret", generated)
    assert "generated-secret-0123456789abcdef" not in second.content.decode()
    assert "rotate it to get a new one" in second.content.decode()


def test_a_secret_given_by_sparklayer_is_never_revealed(operator_client: Client, generated: Connection) -> None:
    Connection.objects.filter(pk=generated.pk).update(storefront_secret_revealable=False)
    response = act(operator_client, "reveal_storefront_secret", generated)
    assert "generated-secret-0123456789abcdef" not in response.content.decode()


def test_rotate_shows_a_new_secret_once_and_replaces_the_old(operator_client: Client, generated: Connection) -> None:
    response = act(operator_client, "rotate_storefront_secret", generated)
    generated.refresh_from_db()
    assert generated.storefront_secret != "generated-secret-0123456789abcdef"
    assert generated.storefront_secret in response.content.decode()
    assert not generated.storefront_secret_revealable
    assert (
        generated.storefront_secret not in operator_client.get(f"{CHANGELIST}{generated.pk}/change/").content.decode()
    )


def test_a_view_only_operator_is_offered_neither(generated: Connection) -> None:
    user = User.objects.create_user("viewer", "v@example.com", "pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_connection"))
    generated.operators.add(user)
    client = Client()
    client.force_login(user)
    listing = client.get(CHANGELIST).content.decode()
    assert "reveal_storefront_secret" not in listing
    assert "rotate_storefront_secret" not in listing
    assert (
        "generated-secret-0123456789abcdef" not in act(client, "reveal_storefront_secret", generated).content.decode()
    )


def test_connect_without_a_secret_marks_the_generated_one_revealable(
    api_client: Any, stores: Any, settings: Any
) -> None:
    from tests.connections.support import connect_body

    body = connect_body(stores.woo_url)
    del body["extra_config"]["storefront_jwt_secret"]
    assert api_client.post("/v1/test/bobs-store", body, format="json").status_code == 204
    connection = Connection.objects.get(site_id="bobs-store")
    assert connection.storefront_secret
    assert connection.storefront_secret_revealable
