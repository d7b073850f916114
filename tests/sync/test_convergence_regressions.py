"""One test per way SparkLayer could silently end up different from the store (docs/sync-design.md).

Each runs against both sandboxes over loopback HTTP, in process, and checks SparkLayer's state and
the bridge's RecordState after the store changed the way ordinary store life changes it.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.db import connection as db
from django.test import Client
from django.utils import timezone

from connections.clients import connection_platform_adapter, connection_sparklayer_client
from connections.models import Connection
from platforms.types import DataType, SyncRecord
from sandbox.woocommerce import products as woo_products
from sandbox.woocommerce import variations as woo_variations
from sync.engine.hashing import record_hashes
from sync.engine.plans import plan_record
from sync.engine.pull import sync_page_pull
from sync.engine.push import _claim_row, sync_records_push
from sync.engine.record_states import StateRow, states_claim
from sync.engine.synclog import synclog_report_start
from sync.incremental.catch_up import connection_catch_up
from sync.incremental.processing import webhook_event_process
from sync.jobs.full_sync import sync_job_run
from sync.jobs.jobs import sync_job_cancel, sync_job_queue_full
from sync.jobs.sweep import sync_jobs_sweep
from sync.models import (
    EventOutcome,
    EventState,
    IssueState,
    JobKind,
    JobPhase,
    JobState,
    RecordState,
    SyncIssue,
    SyncJob,
    WebhookEvent,
)
from tests.sync.helpers import spark_calls, spark_state
from tests.sync.webhook_support import post_delivery, store_body, woo_headers

pytestmark = pytest.mark.django_db(transaction=True)


# -- helpers ---------------------------------------------------------------------------------------


def run_full(connection: Connection, data_type: str) -> SyncJob:
    job = sync_job_queue_full(connection=connection, data_type=data_type, trigger="command")
    result = sync_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert result.state == "succeeded", (result, job.error)
    return job


def store_of(woo_store: Any) -> Any:
    return woo_store.app.store


def products_where(woo_store: Any, test: Any) -> list[int]:
    store = store_of(woo_store)
    with store.lock:
        return sorted(i for i, h in store.products.items() if test(i, h))


def clean_simple(woo_store: Any, connection: Connection, count: int = 1) -> list[int]:
    """Published simple products that map without issues (the seeded store has deliberate problems)."""
    adapter = connection_platform_adapter(connection)
    found = []
    for product_id in products_where(woo_store, lambda i, h: h.type == "simple" and h.status == "publish"):
        record = adapter.fetch_record(DataType.PRODUCTS, str(product_id))
        if record is not None and record.payload is not None and not record.issues and record.stock:
            found.append(product_id)
        if len(found) == count:
            return found
    raise AssertionError("the seeded store lacks clean simple products")


def clean_variable(woo_store: Any, connection: Connection, min_variations: int = 2) -> int:
    adapter = connection_platform_adapter(connection)
    store = store_of(woo_store)
    for product_id in products_where(woo_store, lambda i, h: h.type == "variable" and h.status == "publish"):
        with store.lock:
            children = woo_products.children(store, product_id)
        if len(children) < min_variations:
            continue
        record = adapter.fetch_record(DataType.PRODUCTS, str(product_id))
        clean = record is not None and record.payload is not None and not record.issues and record.stock
        if clean and record is not None and len(record.payload["variants"]) == len(children):  # type: ignore[index]
            return product_id
    raise AssertionError("the seeded store lacks a clean variable product")


def push_now(connection: Connection, product_id: int | str, **kw: Any) -> Any:
    """Read the product fresh (read version taken before the read) and push it: a webhook's work."""
    read_at = timezone.now()
    record = connection_platform_adapter(connection).fetch_record(DataType.PRODUCTS, str(product_id))
    assert record is not None
    record.read_at = read_at
    return sync_records_push(connection=connection, records=[record], **kw)


def spark_product(spark: Any, connection: Connection, external_id: int | str) -> dict[str, Any]:
    products = {p["external_id"]: p for p in spark_state(spark, connection.site_id, "products")["products"]}
    return products[str(external_id)]


def spark_stock(spark: Any, connection: Connection) -> dict[str, int]:
    return {row["sku"]: row["stock_level"] for row in spark_state(spark, connection.site_id, "stock")["stock"]}


def spark_pricing(spark: Any, connection: Connection) -> dict[str, Any]:
    return {row["sku"]: row["pricing"] for row in spark_state(spark, connection.site_id, "pricing")["pricing"]}


def state_of(connection: Connection, external_id: int | str, data_type: str = "products") -> RecordState:
    return RecordState.objects.get(connection=connection, data_type=data_type, external_id=str(external_id))


def assert_state_is_the_store(connection: Connection, product_id: int | str) -> None:
    """RecordState holds exactly the hashes of the store's current record: SparkLayer and the bridge agree."""
    record = connection_platform_adapter(connection).fetch_record(DataType.PRODUCTS, str(product_id))
    assert record is not None
    assert record.payload is not None
    hashes = record_hashes(record)
    state = state_of(connection, product_id)
    assert (state.content_hash, state.stock_hash, state.pricing_hash) == (hashes.content, hashes.stock, hashes.pricing)
    assert not state.in_doubt


def deliver(client: Client, connection: Connection, woo_store: Any, topic: str, record_id: int, **kw: Any) -> Any:
    resource = topic.partition(".")[0]
    body = store_body(woo_store.app, resource, record_id, deleted=topic.endswith(".deleted"))
    response = post_delivery(client, connection, body, woo_headers(body, connection.webhook_secret, topic, **kw))
    assert response.status_code == 200
    return response.json()


# -- 1, 2: webhooks are triggers; no timestamp decides --------------------------------------------


def test_1_variation_stock_moved_by_an_order_reaches_sparklayer_after_a_parent_edit(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    product_id = clean_variable(woo_store, connection)
    store = store_of(woo_store)
    client = Client()
    with store.lock:
        woo_products.update(store, product_id, {"name": "Parent edited: its date moves"})
        variation_id = woo_products.children(store, product_id)[0]
    event = deliver(client, connection, woo_store, "product.updated", product_id)
    webhook_event_process(event_id=event["event"])
    with store.lock:  # an order reduces the variation's stock: no date moves (WooCommerce #40060)
        woo_variations.set_stock_silently(store, variation_id, 2)
        sku = woo_variations.stored(store, variation_id)["sku"]
    event = deliver(client, connection, woo_store, "product.updated", variation_id, delivery_id="order-stock")
    result = webhook_event_process(event_id=event["event"])
    assert result is not None
    assert result.outcome == EventOutcome.PUSHED
    assert spark_stock(spark, connection)[sku] == 2
    assert_state_is_the_store(connection, product_id)


def test_2_an_older_event_claimed_first_does_not_swallow_a_newer_rename(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    (product_id,) = clean_simple(woo_store, connection)
    client = Client()
    older = deliver(client, connection, woo_store, "product.updated", product_id, delivery_id="first")
    with store_of(woo_store).lock:
        woo_products.update(store_of(woo_store), product_id, {"name": "The newer rename"})
    newer = deliver(client, connection, woo_store, "product.updated", product_id, delivery_id="second")
    webhook_event_process(event_id=older["event"])  # claims both: the newer one is coalesced into it
    assert WebhookEvent.objects.get(pk=newer["event"]).state == EventState.SUPERSEDED
    assert spark_product(spark, connection, product_id)["title"] == "The newer rename"


# -- 3: every writer through one ordered path ------------------------------------------------------


def test_3_an_older_read_pushed_last_never_overwrites_a_newer_one(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    (product_id,) = clean_simple(woo_store, connection)
    adapter = connection_platform_adapter(connection)
    store = store_of(woo_store)
    older_read = timezone.now()
    stale = adapter.fetch_record(DataType.PRODUCTS, str(product_id))  # a full sync page read: v1
    with store.lock:
        woo_products.update(store, product_id, {"name": "v2", "regular_price": "77.00"})
    push_now(connection, product_id)  # the webhook for v2
    assert stale is not None
    stale.read_at = older_read
    outcome = sync_records_push(connection=connection, records=[stale])  # the full sync's page lands late
    assert outcome.stale == [str(product_id)]
    assert spark_product(spark, connection, product_id)["title"] == "v2"
    assert_state_is_the_store(connection, product_id)


def test_3_concurrent_writers_of_one_record_end_on_the_newest_read(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    """Many threads push older and newer reads of one product at once: SparkLayer and RecordState
    always end on the newest read, whatever order the writes land in."""
    (product_id,) = clean_simple(woo_store, connection)
    adapter = connection_platform_adapter(connection)
    store = store_of(woo_store)
    reads: list[SyncRecord] = []
    base = timezone.now()
    for n in range(6):
        with store.lock:
            woo_products.update(store, product_id, {"name": f"version {n}", "stock_quantity": n, "manage_stock": True})
        record = adapter.fetch_record(DataType.PRODUCTS, str(product_id))
        assert record is not None
        record.read_at = base + timedelta(seconds=n)
        reads.append(record)
    errors: list[BaseException] = []

    def push(record: SyncRecord) -> None:
        try:
            sync_records_push(connection=connection, records=[record])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=push, args=(r,)) for r in reversed(reads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert spark_product(spark, connection, product_id)["title"] == "version 5"
    sku = reads[-1].payload["variants"][0]["sku"]  # type: ignore[index]
    assert spark_stock(spark, connection)[sku] == 5
    assert_state_is_the_store(connection, product_id)
    assert state_of(connection, product_id).read_version == reads[-1].read_at


def test_3_a_crash_after_sparklayer_accepted_leaves_the_row_in_doubt_and_a_b_a_is_repaired(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    """Killed between SparkLayer's answer and the bookkeeping: the row says "in doubt", so the store
    going back to the old value (A-B-A) is still pushed instead of looking unchanged."""
    (product_id,) = clean_simple(woo_store, connection)
    store = store_of(woo_store)
    push_now(connection, product_id)
    with store.lock:
        original = woo_products.stored(store, product_id)["name"]
        woo_products.update(store, product_id, {"name": "B"})
    # The write of B is sent and accepted, then the process dies before saving (simulated: the row
    # as the claim leaves it, SparkLayer gets B, nothing else is saved).
    states = RecordState.objects.filter(connection=connection, data_type="products", external_id=str(product_id))
    row = states.get()
    writer_plan = plan_record(
        connection_platform_adapter(connection).fetch_record(DataType.PRODUCTS, str(product_id)),  # type: ignore[arg-type]
        StateRow.from_model(row),
        force=False,
    )
    claim = _claim_row(writer_plan)
    states_claim(connection=connection, data_type="products", rows={str(product_id): claim})
    record = connection_platform_adapter(connection).fetch_record(DataType.PRODUCTS, str(product_id))
    assert record is not None
    assert record.payload is not None
    connection_sparklayer_client(connection).update_product(str(product_id), record.payload)  # type: ignore[arg-type]
    assert spark_product(spark, connection, product_id)["title"] == "B"
    with store.lock:
        woo_products.update(store, product_id, {"name": original})  # A again
    push_now(connection, product_id)
    assert spark_product(spark, connection, product_id)["title"] == original
    assert_state_is_the_store(connection, product_id)


# -- 4: complete listings ---------------------------------------------------------------------------


def test_4_records_leaving_an_earlier_page_mid_listing_do_not_hide_later_ones(
    connection: Connection, woo_store: Any
) -> None:
    adapter = connection_platform_adapter(connection)
    store = store_of(woo_store)
    live_before = [str(i) for i in products_where(woo_store, lambda i, h: h.status != "trash")]
    pages = adapter.iter_pages(DataType.PRODUCTS)
    first = next(pages)
    first_ids = [r.external_id for r in first.records]
    with store.lock:
        for product_id in first_ids[:10]:
            woo_products.trash(store, int(product_id))
    seen = set(first_ids) | {r.external_id for page in pages for r in page.records}
    assert set(live_before) <= seen


def test_4_a_resumed_job_whose_cursor_skipped_records_reads_them_in_the_completeness_pass(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    """A listing that moved under the run (records trashed between pages, a job paused between two
    pages) misses records; the run lists every id afterwards and reads what it missed."""
    from platforms.woocommerce.cursor import ListingCursor

    job = sync_job_queue_full(connection=connection, data_type="products", trigger="command")
    # As if the first 30 records had been read and then 30 more had shifted past the cursor.
    SyncJob.objects.filter(pk=job.pk).update(
        checkpoint_cursor=ListingCursor(offset=30, total=None, status="any").serialize()
    )
    assert sync_job_run(job_id=job.pk).state == "succeeded"
    job.refresh_from_db()
    assert job.result["missed_read"] == 30
    expected = {r.external_id for p in connection_platform_adapter(connection).iter_pages(DataType.PRODUCTS)
                for r in p.records if r.payload is not None}  # fmt: skip
    landed = {p["external_id"] for p in spark_state(spark, connection.site_id, "products")["products"]}
    assert landed == expected


def test_4_issues_of_records_never_pushed_are_resolved_when_the_record_is_gone(
    connection: Connection, woo_store: Any
) -> None:
    run_full(connection, "products")
    never_pushed = [
        issue.external_id
        for issue in SyncIssue.objects.filter(connection=connection, data_type="products", state=IssueState.OPEN)
        if not state_of(connection, issue.external_id).content_hash
    ]
    assert never_pushed, "the seeded store has products that cannot be pushed at all"
    store = store_of(woo_store)
    with store.lock:
        for external_id in never_pushed:
            woo_products.delete(store, int(external_id))
    run_full(connection, "products")
    still_open = SyncIssue.objects.filter(
        connection=connection, data_type="products", external_id__in=never_pushed, state=IssueState.OPEN
    )
    assert not still_open.exists()
    assert all(state_of(connection, external_id).deleted for external_id in never_pushed)


# -- 5: A-B-A deliveries ----------------------------------------------------------------------------


def test_5_a_b_a_stock_with_the_same_body_is_processed(connection: Connection, spark: Any, woo_store: Any) -> None:
    (product_id,) = clean_simple(woo_store, connection)
    store = store_of(woo_store)
    client = Client()
    sku = None
    for step, (quantity, delivery) in enumerate([(5, "second-1"), (4, "second-2"), (5, "second-3")]):
        with store.lock:
            woo_products.set_stock_silently(store, product_id, quantity)  # date_modified never moves
            sku = woo_products.stored(store, product_id)["sku"]
        answer = deliver(client, connection, woo_store, "product.updated", product_id, delivery_id=delivery)
        assert answer["stored"], step  # the third body is byte-identical to the first
        webhook_event_process(event_id=answer["event"])
        assert spark_stock(spark, connection)[sku] == quantity


def test_5_a_repeat_of_a_delivery_already_read_too_early_is_processed_again(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    """Same delivery id and body (same second): a true repeat while the first waits, but after the
    first was read right away it may carry a change of that second, so it is read again."""
    (product_id,) = clean_simple(woo_store, connection)
    client = Client()
    body = store_body(woo_store.app, "product", product_id)
    headers = woo_headers(body, connection.webhook_secret, "product.updated", delivery_id="same-second")
    first = post_delivery(client, connection, body, headers).json()
    again = post_delivery(client, connection, body, headers).json()
    assert (first["stored"], again["stored"], again["event"]) == (True, False, first["event"])  # waiting: a repeat
    webhook_event_process(event_id=first["event"])
    late = post_delivery(client, connection, body, headers).json()
    assert late["stored"]
    assert late["event"] != first["event"]


# -- 6: scope -----------------------------------------------------------------------------------------


def test_6_customer_sync_scope_none_reaches_webhooks_pull_and_catch_up(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    Connection.objects.filter(pk=connection.pk).update(customer_sync_scope="none")
    connection.refresh_from_db()
    client = Client()
    store = store_of(woo_store)
    with store.lock:
        customer_id = next(i for i, c in store.customers.items() if c.role == "customer")
    answer = deliver(client, connection, woo_store, "customer.updated", customer_id)
    webhook_event_process(event_id=answer["event"])
    event = WebhookEvent.objects.get(pk=answer["event"])
    assert (event.state, event.outcome) == (EventState.IGNORED, EventOutcome.IGNORED)
    assert spark_state(spark, connection.site_id, "customers")["customers"] == []
    assert sync_page_pull(connection=connection, data_type=DataType.CUSTOMERS, page=None).data == []
    jobs = connection_catch_up(connection=connection)
    assert "customers" not in {job.data_type for job in jobs}
    assert not RecordState.objects.filter(connection=connection, data_type="customers").exists()


# -- 7, 8: what disappears is removed -------------------------------------------------------------


def test_7_stock_no_longer_managed_and_a_cleared_price_are_removed(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    (product_id,) = clean_simple(woo_store, connection)
    store = store_of(woo_store)
    push_now(connection, product_id)
    with store.lock:
        sku = woo_products.stored(store, product_id)["sku"]
    assert sku in spark_stock(spark, connection)
    assert sku in spark_pricing(spark, connection)
    with store.lock:
        woo_products.update(
            store, product_id, {"manage_stock": False, "regular_price": "", "sale_price": "", "price": ""}
        )
    push_now(connection, product_id)
    assert sku not in spark_stock(spark, connection)
    assert sku not in spark_pricing(spark, connection)
    assert spark_product(spark, connection, product_id)["variants"][0]["status"] == "live"
    assert_state_is_the_store(connection, product_id)


def test_7_a_deleted_variation_is_discontinued_and_its_stock_and_prices_removed(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    product_id = clean_variable(woo_store, connection)
    store = store_of(woo_store)
    push_now(connection, product_id)
    with store.lock:
        victim = woo_products.children(store, product_id)[0]
        sku = woo_variations.stored(store, victim)["sku"]
        woo_variations.delete(store, product_id, victim, force=True)  # WooCommerce fires no webhook
    push_now(connection, product_id)  # the next read of the product (an edit, a catch-up, a full sync)
    variants = {v["external_id"]: v for v in spark_product(spark, connection, product_id)["variants"]}
    assert variants[str(victim)]["status"] == "discontinued"
    assert {v["status"] for k, v in variants.items() if k != str(victim)} == {"live"}
    assert sku not in spark_stock(spark, connection)
    assert sku not in spark_pricing(spark, connection)
    calls = spark_calls(spark, connection.site_id)
    product_patches = [c for c in calls if c["method"] == "PATCH" and c["route"] == "/api/v1/products/{product_id}"]
    assert all(c["status"] < 400 for c in product_patches)
    assert_state_is_the_store(connection, product_id)


def test_7_a_sku_change_removes_the_old_skus_rows(connection: Connection, spark: Any, woo_store: Any) -> None:
    (product_id,) = clean_simple(woo_store, connection)
    store = store_of(woo_store)
    push_now(connection, product_id)
    with store.lock:
        old = woo_products.stored(store, product_id)["sku"]
        woo_products.update(store, product_id, {"sku": f"{old}-RENAMED"})
    push_now(connection, product_id)
    stock, pricing = spark_stock(spark, connection), spark_pricing(spark, connection)
    assert old not in stock
    assert old not in pricing
    assert f"{old}-RENAMED" in stock
    assert f"{old}-RENAMED" in pricing
    assert_state_is_the_store(connection, product_id)


@pytest.mark.parametrize("change", ["all_variations_deleted", "type_grouped", "sku_cleared"])
def test_8_a_product_that_becomes_unpushable_is_discontinued_with_an_issue(
    change: str, connection: Connection, spark: Any, woo_store: Any
) -> None:
    product_id = clean_variable(woo_store, connection) if change == "all_variations_deleted" else None
    if product_id is None:
        (product_id,) = clean_simple(woo_store, connection)
    store = store_of(woo_store)
    push_now(connection, product_id)
    skus = set(state_of(connection, product_id).skus)
    with store.lock:
        if change == "all_variations_deleted":
            for variation_id in list(woo_products.children(store, product_id)):
                woo_variations.delete(store, product_id, variation_id, force=True)
        elif change == "type_grouped":
            woo_products.update(store, product_id, {"type": "grouped"})
        else:
            woo_products.update(store, product_id, {"sku": ""})
    outcome = push_now(connection, product_id)
    assert outcome.issues_opened, "an issue says why the product is not synced"
    product = spark_product(spark, connection, product_id)
    assert {v["status"] for v in product["variants"]} == {"discontinued"}
    assert not skus & set(spark_stock(spark, connection))
    assert not skus & set(spark_pricing(spark, connection))
    assert SyncIssue.objects.filter(
        connection=connection, data_type="products", external_id=str(product_id), state=IssueState.OPEN
    ).exists()


def test_8_a_product_recreated_with_the_same_sku_takes_it_over(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    """A product permanently deleted and created again with its SKU: the discontinued variant gives the
    SKU up, so the new product is accepted (SparkLayer keeps SKUs unique)."""
    (product_id,) = clean_simple(woo_store, connection)
    store = store_of(woo_store)
    push_now(connection, product_id)
    with store.lock:
        old = woo_products.stored(store, product_id)
        woo_products.delete(store, product_id)
        created = woo_products.create(
            store,
            {"name": "Again", "type": "simple", "status": "publish", "sku": old["sku"], "regular_price": "12.00",
             "manage_stock": True, "stock_quantity": 9},
        )  # fmt: skip
    outcome = push_now(connection, created["id"])  # its product.created webhook comes first
    assert outcome.pushed == [str(created["id"])], outcome
    assert spark_product(spark, connection, created["id"])["variants"][0]["sku"] == old["sku"]
    assert spark_stock(spark, connection)[old["sku"]] == 9
    run_full(connection, "products")  # the old one is found gone; the new one keeps the SKU's rows
    assert {v["status"] for v in spark_product(spark, connection, product_id)["variants"]} == {"discontinued"}
    assert spark_stock(spark, connection)[old["sku"]] == 9
    assert_state_is_the_store(connection, created["id"])


# -- 9: deletions use the documented call ---------------------------------------------------------


def test_9_a_deleted_product_is_discontinued_variant_by_variant_never_with_a_partial_product_patch(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    product_id = clean_variable(woo_store, connection)
    push_now(connection, product_id)
    state = state_of(connection, product_id)
    before = len(spark_calls(spark, connection.site_id))
    with store_of(woo_store).lock:
        woo_products.delete(store_of(woo_store), product_id)
    run_full(connection, "products")
    calls = spark_calls(spark, connection.site_id)[before:]
    variant_patches = sorted(
        c["path"].rsplit("/", 1)[1] for c in calls if c["route"] == "/api/v1/variants/{variant_id}"
    )
    assert variant_patches == sorted(state.variants)
    assert not [c for c in calls if c["method"] == "PATCH" and c["route"] == "/api/v1/products/{product_id}"]
    assert not set(state.skus) & set(spark_stock(spark, connection))


# -- 10, 11: every job ends and reports -----------------------------------------------------------


def test_10_a_failure_after_the_last_page_resumes_the_final_phase_not_page_one(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    job = sync_job_queue_full(connection=connection, data_type="products", trigger="command")
    requests.put(f"{spark.url}/_sandbox/faults", json={"down": True, "path_prefix": "/api/v1/sync-log"}, timeout=10)
    # The pages go through; the sync log (last step) is down. The job keeps its phase.
    first = sync_job_run(job_id=job.pk)
    job.refresh_from_db()
    pages_done = job.pages_done
    requests.put(f"{spark.url}/_sandbox/faults", json={}, timeout=10)
    assert first.state in ("succeeded", "rescheduled")
    if first.state == "rescheduled":
        assert job.phase in (JobPhase.COMPLETENESS, JobPhase.REPORT)
        second = sync_job_run(job_id=job.pk)
        job.refresh_from_db()
        assert second.state == "succeeded"
        assert job.pages_done == pages_done  # no page was read again


def test_10_retries_are_bounded_per_job(connection: Connection, spark: Any, woo_store: Any, settings: Any) -> None:
    settings.SYNC_JOB_MAX_RETRIES = 2
    job = sync_job_queue_full(connection=connection, data_type="products", trigger="command")
    requests.put(f"{spark.url}/_sandbox/faults", json={"down": True}, timeout=10)
    states = [sync_job_run(job_id=job.pk).state for _ in range(4)]
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "retries" in job.error
    assert states[-1] == "skipped"


def test_11_the_sweeper_ends_catch_up_jobs_whose_worker_died(connection: Connection) -> None:
    stale = timezone.now() - timedelta(hours=2)
    job = SyncJob.objects.create(
        connection=connection, data_type="products", kind=JobKind.CATCH_UP, state=JobState.RUNNING,
        started_at=stale, heartbeat_at=stale,
    )  # fmt: skip
    assert sync_jobs_sweep()["abandoned"] == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "worker stopped" in job.error


def test_11_a_cancelled_full_sync_still_sends_its_final_report(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    job = sync_job_queue_full(connection=connection, data_type="customers", trigger="command")
    SyncJob.objects.filter(pk=job.pk).update(result={"sync_log_started": True})
    synclog_report_start(connection=connection, data_type="customers", started_at=timezone.now())
    sync_job_cancel(job=job)
    assert sync_jobs_sweep()["reported"] == 1
    logs = spark_state(spark, connection.site_id, "sync_logs")["sync_logs"]
    log = next(entry for entry in logs if entry["data_type"] == "customers")
    assert log["last_full_sync_succeeded"] is False
    assert log["last_full_sync"] is not None
    assert sync_jobs_sweep()["reported"] == 0  # once


# -- 12: duplicate creates after a crash ----------------------------------------------------------


def test_12_a_resumed_create_of_a_product_sparklayer_has_becomes_one_update(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    (product_id,) = clean_simple(woo_store, connection)
    push_now(connection, product_id)
    RecordState.objects.filter(connection=connection).delete()  # killed before the bookkeeping
    with store_of(woo_store).lock:
        woo_products.update(store_of(woo_store), product_id, {"name": "After the crash"})
    before = len(spark_calls(spark, connection.site_id))
    push_now(connection, product_id)
    calls = [(c["method"], c["route"], c["status"]) for c in spark_calls(spark, connection.site_id)[before:]]
    product_calls = [c for c in calls if "/products" in c[1]]
    assert product_calls == [
        ("POST", "/api/v1/products", 422),
        ("GET", "/api/v1/products/{product_id}", 200),
        ("PATCH", "/api/v1/products/{product_id}", 200),
    ]
    assert spark_product(spark, connection, product_id)["title"] == "After the crash"


# -- 13: reporting ---------------------------------------------------------------------------------


def test_13_a_store_currency_change_is_noticed_by_the_catch_up_and_resyncs_products(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    run_full(connection, "merchant")
    response = requests.put(
        f"{woo_store.url}/wp-json/wc/v3/settings/general/woocommerce_currency",
        json={"value": "EUR"},
        auth=(woo_store.app.consumer_key, woo_store.app.consumer_secret),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    jobs = connection_catch_up(connection=connection)
    merchant = next(job for job in jobs if job.data_type == "merchant")
    assert merchant.result["settings_followups"] == ["products"]
    queued = SyncJob.objects.get(connection=connection, data_type="products", kind=JobKind.FULL)
    assert sync_job_run(job_id=queued.pk).state == "succeeded"
    lists = {row["slug"] for row in spark_state(spark, connection.site_id, "price_lists")["price_lists"]}
    assert "woocommerce-eur" in lists


def test_13_a_partial_report_refused_at_the_error_cap_still_records_its_time_and_resolutions(
    connection: Connection, spark: Any, settings: Any
) -> None:
    from platforms.types import RecordIssue
    from sync.engine.synclog import synclog_report_full, synclog_report_partial

    spark.app.max_sync_log_errors = 2
    SyncIssue.objects.bulk_create(
        [
            SyncIssue(connection=connection, data_type="products", external_id=str(n), code="x", message=f"issue {n}",
                      first_seen_at=timezone.now(), last_seen_at=timezone.now())
            for n in (1, 2)
        ]
    )  # fmt: skip
    synclog_report_full(
        connection=connection, data_type="products", started_at=None, finished_at=timezone.now(), succeeded=True
    )
    added = [RecordIssue(external_id=str(n), code="x", message=f"new {n}") for n in (3, 4)]
    dropped = synclog_report_partial(
        connection=connection, data_type="products", issues_added=added, issues_resolved=["1"]
    )
    assert dropped == 2
    log = next(
        e for e in spark_state(spark, connection.site_id, "sync_logs")["sync_logs"] if e["data_type"] == "products"
    )
    assert log["last_partial_sync"] is not None
    assert sorted(error["external_id"] for error in log["errors"]) == ["2"]  # "1" resolved, the new ones refused


def test_13_the_start_report_streams_and_caps_the_open_issues(connection: Connection, spark: Any) -> None:
    """More open issues than SparkLayer's sync log takes (5,000): the start report still goes through."""
    now = timezone.now()
    SyncIssue.objects.bulk_create(
        [
            SyncIssue(connection=connection, data_type="products", external_id=str(n), code="x", message=f"issue {n}",
                      first_seen_at=now, last_seen_at=now)
            for n in range(5003)
        ],
        batch_size=2000,
    )  # fmt: skip
    result = synclog_report_start(connection=connection, data_type="products", started_at=timezone.now())
    assert "sync_log_start_error" not in result
    logs = spark_state(spark, connection.site_id, "sync_logs")["sync_logs"]
    log = next(e for e in logs if e["data_type"] == "products")
    assert log["started_full_sync"] is not None
    assert len(log["errors"]) == 5000


def test_4_a_record_only_a_webhook_saw_unpushable_is_tracked_so_its_issue_goes_with_it(
    connection: Connection, woo_store: Any
) -> None:
    """Made unpushable, then deleted, between full syncs: the webhook's push leaves a row, so the next
    full sync finds the record gone and resolves its issue."""
    (product_id,) = clean_simple(woo_store, connection)
    store = store_of(woo_store)
    with store.lock:
        woo_products.update(store, product_id, {"type": "external"})
    outcome = push_now(connection, product_id)
    assert outcome.issues_opened
    assert state_of(connection, product_id).content_hash == ""  # never pushed, but known
    with store.lock:
        woo_products.delete(store, product_id)
    run_full(connection, "products")
    assert not SyncIssue.objects.filter(
        connection=connection, data_type="products", external_id=str(product_id), state=IssueState.OPEN
    ).exists()
    assert state_of(connection, product_id).deleted


def test_7_a_weight_and_image_removed_in_the_store_are_removed_in_sparklayer(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    (product_id,) = clean_simple(woo_store, connection)
    store = store_of(woo_store)
    with store.lock:
        woo_products.update(store, product_id, {"weight": "1.5"})
    push_now(connection, product_id)
    assert spark_product(spark, connection, product_id)["variants"][0]["weight_in_grams"] == 1500
    with store.lock:
        woo_products.update(store, product_id, {"weight": "", "images": []})
    push_now(connection, product_id)
    variant = spark_product(spark, connection, product_id)["variants"][0]
    assert variant["weight_in_grams"] is None
    assert variant["cart_image_url"] is None
    assert_state_is_the_store(connection, product_id)


def test_7_prices_and_stock_written_just_before_a_crash_are_still_removed_later(
    connection: Connection, spark: Any, woo_store: Any
) -> None:
    """Killed after SparkLayer took a new SKU's stock and prices but before they were recorded: the claim
    recorded their keys, so when the SKU changes again the orphaned rows are removed (found by the
    randomized convergence test, seeds 1089 and 1125)."""
    (product_id,) = clean_simple(woo_store, connection)
    store = store_of(woo_store)
    push_now(connection, product_id)
    with store.lock:
        old = woo_products.stored(store, product_id)["sku"]
        woo_products.update(store, product_id, {"sku": f"{old}-B"})
    record = connection_platform_adapter(connection).fetch_record(DataType.PRODUCTS, str(product_id))
    assert record is not None
    assert record.payload is not None
    row = state_of(connection, product_id)
    claim = _claim_row(plan_record(record, StateRow.from_model(row), force=False))
    states_claim(connection=connection, data_type="products", rows={str(product_id): claim})
    client = connection_sparklayer_client(connection)
    client.update_product(str(product_id), record.payload)  # type: ignore[arg-type]
    client.batch_update_stock(record.stock)  # type: ignore[arg-type]
    client.batch_update_pricing(record.pricing)  # type: ignore[arg-type]
    # ... and the process dies here. Later the SKU changes once more:
    with store.lock:
        woo_products.update(store, product_id, {"sku": f"{old}-C"})
    push_now(connection, product_id)
    stock, pricing = spark_stock(spark, connection), spark_pricing(spark, connection)
    assert set(stock) & {old, f"{old}-B", f"{old}-C"} == {f"{old}-C"}
    assert set(pricing) & {old, f"{old}-B", f"{old}-C"} == {f"{old}-C"}
    assert_state_is_the_store(connection, product_id)


def test_13_a_trashed_product_read_again_keeps_no_issue_open(connection: Connection, woo_store: Any) -> None:
    """A product left without variations (an issue) and then trashed: every later read of the trashed
    product (the catch-up's trash listing) must not open its mapping issue again (found by the
    randomized convergence test, seed 2016)."""
    product_id = clean_variable(woo_store, connection)
    store = store_of(woo_store)
    with store.lock:
        for variation_id in list(woo_products.children(store, product_id)):
            woo_variations.delete(store, product_id, variation_id, force=True)
    assert push_now(connection, product_id).issues_opened
    with store.lock:
        woo_products.trash(store, product_id)
    for _ in range(2):  # the delete webhook, then the catch-up's trash listing
        push_now(connection, product_id)
        assert not SyncIssue.objects.filter(
            connection=connection, data_type="products", external_id=str(product_id), state=IssueState.OPEN
        ).exists()
