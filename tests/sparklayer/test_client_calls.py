"""Each client method sends the documented method, path, headers and body (docs/ignite-contract.md §2)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import responses

from ignite_bridge.core.errors import PermanentError
from sparklayer.client import SparkLayerClient
from sparklayer.payloads import SyncLogError
from tests.sparklayer.helpers import BASE, SECRET, TOKEN_URL

PRODUCT: Any = {"external_id": "p-1", "title": "Jumper", "slug": "jumper"}


def body(call: responses.Call) -> Any:
    raw = call.request.body
    return json.loads(raw) if raw else None


def api_calls(mocked: responses.RequestsMock) -> list[responses.Call]:
    return [call for call in mocked.calls if call.request.url != TOKEN_URL]


def test_token_request_is_json_with_site_id(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    token = client.fetch_token()

    assert token.value == "tok-1"
    assert token.expires_in == 3600
    request = token_endpoint.calls[0].request
    assert request.headers["Site-Id"] == "site-1"
    assert request.headers["Content-Type"] == "application/json"
    assert "Authorization" not in request.headers
    assert body(token_endpoint.calls[0]) == {
        "grant_type": "client_credentials",
        "client_id": "client-1",
        "client_secret": SECRET,
    }
    assert SECRET not in repr(token)


def test_headers_on_every_call(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    token_endpoint.post(f"{BASE}/api/v1/products", json=PRODUCT)
    token_endpoint.get(f"{BASE}/api/v1/products/p-1", json=PRODUCT)
    token_endpoint.post(f"{BASE}/api/v1/batch-update-stock", status=204)
    token_endpoint.delete(f"{BASE}/api/v2/customers/platform/c-1", status=204)

    client.create_product(PRODUCT)
    client.get_product("p-1")
    client.batch_update_stock([{"sku": "A", "stock_location_external_id": "main", "stock_level": 1}])
    client.delete_customer("c-1")

    calls = api_calls(token_endpoint)
    assert len(calls) == 4
    for call in calls:
        headers = call.request.headers
        assert headers["Authorization"] == "Bearer tok-1"
        assert headers["Site-Id"] == "site-1"
        assert headers["User-Agent"].startswith("IgniteBridge/0.1")
        if call.request.body:
            assert headers["Content-Type"] == "application/json"
    assert len(token_endpoint.calls) - len(calls) == 1


def test_batches_split_at_batch_size(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    token_endpoint.post(f"{BASE}/api/v1/batch-update-stock", status=204)
    token_endpoint.post(f"{BASE}/api/v1/batch-delete-stock", status=204)
    token_endpoint.patch(f"{BASE}/api/v1/batch-update-pricing", status=204)
    rows = ({"sku": f"S{i}", "stock_location_external_id": "main", "stock_level": i} for i in range(5))

    assert client.batch_update_stock(rows) == 5  # type: ignore[arg-type]
    assert client.batch_delete_stock(iter(["A", "B", "C"])) == 3
    pricing = [{"sku": "A", "price_list_slug": "trade", "pricing": [{"quantity": 1, "price": "9.99"}]}] * 2
    assert client.batch_update_pricing(pricing) == 2  # type: ignore[arg-type]
    assert client.batch_update_stock([]) == 0

    calls = api_calls(token_endpoint)
    stock = [body(c) for c in calls if str(c.request.url).endswith("batch-update-stock")]
    assert [[row["sku"] for row in batch] for batch in stock] == [["S0", "S1"], ["S2", "S3"], ["S4"]]
    deletes = [body(c) for c in calls if str(c.request.url).endswith("batch-delete-stock")]
    assert deletes == [{"skus": ["A", "B"]}, {"skus": ["C"]}]
    assert [c.request.method for c in calls if str(c.request.url).endswith("batch-update-pricing")] == ["PATCH"]


def test_failed_batch_says_which_batch(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    token_endpoint.post(f"{BASE}/api/v1/batch-delete-stock", status=204)
    token_endpoint.post(f"{BASE}/api/v1/batch-delete-stock", status=400, json={"title": "Bad Request"})

    with pytest.raises(PermanentError) as raised:
        client.batch_delete_stock(["A", "B", "C", "D", "E"])

    assert raised.value.__notes__ == ["batch 2 (items 3-4) failed; 2 items were sent before it"]
    assert len(api_calls(token_endpoint)) == 2


def test_upsert_known_product_patches(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    token_endpoint.patch(f"{BASE}/api/v1/products/p-1", json=PRODUCT)

    client.upsert_product(PRODUCT, known=True)

    assert [c.request.method for c in api_calls(token_endpoint)] == ["PATCH"]


def test_upsert_known_product_falls_back_to_post_on_404(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock
) -> None:
    token_endpoint.patch(f"{BASE}/api/v1/products/p-1", status=404, json={"title": "Not Found", "status": 404})
    token_endpoint.post(f"{BASE}/api/v1/products", json={"id": "pp_1", **PRODUCT})

    assert client.upsert_product(PRODUCT, known=True)["id"] == "pp_1"

    assert [c.request.method for c in api_calls(token_endpoint)] == ["PATCH", "POST"]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (422, {"status": 422, "errors": [{"code": "already_exists", "message": "taken", "property": "external_id"}]}),
        (409, {"title": "Conflict", "status": 409, "detail": "A product with this external_id exists."}),
        (409, None),  # some SparkLayer errors have no body
        (422, {"status": 422, "errors": [{"code": "unique", "message": "Duplicate entry", "property": ""}]}),
    ],
)
def test_a_create_refused_because_the_product_exists_becomes_one_update(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, status: int, body: Any
) -> None:
    """SparkLayer's docs do not say which status a duplicate create gets: any 409/422 is checked with
    a GET and turned into one PATCH, never retried (a 409 would otherwise loop as a "concurrent update")."""
    token_endpoint.post(f"{BASE}/api/v1/products", status=status, json=body)
    token_endpoint.get(f"{BASE}/api/v1/products/p-1", json={"id": "pp_1", **PRODUCT})
    token_endpoint.patch(f"{BASE}/api/v1/products/p-1", json=PRODUCT)

    client.upsert_product(PRODUCT, known=False)

    assert [c.request.method for c in api_calls(token_endpoint)] == ["POST", "GET", "PATCH"]


def test_a_create_refused_for_another_reason_is_raised_after_one_look(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock
) -> None:
    problem = {"status": 422, "errors": [{"code": "duplicate_sku", "message": "taken", "property": "variants[0].sku"}]}
    token_endpoint.post(f"{BASE}/api/v1/products", status=422, json=problem)
    token_endpoint.get(f"{BASE}/api/v1/products/p-1", status=404)

    with pytest.raises(PermanentError) as raised:
        client.upsert_product(PRODUCT, known=False)

    assert raised.value.status == 422
    assert [c.request.method for c in api_calls(token_endpoint)] == ["POST", "GET"]


def test_a_create_refused_with_400_is_raised_at_once(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock
) -> None:
    token_endpoint.post(f"{BASE}/api/v1/products", status=400, json={"status": 400, "detail": "title is required"})

    with pytest.raises(PermanentError):
        client.upsert_product(PRODUCT, known=False)

    assert len(api_calls(token_endpoint)) == 1


def test_discontinue_variant_uses_the_variant_endpoint(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock
) -> None:
    token_endpoint.patch(f"{BASE}/api/v1/variants/v-1", json={"status": "discontinued"})
    token_endpoint.patch(f"{BASE}/api/v1/variants/v-gone", status=404)

    assert client.discontinue_variant("v-1") is True
    assert client.discontinue_variant("v-gone") is False

    calls = api_calls(token_endpoint)
    assert [json.loads(c.request.body) for c in calls] == [{"status": "discontinued"}] * 2


def test_remove_pricing_replaces_each_pair_with_no_prices(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock
) -> None:
    token_endpoint.patch(f"{BASE}/api/v1/batch-update-pricing", status=204)

    assert client.remove_pricing([("SKU-1", "list-a"), ("SKU-2", "list-a")]) == 2

    body = json.loads(api_calls(token_endpoint)[0].request.body)
    assert body == [
        {"sku": "SKU-1", "price_list_slug": "list-a", "pricing": []},
        {"sku": "SKU-2", "price_list_slug": "list-a", "pricing": []},
    ]


def test_external_ids_are_escaped_in_paths(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    token_endpoint.patch(f"{BASE}/api/v1/variants/a%2Fb%20c", json={})

    client.update_variant("a/b c", {"external_id": "a/b c", "sku": "X"})

    assert api_calls(token_endpoint)[0].request.path_url == "/api/v1/variants/a%2Fb%20c"


def test_get_product_404_is_none(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    token_endpoint.get(f"{BASE}/api/v1/products/gone", status=404)

    assert client.get_product("gone") is None


def test_iter_price_lists_follows_pages(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    url = f"{BASE}/api/v2/price-lists"
    for page in (1, 2):
        token_endpoint.get(
            url,
            match=[responses.matchers.query_param_matcher({"page": str(page), "page_size": "250"})],
            json={
                "data": [{"slug": f"list-{page}"}],
                "pagination": {"total": 2, "per_page": 250, "current_page": page, "total_pages": 2},
            },
        )

    assert [row["slug"] for row in client.iter_price_lists(page_size=1000)] == ["list-1", "list-2"]
    assert len(api_calls(token_endpoint)) == 2


def test_create_price_list(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    payload: Any = {"slug": "trade", "name": "Trade", "currency_code": "GBP", "source": "platform"}
    token_endpoint.post(f"{BASE}/api/v1/price-lists", json=payload)

    assert client.create_price_list(payload)["slug"] == "trade"
    assert body(api_calls(token_endpoint)[0]) == payload


def test_upsert_customer_created_or_replaced(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    url = f"{BASE}/api/v2/customers/platform/c-1"
    token_endpoint.put(url, status=201, json={})
    token_endpoint.put(url, status=200, json={})

    assert client.upsert_customer("c-1", {"email": "a@example.com"}) is True  # type: ignore[typeddict-item]
    assert client.upsert_customer("c-1", {"external_id": "c-1", "email": "a@example.com"}) is False

    assert body(api_calls(token_endpoint)[0]) == {"email": "a@example.com", "external_id": "c-1"}


def test_upsert_customer_refuses_mismatched_external_id(client: SparkLayerClient) -> None:
    with pytest.raises(ValueError):
        client.upsert_customer("c-1", {"external_id": "c-2", "email": "a@example.com"})


def test_delete_customer_404_means_already_gone(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock
) -> None:
    token_endpoint.delete(f"{BASE}/api/v2/customers/platform/c-1", status=404)

    assert client.delete_customer("c-1") is False


def test_upsert_purchase_and_settings(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    token_endpoint.put(f"{BASE}/api/v1/purchases/platform/1001", json={"id": "x"})
    token_endpoint.patch(f"{BASE}/api/v1/settings", status=204)
    purchase: Any = {"type": "order", "purchase_identifiers": {"platform": "1001"}}

    assert client.upsert_purchase("1001", purchase) == {"id": "x"}
    client.update_settings([{"key": "currency", "value": "gbp"}])

    calls = api_calls(token_endpoint)
    assert body(calls[1]) == [{"key": "currency", "value": "gbp"}]


def test_sync_log_put_caps_errors_and_reports_dropped(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock
) -> None:
    url = f"{BASE}/api/v1/sync-log/ignite-bridge/products"
    token_endpoint.put(url, status=200, json={})
    errors: list[SyncLogError] = [{"external_id": f"p-{i}", "message": "no sku"} for i in range(5001)]
    errors.append({"external_id": "p-0", "message": "duplicate"})

    dropped = client.put_sync_log("ignite-bridge", "products", {"last_full_sync_succeeded": False, "errors": errors})

    assert dropped == 2
    sent = body(api_calls(token_endpoint)[0])
    assert len(sent["errors"]) == 5000
    assert len({e["external_id"] for e in sent["errors"]}) == 5000


def test_sync_log_patch_and_get(client: SparkLayerClient, token_endpoint: responses.RequestsMock) -> None:
    url = f"{BASE}/api/v1/sync-log/ignite-bridge/customers"
    token_endpoint.patch(url, status=204)
    token_endpoint.get(url, status=404)
    token_endpoint.get(url, json={"error_count": 1})

    dropped = client.patch_sync_log(
        "ignite-bridge", "customers", {"last_partial_sync": "2025-01-01T00:00:00Z", "errors_resolved": ["c-1"]}
    )

    assert dropped == 0
    assert client.get_sync_log("ignite-bridge", "customers") is None
    assert client.get_sync_log("ignite-bridge", "customers") == {"error_count": 1}
    assert [c.request.method for c in api_calls(token_endpoint)] == ["PATCH", "GET", "GET"]


def test_no_secret_or_token_in_logs(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    token_endpoint.patch(f"{BASE}/api/v1/products/p-1", status=500)
    token_endpoint.patch(f"{BASE}/api/v1/products/p-1", status=401)
    token_endpoint.patch(f"{BASE}/api/v1/products/p-1", json=PRODUCT)
    caplog.set_level(logging.DEBUG)

    client.update_product("p-1", PRODUCT)

    assert caplog.records
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        assert SECRET not in text
        assert "tok-1" not in text
        assert "tok-2" not in text
    assert SECRET not in repr(client)


def test_a_call_logs_at_info_unless_its_client_lowers_the_level_of_successes(
    client: SparkLayerClient, token_endpoint: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    token_endpoint.patch(f"{BASE}/api/v1/products/p-1", json=PRODUCT)
    token_endpoint.patch(f"{BASE}/api/v1/products/p-1", status=503)
    token_endpoint.patch(f"{BASE}/api/v1/products/p-1", json=PRODUCT)
    caplog.set_level(logging.DEBUG, logger="ignite_bridge.core.http")

    client.update_product("p-1", PRODUCT)
    client.success_log_level = logging.DEBUG  # as a full sync sets it
    client.update_product("p-1", PRODUCT)  # a 503, then a success

    writes = [(r.status, r.levelno) for r in caplog.records if getattr(r, "path", "") == "/api/v1/products/p-1"]
    assert writes == [(200, logging.INFO), (503, logging.INFO), (200, logging.DEBUG)]
