"""Disconnect (``DELETE /v1/{siteEnv}/{siteId}``): syncs cancelled, webhooks gone, credentials erased."""

from __future__ import annotations

from typing import Any

import pytest

from connections.models import Connection, ConnectionState
from sync.models import JobState, SyncJob
from tests.connections.support import connect_body, job_states, raw_columns
from tests.support import Stores

pytestmark = pytest.mark.django_db
URL = "/v1/test/bobs-store"
SECRET_COLUMNS = (
    "spark_client_id",
    "spark_client_secret",
    "platform_credentials",
    "webhook_secret",
    "storefront_secret",
)


def connect(api_client: Any, stores: Stores, capture: Any, **kwargs: Any) -> Connection:
    with capture(execute=True):
        response = api_client.post(URL, connect_body(stores.woo_url, **kwargs), format="json")
    assert response.status_code == 204
    return Connection.objects.get()


def test_disconnect_cancels_jobs_unregisters_webhooks_and_erases_credentials(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    connection = connect(api_client, stores, django_capture_on_commit_callbacks)
    delivery = f"http://127.0.0.1:8000/webhooks/woocommerce/{connection.uuid}/"
    assert len(stores.woo_webhooks(delivery)) == 11
    SyncJob.objects.filter(connection=connection).order_by("pk").filter(
        pk=SyncJob.objects.filter(connection=connection).order_by("pk").first().pk  # type: ignore[union-attr]
    ).update(state=JobState.RUNNING)
    jobs_before = SyncJob.objects.filter(connection=connection).count()

    response = api_client.delete(URL)

    assert response.status_code == 204
    assert response.content == b""
    connection.refresh_from_db()
    assert connection.state == ConnectionState.REMOVED
    assert connection.removed_at is not None
    assert connection.webhook_ids == []
    assert connection.install_state_hash == ""
    assert stores.woo_webhooks(delivery) == []
    assert raw_columns(connection, *SECRET_COLUMNS) == dict.fromkeys(SECRET_COLUMNS, "")
    assert (connection.spark_client_secret, connection.platform_credentials) == ("", {})
    # history stays: the rows are there, cancelled
    assert SyncJob.objects.filter(connection=connection).count() == jobs_before
    assert {state for states in job_states(connection).values() for state in states} == {"cancelled"}


def test_repeat_disconnect_answers_204_and_changes_nothing(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    connection = connect(api_client, stores, django_capture_on_commit_callbacks)
    assert api_client.delete(URL).status_code == 204
    connection.refresh_from_db()
    removed_at = connection.removed_at

    assert api_client.delete(URL).status_code == 204

    connection.refresh_from_db()
    assert connection.removed_at == removed_at
    assert connection.state == ConnectionState.REMOVED


def test_disconnect_survives_an_unreachable_store(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    connection = connect(api_client, stores, django_capture_on_commit_callbacks)
    Connection.objects.filter(pk=connection.pk).update(store_url="http://127.0.0.1:9")

    assert api_client.delete(URL).status_code == 204

    connection.refresh_from_db()
    assert connection.state == ConnectionState.REMOVED
    assert raw_columns(connection, *SECRET_COLUMNS) == dict.fromkeys(SECRET_COLUMNS, "")


def test_disconnect_of_a_pending_connection(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post(URL, connect_body(stores.woo_url, key=None), format="json").status_code == 201
    assert api_client.delete(URL).status_code == 204
    connection = Connection.objects.get()
    assert connection.state == ConnectionState.REMOVED
    assert connection.install_state_hash == ""


def test_a_removed_connection_connecting_again_is_reused_with_fresh_secrets(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    first = connect(api_client, stores, django_capture_on_commit_callbacks)
    old_webhook_secret = first.webhook_secret
    assert api_client.delete(URL).status_code == 204

    again = connect(api_client, stores, django_capture_on_commit_callbacks)

    assert (again.pk, again.uuid) == (first.pk, first.uuid)
    assert again.state == ConnectionState.ACTIVE
    assert again.removed_at is None
    assert again.webhook_secret
    assert again.webhook_secret != old_webhook_secret
    delivery = f"http://127.0.0.1:8000/webhooks/woocommerce/{again.uuid}/"
    assert len(stores.woo_webhooks(delivery)) == 11
    states = job_states(again)
    assert all(s == ["cancelled", "queued"] for s in states.values()), states
