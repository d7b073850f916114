"""Deliveries that fail signature verification are counted per connection and shown on the dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sync.intake.verification_failures import webhook_verification_failure_record
from sync.models import WebhookEvent, WebhookVerificationFailure
from sync.selectors.security import webhook_verification_failures_recent
from tests.factories import ConnectionFactory
from tests.sync.webhook_support import post_delivery, simple_body, woo_headers

pytestmark = pytest.mark.django_db


def test_bad_signatures_are_counted_per_connection_in_one_row_per_hour(client: Client) -> None:
    rotated, other = ConnectionFactory(), ConnectionFactory()
    body = simple_body()
    for _ in range(3):
        response = post_delivery(client, rotated, body, woo_headers(body, "the-old-secret", "product.updated"))
        assert response.status_code == 401
    assert WebhookEvent.objects.count() == 0
    row = WebhookVerificationFailure.objects.get()
    assert (row.connection_id, row.count) == (rotated.pk, 3)
    assert row.last_reason == "X-WC-Webhook-Signature does not match the body"
    assert webhook_verification_failures_recent(connection=other).count == 0


def test_a_valid_delivery_is_not_counted(client: Client) -> None:
    connection = ConnectionFactory()
    body = simple_body()
    assert post_delivery(client, connection, body, woo_headers(body, connection.webhook_secret, "product.updated"))
    assert WebhookVerificationFailure.objects.count() == 0


def test_the_recent_window_is_24_hours() -> None:
    connection = ConnectionFactory()
    now = timezone.now()
    webhook_verification_failure_record(connection_id=connection.pk, reason="old", at=now - timedelta(hours=30))
    webhook_verification_failure_record(connection_id=connection.pk, reason="missing header", at=now)
    webhook_verification_failure_record(connection_id=connection.pk, reason="missing header", at=now)
    recent = webhook_verification_failures_recent(connection=connection)
    assert (recent.count, recent.last_reason) == (2, "missing header")


def test_the_dashboard_shows_them(client: Client) -> None:
    connection = ConnectionFactory()
    body = simple_body()
    post_delivery(client, connection, body, woo_headers(body, "the-old-secret", "product.updated"))
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    page = client.get(reverse("sync_admin:dashboard", args=[connection.pk])).content.decode()
    assert "<strong>1</strong> refused for a bad or missing signature" in page
    assert "X-WC-Webhook-Signature does not match the body" in page


def test_counting_never_changes_the_answer(client: Client, monkeypatch: Any) -> None:
    connection = ConnectionFactory()
    monkeypatch.setattr(WebhookVerificationFailure._meta, "db_table", "no_such_table")  # the INSERT fails
    body = simple_body()
    response = post_delivery(client, connection, body, woo_headers(body, "wrong", "product.updated"))
    assert response.status_code == 401
