"""Helpers for full-sync tests: a connection bound to a store sandbox, reads of the SparkLayer sandbox
(state, stats, calls), what the mapping says should land, and what the sandbox holds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from django.test import Client

from connections.clients import connection_platform_adapter
from connections.models import Connection
from platforms.types import DataType
from sync.jobs.full_sync import sync_job_run
from sync.jobs.jobs import sync_job_queue_full
from sync.models import SyncJob, WebhookEvent
from tests.factories import ConnectionFactory
from tests.sync.webhook_support import post_delivery, store_body, woo_headers
from tests.workers import WorkerProcess, worker_environment


@contextmanager
def woo_sandbox(**shape: Any) -> Iterator[Any]:
    """A WooCommerce sandbox of ``shape`` (products, customers, orders, seed) served on loopback."""
    from sandbox.server import serve_in_thread
    from sandbox.woocommerce.app import WooCommerceSandbox

    server = serve_in_thread(WooCommerceSandbox(**shape))
    try:
        yield server
    finally:
        server.stop()


def make_connection(store: Any, **extra: Any) -> Connection:
    return ConnectionFactory(
        store_url=store.url,
        platform_credentials={"consumer_key": store.app.consumer_key, "consumer_secret": store.app.consumer_secret},
        **extra,
    )


def spark_state(spark: Any, site_id: str, include: str) -> dict[str, Any]:
    response = requests.get(f"{spark.url}/_sandbox/state", params={"site_id": site_id, "include": include}, timeout=30)
    response.raise_for_status()
    return response.json()


def spark_site_stats(spark: Any, site_id: str) -> dict[str, Any]:
    stats = requests.get(f"{spark.url}/_sandbox/stats", timeout=10).json()
    return stats["sites"].get(site_id, {"total": 0, "by_kind": {"read": 0, "write": 0, "token": 0}, "by_route": {}})


def spark_writes(spark: Any, site_id: str) -> int:
    return int(spark_site_stats(spark, site_id)["by_kind"]["write"])


def spark_calls(spark: Any, site_id: str) -> list[dict[str, Any]]:
    return requests.get(f"{spark.url}/_sandbox/calls", params={"site_id": site_id}, timeout=30).json()


def expected_products(connection: Connection) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], set[str]]:
    """Products, stock rows (by SKU) and pricing items (by SKU) as the mapping builds them, plus the
    external ids of products that have issues."""
    products: dict[str, Any] = {}
    stock: dict[str, Any] = {}
    pricing: dict[str, Any] = {}
    with_issues: set[str] = set()
    for page in connection_platform_adapter(connection).iter_pages(DataType.PRODUCTS):
        for record in page.records:
            if record.issues:
                with_issues.add(record.external_id)
            if record.payload is None:
                continue
            products[record.external_id] = record.payload
            stock.update({row["sku"]: row for row in record.stock})
            pricing.update({item["sku"]: item for item in record.pricing})
    return products, stock, pricing, with_issues


def assert_catalogue_landed(connection: Connection, state: dict[str, Any]) -> None:
    """Every mapped product, variant field, stock row and price is in the sandbox, and nothing else."""
    products, stock, pricing, _issues = expected_products(connection)
    landed = {product["external_id"]: product for product in state["products"]}
    assert set(landed) == set(products)
    for external_id, payload in products.items():
        stored = landed[external_id]
        assert (stored["title"], stored["slug"]) == (payload["title"], payload["slug"])
        stored_variants = {v["external_id"]: v for v in stored["variants"]}
        assert set(stored_variants) == {v["external_id"] for v in payload["variants"]}
        for variant in payload["variants"]:
            kept = stored_variants[variant["external_id"]]
            for key, value in variant.items():
                assert kept[key] == value, (external_id, variant["external_id"], key, kept[key], value)
    stored_stock = {row["sku"]: row for row in state["stock"]}
    assert set(stored_stock) == set(stock)
    for sku, row in stock.items():
        assert stored_stock[sku]["stock_level"] == row["stock_level"]
        assert stored_stock[sku]["stock_location_external_id"] == row["stock_location_external_id"]
    stored_pricing = {
        item["sku"]: {**item, "pricing": [{"quantity": t["quantity"], "price": t["price"]} for t in item["pricing"]]}
        for item in state["pricing"]
    }
    assert stored_pricing == pricing


def comparable(state: dict[str, Any]) -> dict[str, Any]:
    """A sandbox snapshot without SparkLayer's own ids and timestamps (two sites can be compared)."""
    volatile = {"id", "product_id", "created_at", "updated_at"}

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in volatile}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return {
        "products": sorted((clean(p) for p in state["products"]), key=lambda p: p["external_id"]),
        "stock": sorted(state["stock"], key=lambda r: r["sku"]),
        "pricing": sorted(state["pricing"], key=lambda r: r["sku"]),
    }


def start_worker(spark: Any, **extra: str) -> WorkerProcess:
    """A real worker on the ``sync`` queue; messages left by earlier tests are purged first."""
    from ignite_bridge.celery import app

    app.control.purge()
    env = worker_environment(SPARKLAYER_URL_TEST=spark.url, **extra)
    return WorkerProcess(env, queues="sync", concurrency=1).start()


def wait_for(condition: Callable[[], bool], timeout: float, what: str, worker: WorkerProcess | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    log = worker.log()[-4000:] if worker else ""
    raise AssertionError(f"timed out waiting for {what}\n{log}")


def run_full(connection: Connection, data_type: str) -> SyncJob:
    job = sync_job_queue_full(connection=connection, data_type=data_type, trigger="command")
    result = sync_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert result.state == "succeeded", (result, job.error)
    return job


def deliver(client: Client, connection: Connection, store: Any, topic: str, record_id: int, **kw: Any) -> WebhookEvent:
    resource = topic.partition(".")[0]
    body = store_body(store.app, resource, record_id, deleted=topic.endswith(".deleted"))
    headers = woo_headers(body, connection.webhook_secret, topic, **kw)
    response = post_delivery(client, connection, body, headers)
    assert response.status_code == 200, response.content
    return WebhookEvent.objects.get(pk=response.json()["event"])


def simple_product_id(store: Any) -> int:
    with store.app.store.lock:
        return next(i for i, h in store.app.store.products.items() if h.type == "simple" and h.status == "publish")
