"""A forced full re-push writes every record; the Ignite trigger stays hash-gated; a removed connection that
connects again starts from clean sync state, so SparkLayer wiped meanwhile gets everything back."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.core.management import call_command

from connections.models import Connection
from platforms.types import DataType
from sync.jobs.full_sync import sync_job_run
from sync.jobs.jobs import sync_job_queue_full
from sync.models import JobState, PushLog, RecordState, SyncJob
from tests.connections.support import connect_body
from tests.support import Stores
from tests.sync.helpers import assert_catalogue_landed, expected_products, spark_state, spark_writes

pytestmark = pytest.mark.django_db(transaction=True)
SITE = "bobs-store"


def run_full(connection: Connection, data_type: str, *, force: bool = False) -> SyncJob:
    job = sync_job_queue_full(connection=connection, data_type=data_type, trigger="admin", force=force)
    assert sync_job_run(job_id=job.pk).state == "succeeded"
    job.refresh_from_db()
    return job


def test_a_forced_full_sync_writes_every_record_an_unforced_one_none(connection: Connection, spark: Any) -> None:
    first = run_full(connection, DataType.PRODUCTS)
    pushable = len(expected_products(connection)[0])
    assert first.pushed == pushable
    assert run_full(connection, DataType.PRODUCTS).pushed == 0

    writes = spark_writes(spark, SITE)
    forced = run_full(connection, DataType.PRODUCTS, force=True)
    assert forced.force is True
    assert forced.pushed == pushable
    assert forced.unchanged == 0
    upserted = set(PushLog.objects.filter(job=forced, operation="upsert").values_list("external_id", flat=True))
    assert len(upserted) == pushable
    assert {"stock", "pricing"} <= set(PushLog.objects.filter(job=forced).values_list("operation", flat=True))
    assert spark_writes(spark, SITE) > writes + pushable
    assert run_full(connection, DataType.PRODUCTS).pushed == 0  # forcing left the hashes as they were


def test_sync_run_force_and_the_ignite_trigger(
    connection: Connection, spark: Any, api_client: Any, capsys: Any
) -> None:
    run_full(connection, DataType.CUSTOMERS)
    call_command("sync_run", SITE, "customers", "--inline", "--force")
    assert "forced: every record is written" in capsys.readouterr().out
    forced = SyncJob.objects.filter(connection=connection).order_by("-pk").first()
    assert forced is not None
    assert (forced.force, forced.state, forced.unchanged) == (True, JobState.SUCCEEDED, 0)
    assert forced.pushed > 0

    assert api_client.post(f"/v1/test/{SITE}/status/customers").status_code == 201
    triggered = SyncJob.objects.filter(connection=connection).order_by("-pk").first()
    assert triggered is not None
    assert (triggered.trigger, triggered.force) == ("sparklayer", False)
    assert sync_job_run(job_id=triggered.pk).state == "succeeded"
    triggered.refresh_from_db()
    assert triggered.pushed == 0  # the trigger keeps its normal, hash-gated behaviour


def run_queued(connection: Connection) -> list[SyncJob]:
    jobs = list(SyncJob.objects.filter(connection=connection, state=JobState.QUEUED).order_by("pk"))
    for job in jobs:
        assert sync_job_run(job_id=job.pk).state == "succeeded", job
        job.refresh_from_db()
    return jobs


def test_reconnecting_a_removed_connection_after_sparklayer_was_wiped_pushes_everything(
    api_client: Any, stores: Stores
) -> None:
    url = f"/v1/test/{SITE}"
    assert api_client.post(url, connect_body(stores.woo_url), format="json").status_code == 204
    connection = Connection.objects.get()
    run_queued(connection)
    customers = len(spark_state(stores.spark, SITE, "customers")["customers"])
    assert customers > 0
    assert RecordState.objects.filter(connection=connection).exists()

    assert api_client.delete(url).status_code == 204
    requests.post(f"{stores.spark.url}/_sandbox/reset", json={"site_id": SITE}, timeout=10).raise_for_status()
    assert api_client.post(url, connect_body(stores.woo_url), format="json").status_code == 204
    connection.refresh_from_db()
    assert connection.is_active
    jobs = run_queued(connection)
    assert {job.data_type for job in jobs} >= {"products", "customers"}

    state = spark_state(stores.spark, SITE, "products,stock,pricing,customers")
    assert_catalogue_landed(connection, state)
    assert len(state["customers"]) == customers


def test_sync_state_is_kept_on_a_repeat_connect_of_an_active_connection(api_client: Any, stores: Stores) -> None:
    url = f"/v1/test/{SITE}"
    assert api_client.post(url, connect_body(stores.woo_url), format="json").status_code == 204
    connection = Connection.objects.get()
    run_queued(connection)
    rows = RecordState.objects.filter(connection=connection).count()
    assert api_client.post(url, connect_body(stores.woo_url), format="json").status_code == 204
    assert RecordState.objects.filter(connection=connection).count() == rows
