"""The client against the SparkLayer sandbox over real HTTP: token sharing, renewal, full replace, faults."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from ignite_bridge.core.errors import AuthenticationError, PermanentError
from sandbox.server import SandboxServer, serve_in_thread
from sandbox.sparklayer.app import SparkLayerSandbox
from sparklayer.payloads import Product, SyncLogError
from tests.sparklayer.helpers import SITE, RedisTokenStore, make_client, site_stats
from tests.sparklayer.workers import run_calls


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = serve_in_thread(SparkLayerSandbox())
    yield server
    server.stop()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = "ignite-test:sandbox:"
    store = RedisTokenStore(prefix=prefix)
    store.flush()
    yield prefix
    store.flush()


def site_state(server: SandboxServer, include: str) -> dict[str, Any]:
    params = {"site_id": SITE, "include": include}
    state: dict[str, Any] = requests.get(f"{server.url}/_sandbox/state", params=params, timeout=5).json()
    return state


def product(external_id: str) -> Product:
    return {"external_id": external_id, "title": external_id, "slug": external_id}


@pytest.mark.slow
def test_one_token_for_200_calls_from_threads_and_processes(sandbox: SandboxServer, redis_prefix: str) -> None:
    context = multiprocessing.get_context("spawn")
    processes, threads, calls = 2, 4, 25
    barrier = context.Barrier(processes * threads)
    children = [
        context.Process(target=run_calls, args=(sandbox.url, SITE, redis_prefix, barrier, index, threads, calls))
        for index in range(processes)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)

    assert [child.exitcode for child in children] == [0, 0]
    stats = site_stats(sandbox)
    assert stats["by_kind"]["token"] == 1
    assert stats["by_kind"]["write"] == 200
    assert site_state(sandbox, "products")["counts"]["products"] == 200


def test_expired_tokens_mid_run_fetch_exactly_one_new_token(sandbox: SandboxServer) -> None:
    client = make_client(sandbox.url)
    for index in range(5):
        client.upsert_product(product(f"before-{index}"), known=False)
    requests.post(f"{sandbox.url}/_sandbox/expire-tokens", timeout=5).raise_for_status()
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def worker(thread_index: int) -> None:
        try:
            barrier.wait(timeout=10)
            for index in range(5):
                client.upsert_product(product(f"after-{thread_index}-{index}"), known=False)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            failures.append(exc)

    pool = [threading.Thread(target=worker, args=(index,)) for index in range(4)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()

    assert failures == []
    stats = site_stats(sandbox)
    assert stats["by_kind"]["token"] == 2
    assert 1 <= stats["by_status"]["401"] <= 4  # each thread is refused the old token at most once
    assert site_state(sandbox, "products")["counts"]["products"] == 25


def test_customer_upsert_is_a_full_replace(sandbox: SandboxServer) -> None:
    client = make_client(sandbox.url)
    customer: Any = {"external_id": "c-1", "email": "buyer@example.com", "price_lists": ["trade"]}

    assert client.upsert_customer("c-1", customer) is True
    assert site_state(sandbox, "customers")["customers"][0]["price_lists"] == ["trade"]
    assert client.upsert_customer("c-1", {"external_id": "c-1", "email": "buyer@example.com"}) is False

    stored = site_state(sandbox, "customers")["customers"][0]
    assert not stored.get("price_lists")


def test_customer_email_conflict_is_permanent_without_retry(sandbox: SandboxServer) -> None:
    client = make_client(sandbox.url)
    client.upsert_customer("c-1", {"external_id": "c-1", "email": "taken@example.com"})

    with pytest.raises(PermanentError) as raised:
        client.upsert_customer("c-2", {"external_id": "c-2", "email": "taken@example.com"})

    assert raised.value.status == 409
    assert site_stats(sandbox)["by_status"]["409"] == 1


def test_product_upsert_falls_back_both_ways(sandbox: SandboxServer) -> None:
    client = make_client(sandbox.url)

    client.upsert_product(product("p-1"), known=True)  # unknown to SparkLayer: PATCH 404, then POST
    client.upsert_product({**product("p-1"), "title": "Renamed"}, known=False)  # exists: POST 422, then PATCH

    assert client.get_product("p-1")["title"] == "Renamed"  # type: ignore[index]
    assert client.get_product("missing") is None


def test_sync_log_with_5001_errors_is_capped_and_accepted(sandbox: SandboxServer) -> None:
    client = make_client(sandbox.url)
    errors: list[SyncLogError] = [{"external_id": f"p-{i}", "message": "Variant has no SKU"} for i in range(5001)]

    assert client.get_sync_log("ignite-bridge", "products") is None
    dropped = client.put_sync_log(
        "ignite-bridge",
        "products",
        {
            "started_full_sync": "2025-01-01T00:00:00Z",
            "last_full_sync": "2025-01-01T00:10:00Z",
            "last_full_sync_succeeded": False,
            "errors": errors,
        },
    )

    assert dropped == 1
    status = client.get_sync_log("ignite-bridge", "products")
    assert status is not None
    assert status["error_count"] == 5000


def test_batches_and_price_lists_against_the_sandbox(sandbox: SandboxServer) -> None:
    client = make_client(sandbox.url, batch_size=3)
    client.create_product({**product("p-1"), "variants": [{"external_id": f"v-{i}", "sku": f"S{i}"} for i in range(7)]})
    for index in range(3):
        client.create_price_list({"slug": f"list-{index}", "name": f"List {index}", "currency_code": "GBP"})

    pricing: Any = [
        {"sku": f"S{i}", "price_list_slug": "list-0", "pricing": [{"quantity": 1, "price": "9.99"}]} for i in range(7)
    ]
    assert client.batch_update_pricing(pricing) == 7
    assert sorted(row["slug"] for row in client.iter_price_lists(page_size=2)) == ["list-0", "list-1", "list-2"]

    routes = site_stats(sandbox)["by_route"]
    assert routes["PATCH /api/v1/batch-update-pricing"] == 3
    assert routes["GET /api/v2/price-lists"] == 2


def test_refused_credentials_raise_authentication_error(sandbox: SandboxServer) -> None:
    requests.put(
        f"{sandbox.url}/_sandbox/sites/{SITE}/credentials",
        json={"client_id": "client-1", "client_secret": "the-real-secret"},
        timeout=5,
    ).raise_for_status()
    client = make_client(sandbox.url)

    with pytest.raises(AuthenticationError) as raised:
        client.get_product("p-1")

    assert SITE in str(raised.value)
    assert "secret-1" not in str(raised.value)
    assert site_stats(sandbox)["by_kind"]["token"] == 1


@pytest.mark.slow
def test_all_calls_succeed_with_20_percent_500s(sandbox: SandboxServer) -> None:
    requests.put(
        f"{sandbox.url}/_sandbox/faults", json={"error_500_rate": 0.2, "seed": 7}, timeout=5
    ).raise_for_status()
    client = make_client(sandbox.url, sleep=lambda seconds: None)

    for index in range(100):
        client.upsert_product(product(f"p-{index}"), known=True)

    stats = site_stats(sandbox)
    assert stats["by_status"]["500"] > 0
    assert site_state(sandbox, "products")["counts"]["products"] == 100
