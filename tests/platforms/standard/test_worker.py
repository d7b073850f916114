"""The standard platform with a REAL Celery worker, Redis, PostgreSQL and the bridge served over HTTP:
connect, the full syncs the connect queues, then signed deliveries from the store processed by the worker."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connections.clients import connection_platform_adapter
from connections.models import Connection
from platforms.types import DataType
from sync.engine.hashing import record_hashes
from sync.models import EventState, JobState, RecordState, SyncJob, WebhookEvent
from tests.platforms.standard.support import URL, body
from tests.sync.helpers import assert_catalogue_landed, spark_state, wait_for
from tests.workers import WorkerProcess, worker_environment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

DONE = {EventState.SUCCEEDED, EventState.SUPERSEDED}


def test_connect_full_sync_and_store_deliveries_through_a_real_worker(
    live_server: Any, api_client: Any, spark: Any, std_store: Any, settings: Any
) -> None:
    from ignite_bridge.celery import app

    app.control.purge()
    settings.IGNITE_PUBLIC_URL = live_server.url
    worker = WorkerProcess(worker_environment(SPARKLAYER_URL_TEST=spark.url), queues="sync,webhooks").start()
    try:
        assert api_client.post(URL, body(std_store), format="json").status_code == 204
        connection = Connection.objects.get()
        jobs = SyncJob.objects.filter(connection=connection)
        wait_for(lambda: jobs.count() == 4 and set(jobs.values_list("state", flat=True)) == {JobState.SUCCEEDED},
                 120, "the four full syncs", worker)  # fmt: skip
        assert_catalogue_landed(connection, spark_state(spark, connection.site_id, "products,stock,pricing"))

        changes = requests.post(
            f"{std_store.url}/_sandbox/mutate",
            json={"count": 6, "seed": 4, "kinds": ["product_update", "product_stock", "customer_update"]},
            timeout=30,
        ).json()["changes"]
        assert requests.post(f"{std_store.url}/_sandbox/webhooks/flush", timeout=60).json()["flushed"] is True
        deliveries = [d for d in requests.get(f"{std_store.url}/_sandbox/deliveries", timeout=10).json()]
        assert {d["status"] for d in deliveries} == {200}
        events = WebhookEvent.objects.filter(connection=connection)
        wait_for(lambda: events.count() == len(deliveries) and set(events.values_list("state", flat=True)) <= DONE,
                 60, "the deliveries to be processed", worker)  # fmt: skip
        adapter = connection_platform_adapter(connection)
        for change in changes:
            data_type = DataType.PRODUCTS if change["resource"] == "products" else DataType.CUSTOMERS
            record = adapter.fetch_record(data_type, str(change["id"]))
            assert record is not None
            if record.payload is None:
                continue  # a record with a data problem: an issue, nothing pushed
            state = RecordState.objects.get(connection=connection, data_type=data_type, external_id=record.external_id)
            assert state.content_hash == record_hashes(record).content
    finally:
        worker.stop()
