"""Trigger (docs/ignite-contract.md §1.3) and pull (§1.4) endpoints, and deletions found by a full sync."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from rest_framework.test import APIClient

from connections.models import Connection, ConnectionState
from sync.engine.pull import pull_cursor_sign
from sync.jobs.full_sync import sync_job_run
from sync.models import JobState, RecordState, SyncJob
from tests.sync.helpers import expected_products, run_full, spark_calls, spark_state

pytestmark = pytest.mark.django_db(transaction=True)


def test_trigger_answers_201_then_400_while_active_then_201_again(
    api_client: APIClient, connection: Connection
) -> None:
    url = "/v1/test/bobs-store/status/products"
    first = api_client.post(url)
    assert first.status_code == 201
    job = SyncJob.objects.get(pk=first.json()["job_id"])
    assert (job.data_type, job.state, job.trigger) == ("products", JobState.QUEUED, "sparklayer")

    busy = api_client.post(url)
    assert busy.status_code == 400
    assert busy["Content-Type"] == "application/problem+json"
    assert SyncJob.objects.filter(connection=connection, data_type="products").count() == 1

    assert sync_job_run(job_id=job.pk).state == "succeeded"
    again = api_client.post(url)
    assert again.status_code == 201
    assert again.json()["job_id"] != job.pk
    # another type is independent of the running products sync
    assert api_client.post("/v1/test/bobs-store/status/customers").status_code == 201


def test_trigger_refuses_unknown_type_and_unknown_or_removed_site(
    api_client: APIClient, connection: Connection
) -> None:
    unknown = api_client.post("/v1/test/bobs-store/status/stock")  # pullable, not triggerable
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["property"] == "syncDataType"
    assert api_client.post("/v1/test/nobody/status/products").status_code == 404
    Connection.objects.filter(pk=connection.pk).update(state=ConnectionState.REMOVED)
    assert api_client.post("/v1/test/bobs-store/status/products").status_code == 404
    assert SyncJob.objects.count() == 0


def test_trigger_needs_the_bearer_token(anonymous_client: APIClient, connection: Connection) -> None:
    assert anonymous_client.post("/v1/test/bobs-store/status/products").status_code == 401
    assert SyncJob.objects.count() == 0


def test_customer_groups_trigger_runs_a_real_sync_on_woocommerce(
    api_client: APIClient, connection: Connection, spark: Any
) -> None:
    response = api_client.post("/v1/test/bobs-store/status/customer_groups")
    assert response.status_code == 201
    job_id = response.json()["job_id"]
    assert sync_job_run(job_id=job_id).state == "succeeded"
    job = SyncJob.objects.get(pk=job_id)
    assert "note" not in job.result
    assert job.seen == job.pushed == len(spark.app.sites["bobs-store"].customer_groups) - 1 > 0  # all but base


def pull_all(api_client: APIClient, data_type: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page: str | None = None
    for _ in range(50):
        response = api_client.get(f"/v1/test/bobs-store/sync/{data_type}", {"page": page} if page else {})
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"data", "next_page"}
        items.extend(body["data"])
        page = body["next_page"]
        if page is None:
            return items
    raise AssertionError("the pages never ended")


def test_pull_follows_next_page_and_returns_every_product_once(api_client: APIClient, connection: Connection) -> None:
    connection.batch_size = 100
    items = pull_all(api_client, "products")
    products = expected_products(connection)[0]
    assert [item["external_id"] for item in items] == list(products)  # once each, in platform order
    assert items == list(products.values())  # exactly the pushed shape
    stock = pull_all(api_client, "stock")
    assert {row["sku"] for row in stock} == set(expected_products(connection)[1])


def test_pull_refuses_tampered_foreign_and_unknown_cursors(api_client: APIClient, connection: Connection) -> None:
    first = api_client.get("/v1/test/bobs-store/sync/customers").json()
    cursor = first["next_page"] or pull_cursor_sign(connection=connection, data_type="customers", cursor="v=1&page=2")
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for bad in (
        tampered,
        "not-a-cursor",
        pull_cursor_sign(connection=connection, data_type="products", cursor="v=1&page=2"),
    ):
        response = api_client.get("/v1/test/bobs-store/sync/customers", {"page": bad})
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["property"] == "page"
    assert api_client.get("/v1/test/bobs-store/sync/merchant").status_code == 400
    assert api_client.get("/v1/test/elsewhere/sync/products").status_code == 404


def test_products_deleted_on_the_store_are_discontinued_and_nothing_else_written(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    run_full(connection, "products")
    pushed = list(
        RecordState.objects.filter(connection=connection, data_type="products").order_by("external_id")
        .values_list("external_id", "variants")
    )  # fmt: skip
    gone = dict(pushed[:10])
    auth = (woo_store.app.consumer_key, woo_store.app.consumer_secret)
    for external_id in gone:
        response = requests.delete(
            f"{woo_store.url}/wp-json/wc/v3/products/{external_id}", params={"force": "true"}, auth=auth, timeout=10
        )
        assert response.status_code == 200
    calls_before = len(spark_calls(spark, "bobs-store"))

    job = run_full(connection, "products")
    assert job.deleted == 10
    writes = [c for c in spark_calls(spark, "bobs-store")[calls_before:] if c["method"] != "GET"]
    discontinued = sorted(c["path"].rsplit("/", 1)[1] for c in writes if c["route"] == "/api/v1/variants/{variant_id}")
    assert discontinued == sorted(v for variants in gone.values() for v in variants)
    others = {c["route"] for c in writes if c["route"] != "/api/v1/variants/{variant_id}"}
    assert others <= {
        "/api/v1/batch-delete-stock",
        "/api/v1/batch-update-pricing",
        "/api/v1/sync-log/{integration}/{data_type}",
    }
    state = spark_state(spark, "bobs-store", "products,stock,pricing")
    stored = {p["external_id"]: p for p in state["products"]}
    for external_id, variants in gone.items():
        assert {v["status"] for v in stored[external_id]["variants"]} == {"discontinued"}
        assert not {row["sku"] for row in state["stock"]} & set(variants.values())
        assert not {row["sku"] for row in state["pricing"]} & set(variants.values())
