"""``sync/intake/sql.py``: each raw-SQL fast path writes what the ORM would write for the same input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.models import ConnectionState
from sync.intake.sql import webhook_event_insert, webhook_verification_failure_upsert
from sync.models import EventState, WebhookEvent, WebhookVerificationFailure
from tests.factories import ConnectionFactory, WebhookEventFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
#: what a column may hold: PostgreSQL text and jsonb take no NUL character
text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=20)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
EVENT_COLUMNS = [f.attname for f in WebhookEvent._meta.concrete_fields if not f.primary_key]

event_fields = st.fixed_dictionaries(
    {
        "topic": text,
        "data_type": st.sampled_from(["products", "customers", "orders"]),
        "record_id": text,
        "action": st.sampled_from(["created", "updated", "deleted"]),
        "delivery_id": text,
        "headers": st.dictionaries(text, text, max_size=3),
        "body": st.binary(max_size=64),
        "occurred_at": st.none() | moments,
        "received_at": moments,
        "state": st.sampled_from([state.value for state in EventState]),
        "queued_at": st.none() | moments,
    },
    optional={"attempts": st.integers(0, 5), "last_error": text},  # left out: the model's default
)


def event_rows(**where: Any) -> list[dict[str, Any]]:
    """Every stored event's columns but the id, in id order (a binary column read back as bytes)."""
    rows = WebhookEvent.objects.filter(**where).order_by("pk").values(*EVENT_COLUMNS)
    return [
        {name: bytes(value) if isinstance(value, memoryview) else value for name, value in row.items()} for row in rows
    ]


def test_the_insert_returns_the_new_id_and_leaves_the_event_unsaved() -> None:
    connection = ConnectionFactory()
    event = WebhookEvent(connection=connection, platform="woocommerce", dedupe_key="k", body=b"{}", received_at=NOW)
    new_id = webhook_event_insert(event=event)
    assert new_id == WebhookEvent.objects.get(dedupe_key="k").pk
    assert event.pk is None
    assert event.created_at is not None  # filled as Model.save() fills it


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=event_fields)
def test_the_insert_stores_the_row_the_orm_create_stores(fields: dict[str, Any], example_rolled_back: Any) -> None:
    with example_rolled_back(), mock.patch("django.utils.timezone.now", return_value=NOW):  # created_at, updated_at
        connection = ConnectionFactory()
        values = {"connection": connection, "platform": connection.platform, "dedupe_key": "key", **fields}
        with example_rolled_back():
            WebhookEvent.objects.create(**values)
            by_orm = event_rows()
        assert webhook_event_insert(event=WebhookEvent(**values)) is not None
        assert event_rows() == by_orm


def test_a_repeat_of_a_stored_key_is_none_where_the_orm_create_raises() -> None:
    stored = WebhookEventFactory(body=b"first")
    repeat = {"connection": stored.connection, "platform": "woocommerce", "dedupe_key": stored.dedupe_key}
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEvent.objects.create(**repeat, body=b"second", received_at=NOW)
    before = event_rows()
    assert webhook_event_insert(event=WebhookEvent(**repeat, body=b"second", received_at=NOW)) is None
    assert event_rows() == before


deliveries = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["a", "b", "c"])), min_size=1, max_size=10
)  # (which connection, which dedupe key)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deliveries=deliveries, states=st.lists(st.sampled_from(list(ConnectionState)), min_size=3, max_size=3))
def test_inserts_store_what_the_orm_stores_when_it_checks_first(
    deliveries: list[tuple[int, str]], states: list[str], example_rolled_back: Any
) -> None:
    """A stream of deliveries to connections in any state: the insert returns an id exactly where the
    ORM, checking first that the connection is not removed and the key not stored, would create a row,
    and the stored rows are the ones that ORM path stores."""
    with example_rolled_back(), mock.patch("django.utils.timezone.now", return_value=NOW):  # created_at, updated_at
        connections = [ConnectionFactory(state=state) for state in states]

        def attempt(index: int, key: str, number: int) -> WebhookEvent:
            return WebhookEvent(
                connection=connections[index], platform="woocommerce", dedupe_key=key,
                body=f"delivery {number}".encode(), received_at=NOW + timedelta(seconds=number),
            )  # fmt: skip

        with example_rolled_back():
            orm_created = []
            for number, (index, key) in enumerate(deliveries):
                event = attempt(index, key, number)
                stored = WebhookEvent.objects.filter(connection=event.connection, dedupe_key=key).exists()
                if event.connection.state != ConnectionState.REMOVED and not stored:
                    event.save()
                orm_created.append(not event._state.adding)
            by_orm = event_rows()
        raw_created = [
            webhook_event_insert(event=attempt(index, key, number)) is not None
            for number, (index, key) in enumerate(deliveries)
        ]
        assert raw_created == orm_created
        assert event_rows() == by_orm


def test_no_row_for_a_connection_that_is_gone() -> None:
    connection = ConnectionFactory()
    event = WebhookEvent(connection=connection, platform="woocommerce", dedupe_key="k", body=b"", received_at=NOW)
    connection.delete()
    assert webhook_event_insert(event=event) is None
    assert WebhookEvent.objects.count() == 0


# -- the verification failure counter -----------------------------------------------------------------

failures = st.lists(
    st.tuples(st.integers(0, 1), st.integers(0, 2), st.integers(0, 59), text), min_size=1, max_size=12
)  # (which connection, which hour, minute, reason)


def failure_rows() -> set[tuple[Any, ...]]:
    return set(
        WebhookVerificationFailure.objects.values_list("connection_id", "hour", "count", "last_at", "last_reason")
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(failures=failures)
def test_the_upsert_counts_as_update_or_create_and_an_f_increment(
    failures: list[tuple[int, int, int, str]], example_rolled_back: Any
) -> None:
    with example_rolled_back():
        connections = [ConnectionFactory(), ConnectionFactory()]
        calls = [
            (connections[index].pk, NOW + timedelta(hours=hour), NOW + timedelta(hours=hour, minutes=minute), reason)
            for index, hour, minute, reason in failures
        ]
        with example_rolled_back():
            for connection_id, hour, at, reason in calls:
                row, created = WebhookVerificationFailure.objects.update_or_create(
                    connection_id=connection_id, hour=hour, defaults={"last_at": at, "last_reason": reason},
                    create_defaults={"count": 1, "last_at": at, "last_reason": reason},
                )  # fmt: skip
                if not created:
                    WebhookVerificationFailure.objects.filter(pk=row.pk).update(count=F("count") + 1)
            by_orm = failure_rows()
        for connection_id, hour, at, reason in calls:
            webhook_verification_failure_upsert(connection_id=connection_id, hour=hour, at=at, reason=reason)
        assert failure_rows() == by_orm
