"""Claiming an event (``sync/incremental/processing.py`` ``webhook_event_claim``) while another worker holds
rows: what it holds is left to it, on PostgreSQL as on the ORM path. A second database connection holds the locks."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import connection as db

from connections.models import Connection
from sync.incremental.processing import webhook_event_claim
from sync.models import EventState, WebhookEvent, WebhookEventAttempt
from tests.sync.webhook_support import deliver_product

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(db.vendor != "postgresql", reason="row locks of another connection"),
]


def test_a_held_event_is_left_to_its_holder_and_a_held_sibling_is_not_superseded(
    connection: Connection, woo_store: Any, settings: Any
) -> None:
    settings.WEBHOOK_SKIP_ENQUEUE = True
    record_id = next(iter(woo_store.app.store.products))
    first, second, third = (deliver_product(connection, woo_store, record_id, name) for name in ("a", "b", "c"))
    params = db.get_connection_params()
    with psycopg.connect(**params) as other, other.transaction():
        other.execute("SELECT id FROM sync_webhookevent WHERE id = %s FOR UPDATE", [first.pk])

        assert webhook_event_claim(event_id=first.pk, worker="w1") is None  # another worker holds it
        claimed = webhook_event_claim(event_id=third.pk, worker="w2")

    assert claimed is not None
    event, attempt, superseded = claimed
    assert (event.pk, event.state, event.attempts, superseded) == (third.pk, EventState.PROCESSING, 1, 1)
    assert event.connection == connection
    states = dict(WebhookEvent.objects.values_list("pk", "state"))
    assert states[first.pk] == EventState.QUEUED  # held: neither claimed nor superseded
    assert states[second.pk] == EventState.SUPERSEDED
    assert WebhookEvent.objects.get(pk=second.pk).superseded_by_id == third.pk
    stored = WebhookEventAttempt.objects.get(pk=attempt.pk)
    assert (stored.event_id, stored.number, stored.outcome, stored.worker) == (third.pk, 1, "processing", "w2")
    assert webhook_event_claim(event_id=third.pk, worker="w3") is None  # processing already: nothing to claim
