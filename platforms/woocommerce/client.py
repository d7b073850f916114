"""HTTP client for one WooCommerce store's REST API (``{store}/wp-json/wc/v3/``).

Everything platform-specific about talking to WooCommerce lives here so the adapter only deals
in resources: Basic auth with the consumer key/secret (HTTPS only: WooCommerce accepts Basic auth
only when WordPress sees SSL, and the keys must never cross the wire in clear), the
``{"code", "message", "data": {"status"}}`` error shape, which statuses are worth retrying, and
``page``/``per_page`` pagination driven by ``X-WP-TotalPages``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from ignite_bridge.core.errors import AuthenticationError, PermanentError, ProblemDetail
from ignite_bridge.core.http import HttpClientBase, json_body, parse_json_problem
from platforms.concurrency import AIMDLimiter

#: WooCommerce refuses ``per_page`` above 100 with ``400 rest_invalid_param``.
MAX_PER_PAGE = 100


class InsecureStoreUrlError(PermanentError):
    """The store URL is plain ``http://`` and insecure transport was not explicitly allowed."""


def ensure_store_url(store_url: str, *, allow_insecure_http: bool) -> str:
    """Return the normalised store URL or refuse it before any request is made.

    Plain HTTP would send the consumer secret in clear (Basic auth); it is allowed only for the
    loopback sandbox and tests, which must say so with ``allow_insecure_http=True``.
    """
    url = (store_url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PermanentError(f"WooCommerce store URL {store_url!r} is not an absolute http(s) URL", status=None)
    if parts.scheme == "http" and not allow_insecure_http:
        raise InsecureStoreUrlError(
            f"WooCommerce store URL {url} uses plain HTTP; the API keys would travel unencrypted. "
            "Use https:// (plain http is only allowed for a local sandbox with allow_insecure_http=True)."
        )
    return url


def gmt_param(value: datetime) -> str:
    """A datetime as WooCommerce's offset-less ISO 8601 in UTC (sent with ``dates_are_gmt=true``)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass
class ListPage:
    """One page of a WooCommerce listing with the totals from its response headers."""

    items: list[dict[str, Any]]
    page: int
    total_pages: int
    total_records: int | None
    #: set when the page was read by position (``offset``) rather than by page number
    offset: int | None = None
    per_page: int = MAX_PER_PAGE

    @property
    def has_next(self) -> bool:
        if self.offset is None:
            return self.page < self.total_pages
        if self.total_records is not None:
            return self.offset + len(self.items) < self.total_records
        return len(self.items) >= self.per_page


class WooCommerceClient(HttpClientBase):
    """Timeouts, retries and error mapping come from ``HttpClientBase``; this adds WooCommerce's rules."""

    service_name = "woocommerce"

    def __init__(
        self,
        store_url: str,
        *,
        consumer_key: str,
        consumer_secret: str,
        allow_insecure_http: bool = False,
        **kwargs: Any,
    ) -> None:
        self.store_url = ensure_store_url(store_url, allow_insecure_http=allow_insecure_http)
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self._gate = threading.local()
        super().__init__(f"{self.store_url}/wp-json/wc/v3", **kwargs)

    @contextmanager
    def reads_within(self, limiter: AIMDLimiter, kind: str) -> Iterator[None]:
        """Every attempt this thread sends inside takes a slot of ``limiter`` of its own (``kind``: the
        latency baseline it is judged against). A refusal (429/503, or 502/504 from the web server in
        front of PHP: ``OVERLOAD_STATUSES``), a timeout or a dropped connection gives its slot back as
        an overload before the client waits to try again: the cut applies at once, to the retry and to
        every read after it. A slot held across the retries would report the
        refusal only when they were over, while the limit kept growing on the other reads' answers."""
        previous = getattr(self._gate, "slot", None)
        self._gate.slot = (limiter, kind)
        try:
            yield
        finally:
            self._gate.slot = previous

    # -- HttpClientBase hooks ----------------------------------------------------------------

    def prepare_auth(self, kwargs: dict[str, Any]) -> None:
        kwargs["auth"] = (self.consumer_key, self.consumer_secret)

    def transmit(self, method: str, url: str, kwargs: dict[str, Any]) -> requests.Response:
        gate = getattr(self._gate, "slot", None)
        if gate is None:
            return super().transmit(method, url, kwargs)
        limiter, kind = gate
        overload_errors = (requests.Timeout, requests.ConnectionError)  # a store dropping connections is full too
        return self.transmit_in_slot(limiter.slot(kind), method, url, kwargs, overload_errors=overload_errors)

    def is_retryable_status(self, response: requests.Response) -> bool:
        # 501 is excluded: WooCommerce answers it for "trash not supported" and hosts' WAFs answer it
        # for blocked methods; neither goes away by waiting.
        status = response.status_code
        return status == 429 or (status >= 500 and status != 501)

    def parse_problem(self, response: requests.Response) -> ProblemDetail:
        """WooCommerce errors are ``{"code", "message", "data": {"status"}}``, not RFC 7807."""
        problem = parse_json_problem(response)
        try:
            body = response.json()
        except ValueError:
            return problem
        if isinstance(body, Mapping) and "code" in body and "message" in body:
            problem.code = str(body.get("code") or "")
            problem.title = problem.code or problem.title
            problem.detail = str(body.get("message") or "")
            data = body.get("data")
            if isinstance(data, Mapping) and isinstance(data.get("status"), int):
                problem.status = data["status"]
            params = data.get("params") if isinstance(data, Mapping) else None
            if isinstance(params, Mapping):
                problem.errors = [{"property": str(k), "message": str(v)} for k, v in params.items()]
        return problem

    def handle_response(
        self,
        response: requests.Response,
        *,
        attempt: int,
        attempts: int,
        method: str,
        path: str,
        retry_statuses: Collection[int] | None = None,
    ) -> float | None:
        """Refused credentials become ``AuthenticationError`` so callers can tell them apart."""
        if response.status_code in (401, 403):
            problem = self.parse_problem(response)
            raise AuthenticationError(
                f"{self.service_name} {method} {path}: {response.status_code} {problem.summary()}",
                status=response.status_code,
                problem=problem,
                method=method,
                url=path,
            )
        return super().handle_response(
            response, attempt=attempt, attempts=attempts, method=method, path=path, retry_statuses=retry_statuses
        )

    # -- convenience -------------------------------------------------------------------------

    def get_json(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params).json()

    def send_json(self, method: str, path: str, *, body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """PUT/POST/DELETE returning the decoded body (None when empty)."""
        response = self.request(method, path, json_body=body, params=params)
        if not response.content:
            return None
        return response.json()

    def get_or_none(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """GET a single resource; None when WooCommerce answers 404 (permanently deleted)."""
        try:
            return self.get_json(path, params=params)
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise

    def list_page(
        self,
        path: str,
        *,
        page: int = 1,
        per_page: int = MAX_PER_PAGE,
        params: Mapping[str, Any] | None = None,
        offset: int | None = None,
    ) -> ListPage:
        """One page of a listing; totals come from ``X-WP-Total`` / ``X-WP-TotalPages``.

        With ``offset`` the page starts after that many records (WordPress then ignores ``page``)."""
        query = {**(params or {}), "per_page": min(per_page, MAX_PER_PAGE)}
        if offset is None:
            query["page"] = page
        else:
            query["offset"] = offset
        response = self.request("GET", path, params=query)
        items = json_body(response)
        if not isinstance(items, list):
            raise PermanentError(f"woocommerce GET {path}: expected a list, got {type(items).__name__}")
        total_pages = _int_header(response, "X-WP-TotalPages")
        if total_pages is None:
            # No header (some caches strip it): keep going while pages come back full.
            total_pages = page + 1 if len(items) >= query["per_page"] else page
        return ListPage(
            items=items,
            page=page,
            total_pages=total_pages,
            total_records=_int_header(response, "X-WP-Total"),
            offset=offset,
            per_page=query["per_page"],
        )

    def iter_list_by_offset(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        ahead: int = 1,
        slot: Callable[[], AbstractContextManager[object]] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a listing ordered by id, robust to records leaving it while it is read.

        Reads by position and steps back by as many records as the listing lost since the previous
        page (``X-WP-Total``), so a deletion earlier in the listing never makes a later record be
        skipped; an item may come twice.

        With ``ahead`` > 1, once the first page told the total, the pages after the one being
        handed on are read at the same time (full pages, the same total: ``ahead`` reads at once,
        each inside ``slot()``, the store's concurrency). Each page is checked, in order, against
        the position a one-at-a-time reader would read next: a page whose total moved, or whose
        position is not that one, drops the reads predicted after it and reading goes on from the
        real position, so the items handed on are exactly those of a one-at-a-time reader."""

        def read(offset: int) -> ListPage:
            with slot() if slot is not None else nullcontext():
                return self.list_page(path, params=params, offset=offset)

        pool = ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="listing") if ahead > 1 else None
        pending: deque[tuple[int, Future[ListPage]]] = deque()
        basis: int | None = None  # the total the pending reads were predicted from
        try:
            offset, total, result = 0, None, read(0)
            while True:
                yield from result.items
                if not result.has_next or not result.items:
                    return
                offset = next_offset(offset, len(result.items), total, result.total_records)
                total = result.total_records
                if pending and (pending[0][0] != offset or total != basis):
                    _cancel(pending)  # predicted from a total or a position that did not hold
                if pool is not None and total is not None:
                    basis = total
                    following = pending[-1][0] + result.per_page if pending else offset
                    while len(pending) < ahead and following < total:
                        pending.append((following, pool.submit(read, following)))
                        following += result.per_page
                result = pending.popleft()[1].result() if pending else read(offset)
        finally:
            _cancel(pending)
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    def iter_list(
        self, path: str, *, params: Mapping[str, Any] | None = None, start_page: int = 1
    ) -> Iterator[dict[str, Any]]:
        """Every item of a listing, page after page, holding one page in memory at a time."""
        page = start_page
        while True:
            result = self.list_page(path, page=page, params=params)
            yield from result.items
            if not result.has_next or not result.items:
                return
            page += 1

    @staticmethod
    def modified_after_params(modified_after: datetime | None) -> dict[str, str]:
        """Catch-up filter: ``modified_after`` compared against the GMT column (WC ≥ 5.8)."""
        if modified_after is None:
            return {}
        return {"modified_after": gmt_param(modified_after), "dates_are_gmt": "true"}


def _int_header(response: requests.Response, name: str) -> int | None:
    value = response.headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _cancel(pending: deque[tuple[int, Future[ListPage]]]) -> None:
    for _, future in pending:
        future.cancel()
    pending.clear()


def next_offset(offset: int, read: int, previous_total: int | None, total: int | None) -> int:
    """Where the page after one read at ``offset`` starts.

    WooCommerce pages by position: when records leave the listing before this point between two
    page reads, every later record moves forward. The listing's total tells how many left, so the
    next read starts that many records earlier (some records are read twice, none is skipped)."""
    shrunk = max(0, previous_total - total) if previous_total is not None and total is not None else 0
    return max(0, offset + read - shrunk)
