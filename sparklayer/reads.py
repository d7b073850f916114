"""Reading SparkLayer back: the calls a drift audit makes (docs/ignite-contract.md §2.8). None of them writes.

SparkLayer's docs leave some answers open, so each read accepts every plausible one:

* a product answer without ``variants`` → the variants are read one by one
  (``GET /api/v1/variants/{external_id}``);
* a customer answer without ``addresses`` → ``GET /api/v2/customers/platform/{id}/addresses`` (a list,
  or ``{"data": [...]}``; ``404`` means none);
* ``batch-fetch-stock`` levels naming their location by ``stock_location_external_id``, by a nested
  ``stock_location.external_id``, or only by ``stock_location_id`` (then the site's stock locations
  are listed once to turn ids into external ids);
* ``GET /api/v1/price-lists/{slug}/pricing`` answering ``204`` (no prices), ``404`` (no such list), a
  plain array of rows (one per SKU and quantity break, or one per SKU with ``pricing[]``), or a paged
  envelope ``{"data": [...], "pagination": {...}}``.

``404`` on a record read means "SparkLayer does not have it" (None), never an error. Every read is
counted (``calls``) and paced: ``requests_per_minute`` spreads calls evenly over time, across the
threads sharing one reader (SparkLayer publishes no rate limit; the connection's budget is the
bridge's own). 429 and 5xx are retried by the client, honouring ``Retry-After``; when it gives up
the ``TransientError`` reaches the caller, which pauses and resumes later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import requests

from ignite_bridge.core.errors import PermanentError
from sparklayer.batching import batched
from sparklayer.client import SparkLayerClient

#: ``batch-fetch-stock`` asks for every location: the bridge may write to more than ``default``
ALL_LOCATIONS = {"all_stock_locations": True}
#: most pages of one price list's pricing read (an envelope that never ends is a bug, not data)
MAX_PRICING_PAGES = 10_000

StockLevels = dict[str, dict[str, dict[str, Any]]]  # sku → location external id → level row
Tiers = list[dict[str, Any]]  # [{quantity, price}]


def _segment(value: str) -> str:
    return quote(str(value), safe="")


class RequestPacer:
    """At most ``per_minute`` calls a minute, evenly spaced; 0 means no limit. Thread-safe."""

    def __init__(
        self,
        per_minute: int,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


def _rows(body: Any) -> list[Any]:
    """The items of a list answer: a plain array, or the ``data`` of an envelope."""
    if isinstance(body, list):
        return body
    if isinstance(body, Mapping) and isinstance(body.get("data"), list):
        return list(body["data"])
    return []


class SparkLayerReader:
    """The read-only calls of one site, counted and paced."""

    def __init__(
        self, client: SparkLayerClient, *, requests_per_minute: int = 0, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.client = client
        self.pacer = RequestPacer(requests_per_minute, sleep=sleep)
        self.calls = 0
        self._count_lock = threading.Lock()
        self._locations: dict[str, str] | None = None

    # -- plumbing ----------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, json_body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """One read; the decoded body (None for 204/empty), or ``NotFound`` on 404."""
        self.pacer.wait()
        with self._count_lock:
            self.calls += 1
        try:
            response = self.client.call(method, path, json_body=json_body, params=params)
        except PermanentError as exc:
            if exc.status == 404:
                raise NotFound(path) from exc
            raise
        return _decoded(response)

    def _get_or_none(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        try:
            return self._call("GET", path, params=params)
        except NotFound:
            return None

    # -- records -----------------------------------------------------------------------------

    def product(self, external_id: str, *, variant_ids: Iterable[str] = ()) -> dict[str, Any] | None:
        """The product with its variants, or None when SparkLayer does not have it.

        When the answer carries no ``variants``, the variants named in ``variant_ids`` (the ones the
        store and the bridge know) are read one by one; those SparkLayer lacks are left out."""
        body = self._get_or_none(f"/api/v1/products/{_segment(external_id)}")
        if body is None:
            return None
        product = dict(body) if isinstance(body, Mapping) else {}
        if not isinstance(product.get("variants"), list):
            product["variants"] = [v for v in (self.variant(vid) for vid in dict.fromkeys(variant_ids)) if v]
        return product

    def variant(self, external_id: str) -> dict[str, Any] | None:
        body = self._get_or_none(f"/api/v1/variants/{_segment(external_id)}")
        return dict(body) if isinstance(body, Mapping) else None

    def customer(self, external_id: str) -> dict[str, Any] | None:
        """The customer with its addresses, or None when SparkLayer does not have it."""
        path = f"/api/v2/customers/platform/{_segment(external_id)}"
        body = self._get_or_none(path)
        if body is None:
            return None
        customer = dict(body) if isinstance(body, Mapping) else {}
        if not isinstance(customer.get("addresses"), list):
            customer["addresses"] = [dict(a) for a in _rows(self._get_or_none(f"{path}/addresses")) if a]
        return customer

    # -- stock -------------------------------------------------------------------------------

    def stock(self, skus: Sequence[str]) -> StockLevels:
        """Stock levels of ``skus`` at every location, ``batch_size`` SKUs a call; SKUs without any are absent."""
        levels: StockLevels = {}
        for chunk in batched(list(dict.fromkeys(skus)), self.client.batch_size):
            body = self._call("POST", "/api/v1/batch-fetch-stock", json_body={"skus": chunk, "filter": ALL_LOCATIONS})
            for row in _rows(body):
                if not isinstance(row, Mapping) or not row.get("sku"):
                    continue
                for level in row.get("stock_levels") or []:
                    if isinstance(level, Mapping):
                        levels.setdefault(str(row["sku"]), {})[self._location(level)] = dict(level)
        return levels

    def _location(self, level: Mapping[str, Any]) -> str:
        """The level's location as an external id (what the bridge writes), whatever form names it."""
        if level.get("stock_location_external_id"):
            return str(level["stock_location_external_id"])
        nested = level.get("stock_location")
        if isinstance(nested, Mapping) and nested.get("external_id"):
            return str(nested["external_id"])
        location_id = str(level.get("stock_location_id") or (nested or {}).get("id") or "")
        if self._locations is None:
            self._locations = {}
            for location in _rows(self._get_or_none("/api/v1/stock-locations")):
                if isinstance(location, Mapping) and location.get("id") and location.get("external_id"):
                    self._locations[str(location["id"])] = str(location["external_id"])
        return self._locations.get(location_id, f"id:{location_id}")

    # -- pricing -----------------------------------------------------------------------------

    def price_list_pricing(self, slug: str) -> dict[str, Tiers] | None:
        """SKU → its stored tiers on the list (``{quantity, price}``, by quantity); None: no such list."""
        prices: dict[str, Tiers] = {}
        path = f"/api/v1/price-lists/{_segment(slug)}/pricing"
        try:
            body = self._call("GET", path)
        except NotFound:
            return None
        page = 1
        while True:
            _add_pricing_rows(prices, _rows(body))
            pagination = body.get("pagination") if isinstance(body, Mapping) else None
            if not isinstance(pagination, Mapping) or not _rows(body) or page >= MAX_PRICING_PAGES:
                break
            total_pages, current = pagination.get("total_pages"), pagination.get("current_page", page)
            if not isinstance(total_pages, int) or not isinstance(current, int) or current >= total_pages:
                break
            page = current + 1
            body = self._call("GET", path, params={"page": page})
        return {sku: sorted(tiers, key=lambda tier: tier["quantity"]) for sku, tiers in prices.items()}

    def sku_pricing(self, sku: str) -> dict[str, Tiers]:
        """Price-list slug → the SKU's stored tiers on it (``GET /api/v1/pricing/{sku}``); ``{}`` when none."""
        body = self._get_or_none(f"/api/v1/pricing/{_segment(sku)}")
        found: dict[str, Tiers] = {}
        for row in _rows(body):
            if isinstance(row, Mapping) and row.get("price_list_slug"):
                tiers = [_tier(tier) for tier in row.get("pricing") or [] if isinstance(tier, Mapping)]
                found[str(row["price_list_slug"])] = sorted(tiers, key=lambda tier: tier["quantity"])
        return found


class NotFound(Exception):
    """SparkLayer answered 404 for a read."""


def _decoded(response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _tier(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {"quantity": raw.get("quantity"), "price": raw.get("price")}


def _add_pricing_rows(prices: dict[str, Tiers], rows: list[Any]) -> None:
    """Rows of one SKU and quantity break (``{sku, quantity, price}``), or of one SKU with ``pricing[]``."""
    for row in rows:
        if not isinstance(row, Mapping) or not row.get("sku"):
            continue
        tiers = prices.setdefault(str(row["sku"]), [])
        if isinstance(row.get("pricing"), list):
            tiers.extend(_tier(tier) for tier in row["pricing"] if isinstance(tier, Mapping))
        else:
            tiers.append(_tier(row))
