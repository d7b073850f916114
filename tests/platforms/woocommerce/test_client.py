"""The WooCommerce HTTP client: HTTPS only unless allowed, retries on 5xx/429 only, error shape, pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests
import responses
from responses import matchers

from ignite_bridge.core.errors import AuthenticationError, PermanentError, TransientError
from platforms.concurrency import AIMDLimiter
from platforms.woocommerce.client import InsecureStoreUrlError, WooCommerceClient

API = "https://shop.example.com/wp-json/wc/v3"


def client(**kwargs: object) -> WooCommerceClient:
    return WooCommerceClient(
        "https://shop.example.com/",
        consumer_key="ck_" + "a" * 40,
        consumer_secret="cs_" + "b" * 40,
        **{"sleep": lambda _: None, "max_attempts": 3, **kwargs},  # type: ignore[arg-type]
    )


def test_plain_http_is_refused_before_any_request() -> None:
    with responses.RequestsMock() as mocked, pytest.raises(InsecureStoreUrlError, match="plain HTTP"):
        WooCommerceClient("http://shop.example.com", consumer_key="ck_x", consumer_secret="cs_x")
    assert len(mocked.calls) == 0


def test_plain_http_is_allowed_when_asked_for() -> None:
    woo = WooCommerceClient(
        "http://127.0.0.1:8080", consumer_key="ck_x", consumer_secret="cs_x", allow_insecure_http=True
    )
    assert woo.base_url == "http://127.0.0.1:8080/wp-json/wc/v3"


@pytest.mark.parametrize("url", ["shop.example.com", "ftp://shop.example.com", ""])
def test_non_http_store_urls_are_refused(url: str) -> None:
    with pytest.raises(PermanentError):
        WooCommerceClient(url, consumer_key="ck_x", consumer_secret="cs_x")


@responses.activate
def test_uses_basic_auth_with_the_consumer_key_and_secret() -> None:
    responses.get(f"{API}/settings/general", json=[])
    client().get_json("settings/general")
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")


@responses.activate
@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_retries_5xx_and_429_then_succeeds(status: int) -> None:
    responses.get(
        f"{API}/products/12", status=status, json={"code": "x", "message": "busy", "data": {"status": status}}
    )
    responses.get(f"{API}/products/12", json={"id": 12})
    assert client().get_json("products/12") == {"id": 12}
    assert len(responses.calls) == 2


@responses.activate
def test_429_honours_retry_after() -> None:
    waits: list[float] = []
    woo = WooCommerceClient("https://shop.example.com", consumer_key="ck_x", consumer_secret="cs_x", sleep=waits.append)
    responses.get(f"{API}/products", status=429, headers={"Retry-After": "7"})
    responses.get(f"{API}/products", json=[])
    woo.get_json("products")
    assert waits == [7.0]


@responses.activate
@pytest.mark.parametrize("status", [503, 429, 502, 504])
def test_a_refused_read_gives_its_slot_back_and_cuts_the_limit_before_it_tries_again(status: int) -> None:
    """Within ``reads_within`` each attempt takes a slot of its own: while the client waits to retry a
    refusal, it holds none, and the limit is already cut (so its retry and every read after it meet
    the lower limit, not only the reads after the refused one was answered)."""
    limiter = AIMDLimiter(maximum=8, limit=4)
    while_waiting: list[tuple[int, int]] = []
    woo = client(sleep=lambda _seconds: while_waiting.append((limiter.in_flight, limiter.limit)))
    responses.get(f"{API}/products", status=status, json={"code": "x", "message": "busy", "data": {"status": status}})
    responses.get(f"{API}/products", json=[{"id": 1}], headers={"X-WP-Total": "1", "X-WP-TotalPages": "1"})
    with woo.reads_within(limiter, "listing"):
        page = woo.list_page("products")
    assert [item["id"] for item in page.items] == [1]
    assert while_waiting == [(0, 2)]  # no slot held while waiting; 4 halved at the refusal
    assert (limiter.in_flight, limiter.limit, limiter.ceiling) == (0, 2, 1)


@responses.activate
def test_reads_outside_reads_within_take_no_slot_and_a_timeout_inside_is_an_overload() -> None:
    limiter = AIMDLimiter(maximum=8, limit=4)
    woo = client()
    responses.get(f"{API}/products/1", json={"id": 1})
    responses.get(f"{API}/products/2", body=requests.ReadTimeout("slow"))
    responses.get(f"{API}/products/2", json={"id": 2})
    assert woo.get_json("products/1") == {"id": 1}
    assert (limiter.limit, limiter.changes) == (4, [])
    with woo.reads_within(limiter, "single"):
        assert woo.get_json("products/2") == {"id": 2}
    assert (limiter.in_flight, limiter.limit) == (0, 2)


@responses.activate
def test_gives_up_after_max_attempts_with_a_transient_error() -> None:
    responses.get(f"{API}/products/12", status=500, body="<html>Fatal error</html>")
    with pytest.raises(TransientError):
        client().get_json("products/12")
    assert len(responses.calls) == 3


@responses.activate
@pytest.mark.parametrize("status", [400, 404, 410, 501])
def test_other_errors_are_not_retried(status: int) -> None:
    body = {"code": "woocommerce_rest_trash_not_supported", "message": "Resource does not support trashing.",
            "data": {"status": status}}  # fmt: skip
    responses.delete(f"{API}/customers/3", status=status, json=body)
    with pytest.raises(PermanentError) as raised:
        client().send_json("DELETE", "customers/3")
    assert len(responses.calls) == 1
    assert raised.value.status == status
    assert raised.value.code == "woocommerce_rest_trash_not_supported"
    assert raised.value.problem.detail == "Resource does not support trashing."


@responses.activate
def test_invalid_param_details_are_kept() -> None:
    reason = "per_page must be between 1 (inclusive) and 100"
    body = {"code": "rest_invalid_param", "message": "Invalid parameter(s): per_page",
            "data": {"status": 400, "params": {"per_page": reason}}}  # fmt: skip
    responses.get(f"{API}/products", status=400, json=body)
    with pytest.raises(PermanentError) as raised:
        client().get_json("products")
    assert raised.value.problem.errors == [
        {"property": "per_page", "message": "per_page must be between 1 (inclusive) and 100"}
    ]


@responses.activate
@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_raise_authentication_error(status: int) -> None:
    body = {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.",
            "data": {"status": status}}  # fmt: skip
    responses.get(f"{API}/settings/general", status=status, json=body)
    with pytest.raises(AuthenticationError) as raised:
        client().get_json("settings/general")
    assert raised.value.code == "woocommerce_rest_cannot_view"
    assert len(responses.calls) == 1


@responses.activate
def test_get_or_none_maps_404_to_none() -> None:
    body = {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": {"status": 404}}
    responses.get(f"{API}/products/9", status=404, json=body)
    assert client().get_or_none("products/9") is None


@responses.activate
def test_iter_list_follows_total_pages_with_100_per_page() -> None:
    for page, ids in ((1, [1, 2]), (2, [3, 4]), (3, [5])):
        responses.get(
            f"{API}/products",
            json=[{"id": i} for i in ids],
            headers={"X-WP-Total": "5", "X-WP-TotalPages": "3"},
            match=[
                matchers.query_param_matcher({"orderby": "id", "order": "asc", "page": str(page), "per_page": "100"})
            ],
        )
    items = list(client().iter_list("products", params={"orderby": "id", "order": "asc"}))
    assert [i["id"] for i in items] == [1, 2, 3, 4, 5]
    assert len(responses.calls) == 3


@responses.activate
def test_list_page_reports_totals() -> None:
    responses.get(f"{API}/orders", json=[{"id": 1}], headers={"X-WP-Total": "101", "X-WP-TotalPages": "2"})
    page = client().list_page("orders")
    assert (page.page, page.total_pages, page.total_records, page.has_next) == (1, 2, 101, True)


def test_modified_after_params_are_utc_and_gmt_flagged() -> None:
    when = datetime(2024, 3, 15, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert WooCommerceClient.modified_after_params(when) == {
        "modified_after": "2024-03-15T10:00:00",
        "dates_are_gmt": "true",
    }
    assert WooCommerceClient.modified_after_params(datetime(2024, 1, 1, tzinfo=UTC))["modified_after"] == (
        "2024-01-01T00:00:00"
    )
    assert WooCommerceClient.modified_after_params(None) == {}


@responses.activate
def test_connection_errors_are_retried() -> None:
    responses.get(f"{API}/products/12", body=requests.ConnectionError("reset"))
    responses.get(f"{API}/products/12", json={"id": 12})
    assert client().get_json("products/12") == {"id": 12}
