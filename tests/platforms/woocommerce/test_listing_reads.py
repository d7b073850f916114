"""Listing pages read in parallel: the pages handed on are those a one-at-a-time reader hands on."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from platforms.concurrency import AIMDLimiter
from platforms.types import DataType
from platforms.woocommerce.adapter import WooCommerceAdapter, _drop, _ListingRead
from platforms.woocommerce.client import next_offset
from platforms.woocommerce.cursor import ListingCursor
from sandbox.server import serve_in_thread
from sandbox.woocommerce import products as sandbox_products
from sandbox.woocommerce.app import WooCommerceSandbox


class SlowListings:
    """The sandbox, with every product listing taking ``delay`` seconds; counts listings in flight."""

    def __init__(self, app: WooCommerceSandbox, delay: float, deeper: float = 0.0) -> None:
        self.app, self.delay, self.deeper = app, delay, deeper  # ``deeper``: seconds more per 100 records of offset
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0
        self.overlapping = 0  # listings that started while another was being read
        self.offsets: list[int] = []
        self.answers: dict[int, list[list[int]]] = defaultdict(list)  # offset -> the ids each read answered
        self.totals: dict[int, list[int]] = defaultdict(list)  # offset -> the X-WP-Total each read answered
        self.before_answer: Any = None  # called with the offset before a listing is answered

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not environ["PATH_INFO"].endswith("/wc/v3/products"):
            return self.app(environ, start_response)
        offset = int(parse_qs(environ.get("QUERY_STRING", "")).get("offset", ["0"])[0])
        with self.lock:
            self.overlapping += self.in_flight > 0
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.offsets.append(offset)
        try:
            time.sleep(self.delay + self.deeper * offset / 100)
            if self.before_answer is not None:
                self.before_answer(offset)
            headers: dict[str, str] = {}

            def record_headers(status: str, response_headers: list[tuple[str, str]], *rest: Any) -> Any:
                headers.update(response_headers)
                return start_response(status, response_headers, *rest)

            body = b"".join(self.app(environ, record_headers))
            with self.lock:
                self.answers[offset].append([item["id"] for item in json.loads(body)])
                self.totals[offset].append(int(headers["X-WP-Total"]))
            return [body]
        finally:
            with self.lock:
                self.in_flight -= 1


class SteadyLimiter(AIMDLimiter):
    """The store's concurrency held at ``maximum``: what these tests check is how the reader uses the
    slots it has, not how the limit adapts (tests/platforms/test_concurrency.py), so a machine slow
    enough to make a read look like a struggling store does not change what they see."""

    def _observe(self, kind: str, latency: float) -> None:
        return None

    def _cut(self) -> None:
        return None


@contextmanager
def served(store: SlowListings) -> Iterator[str]:
    server = serve_in_thread(store)
    try:
        yield server.url
    finally:
        server.stop()


def adapter(url: str, maximum: int = 0) -> WooCommerceAdapter:
    adapter = WooCommerceAdapter(
        store_url=url,
        credentials={"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"},
        allow_insecure_http=True,
        max_attempts=2,
    )
    if maximum:
        adapter.read_limiter = SteadyLimiter(maximum=maximum, limit=maximum)
    return adapter


def test_listing_pages_are_read_at_the_same_time_and_handed_on_in_order() -> None:
    app = WooCommerceSandbox(products=800, customers=1, orders=0, seed=11)
    store = SlowListings(app, delay=0.1)
    with served(store) as url:
        pages = list(adapter(url, maximum=4).iter_pages(DataType.PRODUCTS))
    ids = [int(r.external_id) for page in pages for r in page.records]
    assert ids == sorted(app.store.products)  # every product once, in id order
    assert store.most_in_flight >= 3  # the listings after the first were read together
    assert sorted(store.offsets) == [100 * n for n in range(8)]  # each page read once: every prediction held
    assert [page.next_cursor is None for page in pages] == [False] * 7 + [True]
    read_at = [page.read_at for page in pages]
    assert read_at == [None] * 8  # no clock given: none made up


def test_records_leaving_the_listing_while_it_is_read_hand_on_what_a_one_at_a_time_reader_would() -> None:
    """Ten products leave the store while the listing is read: every later record moves forward ten
    places, so the pages predicted from the old total start too late and are dropped. Each page
    handed on is still the store's answer at the position the page before it names (its cursor),
    the chain a reader that reads one page after the other follows."""
    app = WooCommerceSandbox(products=800, customers=1, orders=0, seed=11)
    store = SlowListings(app, delay=0.02)
    leaving = sorted(app.store.products)[150:160]

    def before_answer(offset: int) -> None:
        if offset == 300 and leaving[0] in app.store.products:
            for product_id in leaving:
                sandbox_products.delete(app.store, product_id)

    store.before_answer = before_answer
    with served(store) as url:
        pages = list(adapter(url, maximum=4).iter_pages(DataType.PRODUCTS))
    handed = [[int(r.external_id) for r in page.records] for page in pages]
    assert handed[0] in store.answers[0]
    for page, following in zip(pages, handed[1:], strict=False):
        assert page.next_cursor is not None
        assert following in store.answers[ListingCursor.parse(page.next_cursor).offset]
    assert pages[-1].next_cursor is None
    assert len(store.offsets) > len(pages)  # predicted reads were dropped and read again from the real position
    cursors = [ListingCursor.parse(page.next_cursor) for page in pages[:-1] if page.next_cursor]
    assert any(cursor.total == 790 for cursor in cursors)  # the reader saw the listing shrink


def test_dropping_a_prediction_cancels_its_listing_or_the_variation_reads_it_queued() -> None:
    """A predicted read dropped before it started is cancelled; one already reading its listing
    cancels, once the listing arrives, the variation reads it queued that have not started."""
    not_started: Future[Any] = Future()
    _drop(_ListingRead(ListingCursor(), not_started, None))
    assert not_started.cancelled()

    reading: Future[Any] = Future()
    assert reading.set_running_or_notify_cancel()
    _drop(_ListingRead(ListingCursor(), reading, None))
    queued, running = Future(), Future()
    assert running.set_running_or_notify_cancel()
    reading.set_result((None, [queued, running]))
    assert queued.cancelled()
    assert not running.cancelled()  # already asking the store: left to finish, its answer unused


def test_the_id_listing_reads_its_pages_at_the_same_time_each_once() -> None:
    app = WooCommerceSandbox(products=800, customers=1, orders=0, seed=11)
    store = SlowListings(app, delay=0.1)
    with served(store) as url:
        ids = list(adapter(url, maximum=4).iter_record_ids(DataType.PRODUCTS))
    assert ids == [str(product_id) for product_id in sorted(app.store.products)]
    assert store.most_in_flight >= 3  # the id pages after the first were read together
    assert sorted(store.offsets) == [100 * n for n in range(8)]  # each page read once: every prediction held


def one_at_a_time_chain(store: SlowListings, handed: list[int]) -> bool:
    """Whether ``handed`` is a chain of the store's answers a one-at-a-time reader follows: the page
    at 0, then at each position ``next_offset`` names from the page before it, until a page reaches
    the end of the listing it answered for or a page comes back empty (records left meanwhile).
    A position read twice (a prediction dropped and read again) may have answered the same ids with
    different totals, so every answer that fits is followed."""

    def follows(position: int, offset: int, total: int | None) -> bool:
        for ids, answered_total in zip(store.answers[offset], store.totals[offset], strict=True):
            if not ids:
                if position == len(handed):
                    return True  # read where the listing went on and found nothing left
                continue
            if handed[position : position + len(ids)] != ids:
                continue
            if position + len(ids) == len(handed) and offset + len(ids) >= answered_total:
                return True
            if follows(position + len(ids), next_offset(offset, len(ids), total, answered_total), answered_total):
                return True
        return False

    return follows(0, 0, None)


@example(products=303, leaving=[(300, 0), (300, 1), (300, 2)], ahead=4)  # the last page comes back empty
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    products=st.integers(min_value=150, max_value=520),
    leaving=st.lists(st.tuples(st.sampled_from([100, 200, 300, 400]), st.integers(0, 499)), max_size=6),
    ahead=st.sampled_from([1, 4, 8]),
)
def test_records_leaving_while_the_id_listing_is_read_hand_on_a_one_at_a_time_chain(
    products: int, leaving: list[tuple[int, int]], ahead: int
) -> None:
    """Products deleted while the id listing is read (``leaving``: before the read at that offset is
    answered, the product at that position goes): however many pages are read at once, the ids
    handed on are the store's answers chained as a one-at-a-time reader chains them."""
    app = WooCommerceSandbox(products=products, customers=1, orders=0, seed=5)
    store = SlowListings(app, delay=0.005)
    gone: set[tuple[int, int]] = set()

    def before_answer(offset: int) -> None:
        for when, position in leaving:
            live = sorted(app.store.products)
            if when == offset and (when, position) not in gone and position < len(live):
                gone.add((when, position))
                sandbox_products.delete(app.store, live[position])

    store.before_answer = before_answer
    with served(store) as url:
        ids = list(adapter(url, maximum=ahead).iter_record_ids(DataType.PRODUCTS))
    assert one_at_a_time_chain(store, [int(external_id) for external_id in ids]), (
        products,
        leaving,
        ahead,
        len(ids),
        ids[:3],
        ids[-3:],
        store.offsets,
        dict(store.totals),
        {o: [(a[:3], a[-3:], len(a)) for a in v] for o, v in store.answers.items()},
    )
    if not gone:
        assert ids == [str(product_id) for product_id in sorted(app.store.products)]


def test_a_store_slower_deeper_in_its_listing_for_every_caller_is_still_read_several_at_once() -> None:
    """Offset pagination gets slower with depth (the store skips the rows before the page), at any
    concurrency: the adaptive limit must not read that as a store it overloads and fall to one read
    at a time for the rest of the listing (a cut that does not bring the latency down is undone)."""
    app = WooCommerceSandbox(products=3000, customers=1, orders=0, seed=11)
    store = SlowListings(app, delay=0.02, deeper=0.02)  # 20 ms at the start, 600 ms at the last page
    with served(store) as url:
        reader = adapter(url)
        reader.read_limiter = limiter = AIMDLimiter(maximum=4)
        ids = list(reader.iter_record_ids(DataType.PRODUCTS))
    assert len(ids) == 3000
    assert store.overlapping >= len(store.offsets) // 3, (store.overlapping, len(store.offsets), limiter.changes)
