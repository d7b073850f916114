"""Platform API products → SparkLayer Product, stock rows and pricing items.

The Platform API's product is already SparkLayer-shaped (a product with variants, each with its
own SKU), so the mapping is thin:

* Status: ``active`` → ``live``, ``draft`` → ``pending``, ``archived`` → ``discontinued``; an
  ``inactive`` variant of a live product is ``suspended``.
* ``price`` (the current selling price) goes to the store currency's platform price list;
  ``rrp`` is the variant's RRP. Prices are sent as the store holds them (gross or net per
  ``prices_include_tax``, which the merchant settings record reports).
* ``stock`` (an integer) is one stock row at ``DEFAULT_STOCK_LOCATION``; ``null`` means the
  platform does not track stock for that variant: no row.
* ``weight`` is in the store's ``weight_unit`` and sent in grams.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any, cast

from platforms.standard.mapping.common import (
    StoreSettings,
    parse_timestamp,
    price_string,
    slugify,
    text,
    weight_in_grams,
)
from platforms.standard.validation import no_variants_issue, product_label, variant_sku_issue
from platforms.types import DataType, SyncRecord
from platforms.validation import duplicate_sku_issue, price_issue
from sparklayer.payloads import PriceList

DEFAULT_STOCK_LOCATION = "default"
PRODUCT_STATUS = {"active": "live", "draft": "pending", "archived": "discontinued"}


def price_list_slug(currency_code: str) -> str:
    """The one platform price list per store currency that product prices go into."""
    return f"platform-{currency_code.lower()}"


def price_list_payloads(settings: StoreSettings) -> list[PriceList]:
    code = settings.currency_code
    return [
        {
            "slug": price_list_slug(code),
            "name": f"{settings.name or 'Platform'} {code.upper()}",
            "currency_code": code,
            "source": "platform",
        }
    ]


def variant_status(product_status: Any, variant_status: Any) -> str:
    status = PRODUCT_STATUS.get(text(product_status), "pending")
    if status == "live" and text(variant_status) == "inactive":
        return "suspended"
    return status


def product_slug(product: Mapping[str, Any]) -> str:
    slug = text(product.get("slug"))
    if slug:
        return slug
    base = slugify(text(product.get("title")))
    return f"{base}-{product.get('id')}" if base else f"product-{product.get('id')}"


def map_product(
    product: Mapping[str, Any],
    *,
    settings: StoreSettings,
    seen_skus: MutableMapping[str, str] | None = None,
) -> SyncRecord:
    """Map one product; bad variants are left out and reported as issues.

    ``seen_skus`` (SKU → owning variant id) belongs to the caller so duplicate SKUs are caught
    across the pages of a run; None skips that check (single-record fetches).
    """
    external_id = text(product.get("id"))
    url = text(product.get("admin_url"))
    label = product_label(product)
    record = SyncRecord(
        data_type=DataType.PRODUCTS,
        external_id=external_id,
        payload=None,
        platform_url=url,
        visible_id=text(product.get("title")),
        updated_at=parse_timestamp(product.get("updated_at")),
    )
    variants: list[dict[str, Any]] = []
    for source in product.get("variants") or []:
        if not isinstance(source, Mapping):
            continue
        variant = _map_variant(product, source, settings=settings, url=url, label=label, record=record)
        if variant is None:
            continue
        if seen_skus is not None:
            duplicate = duplicate_sku_issue(
                variant["sku"],
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
        _stock_and_price(record, source, variant["sku"], settings)
    if not variants:
        if not record.issues:  # the variants' own issues already say why nothing can be pushed
            record.issues.append(no_variants_issue(product, platform_url=url))
        return record
    record.payload = {
        "external_id": external_id,
        "title": text(product.get("title")) or f"Product {external_id}",
        "slug": product_slug(product),
        "variants": variants,
    }
    return record


def _map_variant(
    product: Mapping[str, Any],
    source: Mapping[str, Any],
    *,
    settings: StoreSettings,
    url: str,
    label: str,
    record: SyncRecord,
) -> dict[str, Any] | None:
    sku_issue = variant_sku_issue(product, source, platform_url=url)
    if sku_issue:
        record.issues.append(sku_issue)
        return None
    sku = text(source.get("sku"))
    variant_id = text(source.get("id"))
    issue = price_issue(
        {field: source.get(field) for field in ("price", "rrp")},
        record_external_id=record.external_id,
        record_label=f"{label} variant #{variant_id}",
        platform_url=url,
        visible_id=sku,
    )
    if issue:
        record.issues.append(issue)
    rrp = price_string(source.get("rrp"))
    variant: dict[str, Any] = {
        "external_id": variant_id,
        "sku": sku,
        "status": variant_status(product.get("status"), source.get("status")),
        "options": [
            {"group": text(option.get("name")), "value": text(option.get("value"))}
            for option in source.get("options") or []
            if isinstance(option, Mapping) and text(option.get("name"))
        ],
        "rrp": [{"currency_code": settings.currency_code, "price": rrp}] if rrp else [],
    }
    # Sent even when empty (null): a product update keeps the fields it leaves out, so a weight or an
    # image removed on the platform would otherwise stay in SparkLayer.
    variant["weight_in_grams"] = weight_in_grams(source.get("weight"), settings.weight_unit)
    variant["cart_image_url"] = text(source.get("image_url")) or None
    return variant


def _stock_and_price(record: SyncRecord, source: Mapping[str, Any], sku: str, settings: StoreSettings) -> None:
    stock = source.get("stock")
    if isinstance(stock, int) and not isinstance(stock, bool):
        record.stock.append({"sku": sku, "stock_location_external_id": DEFAULT_STOCK_LOCATION, "stock_level": stock})
    price = price_string(source.get("price"))
    if price is not None:
        record.pricing.append(
            {
                "sku": sku,
                "price_list_slug": price_list_slug(settings.currency_code),
                "pricing": [{"quantity": 1, "price": price}],
            }
        )


def stock_records(record: SyncRecord) -> list[SyncRecord]:
    """The stock-row view of a product record: one record per row, keyed by SKU (the pull endpoint's items)."""
    return [
        SyncRecord(
            data_type=DataType.STOCK,
            external_id=row["sku"],
            payload=cast(dict[str, Any], row),
            platform_url=record.platform_url,
            visible_id=row["sku"],
            updated_at=record.updated_at,
        )
        for row in record.stock
    ]
