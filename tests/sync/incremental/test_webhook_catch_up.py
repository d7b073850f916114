"""Gap repair: catch-up of changes no webhook delivered, deletion reconcile, webhook health repair."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests
from django.utils import timezone

from connections.clients import connection_platform_adapter
from connections.models import Connection
from connections.services import connection_webhook_delivery_url
from platforms.types import DataType
from sandbox.woocommerce import products as woo_products
from sync.incremental.catch_up import connection_catch_up, connections_due_for_catch_up
from sync.incremental.reconcile import connection_reconcile
from sync.models import JobKind, JobState, SyncIssue, SyncJob
from tests.sync.helpers import spark_state

pytestmark = pytest.mark.django_db


def test_catch_up_pushes_changes_made_while_delivery_was_off(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    adapter = connection_platform_adapter(connection)
    adapter.register_webhooks(
        delivery_url=connection_webhook_delivery_url(connection), secret=connection.webhook_secret
    )
    requests.put(f"{woo_store.url}/_sandbox/webhook-delivery", json={"enabled": False}, timeout=10).raise_for_status()
    Connection.objects.filter(pk=connection.pk).update(last_catch_up_at=timezone.now())
    connection.refresh_from_db()
    changes = requests.post(f"{woo_store.url}/_sandbox/mutate", timeout=30,
                            json={"count": 20, "seed": 4, "kinds": ["product_update"]}).json()["changes"]  # fmt: skip
    assert len(changes) == 20
    assert requests.get(f"{woo_store.url}/_sandbox/deliveries", timeout=10).json() == [] or all(
        d["topic"] == "ping" for d in requests.get(f"{woo_store.url}/_sandbox/deliveries", timeout=10).json()
    )
    before = connection.last_catch_up_at
    assert connections_due_for_catch_up(now=timezone.now()) == []
    assert connections_due_for_catch_up(now=timezone.now() + timedelta(hours=1)) == [connection.pk]

    jobs = connection_catch_up(connection=connection)
    assert {(j.kind, j.state) for j in jobs} == {(JobKind.CATCH_UP, JobState.SUCCEEDED)}
    changed = {str(c["id"]) for c in changes}
    products = {p["external_id"]: p for p in spark_state(spark, connection.site_id, "products")["products"]}
    store = woo_store.app.store
    for external_id in changed:
        record = adapter.fetch_record(DataType.PRODUCTS, external_id)
        assert record is not None
        if record.payload is None:  # the record cannot be synced: its issue says why
            assert SyncIssue.objects.filter(connection=connection, external_id=external_id, state="open").exists()
            continue
        with store.lock:
            assert products[external_id]["title"] == woo_products.stored(store, int(external_id))["name"]
    connection.refresh_from_db()
    assert before is not None
    assert connection.last_catch_up_at is not None
    assert connection.last_catch_up_at > before


def test_failed_catch_up_keeps_the_window(connection: Connection, spark: Any, woo_store: Any) -> None:
    moment = timezone.now() - timedelta(hours=1)
    Connection.objects.filter(pk=connection.pk).update(last_catch_up_at=moment)
    connection.refresh_from_db()
    requests.post(f"{woo_store.url}/_sandbox/mutate", json={"count": 3, "seed": 1, "kinds": ["product_update"]},
                  timeout=30)  # fmt: skip
    requests.put(f"{spark.url}/_sandbox/faults", json={"error_429_rate": 1.0, "retry_after": "300"}, timeout=10)
    jobs = connection_catch_up(connection=connection)
    assert JobState.FAILED in {j.state for j in jobs}
    connection.refresh_from_db()
    assert connection.last_catch_up_at == moment


def test_reconcile_queues_the_full_syncs_that_find_silent_changes_and_repairs_webhooks(
    connection: Connection, spark: Any, woo_store: Any, settings: Any
) -> None:
    """Force deletes and stock moved by orders fire no webhook and move no date: the reconcile queues a
    full sync per webhook-driven type (which reads everything and removes what is gone) and repairs
    disabled webhooks."""
    adapter = connection_platform_adapter(connection)
    delivery_url = connection_webhook_delivery_url(connection)
    adapter.register_webhooks(delivery_url=delivery_url, secret=connection.webhook_secret)
    store = woo_store.app.store
    with store.lock:
        hook = next(h for h in store.webhooks.values() if h["topic"] == "product.updated")
        hook["status"] = "disabled"

    result = connection_reconcile(connection=connection)
    assert result.errors == []
    assert sorted(result.queued) == ["customers", "products", "purchases"]
    assert result.repaired_topics == ["product.updated"]
    queued = SyncJob.objects.filter(connection=connection, kind=JobKind.FULL, state=JobState.QUEUED)
    assert sorted(queued.values_list("data_type", flat=True)) == ["customers", "products", "purchases"]
    assert set(queued.values_list("trigger", flat=True)) == {"schedule"}
    with store.lock:
        assert next(h for h in store.webhooks.values() if h["topic"] == "product.updated")["status"] == "active"
    issue = SyncIssue.objects.get(connection=connection, code="webhook_repaired")
    assert "product.updated" in issue.message
    assert SyncJob.objects.filter(connection=connection, kind=JobKind.RECONCILE, state=JobState.SUCCEEDED).exists()
    connection.refresh_from_db()
    assert connection.last_reconcile_at is not None

    again = connection_reconcile(connection=connection)  # the full syncs are still queued; webhooks healthy
    assert (again.queued, again.repaired_topics) == ([], [])


def test_reconcile_leaves_customers_alone_when_they_are_out_of_scope(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    Connection.objects.filter(pk=connection.pk).update(customer_sync_scope="none")
    connection.refresh_from_db()
    result = connection_reconcile(connection=connection)
    assert sorted(result.queued) == ["products", "purchases"]
