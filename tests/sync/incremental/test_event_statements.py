"""What one webhook event costs the database (``sync/incremental/processing.py``): the statements of a
processing task, counted on the real path against the sandboxes. The per-event statement count is what
bounds how many stores a worker keeps up with (``bench/noisy_neighbour.py``); these hold it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from connections.models import Connection
from sync.incremental.processing import webhook_event_process_fairly
from sync.models import EventOutcome, EventState, WebhookEvent
from tests.sync.webhook_support import deliver_product

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(db.vendor != "postgresql", reason="the one-statement claim and looks are PostgreSQL's"),
]


def process(event: WebhookEvent, *, connection_id: int | None) -> list[str]:
    with CaptureQueriesContext(db) as captured:
        result = webhook_event_process_fairly(event_id=event.pk, worker="w", connection_id=connection_id)
    assert result is not None
    assert result.state == EventState.SUCCEEDED
    return [query["sql"] for query in captured.captured_queries]


def test_an_event_with_nothing_to_resolve_takes_no_transaction_and_few_statements(
    connection: Connection, woo_store: Any, settings: Any
) -> None:
    settings.WEBHOOK_SKIP_ENQUEUE = True
    first, second = list(woo_store.app.store.products)[:2]
    process(
        deliver_product(connection, woo_store, first, "warm-up"), connection_id=connection.pk
    )  # price list, location

    pushed = process(deliver_product(connection, woo_store, second, "a"), connection_id=connection.pk)
    unchanged = process(deliver_product(connection, woo_store, second, "b"), connection_id=connection.pk)

    outcomes = list(WebhookEvent.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes[1:] == [EventOutcome.PUSHED, EventOutcome.UNCHANGED]
    for statements in (pushed, unchanged):
        assert statements[0].lstrip().startswith("WITH ev AS")  # the claim first: no lookup of the connection
        assert not any(sql.startswith(("BEGIN", "COMMIT", "SAVEPOINT")) for sql in statements), statements
        assert not any('FROM "connections_connection"' in sql for sql in statements)  # it came with the claim
    # claim, clock, store settings' hash, record state (and, to write, lock, state again, intent, accepted
    # state, push log, unlock), open issues, end, and the two looks for the connection's next event
    assert len(pushed) <= 14, pushed
    assert len(unchanged) <= 9, unchanged


def test_a_message_without_its_connection_still_finds_it(connection: Connection, woo_store: Any, settings: Any) -> None:
    settings.WEBHOOK_SKIP_ENQUEUE = True
    event = deliver_product(connection, woo_store, next(iter(woo_store.app.store.products)), "old-message")
    statements = process(event, connection_id=None)  # a message sent before messages carried it
    assert "sync_webhookevent" in statements[0]
    assert '"connection_id"' in statements[0]
    assert WebhookEvent.objects.get(pk=event.pk).outcome == EventOutcome.PUSHED
