"""Read-only API calls beyond the product and customer GETs: stock levels by SKU and stored prices.

* ``POST /api/v1/batch-fetch-stock {"skus": [...], "filter": {...}}`` (``getBatchStock``): stock
  levels grouped by SKU. Without a filter only the location whose external id is ``default`` is
  included; ``filter.all_stock_locations`` includes every location, ``filter.stock_location_ids``
  the named ones. SKUs with no matching level are left out. A POST that changes nothing: the call
  log counts it as a read.
* ``GET /api/v1/price-lists/{slug}/pricing`` (``getPriceListPricingData``): one row per SKU and
  quantity break, ordered by SKU; ``204`` with no body when the list has no prices, ``404`` when the
  list does not exist.
* ``GET /api/v1/pricing/{sku}`` (``getVariantPricing``): the SKU's prices on every list, grouped by
  list; an empty array when it has none.
"""

from __future__ import annotations

from typing import Any

from sandbox.sparklayer.checker import Checker, join
from sandbox.sparklayer.problems import not_found
from sandbox.sparklayer.records import unpack
from sandbox.sparklayer.state import SiteState
from sandbox.sparklayer.validation import require_object

#: what ``batch-fetch-stock`` includes when the body names no filter
DEFAULT_LOCATION = "default"
#: most SKUs one ``batch-fetch-stock`` call may name (the real limit is not published)
MAX_FETCH_SKUS = 1000


def stock_fetch_request(body: Any) -> tuple[list[str], bool, list[str]]:
    """(skus, all locations, location ids) from a ``batch-fetch-stock`` body."""
    data = require_object(body)
    check = Checker()
    if "skus" not in data:
        check.fail("skus", "required", "This field is required.")
    skus = check.string_list(data, "skus")
    if len(skus) > MAX_FETCH_SKUS:
        check.fail("skus", "too_many_items", f"At most {MAX_FETCH_SKUS} SKUs are allowed, got {len(skus)}.")
    every, ids = False, []
    raw_filter = data.get("filter")
    if raw_filter is not None:
        flt = check.mapping(raw_filter, "filter") or {}
        every = bool(check.boolean(flt, "all_stock_locations", "filter"))
        ids = check.string_list(flt, "stock_location_ids", "filter") if "stock_location_ids" in flt else []
        unknown = sorted(set(flt) - {"all_stock_locations", "stock_location_ids"})
        for key in unknown:
            check.fail(join("filter", key), "unknown_field", "Unknown field.")
    check.raise_if_errors()
    return skus, every, ids


def stock_fetch(state: SiteState, skus: list[str], *, every: bool, location_ids: list[str]) -> list[dict[str, Any]]:
    """``[{sku, stock_levels: [...]}]`` in the order asked, SKUs without a matching level left out.

    Rows are stored by the location's external id; each level names the location both ways."""
    ids = {external_id: location["id"] for external_id, location in state.stock_locations.items()}
    wanted = {external_id for external_id, location_id in ids.items() if location_id in set(location_ids)}
    answer: list[dict[str, Any]] = []
    for sku in dict.fromkeys(skus):
        levels = []
        for location, text in sorted(state.stock.get(sku, {}).items()):
            if not every and (location not in wanted if location_ids else location != DEFAULT_LOCATION):
                continue
            where = {"stock_location_external_id": location}
            if location in ids:
                where["stock_location_id"] = ids[location]
            levels.append({**where, **unpack(text)})
        if levels:
            answer.append({"sku": sku, "stock_levels": levels})
    return answer


def price_list_pricing(state: SiteState, slug: str) -> list[dict[str, Any]]:
    """Every stored price of the list, one row per SKU and quantity break, ordered by SKU."""
    if slug not in state.price_lists:
        raise not_found(f"Price list {slug} does not exist.")
    rows: list[dict[str, Any]] = []
    for sku, text in sorted(state.pricing.get(slug, {}).items()):
        for tier in sorted(unpack(text)["pricing"], key=lambda tier: tier["quantity"]):
            rows.append(
                {
                    "sku": sku,
                    "quantity": tier["quantity"],
                    "price": tier["price"],
                    "unit_of_measure": tier.get("unit_of_measure"),
                }
            )
    return rows


def sku_pricing(state: SiteState, sku: str) -> list[dict[str, Any]]:
    """``[{price_list_slug, pricing: [...]}]`` for every list holding prices of ``sku``."""
    return [
        {"price_list_slug": slug, "pricing": unpack(rows[sku])["pricing"]}
        for slug, rows in sorted(state.pricing.items())
        if sku in rows
    ]
