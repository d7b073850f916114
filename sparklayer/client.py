"""The SparkLayer API client: one method per call the bridge makes (docs/ignite-contract.md §2).

Retry rules, on top of ``HttpClientBase``:

* 5xx, connection errors, timeouts, 429 (``Retry-After``) and 409 (a concurrent update) are
  retried with capped exponential backoff and jitter; a ``Retry-After`` above the ceiling is raised
  as ``TransientError(retry_after=...)`` for the Celery task to reschedule.
* The customer upsert is the exception: its 409 means the email or external id belongs to another
  customer, which no retry fixes, so that call does not retry 409.
* A 401 on an API call drops the shared token, fetches a new one once and retries once; a second
  401 is an ``AuthenticationError`` (the key was revoked, not merely expired).
* Every other 4xx is a ``PermanentError`` at once, carrying the parsed problem: the record becomes
  a sync issue and the run goes on.

Tokens come from ``TokenCache`` so every worker of every process shares one token per connection.
Neither the token nor the secret is ever put in a log line or an exception message.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import requests

from ignite_bridge.core.errors import AuthenticationError, PermanentError
from ignite_bridge.core.http import HttpClientBase, json_body, parse_retry_after
from sparklayer.batching import batched
from sparklayer.budget import BACKGROUND, SiteBudget
from sparklayer.payloads import (
    SYNC_LOG_ERROR_LIMIT,
    Customer,
    CustomerGroup,
    PriceList,
    PricingItem,
    Product,
    Purchase,
    Setting,
    StockLocation,
    StockRow,
    SyncLogFull,
    SyncLogPartial,
    Variant,
    cap_sync_log_errors,
)
from sparklayer.token_cache import AccessToken, TokenCache, TokenStore, token_cache_key

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Statuses retried on every call: all 5xx, 429, and 409 (concurrent update).
RETRY_STATUSES = frozenset({409, 429, *range(500, 600)})
#: The customer upsert's 409 is a real conflict (email or external id taken), never retried.
RETRY_STATUSES_NO_CONFLICT = RETRY_STATUSES - {409}
#: What a create of an external id that already exists may get (SparkLayer's docs name neither).
CREATE_EXISTS_STATUSES = frozenset({409, 422})
#: Statuses of the token endpoint that mean "these credentials are refused".
TOKEN_REFUSED_STATUSES = frozenset({400, 401, 403})
MAX_PRICE_LIST_PAGE_SIZE = 250

#: metrics labels: every path the client calls, with its ids (free text) as placeholders
ENDPOINT_TEMPLATES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), template)
    for pattern, template in (
        (r"^/api/auth/token$", "/api/auth/token"),
        (r"^/api/v1/products$", "/api/v1/products"),
        (r"^/api/v1/products/[^/]+$", "/api/v1/products/{id}"),
        (r"^/api/v1/variants/[^/]+$", "/api/v1/variants/{id}"),
        (r"^/api/v1/batch-update-stock$", "/api/v1/batch-update-stock"),
        (r"^/api/v1/batch-delete-stock$", "/api/v1/batch-delete-stock"),
        (r"^/api/v1/batch-update-pricing$", "/api/v1/batch-update-pricing"),
        (r"^/api/v1/batch-fetch-stock$", "/api/v1/batch-fetch-stock"),
        (r"^/api/v2/price-lists$", "/api/v2/price-lists"),
        (r"^/api/v1/price-lists$", "/api/v1/price-lists"),
        (r"^/api/v1/price-lists/[^/]+/pricing$", "/api/v1/price-lists/{slug}/pricing"),
        (r"^/api/v2/customers/platform/[^/]+$", "/api/v2/customers/platform/{id}"),
        (r"^/api/v2/customers/platform/[^/]+/addresses$", "/api/v2/customers/platform/{id}/addresses"),
        (r"^/api/v1/purchases/platform/[^/]+$", "/api/v1/purchases/platform/{id}"),
        (r"^/api/v1/settings$", "/api/v1/settings"),
        (r"^/api/v1/sync-log/[^/]+/[^/]+$", "/api/v1/sync-log/{integration}/{data_type}"),
    )
)


class WriteLimiter(Protocol):
    """How many writes go to SparkLayer at once (``platforms/concurrency.py``'s ``AIMDLimiter``):
    ``with limiter.slot(kind) as call:`` waits for a slot; ``call.overloaded`` reports a refusal."""

    def slot(self, kind: str) -> AbstractContextManager[Any]: ...


def _segment(value: str) -> str:
    """A path segment: external ids come from the platform and may hold '/', '?' or spaces."""
    return quote(str(value), safe="")


class SparkLayerClient(HttpClientBase):
    """The SparkLayer API for one site (one set of credentials on one environment)."""

    service_name = "sparklayer"
    #: SparkLayer's hosts come from the deployment's settings, not from a request: no address guard
    #: (redirects to another origin are still refused, like for every client)
    guard_addresses = False

    def __init__(
        self,
        base_url: str,
        site_id: str,
        client_id: str,
        client_secret: str,
        *,
        token_store: TokenStore,
        batch_size: int = 100,
        connect_timeout: float = 5,
        read_timeout: float = 30,
        max_attempts: int = 5,
        retry_after_ceiling: float = 60,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        budget: SiteBudget | None = None,
        priority: str = BACKGROUND,
    ) -> None:
        super().__init__(
            base_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_attempts=max_attempts,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            retry_after_ceiling=retry_after_ceiling,
            session=session,
            sleep=sleep,
        )
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.site_id = site_id
        self.client_id = client_id
        self._client_secret = client_secret
        self.batch_size = batch_size
        #: the site's shared request budget and back-off (``sparklayer/budget.py``); None: no gate
        self.budget = budget
        #: ``interactive`` for calls a buyer waits for, which background writers leave room for
        self.priority = priority
        #: set by a full sync: its writes (every call but GETs and the token) wait for one of the
        #: limiter's slots, and an overload answer (429, 502-504) or a timeout cuts how many go at once
        self.write_limiter: WriteLimiter | None = None
        self.tokens = TokenCache(token_store, token_cache_key(self.base_url, site_id, client_id), self.fetch_token)

    def __repr__(self) -> str:
        return f"SparkLayerClient(base_url={self.base_url!r}, site_id={self.site_id!r})"

    # -- HttpClientBase hooks ----------------------------------------------------------------

    def default_headers(self) -> dict[str, str]:
        return {**super().default_headers(), "Site-Id": self.site_id}

    def is_retryable_status(self, response: requests.Response) -> bool:
        return response.status_code in RETRY_STATUSES

    def transmit(self, method: str, url: str, kwargs: dict[str, Any]) -> requests.Response:
        limiter = self.write_limiter
        if limiter is None or method == "GET" or url.endswith("/api/auth/token"):
            return super().transmit(method, url, kwargs)
        # SparkLayer's docs name only 429 for "fewer at once"; 503 and a gateway's 502/504 say the same
        # (``OVERLOAD_STATUSES``), and a timeout too
        return self.transmit_in_slot(limiter.slot("write"), method, url, kwargs)

    def before_send(self, method: str, path: str, headers: dict[str, str]) -> None:
        super().before_send(method, path, headers)
        if self.budget is not None:
            self.budget.wait_turn(priority=self.priority)

    def after_answer(self, response: requests.Response) -> None:
        if response.status_code == 429 and self.budget is not None:
            self.budget.back_off(parse_retry_after(response.headers.get("Retry-After")))

    def endpoint_template(self, path: str) -> str:
        for pattern, template in ENDPOINT_TEMPLATES:
            if pattern.match(path):
                return template
        return "other"

    # -- auth --------------------------------------------------------------------------------

    def fetch_token(self) -> AccessToken:
        """Request a new access token (JSON body: SparkLayer refuses form encoding). Bypasses the cache."""
        body = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._client_secret}
        try:
            response = self.request("POST", "/api/auth/token", json_body=body)
        except PermanentError as exc:
            if exc.status in TOKEN_REFUSED_STATUSES:
                raise AuthenticationError(
                    f"SparkLayer refused the API credentials of site {self.site_id!r} "
                    f"(client id {self.client_id!r}) at {self.base_url}: HTTP {exc.status}",
                    status=exc.status,
                    problem=exc.problem,
                    method=exc.method,
                    url=exc.url,
                ) from exc
            raise
        data = self._json(response)
        token = data.get("access_token") if isinstance(data, Mapping) else None
        if not isinstance(token, str) or not token:
            raise PermanentError(
                "sparklayer POST /api/auth/token: answer has no access_token", status=response.status_code
            )
        expires_in = data.get("expires_in", 3600)
        logger.info("sparklayer token issued", extra={"site_id": self.site_id, "expires_in": expires_in})
        return AccessToken(value=token, expires_in=int(expires_in) if isinstance(expires_in, int | float) else 3600)

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        retry_conflict: bool = True,
    ) -> requests.Response:
        """One authenticated API call, with the one token renewal a 401 allows."""
        retry_statuses = RETRY_STATUSES if retry_conflict else RETRY_STATUSES_NO_CONFLICT
        token = self.tokens.get()
        try:
            return self._authorized(method, path, token, json_body, params, retry_statuses)
        except PermanentError as exc:
            if exc.status != 401:
                raise
        logger.info("sparklayer token refused; renewing once", extra={"site_id": self.site_id, "path": path})
        token = self.tokens.get(rejected=token)
        try:
            return self._authorized(method, path, token, json_body, params, retry_statuses)
        except PermanentError as exc:
            if exc.status != 401:
                raise
            raise AuthenticationError(
                f"SparkLayer refused a freshly issued token for site {self.site_id!r} "
                f"(client id {self.client_id!r}) on {method} {exc.url}",
                status=401,
                problem=exc.problem,
                method=exc.method,
                url=exc.url,
            ) from exc

    def _authorized(
        self,
        method: str,
        path: str,
        token: str,
        json_body: Any,
        params: Mapping[str, Any] | None,
        retry_statuses: frozenset[int],
    ) -> requests.Response:
        return self.request(
            method,
            path,
            json_body=json_body,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            retry_statuses=retry_statuses,
        )

    @staticmethod
    def _json(response: requests.Response) -> Any:
        """The body as JSON, or None for 204 / empty answers (SparkLayer sends some)."""
        if response.status_code == 204 or not response.content:
            return None
        try:
            return json_body(response)
        except ValueError:
            return None

    def _each_batch(self, items: Iterable[T], send: Callable[[list[T]], object]) -> int:
        """Send ``items`` in ``batch_size`` chunks; on failure, note which batch it was before re-raising."""
        sent = 0
        for index, batch in enumerate(batched(items, self.batch_size)):
            try:
                send(batch)
            except Exception as exc:
                first, last = sent + 1, sent + len(batch)
                exc.add_note(f"batch {index + 1} (items {first}-{last}) failed; {sent} items were sent before it")
                raise
            sent += len(batch)
        return sent

    # -- products and variants ---------------------------------------------------------------

    def create_product(self, payload: Product) -> dict[str, Any]:
        """``POST /api/v1/products``. A 409 is not retried here: on a create it may mean "exists"."""
        return self._json(self.call("POST", "/api/v1/products", json_body=payload, retry_conflict=False)) or {}

    def update_product(self, external_id: str, payload: Product) -> dict[str, Any]:
        path = f"/api/v1/products/{_segment(external_id)}"
        return self._json(self.call("PATCH", path, json_body=payload)) or {}

    def upsert_product(self, payload: Product, *, known: bool) -> dict[str, Any]:
        """Create or update by external id, trusting ``known`` (from what the bridge last pushed) first.

        Guessing wrong costs one or two extra calls instead of a failure: a "known" product deleted
        in SparkLayer answers 404 and is created; a create refused because the product exists is
        turned into an update (``create_or_update_product``).
        """
        external_id = payload["external_id"]
        if known:
            try:
                return self.update_product(external_id, payload)
            except PermanentError as exc:
                if exc.status != 404:
                    raise
        return self.create_or_update_product(payload)

    def create_or_update_product(self, payload: Product) -> dict[str, Any]:
        """Create; if SparkLayer refuses because the external id exists, update it instead, once.

        SparkLayer's docs do not say which status a create of an existing external id gets, so any
        409 or 422 (whatever its body) is checked with ``GET /api/v1/products/{external_id}``: when the
        product is there, the refusal was "exists" and a ``PATCH`` follows; when it is not, the
        refusal was about the payload and is raised as it came. Never a retry loop.
        """
        try:
            return self.create_product(payload)
        except PermanentError as exc:
            if exc.status not in CREATE_EXISTS_STATUSES:
                raise
            refusal = exc
        if self.get_product(payload["external_id"]) is None:
            raise refusal
        return self.update_product(payload["external_id"], payload)

    def get_product(self, external_id: str) -> dict[str, Any] | None:
        """The product by external (or ``pp_``) id, or None when SparkLayer does not have it."""
        try:
            return self._json(self.call("GET", f"/api/v1/products/{_segment(external_id)}")) or {}
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise

    def update_variant(self, external_id: str, payload: Variant) -> dict[str, Any]:
        path = f"/api/v1/variants/{_segment(external_id)}"
        return self._json(self.call("PATCH", path, json_body=payload)) or {}

    def discontinue_variant(self, external_id: str) -> bool:
        """``PATCH /api/v1/variants/{external_id} {"status": "discontinued"}``: the call whose meaning
        SparkLayer documents for a status change. False when SparkLayer has no such variant (404)."""
        try:
            self.update_variant(external_id, {"status": "discontinued"})  # type: ignore[typeddict-item]
        except PermanentError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    # -- stock and pricing -------------------------------------------------------------------

    def batch_update_stock(self, rows: Iterable[StockRow]) -> int:
        """Overwrite stock rows, ``batch_size`` per request. Returns the number of rows sent."""
        return self._each_batch(rows, lambda batch: self.call("POST", "/api/v1/batch-update-stock", json_body=batch))

    def batch_delete_stock(self, skus: Iterable[str]) -> int:
        """Remove all stock of these SKUs (deleted variants). Returns the number of SKUs sent."""
        return self._each_batch(
            skus, lambda batch: self.call("POST", "/api/v1/batch-delete-stock", json_body={"skus": batch})
        )

    def iter_price_lists(self, *, page_size: int = MAX_PRICE_LIST_PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Every price list, one page at a time (the v2 list is paginated, at most 250 a page)."""
        page_size = max(1, min(page_size, MAX_PRICE_LIST_PAGE_SIZE))
        page = 1
        while True:
            params = {"page": page, "page_size": page_size}
            body = self._json(self.call("GET", "/api/v2/price-lists", params=params)) or {}
            rows: Sequence[dict[str, Any]] = body.get("data") or []
            yield from rows
            pagination = body.get("pagination") or {}
            total_pages = pagination.get("total_pages")
            if not rows or (isinstance(total_pages, int) and page >= total_pages):
                return
            if total_pages is None and len(rows) < page_size:
                return
            page += 1

    def create_price_list(self, payload: PriceList) -> dict[str, Any]:
        return self._json(self.call("POST", "/api/v1/price-lists", json_body=payload)) or {}

    def batch_update_pricing(self, items: Iterable[PricingItem]) -> int:
        """Replace prices per (SKU, price list) pair, ``batch_size`` per request. Returns items sent."""
        return self._each_batch(
            items, lambda batch: self.call("PATCH", "/api/v1/batch-update-pricing", json_body=batch)
        )

    def remove_pricing(self, keys: Iterable[tuple[str, str]]) -> int:
        """Remove every price of these (SKU, price list slug) pairs. Returns the pairs sent.

        **[decision]** SparkLayer documents that each pair sent to ``batch-update-pricing`` has its
        prices *replaced*; a pair sent with ``pricing: []`` is replaced by no prices. This is the one
        place to change if SparkLayer names another call for it."""
        items: list[PricingItem] = [{"sku": sku, "price_list_slug": slug, "pricing": []} for sku, slug in keys]
        return self.batch_update_pricing(items)

    # -- stock locations and customer groups -------------------------------------------------

    def list_stock_locations(self) -> list[dict[str, Any]]:
        """Every stock location of the site (``[{id, name, external_id}]``; the list is not paginated)."""
        return _rows(self._json(self.call("GET", "/api/v1/stock-locations")))

    def create_stock_location(self, payload: StockLocation) -> bool:
        """Create a location; True if created, False if its ``external_id`` already exists.

        SparkLayer documents 409 for a duplicate ``external_id``; a 400/422 naming the duplicate is
        read the same way. The 409 is not retried: it is an answer, not a concurrent update.
        """
        try:
            self.call("POST", "/api/v1/stock-locations", json_body=payload, retry_conflict=False)
        except PermanentError as exc:
            if is_resource_already_exists(exc):
                return False
            raise
        return True

    def update_stock_location(self, location_id: str, payload: StockLocation) -> dict[str, Any]:
        """Rename a location, addressed by its SparkLayer id (or external id, which SparkLayer accepts too)."""
        path = f"/api/v1/stock-locations/{_segment(location_id)}"
        return self._json(self.call("PATCH", path, json_body=payload)) or {}

    def list_customer_groups(self) -> list[dict[str, Any]]:
        """Every customer group (``[{slug, name, parent_slug}]``; the list is not paginated)."""
        return _rows(self._json(self.call("GET", "/api/v1/customer-groups")))

    def create_customer_group(self, payload: CustomerGroup) -> bool:
        """Create a group; True if created, False if its slug is already in use.

        SparkLayer documents ``400 resource-already-exists`` for a slug in use; a 409 or a 422
        ``already_exists`` is read the same way. A group is never deleted by the bridge.
        """
        try:
            self.call("POST", "/api/v1/customer-groups", json_body=payload, retry_conflict=False)
        except PermanentError as exc:
            if is_resource_already_exists(exc):
                return False
            raise
        return True

    # -- customers and purchases -------------------------------------------------------------

    def upsert_customer(self, external_id: str, payload: Customer) -> bool:
        """Full-replace the customer; True if SparkLayer created it (201), False if it replaced it (200).

        Everything left out of ``payload`` is cleared in SparkLayer, addresses included. A 409
        (email or external id owned by another customer) is raised at once as a PermanentError.
        """
        if payload.get("external_id", external_id) != external_id:
            raise ValueError("payload external_id does not match the external_id addressed")
        body = {**payload, "external_id": external_id}
        path = f"/api/v2/customers/platform/{_segment(external_id)}"
        response = self.call("PUT", path, json_body=body, retry_conflict=False)
        return response.status_code == 201

    def delete_customer(self, external_id: str) -> bool:
        """Delete the customer; True if deleted, False if it was already gone (404)."""
        try:
            self.call("DELETE", f"/api/v2/customers/platform/{_segment(external_id)}")
        except PermanentError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def upsert_purchase(self, order_id: str, payload: Purchase) -> dict[str, Any]:
        """Create or replace the purchase for a platform order (409 = concurrent update, retried)."""
        path = f"/api/v1/purchases/platform/{_segment(order_id)}"
        return self._json(self.call("PUT", path, json_body=payload)) or {}

    def update_settings(self, items: Sequence[Setting]) -> None:
        """Patch global settings. A refusal is a PermanentError the caller turns into an issue."""
        self.call("PATCH", "/api/v1/settings", json_body=list(items))

    # -- sync log ----------------------------------------------------------------------------

    @staticmethod
    def _sync_log_path(integration: str, data_type: str) -> str:
        return f"/api/v1/sync-log/{_segment(integration)}/{_segment(data_type)}"

    def put_sync_log(self, integration: str, data_type: str, payload: SyncLogFull) -> int:
        """Record a full sync. Errors are capped (unique external ids, at most 5,000); returns how many were dropped."""
        body: dict[str, Any] = dict(payload)
        dropped = 0
        if "errors" in payload:
            body["errors"], dropped = cap_sync_log_errors(payload["errors"], SYNC_LOG_ERROR_LIMIT)
        self._warn_dropped(integration, data_type, dropped)
        self.call("PUT", self._sync_log_path(integration, data_type), json_body=body)
        return dropped

    def patch_sync_log(self, integration: str, data_type: str, payload: SyncLogPartial) -> int:
        """Record a partial sync, capping ``errors_added`` like a full one; returns how many were dropped."""
        body: dict[str, Any] = dict(payload)
        dropped = 0
        if "errors_added" in payload:
            body["errors_added"], dropped = cap_sync_log_errors(payload["errors_added"], SYNC_LOG_ERROR_LIMIT)
        self._warn_dropped(integration, data_type, dropped)
        self.call("PATCH", self._sync_log_path(integration, data_type), json_body=body)
        return dropped

    def get_sync_log(self, integration: str, data_type: str) -> dict[str, Any] | None:
        """The recorded sync status, or None before the first full sync (SparkLayer answers 404)."""
        try:
            return self._json(self.call("GET", self._sync_log_path(integration, data_type))) or {}
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise

    def _warn_dropped(self, integration: str, data_type: str, dropped: int) -> None:
        if dropped:
            logger.warning(
                "sparklayer sync-log errors dropped",
                extra={"site_id": self.site_id, "integration": integration, "data_type": data_type, "dropped": dropped},
            )


def _rows(body: Any) -> list[dict[str, Any]]:
    """A listing answered as a bare array (as documented) or wrapped in ``{"data": [...]}``."""
    if isinstance(body, Mapping):
        body = body.get("data")
    return [dict(row) for row in body if isinstance(row, Mapping)] if isinstance(body, list) else []


#: codes SparkLayer uses (or may use) for "a resource with that key exists"
ALREADY_EXISTS_CODES = frozenset(
    {"resource-already-exists", "resource_already_exists", "already_exists", "already-exists"}
)
#: the same said in words, for answers that carry only a title or detail
ALREADY_EXISTS_PHRASES = ("already exists", "already in use", "already taken", *ALREADY_EXISTS_CODES)


def is_resource_already_exists(exc: PermanentError) -> bool:
    """Whether a refused create means "it exists already": a 409, or a 400/422 whose code says so."""
    if exc.status == 409:
        return True
    if exc.status not in (400, 422):
        return False
    problem = exc.problem
    codes = {problem.code, *(str(error.get("code") or "") for error in problem.errors)}
    if codes & ALREADY_EXISTS_CODES:
        return True
    text = " ".join((problem.type, problem.title, problem.detail)).lower()
    return any(phrase in text for phrase in ALREADY_EXISTS_PHRASES)


def _is_already_exists(exc: PermanentError) -> bool:
    """SparkLayer's "this external_id is taken" answer to a create: 422 with code ``already_exists``."""
    if exc.status != 422:
        return False
    for error in exc.problem.errors:
        prop = str(error.get("property") or error.get("field") or "").lstrip("/")
        if error.get("code") == "already_exists" and prop == "external_id":
            return True
    return False
