"""Connection services and selectors beyond what the endpoint tests drive."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User

from connections.install_state import generate_secret, install_state_matches, install_state_token
from connections.models import Connection, ConnectionState
from connections.selectors import connection_get_by_uuid, connections_visible_to
from connections.services import (
    connection_connect,
    connection_credentials_replace,
    connection_disconnect,
)
from tests.connections.support import SPARK_ID, SPARK_SECRET, connect_body
from tests.factories import ConnectionFactory
from tests.support import Stores

pytestmark = pytest.mark.django_db


def connect(stores: Stores, capture: Any, on_activated: Any = None, **kwargs: Any) -> Any:
    body = connect_body(stores.woo_url, **kwargs)
    with capture(execute=True):
        return connection_connect(
            site_env="test",
            site_id="bobs-store",
            store_id=body["store_id"],
            spark_client_id=SPARK_ID,
            spark_client_secret=SPARK_SECRET,
            extra_config=body["extra_config"],
            on_activated=on_activated,
        )


def test_generated_secrets_are_long_alphanumeric_and_distinct() -> None:
    values = {generate_secret() for _ in range(50)}
    assert len(values) == 50
    assert all(len(v) == 48 and v.isalnum() for v in values)


def test_install_state_token_is_stable_until_it_is_used_and_only_its_hash_is_stored() -> None:
    connection = ConnectionFactory(state=ConnectionState.PENDING, install_state_hash="")
    token = install_state_token(connection)
    assert install_state_token(connection) == token
    assert connection.install_state_hash == hashlib.sha256(token.encode()).hexdigest()
    assert install_state_matches(connection, token)
    assert not install_state_matches(connection, token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert not install_state_matches(connection, "")
    other = ConnectionFactory(state=ConnectionState.PENDING)
    assert install_state_token(other) != token


def test_webhook_registration_failure_keeps_the_connection_active_and_records_why(
    stores: Stores, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.IGNITE_PUBLIC_URL = "ftp://bridge.invalid"  # the store refuses this delivery URL with a 400
    activated: list[Connection] = []

    outcome = connect(stores, django_capture_on_commit_callbacks, on_activated=activated.append)

    connection = Connection.objects.get(pk=outcome.connection.pk)
    assert connection.state == ConnectionState.ACTIVE
    assert connection.state_reason.startswith("Webhook registration failed (PermanentError, HTTP 400)")
    assert connection.webhook_ids == []
    assert [c.pk for c in activated] == [connection.pk]  # the syncs are still queued


def test_a_failing_activation_hook_does_not_undo_the_activation(
    stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    def explode(connection: Connection) -> None:
        raise RuntimeError("broker down")

    outcome = connect(stores, django_capture_on_commit_callbacks, on_activated=explode)

    connection = Connection.objects.get(pk=outcome.connection.pk)
    assert connection.state == ConnectionState.ACTIVE
    assert len(connection.webhook_ids) == 11


def test_activation_hook_runs_once_per_activation_not_per_repeat(
    stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    calls: list[int] = []
    connect(stores, django_capture_on_commit_callbacks, on_activated=lambda c: calls.append(c.pk))
    connect(stores, django_capture_on_commit_callbacks, on_activated=lambda c: calls.append(c.pk))
    assert len(calls) == 1


def test_disconnect_is_idempotent_at_the_service_level(stores: Stores, django_capture_on_commit_callbacks: Any) -> None:
    outcome = connect(stores, django_capture_on_commit_callbacks)
    assert connection_disconnect(connection=outcome.connection) is True
    connection = Connection.objects.get()
    assert connection_disconnect(connection=connection) is False
    assert connection.state == ConnectionState.REMOVED


def test_credentials_replace_changes_only_what_is_given() -> None:
    connection = ConnectionFactory()
    assert connection_credentials_replace(connection=connection) == []
    assert connection_credentials_replace(connection=connection, spark_client_secret="new") == ["spark_client_secret"]
    connection.refresh_from_db()
    assert (connection.spark_client_id, connection.spark_client_secret) == ("client-id", "new")
    assert connection.platform_credentials == {"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"}


def test_connections_visible_to() -> None:
    mine, theirs = ConnectionFactory(), ConnectionFactory()
    root = User.objects.create_superuser("root", "r@example.com", "pw")
    staff = User.objects.create_user("staff", "s@example.com", "pw", is_staff=True)
    outsider = User.objects.create_user("user", "u@example.com", "pw", is_staff=False)
    retired = User.objects.create_user("retired", "x@example.com", "pw", is_staff=True, is_active=False)
    for user in (staff, outsider, retired):
        mine.operators.add(user)

    assert set(connections_visible_to(root)) == {mine, theirs}
    assert list(connections_visible_to(staff)) == [mine]
    assert list(connections_visible_to(outsider)) == []
    assert list(connections_visible_to(retired)) == []
    assert list(connections_visible_to(AnonymousUser())) == []
    assert list(connections_visible_to(None)) == []


def test_connection_get_by_uuid_needs_the_right_platform_and_a_valid_uuid() -> None:
    connection = ConnectionFactory()
    assert connection_get_by_uuid(connection_uuid=str(connection.uuid), platform="woocommerce") == connection
    assert connection_get_by_uuid(connection_uuid=str(connection.uuid), platform="shopify") is None
    assert connection_get_by_uuid(connection_uuid="not-a-uuid", platform="woocommerce") is None
