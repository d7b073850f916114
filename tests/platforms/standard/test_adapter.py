"""The standard adapter against the standard sandbox over loopback HTTP: paging while records change,
resuming, catch-up, single reads, id listings, the webhook subscription, transport rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses

from ignite_bridge.core.errors import AuthenticationError, PermanentError, TransientError
from platforms.standard import adapter as adapter_module
from platforms.standard import signatures
from platforms.standard.adapter import StandardAdapter
from platforms.standard.client import InsecureStoreUrlError
from platforms.types import DataType
from sandbox.server import SandboxServer, serve_in_thread
from sandbox.standard import StandardSandbox

DELIVERY_URL = "https://bridge.example/webhooks/standard/uuid/"


@pytest.fixture
def store() -> Iterator[SandboxServer]:
    server = serve_in_thread(StandardSandbox(products=45, customers=20, orders=10, seed=4))
    yield server
    server.stop()


def adapter_for(store: SandboxServer, **kwargs: Any) -> StandardAdapter:
    return StandardAdapter(
        store_url=store.url, credentials={"api_token": "sandbox-token"}, allow_insecure_http=True, **kwargs
    )


def test_every_product_is_read_once_while_records_are_added_and_removed_between_pages(
    store: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapter_module, "PAGE_SIZE", 7)
    with store.app.store.lock:
        before = list(store.app.store.tables["products"].records)
    seen: list[str] = []
    removed: list[str] = []
    for number, page in enumerate(adapter_for(store, prefetch_pages=0).iter_pages(DataType.PRODUCTS)):
        seen += [record.external_id for record in page.records]
        with store.app.store.lock:  # a merchant works while the sync reads
            if number < 4:
                removed.append(seen[0 if number == 0 else -1])
                store.app.store.delete("products", removed[-1])
                store.app.store.create("products", store.app.store.conformance_record("products"))
    assert [pid for pid, n in Counter(seen).items() if n > 1] == []
    assert set(before) - set(removed) <= set(seen)  # nothing that lived throughout was skipped


def test_a_run_resumes_exactly_after_its_last_checkpoint(store: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adapter_module, "PAGE_SIZE", 10)
    pages = list(adapter_for(store).iter_pages(DataType.CUSTOMERS))
    assert [page.next_cursor is None for page in pages] == [False, True]
    resumed = list(adapter_for(store).iter_pages(DataType.CUSTOMERS, cursor=pages[0].next_cursor))
    assert [r.external_id for p in resumed for r in p.records] == [r.external_id for r in pages[1].records]
    with pytest.raises(ValueError, match="not a standard platform cursor"):
        next(adapter_for(store).iter_pages(DataType.CUSTOMERS, cursor="v=2&c=x"))


def test_catch_up_reads_only_what_changed_since_and_keeps_its_bound_across_pages(
    store: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapter_module, "PAGE_SIZE", 2)
    since = datetime.now(UTC)
    with store.app.store.lock:
        for product_id in ("3", "11", "20"):
            store.app.store.touch("products", product_id)
    pages = list(adapter_for(store).iter_pages(DataType.PRODUCTS, modified_after=since))
    assert [r.external_id for p in pages for r in p.records] == ["3", "11", "20"]
    assert "after=" in str(pages[0].next_cursor)


def test_single_reads_id_listing_stock_rows_and_price_lists(store: SandboxServer) -> None:
    adapter = adapter_for(store)
    listed = {r.external_id: r for p in adapter.iter_pages(DataType.PRODUCTS) for r in p.records}
    assert list(adapter.iter_record_ids(DataType.PRODUCTS)) == list(listed)
    fetched = adapter.fetch_record(DataType.PRODUCTS, "5")
    assert fetched is not None
    assert (fetched.payload, fetched.stock, fetched.pricing) == (
        listed["5"].payload,
        listed["5"].stock,
        listed["5"].pricing,
    )
    with store.app.store.lock:
        store.app.store.delete("products", "5")
    assert adapter.fetch_record(DataType.PRODUCTS, "5") is None
    stock = [r for p in adapter.iter_pages(DataType.STOCK) for r in p.records]
    assert {r.external_id for r in stock} == {
        row["sku"] for r in listed.values() if r.external_id != "5" for row in r.stock
    }
    assert adapter.price_lists() == [{"slug": "platform-gbp", "name": "Sandbox Platform GBP", "currency_code": "gbp",
                                      "source": "platform"}]  # fmt: skip
    with pytest.raises(ValueError, match="fetch the product instead"):
        adapter.fetch_record(DataType.STOCK, "SKU-1-1")


def test_the_subscription_is_registered_once_rekeyed_repaired_and_removed(store: SandboxServer) -> None:
    adapter = adapter_for(store)
    first = adapter.register_webhooks(delivery_url=DELIVERY_URL, secret="first-secret-0123456789abcdefghij")
    again = adapter.register_webhooks(delivery_url=DELIVERY_URL, secret="second-secret-0123456789abcdefghi")
    assert [hook.id for hook in again] == [hook.id for hook in first]
    (subscription,) = store.app.store.subscriptions.values()
    assert subscription["secret"] == signatures.secret_for("second-secret-0123456789abcdefghi")
    assert adapter.repair_webhooks(delivery_url=DELIVERY_URL, secret="second-secret-0123456789abcdefghi") == []
    subscription["status"] = "disabled"  # the platform gave up on failed deliveries
    assert adapter.repair_webhooks(delivery_url=DELIVERY_URL, secret="second-secret-0123456789abcdefghi") == ["*"]
    assert [s["status"] for s in store.app.store.subscriptions.values()] == ["active"]
    assert adapter.unregister_webhooks(delivery_url=DELIVERY_URL) == 1
    assert adapter.repair_webhooks(delivery_url=DELIVERY_URL, secret="x" * 32) == ["*"]  # re-created
    assert len(store.app.store.subscriptions) == 1


def test_plain_http_is_refused_before_any_call_unless_allowed(store: SandboxServer) -> None:
    adapter = StandardAdapter(store_url=store.url, credentials={"api_token": "sandbox-token"})
    with pytest.raises(InsecureStoreUrlError, match="the API token would travel unencrypted"):
        adapter.check_credentials()
    assert list(store.app.calls) == []


def test_5xx_is_retried_then_transient_and_a_refused_token_is_an_authentication_error(store: SandboxServer) -> None:
    requests.put(f"{store.url}/_sandbox/faults", json={"error_500_rate": 1.0}, timeout=5)
    adapter = StandardAdapter(store_url=store.url, credentials={"api_token": "sandbox-token"},
                              allow_insecure_http=True, max_attempts=2)  # fmt: skip
    adapter.client.sleep = lambda _seconds: None
    with pytest.raises(TransientError):
        adapter.check_credentials()
    assert [call["status"] for call in store.app.calls] == [500, 500]
    requests.put(f"{store.url}/_sandbox/faults", json={}, timeout=5)
    refused = StandardAdapter(store_url=store.url, credentials={"api_token": "wrong"}, allow_insecure_http=True)
    with pytest.raises(AuthenticationError):
        refused.check_credentials()


@responses.activate
def test_an_api_version_this_bridge_does_not_speak_is_refused_at_connect() -> None:
    responses.get("https://shop.example/ignite/", json={"api_version": "2", "capabilities": []})
    adapter = StandardAdapter(store_url="https://shop.example/ignite", credentials={"api_token": "t"})
    with pytest.raises(PermanentError, match="api_version '2' is not supported"):
        adapter.check_credentials()
