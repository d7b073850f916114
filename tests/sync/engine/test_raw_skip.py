"""Unchanged records skipped before they are mapped (``sync.engine.raw_skip``), against both sandboxes:
an unchanged re-sync maps nothing it may skip and writes nothing; any change to what the mapping reads
(the product, a stock level, the store settings, the mapper's version) maps and pushes again."""

from __future__ import annotations

from typing import Any

import pytest
import requests

import platforms.woocommerce.adapter as woo_adapter
from connections.models import Connection
from platforms.types import DataType
from sync.engine.record_states import StateRow, states_claim
from sync.jobs.full_sync import sync_job_run
from sync.jobs.jobs import sync_job_queue_full
from sync.models import PushLog, RecordState, SyncIssue, SyncJob
from tests.sync.helpers import spark_state, spark_writes

pytestmark = pytest.mark.django_db(transaction=True)


def run_full(connection: Connection, *, force: bool = False) -> SyncJob:
    job = sync_job_queue_full(connection=connection, data_type=DataType.PRODUCTS, trigger="command", force=force)
    result = sync_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert result.state == "succeeded", (result, job.error)
    return job


@pytest.fixture
def mapped(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The external ids ``map_product`` is called for in the full sync (the real mapper runs)."""
    calls: list[str] = []
    real = woo_adapter.map_product

    def counting(product: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(product.get("id")))
        return real(product, *args, **kwargs)

    monkeypatch.setattr(woo_adapter, "map_product", counting)
    return calls


def store_put(store: Any, path: str, body: dict[str, Any]) -> None:
    auth = (store.app.consumer_key, store.app.consumer_secret)
    response = requests.put(f"{store.url}/wp-json/wc/v3/{path}", json=body, auth=auth, timeout=10)
    assert response.status_code == 200, response.text


def with_issues(connection: Connection) -> set[str]:
    return set(
        SyncIssue.objects.filter(connection=connection, data_type="products", state="open").values_list(
            "external_id", flat=True
        )
    )


def test_an_unchanged_resync_maps_only_records_with_issues_and_writes_nothing(
    connection: Connection, spark: Any, mapped: list[str]
) -> None:
    first = run_full(connection)
    assert len(mapped) == first.seen == 60
    clean = set(
        RecordState.objects.filter(connection=connection, data_type="products")
        .exclude(raw_hash="")
        .values_list("external_id", flat=True)
    )
    assert clean
    assert not clean & with_issues(connection)  # a record with issues keeps no raw hash
    writes = spark_writes(spark, connection.site_id)

    mapped.clear()
    again = run_full(connection)
    assert set(mapped) & clean == set()  # none of the clean records was mapped
    assert again.seen == 60
    assert again.pushed == 0
    assert again.unchanged >= len(clean)
    assert spark_writes(spark, connection.site_id) == writes + 2  # the two sync-log PUTs only
    assert PushLog.objects.filter(job=again).count() == 0
    seen = RecordState.objects.filter(connection=connection, data_type="products", last_seen_job_id=again.pk)
    assert set(seen.values_list("external_id", flat=True)) >= clean  # deletion detection still sees them


def simple_product(connection: Connection, store: Any) -> tuple[str, str]:
    """A clean simple product's id and SKU."""
    auth = (store.app.consumer_key, store.app.consumer_secret)
    for row in RecordState.objects.filter(connection=connection, data_type="products").exclude(raw_hash=""):
        product = requests.get(f"{store.url}/wp-json/wc/v3/products/{row.external_id}", auth=auth, timeout=10).json()
        if product["type"] == "simple" and len(row.variants) == 1:
            return row.external_id, next(iter(row.variants.values()))
    raise AssertionError("no clean simple product")


def spark_stock(spark: Any, connection: Connection, sku: str) -> Any:
    rows = spark_state(spark, connection.site_id, "stock")["stock"]
    return [row for row in rows if row.get("sku") == sku]


def test_a_stock_only_change_after_an_unchanged_resync_is_pushed(
    connection: Connection, spark: Any, woo_store: Any, mapped: list[str]
) -> None:
    run_full(connection)
    run_full(connection)  # unchanged: skipped unmapped
    product_id, sku = simple_product(connection, woo_store)
    store_put(woo_store, f"products/{product_id}", {"manage_stock": True, "stock_quantity": 4321})

    mapped.clear()
    third = run_full(connection)
    assert product_id in mapped
    assert third.pushed == 1
    stock = spark_stock(spark, connection, sku)
    assert stock
    assert all(int(float(row["stock_level"])) == 4321 for row in stock), stock
    operations = set(PushLog.objects.filter(job=third).values_list("external_id", "operation"))
    assert {external_id for external_id, _ in operations} == {product_id}

    mapped.clear()
    fourth = run_full(connection)  # and it is skipped again once accepted
    assert product_id not in mapped
    assert fourth.pushed == 0


def test_a_store_settings_change_maps_an_unchanged_record_again(
    connection: Connection, spark: Any, woo_store: Any, mapped: list[str]
) -> None:
    run_full(connection)
    store_put(woo_store, "settings/general/woocommerce_currency", {"value": "EUR"})

    mapped.clear()
    again = run_full(connection)
    assert len(mapped) == 60  # every product's mapping read the currency
    assert again.pushed > 0
    pricing = spark_state(spark, connection.site_id, "pricing")["pricing"]
    assert any(row.get("price_list_slug") == "woocommerce-eur" for row in pricing)


def test_a_new_mapper_version_maps_every_record_again(
    connection: Connection, spark: Any, monkeypatch: pytest.MonkeyPatch, mapped: list[str]
) -> None:
    run_full(connection)
    monkeypatch.setattr(woo_adapter, "PRODUCT_MAPPING_VERSION", "test-next")
    mapped.clear()
    again = run_full(connection)
    assert len(mapped) == 60
    assert again.pushed == 0  # the same payloads: confirmed by their mapped hashes, nothing written


def test_a_forced_sync_never_skips(connection: Connection, spark: Any, mapped: list[str]) -> None:
    first = run_full(connection)
    mapped.clear()
    forced = run_full(connection, force=True)
    assert len(mapped) == 60
    assert forced.pushed == first.pushed


def test_a_claim_clears_the_raw_hash_so_a_record_in_doubt_is_never_skipped(connection: Connection) -> None:
    RecordState.objects.create(
        connection=connection, data_type="products", external_id="7", content_hash="c", raw_hash="r"
    )
    row = StateRow.from_model(RecordState.objects.get(external_id="7"))
    states_claim(connection=connection, data_type="products", rows={"7": row})
    state = RecordState.objects.get(external_id="7")
    assert state.in_doubt
    assert state.raw_hash == ""
    assert state.content_hash == "c"  # the last accepted hashes stay


def test_a_record_whose_stock_was_never_sent_keeps_no_raw_hash() -> None:
    """A push stopped by a transient failure finishes records whose batched stock was never sent:
    their stock hash stays blank (unknown), and they must not be skipped unmapped next time."""
    from platforms.types import SyncRecord
    from sync.engine.plans import plan_record
    from sync.engine.push import _accepted_in_full

    record = SyncRecord(
        data_type=DataType.PRODUCTS, external_id="5", payload={"external_id": "5", "title": "T", "variants": []},
        stock=[{"sku": "A", "stock_location_external_id": "default", "stock_level": 3}], raw_hash="raw",
    )  # fmt: skip
    plan = plan_record(record, StateRow(), force=False)
    assert plan.hashes is not None
    plan.state.content_hash = plan.hashes.content  # the upsert was accepted, the stock batch never went
    assert not _accepted_in_full(plan)
    plan.state.stock_hash = plan.hashes.stock
    assert _accepted_in_full(plan)
    plan.failed = True
    assert not _accepted_in_full(plan)
