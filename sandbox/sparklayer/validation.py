"""Payload validation for each SparkLayer API body: types, required fields, reserved id prefixes.

Each function returns a normalised copy holding only the documented fields (unknown keys are
ignored, as SparkLayer's API ignores them) or raises a 400 problem naming every bad property.
Checks that need stored data (duplicates, unknown price lists) live in the stores, not here.
"""

from __future__ import annotations

from typing import Any

from sandbox.sparklayer.checker import Checker, join
from sandbox.sparklayer.problems import FieldError, invalid

VARIANT_STATUSES = ("live", "pending", "suspended", "discontinued")
PRICE_LIST_SOURCES = ("custom", "platform", "integration")
CUSTOMER_ROLES = ("main", "limited-customer", "sales-agent", "sales-admin")
PURCHASE_TYPES = ("cart", "quote", "unconfirmed_order", "order")
MAX_SYNC_LOG_ERRORS = 5000


def require_object(body: Any, prop: str = "") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid([FieldError("invalid_type", "The body must be a JSON object.", prop or "body")])
    return body


def require_array(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise invalid([FieldError("invalid_type", "The body must be a JSON array.", "body")])
    return body


def token_request(body: Any) -> tuple[str, str]:
    data = require_object(body)
    check = Checker()
    check.string(data, "grant_type", required=True, choices=("client_credentials",))
    client_id = check.string(data, "client_id", required=True)
    client_secret = check.string(data, "client_secret", required=True)
    check.raise_if_errors()
    assert client_id is not None
    assert client_secret is not None
    return client_id, client_secret


def _variant(check: Checker, data: dict[str, Any], prefix: str, *, partial: bool) -> dict[str, Any]:
    """A variant's fields; with ``partial`` only the keys present in ``data`` are returned."""
    out: dict[str, Any] = {}

    def wanted(key: str) -> bool:
        return not partial or key in data

    out["external_id"] = check.string(data, "external_id", prefix, required=True, reserved_prefix=True)
    if wanted("sku"):
        out["sku"] = check.string(data, "sku", prefix, required=True)
    for key in ("weight_in_grams", "tax_type"):
        if wanted(key):
            out[key] = check.number(data, key, prefix)
    if wanted("position"):
        out["position"] = check.number(data, "position", prefix, integer=True)
    if wanted("cart_image_url"):
        out["cart_image_url"] = check.string(data, "cart_image_url", prefix)
    if wanted("status"):
        out["status"] = check.string(data, "status", prefix, choices=VARIANT_STATUSES) or "pending"
    if wanted("rrp"):
        out["rrp"] = _rrp(check, data.get("rrp"), join(prefix, "rrp"))
    if wanted("options"):
        out["options"] = _options(check, data.get("options"), join(prefix, "options"))
    if wanted("settings"):
        settings = [] if data.get("settings") is None else check.items(data["settings"], join(prefix, "settings"))
        prop = join(prefix, "settings")
        out["settings"] = [item for i, item in enumerate(settings) if check.mapping(item, join(prop, i))]
    return out


def _rrp(check: Checker, value: Any, prop: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, item in enumerate([] if value is None else check.items(value, prop)):
        row = check.mapping(item, join(prop, index))
        if row is None:
            continue
        currency = check.currency(row, "currency_code", join(prop, index), required=True)
        price = check.price(row, "price", join(prop, index))
        if currency is not None and currency.lower() in seen:
            check.fail(join(join(prop, index), "currency_code"), "duplicate", "One RRP per currency.")
        elif currency is not None and price is not None:
            seen.add(currency.lower())
            rows.append({"currency_code": currency, "price": price})
    return rows


def _options(check: Checker, value: Any, prop: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for index, item in enumerate([] if value is None else check.items(value, prop)):
        row = check.mapping(item, join(prop, index))
        if row is None:
            continue
        group = check.string(row, "group", join(prop, index), required=True)
        option = check.string(row, "value", join(prop, index), required=True)
        if group is not None and option is not None:
            rows.append({"group": group, "value": option})
    return rows


def _variants(check: Checker, data: dict[str, Any], *, partial: bool) -> list[dict[str, Any]]:
    variants: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    seen_skus: set[str] = set()
    for index, item in enumerate([] if data.get("variants") is None else check.items(data["variants"], "variants")):
        prefix = f"variants[{index}]"
        row = check.mapping(item, prefix)
        if row is None:
            continue
        variant = _variant(check, row, prefix, partial=partial)
        external_id, sku = variant.get("external_id"), variant.get("sku")
        if external_id in seen_ids:
            check.fail(join(prefix, "external_id"), "duplicate", "Each variant external_id may appear once.")
        if sku is not None and sku in seen_skus:
            check.fail(join(prefix, "sku"), "duplicate_sku", "Each SKU may appear once in a product.")
        seen_ids.add(external_id or "")
        if sku is not None:
            seen_skus.add(sku)
        variants.append(variant)
    return variants


def product_create(body: Any) -> dict[str, Any]:
    data = require_object(body)
    check = Checker()
    product = {
        "external_id": check.string(data, "external_id", required=True, reserved_prefix=True),
        "title": check.string(data, "title", required=True),
        "slug": check.string(data, "slug", required=True),
        "variants": _variants(check, data, partial=False),
    }
    check.raise_if_errors()
    return product


def product_patch(body: Any) -> dict[str, Any]:
    """Only the fields sent; ``variants`` (if sent) are upserted by external_id by the catalog."""
    data = require_object(body)
    check = Checker()
    changes: dict[str, Any] = {}
    if "external_id" in data:
        changes["external_id"] = check.string(data, "external_id", required=True, reserved_prefix=True)
    for key in ("title", "slug"):
        if key in data:
            changes[key] = check.string(data, key, required=True)
    if "variants" in data:
        changes["variants"] = _variants(check, data, partial=True)
    check.raise_if_errors()
    return changes


def variant_patch(body: Any) -> dict[str, Any]:
    data = require_object(body)
    check = Checker()
    changes = _variant(check, {"external_id": "unused", **data}, "", partial=True)
    if "external_id" not in data:
        changes.pop("external_id")
    check.raise_if_errors()
    return changes


def stock_rows(body: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(sku, location key, row) triples; a location is given by external id or by uuid, never both."""
    check = Checker()
    rows: list[tuple[str, str, dict[str, Any]]] = []
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(require_array(body)):
        prefix = f"[{index}]"
        data = check.mapping(item, prefix)
        if data is None:
            continue
        sku = check.string(data, "sku", prefix, required=True)
        by_external = check.string(data, "stock_location_external_id", prefix)
        by_id = check.string(data, "stock_location_id", prefix)
        if (by_external is None) == (by_id is None):
            check.fail(
                join(prefix, "stock_location_external_id"),
                "invalid",
                "Give exactly one of stock_location_external_id and stock_location_id.",
            )
        level = check.number(data, "stock_level", prefix, required=True)
        restock = check.string(data, "restock_date", prefix)
        minimum = check.number(data, "min_stock_level", prefix)
        if sku is None or level is None or (by_external is None) == (by_id is None):
            continue
        location = by_external if by_external is not None else f"id:{by_id}"
        if (sku, location) in seen:
            check.fail(join(prefix, "sku"), "duplicate", "Each SKU and stock location pair may appear once.")
            continue
        seen.add((sku, location))  # a location named both ways is caught once resolved (organisation)
        row: dict[str, Any] = {"stock_level": level, "restock_date": restock, "min_stock_level": minimum}
        rows.append((sku, location, row))
    check.raise_if_errors()
    return rows


def stock_location(body: Any, *, partial: bool = False) -> dict[str, Any]:
    """``{name, external_id}``: both required on create; a PATCH may send either."""
    data = require_object(body)
    check = Checker()
    result: dict[str, Any] = {}
    for key in ("name", "external_id"):
        if not partial or key in data:
            result[key] = check.string(data, key, required=True)
    if partial and not result:
        check.fail("name", "required", "Send name or external_id.")
    check.raise_if_errors()
    return result


def customer_group(body: Any) -> dict[str, Any]:
    """``{slug, name, parent_slug?}`` for a create; a PATCH sends ``{name, parent_slug?}`` (slug in the path)."""
    data = require_object(body)
    check = Checker()
    result = {
        "slug": check.string(data, "slug"),
        "name": check.string(data, "name", required=True),
        "parent_slug": check.string(data, "parent_slug"),
    }
    check.raise_if_errors()
    return result


def stock_delete(body: Any) -> list[str]:
    data = require_object(body)
    check = Checker()
    if "skus" not in data:
        check.fail("skus", "required", "This field is required.")
    skus = check.string_list(data, "skus")
    check.raise_if_errors()
    return skus


def price_list(body: Any) -> dict[str, Any]:
    data = require_object(body)
    check = Checker()
    rules: list[dict[str, Any]] = []
    created: dict[str, Any] = {
        "slug": check.string(data, "slug", required=True),
        "name": check.string(data, "name", required=True),
        "currency_code": check.currency(data, "currency_code", required=True),
        "source": check.string(data, "source", choices=PRICE_LIST_SOURCES) or "custom",
        "tax_inclusive_display": check.boolean(data, "tax_inclusive_display"),
        "rules": rules,
    }
    for index, item in enumerate([] if data.get("rules") is None else check.items(data["rules"], "rules")):
        prefix = f"rules[{index}]"
        rule = check.mapping(item, prefix)
        if rule is None:
            continue
        rules.append(
            {
                "source_price_list_slug": check.string(rule, "source_price_list_slug", prefix, required=True),
                "adjustment_percentage": check.number(rule, "adjustment_percentage", prefix),
                "adjustment_direction": check.string(rule, "adjustment_direction", prefix, choices=("plus", "minus")),
                "currency_exchange_rate": check.number(rule, "currency_exchange_rate", prefix),
            }
        )
    check.raise_if_errors()
    return created


def pricing_items(body: Any) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(sku, price list slug, tiers) triples; an empty ``pricing`` removes that pair's prices."""
    check = Checker()
    result: list[tuple[str, str, list[dict[str, Any]]]] = []
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(require_array(body)):
        prefix = f"[{index}]"
        data = check.mapping(item, prefix)
        if data is None:
            continue
        sku = check.string(data, "sku", prefix, required=True)
        slug = check.string(data, "price_list_slug", prefix, required=True)
        tiers: list[dict[str, Any]] = []
        if data.get("pricing") is None:
            check.fail(join(prefix, "pricing"), "required", "This field is required.")
        for tier_index, tier_item in enumerate(check.items(data.get("pricing", []), join(prefix, "pricing"))):
            tier_prefix = join(join(prefix, "pricing"), tier_index)
            tier = check.mapping(tier_item, tier_prefix)
            if tier is None:
                continue
            quantity = check.number(tier, "quantity", tier_prefix, required=True, integer=True)
            if quantity is not None and quantity < 1:
                check.fail(join(tier_prefix, "quantity"), "invalid", "Must be 1 or more.")
            price = check.price(tier, "price", tier_prefix)
            unit = check.string(tier, "unit_of_measure", tier_prefix)
            tiers.append({"quantity": quantity, "price": price, "unit_of_measure": unit})
        if sku is not None and slug is not None:
            if (sku, slug) in seen:
                check.fail(join(prefix, "sku"), "duplicate", "Each SKU and price list pair may appear once.")
            seen.add((sku, slug))
            result.append((sku, slug, tiers))
    check.raise_if_errors()
    return result


def settings(body: Any) -> list[tuple[str, Any]]:
    check = Checker()
    pairs: list[tuple[str, Any]] = []
    for index, item in enumerate(require_array(body)):
        data = check.mapping(item, f"[{index}]")
        if data is None:
            continue
        key = check.string(data, "key", f"[{index}]", required=True)
        if "value" not in data:
            check.fail(f"[{index}].value", "required", "This field is required.")
        elif key is not None:
            pairs.append((key, data["value"]))
    check.raise_if_errors()
    return pairs
