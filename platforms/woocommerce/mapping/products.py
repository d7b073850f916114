"""WooCommerce products (and their variations) → SparkLayer Product, stock rows and pricing items.

Decisions (docs/ignite-contract.md §2.3, §2.6):

* A simple product is one variant whose external id is the product id; a variable product has one
  variant per variation (external id = variation id), its attributes becoming ``options``.
* Status: ``publish`` → ``live``; ``draft``/``pending``/``future`` → ``pending``; ``private`` →
  ``suspended``; ``trash`` → ``discontinued``. A variation follows its parent unless the parent is
  live, then its own status decides (a disabled variation, ``private``, → ``suspended``).
* ``regular_price`` is the variant's RRP. The price-list price is WooCommerce's current ``price``
  (which already reflects an active sale), falling back to ``sale_price`` then ``regular_price``
  when ``price`` is blank. Prices are sent gross or net per ``prices_include_tax`` (which the
  merchant settings record reports), rounded half up to the currency's minor unit (WooCommerce
  keeps whatever decimals the merchant typed).
* Stock: one row per SKU whose stock is managed, at the store's one location,
  ``DEFAULT_STOCK_LOCATION``. A fractional quantity (stores whose ``wc_stock_amount`` allows
  them) is floored: a unit not wholly there cannot be sold. A negative quantity (WooCommerce
  goes below zero while backorders are allowed) is sent as 0: SparkLayer's stock row has no
  backorder field, and the variant stays ``live``, so whether a buyer may order it anyway is
  decided by SparkLayer's product settings, not by a negative level (see ``stock_level``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from platforms.types import DEFAULT_STOCK_LOCATION, DataType, SyncRecord
from platforms.woocommerce.mapping.common import (
    StoreSettings,
    parse_gmt,
    price_string,
    product_admin_url,
    slugify,
    text,
    weight_in_grams,
)
from platforms.woocommerce.validation import (
    duplicate_sku_issue,
    missing_sku_issue,
    no_variants_issue,
    parse_decimal,
    price_issue,
    product_label,
    product_type_issue,
)
from sparklayer.payloads import PriceList, StockLocation, StockRow

PRODUCT_STATUS = {
    "publish": "live",
    "draft": "pending",
    "pending": "pending",
    "future": "pending",
    "private": "suspended",
    "trash": "discontinued",
}
VARIATION_STATUS = {"publish": "live", "private": "suspended"}

#: Every field of a product that ``map_product`` (with ``validation``) and the adapter's reading of a
#: listing page read. Listings ask for these alone (``_fields``: a store builds and sends less than half
#: the bytes, and the raw hash covers exactly these, so a change to a field the mapping never reads
#: costs no mapping). A store that ignores ``_fields`` sends everything, which maps the same.
#: ``tests/platforms/woocommerce/test_product_fields.py`` fails when the mapping reads another field.
PRODUCT_FIELDS = (
    "id", "name", "sku", "type", "status", "slug", "date_modified_gmt", "variations",
    "regular_price", "sale_price", "price", "weight", "images", "manage_stock", "stock_quantity",
)  # fmt: skip
#: the same for a variation (``parent_id`` groups the cross-product listing by product)
VARIATION_FIELDS = (
    "id", "parent_id", "sku", "status", "attributes", "menu_order",
    "regular_price", "sale_price", "price", "weight", "image", "manage_stock", "stock_quantity",
)  # fmt: skip


def only_fields(record: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """``record`` with only ``fields`` (those it has), in the order of ``fields``: what a store that
    honours ``_fields`` sends, whatever the store sent."""
    return {field: record[field] for field in fields if field in record}


def price_list_slug(currency_code: str) -> str:
    """The one platform price list per store currency that product prices go into."""
    return f"woocommerce-{currency_code.lower()}"


def price_list_payloads(settings: StoreSettings) -> list[PriceList]:
    """SparkLayer price lists the pricing items refer to (``POST /api/v1/price-lists``)."""
    code = settings.currency_code
    return [
        {
            "slug": price_list_slug(code),
            "name": f"WooCommerce {code.upper()}",
            "currency_code": code,
            "source": "platform",
        }
    ]


def stock_location_payloads(settings: StoreSettings, *, store_url: str) -> list[StockLocation]:
    """WooCommerce core keeps one stock pool: one location, named by the store's address (else its host).

    The external id is fixed (``DEFAULT_STOCK_LOCATION``) because every stock row names it; the
    name follows the store's settings, so a changed address renames the location in SparkLayer.
    """
    name = settings.store_address or urlsplit(store_url).hostname or store_url
    return [{"external_id": DEFAULT_STOCK_LOCATION, "name": name[:255]}]


def product_status(status: Any) -> str:
    return PRODUCT_STATUS.get(str(status or ""), "pending")


def variant_status(parent_status: Any, variation_status: Any = None) -> str:
    parent = product_status(parent_status)
    if parent != "live" or variation_status is None:
        return parent
    return VARIATION_STATUS.get(str(variation_status), "pending")


def image_url(images: Any) -> str | None:
    """The first real image; WooCommerce fills an image-less product with an ``id: 0`` placeholder."""
    if isinstance(images, Mapping):
        images = [images]
    for image in images or []:
        if isinstance(image, Mapping) and image.get("id") and image.get("src"):
            return str(image["src"])
    return None


def stock_quantity(source: Mapping[str, Any], parent: Mapping[str, Any]) -> int | None:
    """The managed stock level of a product/variation, or None when WooCommerce does not track it.

    A variation's ``manage_stock`` may be the string ``"parent"``: the parent's quantity applies.
    The level is ``stock_level`` of WooCommerce's quantity (whole units, never below zero).
    """
    manage = source.get("manage_stock")
    if manage == "parent":
        quantity = parent.get("stock_quantity")
        if quantity is None:
            quantity = source.get("stock_quantity")
    elif manage is True:
        quantity = source.get("stock_quantity")
    else:
        return None
    if quantity is None:
        return 0
    parsed = parse_decimal(quantity)
    return stock_level(parsed) if parsed is not None else None


def stock_level(quantity: Decimal) -> int:
    """WooCommerce's stock quantity as SparkLayer's ``stock_level``: whole units, floored, at least 0.

    Fractional stock (``2.7``) is floored to what can be sold (``2``); negative stock (a store
    selling on backorder, ``-3``) is 0, since SparkLayer's stock row has nowhere to say
    "backordered" and a negative level is not a documented value.
    """
    return max(0, math.floor(quantity))


def stock_row(sku: str, quantity: int) -> StockRow:
    return {"sku": sku, "stock_location_external_id": DEFAULT_STOCK_LOCATION, "stock_level": quantity}


def current_price(source: Mapping[str, Any]) -> Any:
    for key in ("price", "sale_price", "regular_price"):
        if source.get(key) not in (None, ""):
            return source.get(key)
    return None


def product_slug(product: Mapping[str, Any]) -> str:
    """WooCommerce drafts may have no slug yet; SparkLayer requires one, so derive it from the name."""
    slug = text(product.get("slug"))
    if slug:
        return slug
    base = slugify(text(product.get("name")))
    return f"{base}-{product.get('id')}" if base else f"product-{product.get('id')}"


def sorted_variations(variations: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    def key(variation: Mapping[str, Any]) -> tuple[int, int]:
        try:
            return int(variation.get("menu_order") or 0), int(variation.get("id") or 0)
        except (TypeError, ValueError):
            return 0, 0

    return sorted(variations, key=key)


def map_product(
    product: Mapping[str, Any],
    variations: Sequence[Mapping[str, Any]] = (),
    *,
    settings: StoreSettings,
    store_url: str,
    seen_skus: MutableMapping[str, str] | None = None,
) -> SyncRecord:
    """Map one product with its variations; bad variants are left out and reported as issues.

    ``seen_skus`` (SKU → owning variant id) is owned by the caller so duplicate SKUs are caught
    across all pages of a run; pass None to skip the duplicate check (single-record fetches).
    """
    external_id = str(product.get("id"))
    url = product_admin_url(store_url, external_id)
    label = product_label(product)
    status = str(product.get("status") or "")
    record = SyncRecord(
        data_type=DataType.PRODUCTS,
        external_id=external_id,
        payload=None,
        platform_url=url,
        visible_id=text(product.get("sku")) or text(product.get("name")),
        updated_at=parse_gmt(product.get("date_modified_gmt")),
        deleted=status == "trash",
    )
    type_issue = product_type_issue(product, platform_url=url)
    if type_issue:
        record.issues.append(type_issue)
        return record

    if product.get("type") == "variable":
        sources: list[tuple[Mapping[str, Any] | None, Mapping[str, Any]]] = [
            (variation, variation) for variation in sorted_variations(variations)
        ]
    else:
        sources = [(None, product)]

    variants: list[dict[str, Any]] = []
    for variation, source in sources:
        variant = _map_variant(product, variation, source, settings=settings, url=url, label=label, record=record)
        if variant is None:
            continue
        sku = variant["sku"]
        if seen_skus is not None:
            duplicate = duplicate_sku_issue(
                sku,
                variant["external_id"],
                seen_skus,
                record_external_id=external_id,
                record_label=label,
                platform_url=url,
            )
            if duplicate:
                record.issues.append(duplicate)
                continue
        variant["position"] = len(variants) + 1
        variants.append(variant)
        quantity = stock_quantity(source, product)
        if quantity is not None:
            record.stock.append(stock_row(sku, quantity))
        price = price_string(current_price(source), settings.currency_code)
        if price is not None:
            record.pricing.append(
                {
                    "sku": sku,
                    "price_list_slug": price_list_slug(settings.currency_code),
                    "pricing": [{"quantity": 1, "price": price}],
                }
            )

    if variants:
        record.payload = {
            "external_id": external_id,
            "title": text(product.get("name")) or f"Product {external_id}",
            "slug": product_slug(product),
            "variants": variants,
        }
    elif not record.issues:
        record.issues.append(no_variants_issue(product, platform_url=url))
    return record


def _map_variant(
    product: Mapping[str, Any],
    variation: Mapping[str, Any] | None,
    source: Mapping[str, Any],
    *,
    settings: StoreSettings,
    url: str,
    label: str,
    record: SyncRecord,
) -> dict[str, Any] | None:
    """One SparkLayer variant, or None (with the issue recorded) when it cannot be synced."""
    sku_issue = missing_sku_issue(product, variation, platform_url=url)
    if sku_issue:
        record.issues.append(sku_issue)
        return None
    sku = text(source.get("sku"))
    variant_id = str(source.get("id"))
    where = label if variation is None else f"{label} variation #{variant_id}"
    issue = price_issue(
        {field: source.get(field) for field in ("regular_price", "sale_price", "price")},
        record_external_id=record.external_id,
        record_label=where,
        platform_url=url,
        visible_id=sku,
    )
    if issue:
        record.issues.append(issue)

    rrp_price = price_string(source.get("regular_price"), settings.currency_code)
    variant: dict[str, Any] = {
        "external_id": variant_id,
        "sku": sku,
        "status": variant_status(product.get("status"), None if variation is None else variation.get("status")),
        "options": _options(variation),
        "rrp": [{"currency_code": settings.currency_code, "price": rrp_price}] if rrp_price else [],
    }
    grams = weight_in_grams(source.get("weight"), settings.weight_unit)
    if grams is None and variation is not None:
        grams = weight_in_grams(product.get("weight"), settings.weight_unit)
    image = image_url(variation.get("image")) if variation is not None else None
    # Sent even when empty (null): a product update keeps the fields it leaves out, so a weight or an
    # image removed in the store would otherwise stay in SparkLayer.
    variant["weight_in_grams"] = grams
    variant["cart_image_url"] = image or image_url(product.get("images"))
    return variant


def _options(variation: Mapping[str, Any] | None) -> list[dict[str, str]]:
    if variation is None:
        return []
    return [
        {"group": text(attribute.get("name")), "value": text(attribute.get("option"))}
        for attribute in variation.get("attributes") or []
        if isinstance(attribute, Mapping) and text(attribute.get("name"))
    ]
