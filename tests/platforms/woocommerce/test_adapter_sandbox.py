"""The WooCommerce adapter against the WooCommerce sandbox over real HTTP on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ignite_bridge.core.errors import AuthenticationError
from platforms.types import DataType, Page
from platforms.woocommerce.adapter import WooCommerceAdapter, variation_chunks
from platforms.woocommerce.webhooks import WEBHOOK_TOPICS
from sandbox.server import SandboxServer, serve_in_thread
from sandbox.woocommerce.app import WooCommerceSandbox

SECRET = "Wh00kSecretForTests0123456789abcdefXYZ"


class Receiver:
    """A tiny loopback HTTP server standing in for the bridge: records every POST, answers 200."""

    def __init__(self) -> None:
        received: list[tuple[str, dict[str, str], bytes]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((self.path, dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def adapter_for(server: SandboxServer, key: str = "ck_sandbox", secret: str = "cs_sandbox") -> WooCommerceAdapter:  # noqa: S107
    return WooCommerceAdapter(
        store_url=server.url,
        credentials={"consumer_key": key, "consumer_secret": secret},
        allow_insecure_http=True,
        max_attempts=2,
    )


def control(server: SandboxServer, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(method, f"{server.url}/_sandbox/{path}", timeout=30, **kwargs)
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="module")
def big_store() -> Iterator[SandboxServer]:
    server = serve_in_thread(WooCommerceSandbox(products=1000, customers=150, orders=120, seed=7))
    yield server
    server.stop()


@pytest.fixture
def store() -> Iterator[SandboxServer]:
    server = serve_in_thread(WooCommerceSandbox(products=60, customers=20, orders=20, seed=3))
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


def test_iterating_1000_products_returns_each_exactly_once(big_store: SandboxServer) -> None:
    adapter = adapter_for(big_store)
    pages = list(adapter.iter_pages(DataType.PRODUCTS))
    ids = [record.external_id for page in pages for record in page.records]

    assert len(ids) == len(set(ids))
    assert set(ids) == set(adapter.iter_record_ids(DataType.PRODUCTS))
    assert len(pages) == pages[0].total_pages
    assert pages[0].total_records == len(ids)
    assert pages[-1].next_cursor is None
    assert all(page.next_cursor for page in pages[:-1])
    assert ids == sorted(ids, key=int)  # ordered by id, so a resumed run cannot miss earlier records
    mapped = [r for page in pages for r in page.records if r.payload is not None]
    assert len(mapped) > 0.9 * len(ids)
    codes = {issue.code for page in pages for r in page.records for issue in r.issues}
    assert {"unsupported_product_type", "variant_missing_sku"} <= codes  # the sandbox's ~4% bad records


def test_resuming_from_a_cursor_continues_exactly_there(big_store: SandboxServer) -> None:
    adapter = adapter_for(big_store)
    first_run = adapter.iter_pages(DataType.PRODUCTS)
    head = [next(first_run), next(first_run)]
    cursor = head[-1].next_cursor
    assert cursor is not None
    rest = list(adapter_for(big_store).iter_pages(DataType.PRODUCTS, cursor=cursor))
    resumed = [r.external_id for page in head + rest for r in page.records]
    assert resumed == list(adapter.iter_record_ids(DataType.PRODUCTS))


def test_a_forged_cursor_is_refused(big_store: SandboxServer) -> None:
    with pytest.raises(ValueError, match="cursor"):
        next(adapter_for(big_store).iter_pages(DataType.PRODUCTS, cursor="page=2; DROP TABLE"))


def test_catch_up_with_modified_after_returns_only_changed_products(store: SandboxServer) -> None:
    adapter = adapter_for(store)
    since = datetime.now(UTC) - timedelta(seconds=2)
    changes = control(
        store, "POST", "mutate", json={"count": 6, "seed": 5, "kinds": ["product_update", "product_delete"]}
    )
    changed = {str(c["id"]) for c in changes["changes"] if "id" in c}
    trashed = {str(c["id"]) for c in changes["changes"] if c.get("kind") == "product_delete"}

    records = [r for page in adapter.iter_pages(DataType.PRODUCTS, modified_after=since) for r in page.records]

    assert {r.external_id for r in records} == changed
    assert {r.external_id for r in records if r.deleted} == trashed
    for record in records:
        if record.deleted and record.payload is not None:
            assert {v["status"] for v in record.payload["variants"]} == {"discontinued"}


def test_catch_up_for_customers_filters_on_date_modified(store: SandboxServer) -> None:
    adapter = adapter_for(store)
    since = datetime.now(UTC) - timedelta(seconds=2)
    changes = control(store, "POST", "mutate", json={"count": 3, "seed": 9, "kinds": ["customer_update"]})
    changed = {str(c["id"]) for c in changes["changes"] if "id" in c}
    records = [r for page in adapter.iter_pages(DataType.CUSTOMERS, modified_after=since) for r in page.records]
    assert {r.external_id for r in records} == changed


def test_customers_orders_stock_and_merchant_pages(store: SandboxServer) -> None:
    adapter = adapter_for(store)

    customers = [r for page in adapter.iter_pages(DataType.CUSTOMERS) for r in page.records]
    assert {r.external_id for r in customers} == set(adapter.iter_record_ids(DataType.CUSTOMERS))
    assert all(r.platform_url.endswith(f"user-edit.php?user_id={r.external_id}") for r in customers)

    orders = [r for page in adapter.iter_pages(DataType.PURCHASES) for r in page.records]
    assert orders
    assert all(r.payload is None or r.payload["type"] == "order" for r in orders)
    state = control(store, "GET", "state", params={"records": "orders", "limit": "1000"})
    drafts = {str(o["id"]) for o in state["orders"] if o["status"] == "checkout-draft"}
    assert not drafts & {r.external_id for r in orders}

    stock = [r for page in adapter.iter_pages(DataType.STOCK) for r in page.records]
    assert stock
    assert all(r.data_type == DataType.STOCK and r.payload for r in stock)
    assert all(r.payload == {"sku": r.external_id, "stock_location_external_id": "default",
                             "stock_level": r.payload["stock_level"]} for r in stock if r.payload)  # fmt: skip

    (merchant_page,) = list(adapter.iter_pages(DataType.MERCHANT))
    assert merchant_page.records[0].payload == {
        "settings": [
            {"key": "currency_code", "value": "gbp"},
            {"key": "weight_unit", "value": "kg"},
            {"key": "prices_include_tax", "value": False},
        ]
    }
    assert adapter.price_lists()[0]["slug"] == "woocommerce-gbp"


def test_fetch_record_trashed_gone_and_variation(store: SandboxServer) -> None:
    adapter = adapter_for(store)
    client = adapter.client
    products = list(client.iter_list("products", params={"type": "variable", "orderby": "id", "order": "asc"}))
    variable = products[0]
    by_variation = adapter.fetch_record(DataType.PRODUCTS, str(variable["variations"][0]))
    assert by_variation is not None
    assert by_variation.external_id == str(variable["id"])

    simple = next(iter(client.iter_list("products", params={"type": "simple", "status": "publish"})))
    client.send_json("DELETE", f"products/{simple['id']}")  # to the trash
    trashed = adapter.fetch_record(DataType.PRODUCTS, str(simple["id"]))
    assert trashed is not None
    assert trashed.deleted is True
    assert trashed.payload is None or trashed.payload["variants"][0]["status"] == "discontinued"

    client.send_json("DELETE", f"products/{simple['id']}", params={"force": "true"})
    assert adapter.fetch_record(DataType.PRODUCTS, str(simple["id"])) is None
    assert adapter.fetch_record(DataType.CUSTOMERS, "999999") is None
    assert adapter.fetch_record(DataType.PURCHASES, "999999") is None


def test_register_is_idempotent_repair_fixes_and_unregister_removes(store: SandboxServer) -> None:
    adapter = adapter_for(store)
    delivery_url = "http://127.0.0.1:9/woocommerce/webhooks/conn-1"  # nothing listens: pings fail, harmlessly

    first = adapter.register_webhooks(delivery_url=delivery_url, secret=SECRET)
    again = adapter.register_webhooks(delivery_url=delivery_url, secret=SECRET)
    assert [w.topic for w in first] == list(WEBHOOK_TOPICS)
    assert [w.id for w in again] == [w.id for w in first]
    hooks = control(store, "GET", "state")["webhooks"]
    ours = [h for h in hooks if h["delivery_url"] == delivery_url]
    assert len(ours) == len(WEBHOOK_TOPICS)
    assert {h.get("private", h)["secret"] for h in ours} == {SECRET}  # the control API shows secrets
    assert {h["status"] for h in ours} == {"active"}

    by_topic = {w.topic: w.id for w in first}
    adapter.client.send_json("PUT", f"webhooks/{by_topic['order.updated']}", body={"status": "disabled"})
    adapter.client.send_json("PUT", f"webhooks/{by_topic['customer.created']}", body={"status": "paused"})
    adapter.client.send_json("DELETE", f"webhooks/{by_topic['product.deleted']}", params={"force": "true"})
    assert sorted(adapter.repair_webhooks(delivery_url=delivery_url, secret=SECRET)) == [
        "customer.created",
        "order.updated",
        "product.deleted",
    ]
    assert adapter.repair_webhooks(delivery_url=delivery_url, secret=SECRET) == []

    other = "http://127.0.0.1:9/someone-else"
    adapter.client.send_json("POST", "webhooks", body={"topic": "order.created", "delivery_url": other})
    assert adapter.unregister_webhooks(delivery_url=delivery_url) == len(WEBHOOK_TOPICS)
    remaining = control(store, "GET", "state")["webhooks"]
    assert [h["delivery_url"] for h in remaining] == [other]


def test_webhook_deliveries_verify_end_to_end(store: SandboxServer, receiver: Receiver) -> None:
    adapter = adapter_for(store)
    adapter.register_webhooks(delivery_url=f"{receiver.url}/hooks", secret=SECRET)
    changes = control(store, "POST", "mutate", json={"count": 3, "seed": 2, "kinds": ["product_update"]})
    control(store, "POST", "webhooks/flush")

    pings = [body for _, headers, body in receiver.received if body.startswith(b"webhook_id=")]
    assert len(pings) == len(WEBHOOK_TOPICS)
    deliveries = [adapter.verify_webhook(body, headers, SECRET) for _, headers, body in receiver.received]
    events = [d for d in deliveries if d is not None]
    assert {d.record_id for d in events} == {str(c["id"]) for c in changes["changes"]}
    assert {(d.data_type, d.topic) for d in events} == {(DataType.PRODUCTS, "product.updated")}
    assert all(d.occurred_at is not None for d in events)


def test_install_flow_end_to_end(store: SandboxServer, receiver: Receiver) -> None:
    pending = WooCommerceAdapter(store_url=store.url, credentials={}, allow_insecure_http=True)
    url = pending.authorization_url(
        callback_url=f"{receiver.url}/woocommerce/auth/callback",
        return_url="https://app.sparklayer.io/ignite/done",
        state="tok_42",
    )
    browser = requests.get(url, allow_redirects=False, timeout=30)  # the sandbox auto-approves

    assert browser.status_code == 302
    location = urlsplit(browser.headers["Location"])
    assert parse_qs(location.query) == {"success": ["1"], "user_id": ["tok_42"]}
    (path, headers, body) = receiver.received[-1]
    assert path == "/woocommerce/auth/callback"
    result = pending.parse_authorization_callback(body, headers)
    assert result.state == "tok_42"
    assert json.loads(body)["key_permissions"] == "read_write"

    connected = WooCommerceAdapter(store_url=store.url, credentials=result.credentials, allow_insecure_http=True)
    connected.check_credentials()
    with pytest.raises(AuthenticationError):
        adapter_for(store, key=result.credentials["consumer_key"], secret="cs_wrong").check_credentials()


def test_unknown_key_is_refused(store: SandboxServer) -> None:
    with pytest.raises(AuthenticationError):
        adapter_for(store, key="ck_unknown", secret="cs_unknown").check_credentials()


def test_pages_are_bounded_to_100_records(big_store: SandboxServer) -> None:
    started = time.monotonic()
    page: Page = next(adapter_for(big_store).iter_pages(DataType.PRODUCTS))
    assert len(page.records) == 100
    assert time.monotonic() - started < 30


class FailingStore:
    """The sandbox, except that requests ``fails`` picks get ``answer`` (500 unless told; counted)."""

    BOOM = ("500 Internal Server Error", b'{"code":"internal_server_error","message":"Boom.","data":{"status":500}}')
    NO_ROUTE = ("404 Not Found", b'{"code":"rest_no_route","message":"No route was found.","data":{"status":404}}')

    def __init__(self, app: WooCommerceSandbox, fails: Any, answer: tuple[str, bytes] = BOOM) -> None:
        self.app, self.fails, self.answer, self.failed = app, fails, answer, 0
        self.listings: list[int] = []
        self.paths: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path, query = environ["PATH_INFO"], parse_qs(environ.get("QUERY_STRING", ""))
        self.paths.append(path)
        if path.endswith("/wc/v3/products"):
            self.listings.append(int(query.get("offset", ["0"])[0]) // 100 + 1)
        if self.fails(path, query):
            self.failed += 1
            start_response(self.answer[0], [("Content-Type", "application/json")])
            return [self.answer[1]]
        return self.app(environ, start_response)


def failing_adapter(server: SandboxServer) -> WooCommerceAdapter:
    return WooCommerceAdapter(
        store_url=server.url,
        credentials={"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"},
        allow_insecure_http=True,
        max_attempts=2,
        sleep=lambda _seconds: None,
    )


def test_a_listing_page_that_fails_is_raised_after_the_pages_before_it() -> None:
    """The next listing is read while a page's variations are fetched; its failure must still
    reach the sync only after the pages before it, so those are checkpointed first."""
    app = WooCommerceSandbox(products=500, customers=1, orders=0, seed=7)
    failing = FailingStore(app, lambda path, query: path.endswith("/wc/v3/products") and query.get("offset") == ["200"])
    server = serve_in_thread(failing)
    try:
        clean = [str(pid) for pid in sorted(app.store.products)[:200]]
        pages = failing_adapter(server).iter_pages(DataType.PRODUCTS)
        got = [next(pages), next(pages)]
        with pytest.raises(Exception, match="500|Boom|server"):
            next(pages)
        assert [r.external_id for page in got for r in page.records] == clean
        assert all(page.next_cursor for page in got)
        assert failing.failed == 2  # both attempts of listing page 3
        assert failing.listings.count(3) == 2  # (listings are read in parallel: page 4 may be read meanwhile)
    finally:
        server.stop()


def test_a_failing_variations_call_is_raised_at_its_own_page() -> None:
    app = WooCommerceSandbox(products=500, customers=1, orders=0, seed=7)
    page_two = [pid for pid in sorted(app.store.products)][100:200]
    victim = next(pid for pid in page_two if app.store.products[pid].type == "variable")
    failing = FailingStore(
        app,
        lambda path, query: path.endswith(f"/products/{victim}/variations")
        or (path.endswith("/wc/v3/variations") and str(victim) in query.get("parent", [""])[0].split(",")),
    )
    server = serve_in_thread(failing)
    try:
        pages = failing_adapter(server).iter_pages(DataType.PRODUCTS)
        first = next(pages)
        assert [int(r.external_id) for r in first.records] == sorted(app.store.products)[:100]
        with pytest.raises(Exception, match="500|Boom|server"):
            next(pages)
    finally:
        server.stop()


def test_variations_land_with_their_own_product_when_pages_overlap(big_store: SandboxServer) -> None:
    """Variations of several pages are in flight at once: each product must get its own."""
    pages = adapter_for(big_store).iter_pages(DataType.PRODUCTS)
    store_products = {int(r.external_id): r for page in pages for r in page.records}
    auth = ("ck_sandbox", "cs_sandbox")
    variable = [pid for pid, r in store_products.items() if r.payload and len(r.payload.get("variants") or []) > 1]
    for product_id in variable[:: max(1, len(variable) // 25)]:
        listed = requests.get(
            f"{big_store.url}/wp-json/wc/v3/products/{product_id}/variations",
            params={"per_page": 100},
            auth=auth,
            timeout=30,
        ).json()
        variants = store_products[product_id].payload["variants"]
        assert {v["external_id"] for v in variants} <= {str(v["id"]) for v in listed}


def test_variations_come_from_the_cross_product_listing_and_match_the_per_product_reads() -> None:
    """WooCommerce 10.3+ lists variations across products: a page's variations then take a call per
    ~100 instead of one per variable product. A store without that route (404 rest_no_route, asked
    once) is read per product, with the same pages as the result."""
    app = WooCommerceSandbox(products=300, customers=1, orders=0, seed=11)
    server = serve_in_thread(app)
    older = FailingStore(
        WooCommerceSandbox(products=300, customers=1, orders=0, seed=11),
        lambda path, _query: path.endswith("/wc/v3/variations"),
        answer=FailingStore.NO_ROUTE,
    )
    old_server = serve_in_thread(older)
    try:
        control(server, "POST", "reset")
        new_pages = list(adapter_for(server).iter_pages(DataType.PRODUCTS))
        new_calls = control(server, "GET", "calls")
        old_pages = list(adapter_for(old_server).iter_pages(DataType.PRODUCTS))

        def records(pages: list[Page], url: str) -> Any:
            found = [(r.external_id, r.payload, sorted(i.code for i in r.issues)) for p in pages for r in p.records]
            return json.loads(json.dumps(found).replace(url, "STORE"))

        assert records(new_pages, server.url) == records(old_pages, old_server.url)
        variable = sum(1 for head in app.store.products.values() if head.type == "variable")
        per_product = [c for c in new_calls if "/variations" in c["path"] and "/products/" in c["path"]]
        across = [c for c in new_calls if c["path"].startswith("/wp-json/wc/v3/variations")]
        assert per_product == []
        assert len(across) <= len(app.store.variation_parent) // 100 + 3 * len(new_pages) + 1
        assert len(across) < variable / 5
        assert older.failed == 1  # asked once, then read per product
        assert sum(1 for p in older.paths if "/variations" in p and "/products/" in p) == variable
    finally:
        server.stop()
        old_server.stop()


def test_variation_chunks_fill_a_listing_page_and_keep_big_products_alone() -> None:
    def product(pid: int, count: int) -> dict[str, Any]:
        return {"id": pid, "variations": list(range(count))}

    chunks = list(variation_chunks([product(1, 40), product(2, 50), product(3, 20), product(4, 150), product(5, 1)]))
    assert [[p["id"] for p in chunk] for chunk in chunks] == [[1, 2], [3], [4], [5]]
    assert list(variation_chunks([])) == []


class IgnoresParent:
    """A store whose ``GET /variations`` ignores ``parent`` (answers every variation)."""

    def __init__(self, app: WooCommerceSandbox) -> None:
        self.app = app
        self.listing_calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"].endswith("/wc/v3/variations"):
            self.listing_calls += 1
            query = [p for p in environ.get("QUERY_STRING", "").split("&") if not p.startswith("parent=")]
            environ = {**environ, "QUERY_STRING": "&".join(query)}
        return self.app(environ, start_response)


def test_a_store_that_ignores_the_parent_filter_is_read_per_product() -> None:
    store = IgnoresParent(WooCommerceSandbox(products=150, customers=1, orders=0, seed=11))
    server = serve_in_thread(store)
    plain = serve_in_thread(WooCommerceSandbox(products=150, customers=1, orders=0, seed=11))
    try:
        adapter = adapter_for(server)
        ignored = [(r.external_id, r.payload) for p in adapter.iter_pages(DataType.PRODUCTS) for r in p.records]
        pages = adapter_for(plain).iter_pages(DataType.PRODUCTS)
        honoured = [(r.external_id, r.payload) for p in pages for r in p.records]
        assert json.dumps(ignored).replace(server.url, "S") == json.dumps(honoured).replace(plain.url, "S")
        assert adapter._has_variations_listing is False  # the probe (parent=0) answered variations

        # A store that passed the probe but answers another product's variations: read per product.
        late = adapter_for(server)
        late._has_variations_listing = True
        params = {"type": "variable", "per_page": 3, "orderby": "id", "order": "asc"}
        variable = requests.get(url_of(server, "/products"), params=params, auth=AUTH, timeout=30).json()
        before = store.listing_calls
        found = late._variations_of(variable[1:])
        assert store.listing_calls == before + 1  # not paged through the whole store
        assert {pid: [v["id"] for v in vs] for pid, vs in found.items()} == {
            p["id"]: sorted(p["variations"]) for p in variable[1:]
        }
    finally:
        server.stop()
        plain.stop()


AUTH = ("ck_sandbox", "cs_sandbox")


def url_of(server: SandboxServer, path: str) -> str:
    return f"{server.url}/wp-json/wc/v3{path}"


def test_customer_group_pages_hold_each_group_of_the_customers_once(store: SandboxServer) -> None:
    adapter = adapter_for(store)
    customers = [r for page in adapter.iter_pages(DataType.CUSTOMERS) for r in page.records]
    expected = sorted({r.payload["group"] for r in customers if r.payload and r.payload.get("group")} - {"base"})
    assert expected  # the sandbox puts about a fifth of its customers in gold or silver

    pages = list(adapter.iter_pages(DataType.CUSTOMER_GROUPS))
    records = [record for page in pages for record in page.records]
    assert sorted(r.external_id for r in records) == expected
    assert {r.data_type for r in records} == {DataType.CUSTOMER_GROUPS}
    assert records[0].payload == {
        "slug": records[0].external_id, "name": records[0].external_id.capitalize(), "parent_slug": "base",
    }  # fmt: skip
    assert len(pages) == len(list(adapter.iter_pages(DataType.CUSTOMERS)))  # one per customer page: resumable
    assert pages[-1].next_cursor is None


def test_stock_locations_and_one_skus_stock_from_the_store(store: SandboxServer) -> None:
    adapter = adapter_for(store)
    assert adapter.stock_locations() == [{"external_id": "default", "name": "1 Sandbox Street, London, EC1A 1BB"}]
    rows = [r for page in adapter.iter_pages(DataType.STOCK) for r in page.records]
    for row in rows[:15]:
        fetched = adapter.fetch_stock(row.external_id)
        assert fetched is not None
        assert (fetched.external_id, fetched.payload) == (row.external_id, row.payload)
    assert adapter.fetch_stock("NO-SUCH-SKU") is None
