"""The webhook intake view: guard order, exact status codes, and what is (not) stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from connections.models import ConnectionState
from sync.intake.intake import webhook_receive_view
from sync.models import EventState, WebhookEvent
from tests.factories import ConnectionFactory
from tests.sync.webhook_support import as_meta, post_delivery, simple_body, webhook_path, woo_headers

pytestmark = pytest.mark.django_db

SECRET = "webhooksecretwebhooksecretwebhooksecret"


@pytest.fixture
def connection() -> Any:
    return ConnectionFactory(webhook_secret=SECRET)


def test_valid_delivery_is_stored_once_with_its_facts(client: Client, connection: Any) -> None:
    body = simple_body(101, "2025-01-02T03:04:05")
    headers = woo_headers(body, SECRET, "product.updated", delivery_id="abc")
    response = post_delivery(
        client, connection, body, {**headers, "Authorization": "Basic c2VjcmV0", "Cookie": "sessionid=x"}
    )
    assert response.status_code == 200
    assert response.json()["stored"] is True
    event = WebhookEvent.objects.get()
    assert (event.connection_id, event.topic, event.data_type, event.record_id, event.action) == (
        connection.pk, "product.updated", "products", "101", "updated",
    )  # fmt: skip
    assert bytes(event.body) == body
    assert event.delivery_id == "abc"
    assert event.occurred_at is not None
    assert event.occurred_at.isoformat() == "2025-01-02T03:04:05+00:00"
    assert event.state == EventState.QUEUED  # sent after commit; the sweeper sends it if that never happens
    assert event.queued_at == event.received_at
    assert len(event.dedupe_key) == 64
    stored_names = {name.lower() for name in event.headers}
    assert "x-wc-webhook-signature" in stored_names
    assert "authorization" not in stored_names
    assert "cookie" not in stored_names


def test_exact_duplicate_is_acknowledged_and_stored_once(client: Client, connection: Any) -> None:
    body = simple_body()
    headers = woo_headers(body, SECRET, "product.updated")
    first = post_delivery(client, connection, body, headers)
    second = post_delivery(client, connection, body, headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"received": True, "stored": False, "event": first.json()["event"]}
    assert WebhookEvent.objects.count() == 1


def test_same_delivery_id_with_another_body_is_a_new_event(client: Client, connection: Any) -> None:
    """``X-WC-Webhook-Delivery-ID`` repeats within one second: it is not the dedupe key."""
    for modified in ("2025-01-02T03:04:05", "2025-01-02T03:04:06"):
        body = simple_body(101, modified)
        assert post_delivery(client, connection, body, woo_headers(body, SECRET, "product.updated")).status_code == 200
    assert WebhookEvent.objects.count() == 2
    assert set(WebhookEvent.objects.values_list("delivery_id", flat=True)) == {"d1"}


@pytest.mark.parametrize(
    "case",
    ["tampered", "unsigned", "wrong_secret", "signature_of_other_body"],
)
def test_bad_signatures_get_401_and_store_nothing(client: Client, connection: Any, case: str) -> None:
    body = simple_body()
    headers = woo_headers(body, SECRET, "product.updated")
    if case == "tampered":
        body = body.replace(b"101", b"102")
    elif case == "unsigned":
        del headers["X-WC-Webhook-Signature"]
    elif case == "wrong_secret":
        headers = woo_headers(body, "another-secret-another-secret-another", "product.updated")
    else:
        headers["X-WC-Webhook-Signature"] = woo_headers(b"{}", SECRET, "product.updated")["X-WC-Webhook-Signature"]
    response = post_delivery(client, connection, body, headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401
    assert WebhookEvent.objects.count() == 0


def test_oversize_by_content_length_gets_413_and_stores_nothing(client: Client, connection: Any, settings: Any) -> None:
    settings.WEBHOOK_MAX_BODY_BYTES = 64
    body = simple_body() + b" " * 100
    response = post_delivery(client, connection, body, woo_headers(body, SECRET, "product.updated"))
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert WebhookEvent.objects.count() == 0


def test_oversize_by_bytes_read_gets_413(connection: Any, settings: Any) -> None:
    """A declared length below the limit does not let a longer body through."""
    settings.WEBHOOK_MAX_BODY_BYTES = 64
    body = simple_body() + b" " * 100
    request = RequestFactory().post(
        webhook_path(connection), data=body, content_type="application/json",
        **as_meta(woo_headers(body, SECRET, "product.updated")),
    )  # fmt: skip
    request.META["CONTENT_LENGTH"] = "10"  # the stream still holds every byte
    response = webhook_receive_view(request, platform="woocommerce", connection_uuid=connection.uuid)
    assert response.status_code == 413
    assert WebhookEvent.objects.count() == 0


def test_body_at_the_limit_is_accepted(client: Client, connection: Any, settings: Any) -> None:
    body = simple_body()
    settings.WEBHOOK_MAX_BODY_BYTES = len(body)
    assert post_delivery(client, connection, body, woo_headers(body, SECRET, "product.updated")).status_code == 200
    assert WebhookEvent.objects.count() == 1


@pytest.mark.parametrize("case", ["unknown", "removed", "other_platform", "malformed_uuid"])
def test_unknown_connection_gets_404_and_stores_nothing(client: Client, connection: Any, case: str) -> None:
    body = simple_body()
    headers = woo_headers(body, SECRET, "product.updated")
    path = webhook_path(connection)
    if case == "unknown":
        path = "/webhooks/woocommerce/00000000-0000-4000-8000-000000000000/"
    elif case == "removed":
        connection.state = ConnectionState.REMOVED
        connection.save()
    elif case == "other_platform":
        path = path.replace("/woocommerce/", "/shopify/")
    else:
        path = "/webhooks/woocommerce/not-a-uuid/"
    response = client.post(path, data=body, content_type="application/json", **as_meta(headers))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert WebhookEvent.objects.count() == 0


def test_ping_gets_200_and_stores_nothing(client: Client, connection: Any) -> None:
    response = client.post(
        webhook_path(connection), data=b"webhook_id=12", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert WebhookEvent.objects.count() == 0


def test_get_is_405_problem(client: Client, connection: Any) -> None:
    response = client.get(webhook_path(connection))
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert WebhookEvent.objects.count() == 0


def test_variation_delivery_names_its_parent_product(client: Client, connection: Any) -> None:
    body = b'{"id":501,"type":"variation","parent_id":500,"date_modified_gmt":"2025-01-02T03:04:05"}'
    assert post_delivery(client, connection, body, woo_headers(body, SECRET, "product.updated")).status_code == 200
    assert WebhookEvent.objects.get().record_id == "500"


# The intake keeps a URL's connection for WEBHOOK_CONNECTION_CACHE_SECONDS; what may go stale is
# re-checked against the database where it matters.


@pytest.mark.parametrize("how", ["removed", "deleted"])
def test_connection_removed_after_it_was_cached_gets_404_and_stores_nothing(
    client: Client, connection: Any, how: str
) -> None:
    first = simple_body(101, "2025-01-02T03:04:05")
    assert post_delivery(client, connection, first, woo_headers(first, SECRET, "product.updated")).status_code == 200
    if how == "removed":
        type(connection).objects.filter(pk=connection.pk).update(state=ConnectionState.REMOVED)
    else:
        WebhookEvent.objects.all().delete()
        type(connection).objects.filter(pk=connection.pk).delete()
    stored = WebhookEvent.objects.count()
    for body in (simple_body(102, "2025-01-02T03:04:06"), first):  # a new delivery, and a repeat of the first
        response = post_delivery(client, connection, body, woo_headers(body, SECRET, "product.updated"))
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
    assert WebhookEvent.objects.count() == stored


def test_rotated_secret_is_read_again_and_the_old_one_is_refused(client: Client, connection: Any) -> None:
    body = simple_body(101, "2025-01-02T03:04:05")
    assert post_delivery(client, connection, body, woo_headers(body, SECRET, "product.updated")).status_code == 200
    rotated = "rotatedsecretrotatedsecretrotatedsecret"
    connection.webhook_secret = rotated
    connection.save(update_fields=["webhook_secret"])

    fresh = simple_body(102, "2025-01-02T03:04:06")
    assert post_delivery(client, connection, fresh, woo_headers(fresh, rotated, "product.updated")).status_code == 200
    stale = simple_body(103, "2025-01-02T03:04:07")
    assert post_delivery(client, connection, stale, woo_headers(stale, SECRET, "product.updated")).status_code == 401
    assert sorted(WebhookEvent.objects.values_list("record_id", flat=True)) == ["101", "102"]


def test_removed_connection_with_a_bad_signature_is_still_404(client: Client, connection: Any) -> None:
    body = simple_body(101, "2025-01-02T03:04:05")
    assert post_delivery(client, connection, body, woo_headers(body, SECRET, "product.updated")).status_code == 200
    type(connection).objects.filter(pk=connection.pk).update(state=ConnectionState.REMOVED)
    other = simple_body(102, "2025-01-02T03:04:06")
    headers = woo_headers(other, "not-the-secret-not-the-secret-not-the", "product.updated")
    assert post_delivery(client, connection, other, headers).status_code == 404
    assert WebhookEvent.objects.count() == 1
