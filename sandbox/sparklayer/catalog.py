"""Catalog services on one site: products with variants, stock rows, price lists and pricing.

Every service checks all of a request against stored data first and only then writes, so a
refused request (duplicate SKU, unknown price list) leaves the site unchanged, as a real API would.
"""

from __future__ import annotations

from typing import Any

from sandbox.sparklayer.organisation import stock_location_resolve
from sandbox.sparklayer.problems import ApiProblem, FieldError, conflict, invalid, not_found
from sandbox.sparklayer.records import now_iso, pack, pack_lean, unpack
from sandbox.sparklayer.state import SiteState

VARIANT_DEFAULTS: dict[str, Any] = {  # kept in sync with state.VARIANT_FIELDS
    "weight_in_grams": None,
    "tax_type": None,
    "position": None,
    "cart_image_url": None,
    "status": "pending",
    "rrp": [],
    "options": [],
    "settings": [],
}
PRICE_LIST_ORDER_FIELDS = ("name", "slug", "created_at", "updated_at")
MAX_PAGE_SIZE = 250


def _product_key(state: SiteState, identifier: str) -> str:
    """Products are addressed by SparkLayer id (pp_…) or external id, as the real API allows."""
    key = state.product_ids.get(identifier, identifier)
    if key not in state.products:
        raise not_found(f"Product {identifier} does not exist.")
    return key


def _variant_key(state: SiteState, identifier: str) -> str:
    key = state.variant_ids.get(identifier, identifier)
    if key not in state.variants:
        raise not_found(f"Variant {identifier} does not exist.")
    return key


def _check_variants(state: SiteState, product_external_id: str, variants: list[dict[str, Any]]) -> None:
    """Variant external ids and SKUs are unique across the site, not only within one product."""
    errors: list[FieldError] = []
    for index, variant in enumerate(variants):
        prefix = f"variants[{index}]"
        stored = state.variants.get(variant["external_id"])
        if stored is not None and unpack(stored)["product_external_id"] != product_external_id:
            errors.append(
                FieldError(
                    "already_exists", "This variant external_id belongs to another product.", f"{prefix}.external_id"
                )
            )
            continue
        if stored is None and "sku" not in variant:
            raise invalid([FieldError("required", "A new variant needs a SKU.", f"{prefix}.sku")])
        sku = variant.get("sku")
        owner = state.skus.get(sku) if sku is not None else None
        if owner is not None and owner != variant["external_id"]:
            errors.append(
                FieldError("duplicate_sku", f"SKU {sku} is already used by variant {owner}.", f"{prefix}.sku")
            )
    if errors:
        raise ApiProblem(422, errors[0].message, errors)


def _write_variant(state: SiteState, product: dict[str, Any], changes: dict[str, Any], stamp: str) -> None:
    external_id = changes["external_id"]
    stored = state.variants.get(external_id)
    if stored is None:
        variant_id = state.next_id("pv_")
        record = {
            "id": variant_id,
            "product_id": product["id"],
            "product_external_id": product["external_id"],
            "external_id": external_id,
            "sku": None,
            **VARIANT_DEFAULTS,
            "created_at": stamp,
        }
        state.variant_ids[variant_id] = external_id
        product["variant_ids"].append(external_id)
    else:
        record = state.variant_view(external_id)
        if "sku" in changes and changes["sku"] != record["sku"]:
            state.skus.pop(record["sku"], None)
    record.update(changes)
    record["updated_at"] = stamp
    state.skus[record["sku"]] = external_id
    state.variants[external_id] = pack_lean(record)


def product_create(state: SiteState, data: dict[str, Any]) -> dict[str, Any]:
    external_id = data["external_id"]
    if external_id in state.products:
        raise conflict(422, "already_exists", "external_id", f"Product {external_id} already exists.")
    _check_variants(state, external_id, data["variants"])
    stamp = now_iso()
    product = {
        "id": state.next_id("pp_"),
        "external_id": external_id,
        "title": data["title"],
        "slug": data["slug"],
        "created_at": stamp,
        "updated_at": stamp,
        "variant_ids": [],
    }
    for variant in data["variants"]:
        _write_variant(state, product, variant, stamp)
    state.product_ids[product["id"]] = external_id
    state.products[external_id] = pack(product)
    return state.product_view(external_id)


def product_update(state: SiteState, identifier: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Update the fields sent; variants sent are upserted by external_id, variants left out are kept."""
    external_id = _product_key(state, identifier)
    if changes.get("external_id", external_id) != external_id:
        raise invalid([FieldError("idMismatch", "external_id cannot be changed.", "external_id")])
    variants = changes.pop("variants", [])
    _check_variants(state, external_id, variants)
    stamp = now_iso()
    product = unpack(state.products[external_id])
    product.update({key: value for key, value in changes.items() if key in ("title", "slug")})
    for variant in variants:
        _write_variant(state, product, variant, stamp)
    product["updated_at"] = stamp
    state.products[external_id] = pack(product)
    return state.product_view(external_id)


def product_get(state: SiteState, identifier: str) -> dict[str, Any]:
    return state.product_view(_product_key(state, identifier))


def variant_get(state: SiteState, identifier: str) -> dict[str, Any]:
    return state.variant_view(_variant_key(state, identifier))


def variant_update(state: SiteState, identifier: str, changes: dict[str, Any]) -> dict[str, Any]:
    external_id = _variant_key(state, identifier)
    if changes.get("external_id", external_id) != external_id:
        raise invalid([FieldError("idMismatch", "external_id cannot be changed.", "external_id")])
    changes["external_id"] = external_id
    sku = changes.get("sku")
    owner = state.skus.get(sku) if sku is not None else None
    if owner is not None and owner != external_id:
        raise conflict(422, "duplicate_sku", "sku", f"SKU {sku} is already used by variant {owner}.")
    record = unpack(state.variants[external_id])
    product = unpack(state.products[record["product_external_id"]])
    stamp = now_iso()
    _write_variant(state, product, changes, stamp)
    return state.variant_view(external_id)


def stock_update(state: SiteState, rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Rows sent overwrite their (SKU, location) pair; pairs left out are unchanged.

    Every location must exist (by external id or SparkLayer id): one unknown location refuses the
    whole request with a 400 and nothing is written, as documented."""
    for sku, location, row in stock_location_resolve(state, rows):
        state.stock.setdefault(sku, {})[location] = pack(row)


def stock_delete(state: SiteState, skus: list[str]) -> None:
    for sku in skus:
        state.stock.pop(sku, None)


def price_list_create(state: SiteState, data: dict[str, Any]) -> dict[str, Any]:
    slug = data["slug"]
    if slug in state.price_lists:
        raise conflict(422, "already_exists", "slug", f"Price list {slug} already exists.")
    for index, rule in enumerate(data["rules"]):
        if rule["source_price_list_slug"] not in state.price_lists:
            raise conflict(
                422,
                "not_found",
                f"rules[{index}].source_price_list_slug",
                f"Price list {rule['source_price_list_slug']} does not exist.",
            )
    stamp = now_iso()
    record = {**data, "created_at": stamp, "updated_at": stamp}
    state.price_lists[slug] = record
    return record


def price_lists_page(
    state: SiteState, *, page: int, page_size: int, order_by: str | None, sources: list[str]
) -> dict[str, Any]:
    """The v2 envelope: ``data[]`` plus ``pagination {total, per_page, current_page, total_pages}``."""
    field_name, _, direction = (order_by or "name:asc").partition(":")
    if field_name not in PRICE_LIST_ORDER_FIELDS or direction not in ("asc", "desc", ""):
        raise invalid(
            [
                FieldError(
                    "invalid", "Use <field>:asc|desc with a field of name, slug, created_at, updated_at.", "order_by"
                )
            ]
        )
    rows = [row for row in state.price_lists.values() if not sources or row["source"] in sources]
    rows.sort(key=lambda row: (row[field_name] or "", row["slug"]), reverse=direction == "desc")
    total_pages = max(1, -(-len(rows) // page_size))
    start = (page - 1) * page_size
    return {
        "data": rows[start : start + page_size],
        "pagination": {"total": len(rows), "per_page": page_size, "current_page": page, "total_pages": total_pages},
    }


def pricing_update(state: SiteState, items: list[tuple[str, str, list[dict[str, Any]]]]) -> None:
    """Each (SKU, price list) pair sent is replaced; an empty ``pricing`` removes the pair."""
    errors = [
        FieldError("not_found", f"Price list {slug} does not exist.", f"[{index}].price_list_slug")
        for index, (_sku, slug, _tiers) in enumerate(items)
        if slug not in state.price_lists
    ]
    if errors:
        raise ApiProblem(422, errors[0].message, errors)
    for sku, slug, tiers in items:
        rows = state.pricing.setdefault(slug, {})
        if tiers:
            rows[sku] = pack({"pricing": tiers})
        else:
            rows.pop(sku, None)
