"""Drift audit against both sandboxes: SparkLayer's data edited behind the bridge's back is found, field by
field, repaired through the write path, and a second audit finds nothing; SparkLayer trouble pauses an
audit, which resumes where it was; unmappable records are issues, not drift; audits never write."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from connections.clients import connection_platform_adapter
from connections.models import Connection
from platforms.types import DataType, SyncRecord
from sync.jobs.full_sync import sync_job_run
from sync.jobs.jobs import sync_job_queue_full
from sync.models import AuditFinding, AuditRun, AuditState, FindingState, PushLog, SyncIssue
from sync.scheduled import audits as audits_module
from sync.scheduled.audit_repair import audit_findings_repair
from sync.scheduled.audits import audit_run_execute, audit_run_queue
from tests.support import shared_gates_clear
from tests.sync.helpers import spark_calls, spark_state, spark_writes

pytestmark = pytest.mark.django_db(transaction=True)

SITE = "bobs-store"


def full_sync(connection: Connection, data_type: str) -> None:
    job = sync_job_queue_full(connection=connection, data_type=data_type, trigger="command")
    assert sync_job_run(job_id=job.pk).state == "succeeded"


def audit(connection: Connection, data_type: str, **options: Any) -> AuditRun:
    run = audit_run_queue(connection=connection, data_type=data_type, trigger="command", **options)
    outcome = audit_run_execute(run_id=run.pk)
    assert outcome.state == "succeeded", outcome
    run.refresh_from_db()
    return run


def edit(spark: Any, method: str, path: str, body: Any = None) -> None:
    response = requests.request(method, f"{spark.url}/_sandbox/sites/{SITE}{path}", json=body, timeout=10)
    assert response.status_code in (200, 204), response.text


def findings(run: AuditRun) -> dict[str, tuple[str, set[str]]]:
    return {
        f.external_id: (f.kind, {d["field"] for d in f.fields})
        for f in AuditFinding.objects.filter(run=run).order_by("pk")
    }


@pytest.fixture
def synced(connection: Connection) -> Connection:
    full_sync(connection, DataType.PRODUCTS)
    full_sync(connection, DataType.CUSTOMERS)
    return connection


def pick_products(connection: Connection) -> dict[str, SyncRecord]:
    """Six distinct clean products: one per edit, each with what that edit needs."""
    records: dict[str, SyncRecord] = {}
    for page in connection_platform_adapter(connection).iter_pages(DataType.PRODUCTS):
        records.update({r.external_id: r for r in page.records if r.payload and not r.issues and not r.deleted})
    needs: dict[str, Callable[[SyncRecord], bool]] = {
        "title": lambda r: True,
        "status": lambda r: len(r.payload["variants"]) >= 2,  # type: ignore[index]
        "stock": lambda r: bool(r.stock),
        "stock2": lambda r: bool(r.stock),
        "price": lambda r: bool(r.pricing),
        "deleted": lambda r: True,
    }
    chosen: dict[str, SyncRecord] = {}
    for need, fits in needs.items():
        taken = {r.external_id for r in chosen.values()}
        chosen[need] = next(r for eid, r in sorted(records.items()) if fits(r) and eid not in taken)
    return chosen


def pick_customers(spark: Any, count: int) -> list[dict[str, Any]]:
    customers = spark_state(spark, SITE, "customers")["customers"]
    return [c for c in sorted(customers, key=lambda c: int(c["external_id"])) if len(c["addresses"]) >= 1][:count]


def test_edits_in_sparklayer_are_found_repaired_and_gone(synced: Connection, spark: Any) -> None:
    connection = synced
    clean_products = audit(connection, DataType.PRODUCTS, scope="all")
    clean_customers = audit(connection, DataType.CUSTOMERS, scope="all")
    assert findings(clean_products) == {}
    assert findings(clean_customers) == {}
    assert clean_products.checked > 40
    assert clean_products.equal == clean_products.checked

    chosen = pick_products(connection)
    edit(spark, "PATCH", f"/products/{chosen['title'].external_id}", {"title": "Renamed in the dashboard"})
    variant = chosen["status"].payload["variants"][1]
    edit(spark, "PATCH", f"/variants/{variant['external_id']}", {"status": "suspended"})
    for key in ("stock", "stock2"):
        row = chosen[key].stock[0]
        edit(spark, "PUT", "/stock", [{**row, "stock_level": row["stock_level"] + 7}])
    item = chosen["price"].pricing[0]
    edit(spark, "PUT", "/pricing", [{**item, "pricing": [{"quantity": 1, "price": "0.01"}]}])
    edit(spark, "DELETE", f"/products/{chosen['deleted'].external_id}")
    customers = pick_customers(spark, 2)
    for customer in customers:
        edit(spark, "PATCH", f"/customers/{customer['external_id']}", {"addresses": customer["addresses"][1:]})

    writes_before = spark_writes(spark, SITE)
    products_run = audit(connection, DataType.PRODUCTS, scope="all")
    customers_run = audit(connection, DataType.CUSTOMERS, scope="all")
    assert spark_writes(spark, SITE) == writes_before  # audit reads never change SparkLayer

    stock_sku = chosen["stock"].stock[0]["sku"]
    stock2_sku = chosen["stock2"].stock[0]["sku"]
    assert findings(products_run) == {
        chosen["title"].external_id: ("differs", {"title"}),
        chosen["status"].external_id: ("differs", {f"variants[{variant['external_id']}].status"}),
        chosen["stock"].external_id: ("differs", {f"stock[{stock_sku}@default]"}),
        chosen["stock2"].external_id: ("differs", {f"stock[{stock2_sku}@default]"}),
        chosen["price"].external_id: ("differs", {f"pricing[{item['sku']}@{item['price_list_slug']}]"}),
        chosen["deleted"].external_id: ("missing", {"product"}),
    }
    removed = {c["external_id"]: c["addresses"][0]["external_id"] for c in customers}
    assert findings(customers_run) == {eid: ("differs", {f"addresses[{aid}]"}) for eid, aid in removed.items()}
    title = AuditFinding.objects.get(run=products_run, external_id=chosen["title"].external_id)
    assert title.fields == [
        {"field": "title", "sparklayer": "Renamed in the dashboard", "store": chosen["title"].payload["title"]}
    ]
    assert title.belief == "pushed"
    assert (products_run.differing, products_run.missing, products_run.extra) == (5, 1, 0)

    calls_before = len(spark_calls(spark, SITE))
    logs_before = PushLog.objects.count()
    every = list(AuditFinding.objects.filter(run__in=[products_run, customers_run]))
    outcome = audit_findings_repair(findings=every)
    assert (outcome.repaired, outcome.still_differs) == (8, 0)
    assert set(AuditFinding.objects.values_list("state", flat=True)) == {FindingState.REPAIRED}
    repaired_ids = {f.external_id for f in every}
    written = set(PushLog.objects.order_by("pk")[logs_before:].values_list("external_id", flat=True))
    assert written == repaired_ids  # the unchanged records made no write
    writes = [c for c in spark_calls(spark, SITE)[calls_before:] if c["method"] in ("POST", "PUT", "PATCH", "DELETE")]
    record_writes = {c["path"].rsplit("/", 1)[-1] for c in writes if c["route"].endswith("}")}
    assert record_writes == repaired_ids  # PATCH/PUT of exactly those records (the deleted product: PATCH 404, POST)
    batches = [c["route"] for c in writes if "batch-" in c["route"] and "fetch" not in c["route"]]
    assert sorted(batches) == ["/api/v1/batch-update-pricing", "/api/v1/batch-update-stock"]

    again_products = audit(connection, DataType.PRODUCTS, scope="all")
    again_customers = audit(connection, DataType.CUSTOMERS, scope="all")
    assert findings(again_products) == {}
    assert findings(again_customers) == {}


def test_sample_audit_and_the_command_with_repair(synced: Connection, spark: Any, capsys: Any) -> None:
    products = spark_state(spark, SITE, "products")["products"]
    target = sorted(products, key=lambda p: int(p["external_id"]))[0]
    edit(spark, "PATCH", f"/products/{target['external_id']}", {"title": "Drifted"})
    run = audit(synced, DataType.PRODUCTS, sample_size=1000)  # more than there are: every pushed record
    assert run.total == len(run.sample_ids) == run.checked + run.unmappable
    assert findings(run) == {target["external_id"]: ("differs", {"title"})}

    call_command("sync_audit", SITE, "products", "--sample", "500", "--repair")
    out = capsys.readouterr().out
    assert "differ                                        1" in out
    assert "repair: 1 repaired, 0 still differ" in out
    assert f"products {target['external_id']}" in out
    assert "SparkLayer Drifted" in out
    stored = next(
        p for p in spark_state(spark, SITE, "products")["products"] if p["external_id"] == target["external_id"]
    )
    assert stored["title"] == target["title"]


def test_sparklayer_trouble_pauses_the_audit_and_it_resumes_where_it_was(
    synced: Connection, spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audits_module, "CHUNK", 5)
    reference = audit(synced, DataType.CUSTOMERS, sample_size=1000)
    faults = {"error_429_rate": 0.25, "retry_after": 120, "path_prefix": "/api/v2/customers", "seed": 3}
    requests.put(f"{spark.url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()
    run = audit_run_queue(connection=synced, data_type=DataType.CUSTOMERS, trigger="command", sample_size=1000)
    before = timezone.now()
    outcome = audit_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert outcome.state == "paused"
    # never sooner than SparkLayer's Retry-After, counted from the 429 (which came after ``before``); the
    # countdown itself may be a few ms short of 120 when another call met the site's pause that 429 set
    assert run.resume_at >= before + timedelta(seconds=120)
    assert outcome.countdown > 110
    assert (run.state, run.pauses) == (AuditState.PAUSED, 1)
    assert "Paused" in run.error
    partial = run.checked
    assert audit_run_execute(run_id=run.pk).state == "busy"  # not due yet

    requests.put(f"{spark.url}/_sandbox/faults", json={}, timeout=10).raise_for_status()
    # As if the Retry-After had passed: the audit's own wait and the site's shared back-off.
    AuditRun.objects.filter(pk=run.pk).update(resume_at=run.resume_at.replace(year=2000))
    shared_gates_clear()
    assert audit_run_execute(run_id=run.pk).state == "succeeded"
    run.refresh_from_db()
    assert run.checked == reference.checked
    assert run.checked >= partial
    assert sorted(run.sample_ids) == sorted(reference.sample_ids)
    assert run.total == reference.total
    assert findings(run) == findings(reference) == {}


def test_an_unmappable_record_is_an_issue_not_drift(synced: Connection, spark: Any, woo_store: Any) -> None:
    from sandbox.woocommerce.customers import stored

    customers = spark_state(spark, SITE, "customers")["customers"]
    target = sorted(customers, key=lambda c: int(c["external_id"]))[0]["external_id"]
    store = woo_store.app.store
    with store.lock:  # the email cleared behind the API's back (WooCommerce's API refuses a blank one)
        record = stored(store, int(target))
        store.customer_records[int(target)] = {**record, "email": ""}
        store.changed()
    SyncIssue.objects.filter(connection=synced, external_id=target).delete()
    run = audit(synced, DataType.CUSTOMERS, scope="all")
    assert run.unmappable == 1
    assert target not in findings(run)
    issue = SyncIssue.objects.get(connection=synced, data_type="customers", external_id=target, state="open")
    assert issue.code == "customer_missing_email"


def test_records_gone_from_the_store_but_live_in_sparklayer_are_extra_and_repair_retires_them(
    synced: Connection, spark: Any, woo_store: Any
) -> None:
    auth = (woo_store.app.consumer_key, woo_store.app.consumer_secret)
    chosen = pick_products(synced)
    trashed, deleted = chosen["status"], chosen["title"]
    base = f"{woo_store.url}/wp-json/wc/v3"
    # No webhook is processed here: the bridge does not know, SparkLayer still has them live.
    assert requests.delete(f"{base}/products/{trashed.external_id}", auth=auth, timeout=10).status_code == 200
    gone = requests.delete(f"{base}/products/{deleted.external_id}", params={"force": "true"}, auth=auth, timeout=10)
    assert gone.status_code == 200
    customer = pick_customers(spark, 1)[0]["external_id"]
    gone = requests.delete(f"{base}/customers/{customer}", params={"force": "true"}, auth=auth, timeout=10)
    assert gone.status_code == 200

    products_run = audit(synced, DataType.PRODUCTS, scope="all")
    customers_run = audit(synced, DataType.CUSTOMERS, scope="all")
    found = findings(products_run)
    assert set(found) == {trashed.external_id, deleted.external_id}
    for record in (trashed, deleted):
        kind, fields = found[record.external_id]
        assert kind == "extra"
        assert {f"variants[{v['external_id']}].status" for v in record.payload["variants"]} <= fields  # type: ignore[index]
        assert any(field.startswith(("stock[", "pricing[")) for field in fields)
    assert findings(customers_run) == {customer: ("extra", {"customer"})}
    assert (products_run.extra, customers_run.extra) == (2, 1)

    outcome = audit_findings_repair(findings=AuditFinding.objects.filter(run__in=[products_run, customers_run]))
    assert (outcome.repaired, outcome.still_differs) == (3, 0)
    held = {p["external_id"]: p for p in spark_state(spark, SITE, "products")["products"]}
    assert {v["status"] for v in held[trashed.external_id]["variants"]} == {"discontinued"}
    assert customer not in {c["external_id"] for c in spark_state(spark, SITE, "customers")["customers"]}
    assert findings(audit(synced, DataType.PRODUCTS, scope="all")) == {}


def test_a_5xx_that_outlasts_the_client_retries_pauses_the_audit_too(synced: Connection, spark: Any) -> None:
    faults = {"error_500_rate": 1.0, "path_prefix": "/api/v1/products/"}
    requests.put(f"{spark.url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()
    run = audit_run_queue(connection=synced, data_type=DataType.PRODUCTS, trigger="command", sample_size=3)
    outcome = audit_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert outcome.state == "paused"
    assert (run.state, run.pauses, run.checked) == (AuditState.PAUSED, 1, 0)
    assert "500" in run.error
    requests.put(f"{spark.url}/_sandbox/faults", json={}, timeout=10).raise_for_status()
    AuditRun.objects.filter(pk=run.pk).update(resume_at=None)
    assert audit_run_execute(run_id=run.pk).state == "succeeded"
    run.refresh_from_db()
    assert (run.checked, run.equal) == (3, 3)


def test_the_connection_request_budget_paces_the_reads(synced: Connection, spark: Any) -> None:
    Connection.objects.filter(pk=synced.pk).update(request_budget_per_minute=600)  # one read every 0.1 s
    synced.refresh_from_db()
    started = time.monotonic()
    run = audit(synced, DataType.CUSTOMERS, sample_size=12)
    elapsed = time.monotonic() - started
    assert run.reads >= 12
    assert elapsed >= (run.reads - 1) * 0.1
