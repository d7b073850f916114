"""The audit's SparkLayer reads, for answers the sandbox does not give (SparkLayer's docs leave them open)."""

from __future__ import annotations

import json

import pytest
import responses

from ignite_bridge.core.errors import PermanentError, TransientError
from sparklayer.client import SparkLayerClient
from sparklayer.reads import RequestPacer, SparkLayerReader
from tests.sparklayer.helpers import BASE, SleepRecorder

pytestmark = pytest.mark.usefixtures("token_endpoint")


def reader(client: SparkLayerClient) -> SparkLayerReader:
    return SparkLayerReader(client)


def test_a_product_read_404_is_none_not_an_error(client: SparkLayerClient, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{BASE}/api/v1/products/101", status=404, json={"title": "Not Found", "status": 404})
    read = reader(client)
    assert read.product("101") is None
    assert read.calls == 1


def test_a_product_without_variants_has_them_read_one_by_one(
    client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{BASE}/api/v1/products/101", json={"external_id": "101", "title": "Jumper", "slug": "jumper"})
    mocked.get(f"{BASE}/api/v1/variants/201", json={"external_id": "201", "sku": "J-S", "status": "live"})
    mocked.get(f"{BASE}/api/v1/variants/202", status=404)
    read = reader(client)
    product = read.product("101", variant_ids=["201", "202", "201"])
    assert product is not None
    assert product["variants"] == [{"external_id": "201", "sku": "J-S", "status": "live"}]
    assert read.calls == 3


def test_a_customer_without_addresses_has_them_read_from_the_sub_resource(
    client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{BASE}/api/v2/customers/platform/7", json={"external_id": "7", "email": "a@example.com"})
    mocked.get(f"{BASE}/api/v2/customers/platform/7/addresses", json={"data": [{"external_id": "7-billing"}]})
    mocked.get(f"{BASE}/api/v2/customers/platform/8", json={"external_id": "8", "email": "b@example.com"})
    mocked.get(f"{BASE}/api/v2/customers/platform/8/addresses", status=404)
    mocked.get(f"{BASE}/api/v2/customers/platform/9", status=404)
    read = reader(client)
    assert read.customer("7") == {
        "external_id": "7",
        "email": "a@example.com",
        "addresses": [{"external_id": "7-billing"}],
    }
    assert read.customer("8") == {"external_id": "8", "email": "b@example.com", "addresses": []}
    assert read.customer("9") is None


def test_stock_is_fetched_in_batches_for_every_location_and_ids_are_resolved(
    client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    bodies: list[dict[str, object]] = []

    def answer(request: object) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)  # type: ignore[attr-defined]
        bodies.append(body)
        rows = {
            "A": [{"stock_location_external_id": "default", "stock_level": 4}],
            "B": [{"stock_location": {"id": "u-2", "external_id": "warehouse"}, "stock_level": 1}],
            "C": [{"stock_location_id": "u-3", "stock_level": 9}, {"stock_location_id": "u-9", "stock_level": 2}],
        }
        return 200, {}, json.dumps([{"sku": sku, "stock_levels": rows[sku]} for sku in body["skus"] if sku in rows])

    mocked.add_callback(responses.POST, f"{BASE}/api/v1/batch-fetch-stock", callback=answer)
    mocked.get(f"{BASE}/api/v1/stock-locations", json=[{"id": "u-3", "external_id": "shop"}])
    read = reader(client)  # batch_size=2
    levels = read.stock(["A", "B", "C", "D"])
    assert [body["skus"] for body in bodies] == [["A", "B"], ["C", "D"]]
    assert all(body["filter"] == {"all_stock_locations": True} for body in bodies)
    assert {sku: {loc: row["stock_level"] for loc, row in rows.items()} for sku, rows in levels.items()} == {
        "A": {"default": 4},
        "B": {"warehouse": 1},
        "C": {"shop": 9, "id:u-9": 2},
    }
    assert read.calls == 3  # two fetches, one stock-location listing


def test_price_list_pricing_answers(client: SparkLayerClient, mocked: responses.RequestsMock) -> None:
    mocked.get(f"{BASE}/api/v1/price-lists/missing/pricing", status=404)
    mocked.get(f"{BASE}/api/v1/price-lists/empty/pricing", status=204)
    mocked.get(
        f"{BASE}/api/v1/price-lists/flat/pricing",
        json=[
            {"sku": "A", "quantity": 10, "price": "8.00", "unit_of_measure": None},
            {"sku": "A", "quantity": 1, "price": "10.00"},
            {"sku": "B", "quantity": 1, "price": "3.00"},
        ],
    )
    mocked.get(
        f"{BASE}/api/v1/price-lists/grouped/pricing", json=[{"sku": "A", "pricing": [{"quantity": 1, "price": "5"}]}]
    )
    read = reader(client)
    assert read.price_list_pricing("missing") is None
    assert read.price_list_pricing("empty") == {}
    assert read.price_list_pricing("flat") == {
        "A": [{"quantity": 1, "price": "10.00"}, {"quantity": 10, "price": "8.00"}],
        "B": [{"quantity": 1, "price": "3.00"}],
    }
    assert read.price_list_pricing("grouped") == {"A": [{"quantity": 1, "price": "5"}]}


def test_price_list_pricing_follows_a_paged_envelope(client: SparkLayerClient, mocked: responses.RequestsMock) -> None:
    url = f"{BASE}/api/v1/price-lists/paged/pricing"

    def answer(request: object) -> tuple[int, dict[str, str], str]:
        page = int(request.params.get("page", 1))  # type: ignore[attr-defined]
        body = {
            "data": [{"sku": f"S{page}", "quantity": 1, "price": "1.00"}],
            "pagination": {"current_page": page, "total_pages": 3},
        }
        return 200, {}, json.dumps(body)

    mocked.add_callback(responses.GET, url, callback=answer)
    read = reader(client)
    assert sorted(read.price_list_pricing("paged") or {}) == ["S1", "S2", "S3"]
    assert read.calls == 3


def test_sku_pricing_groups_by_list(client: SparkLayerClient, mocked: responses.RequestsMock) -> None:
    mocked.get(
        f"{BASE}/api/v1/pricing/A%2F1",
        json=[{"price_list_slug": "gbp", "pricing": [{"quantity": 5, "price": "1"}, {"quantity": 1, "price": "2"}]}],
    )
    mocked.get(f"{BASE}/api/v1/pricing/NONE", json=[])
    read = reader(client)
    assert read.sku_pricing("A/1") == {"gbp": [{"quantity": 1, "price": "2"}, {"quantity": 5, "price": "1"}]}
    assert read.sku_pricing("NONE") == {}


def test_other_refusals_and_exhausted_retries_are_raised(
    client: SparkLayerClient, mocked: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    mocked.get(f"{BASE}/api/v1/products/403", status=403)
    mocked.get(f"{BASE}/api/v1/products/429", status=429, headers={"Retry-After": "120"})
    read = reader(client)
    with pytest.raises(PermanentError):
        read.product("403")
    with pytest.raises(TransientError) as raised:
        read.product("429")
    assert raised.value.retry_after == 120  # above the client's ceiling: the caller pauses instead of sleeping


def test_the_pacer_spreads_calls_evenly() -> None:
    now = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)

    pacer = RequestPacer(120, sleep=sleep, clock=lambda: now[0])  # one call every 0.5 s
    for _ in range(3):
        pacer.wait()
    assert waits == [0.5, 1.0]
    now[0] = 200.0
    pacer.wait()
    assert waits == [0.5, 1.0]  # idle long enough: no wait
    unlimited = RequestPacer(0, sleep=sleep)
    unlimited.wait()
    assert waits == [0.5, 1.0]
