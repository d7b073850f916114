"""Rules a Platform API record must pass before it is pushed to SparkLayer.

The JSON Schemas (``schemas/``) say what a well-formed answer looks like; these rules are about
the merchant's data inside a well-formed answer (a variant nobody gave a SKU, an address without a
city), which the schemas deliberately allow: the platform reports its data as it is, and the
merchant gets an issue naming the record and what to fix. Pure functions, like every platform's
``validation``; the shared ones (duplicate SKU, price not a number) come from ``platforms.validation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platforms.types import RecordIssue
from platforms.validation import DUPLICATE_SKU, PRICE_NOT_A_NUMBER

VARIANT_MISSING_SKU = "variant_missing_sku"
PRODUCT_WITHOUT_VARIANTS = "product_without_variants"
ADDRESS_INCOMPLETE = "address_incomplete"
CUSTOMER_MISSING_EMAIL = "customer_missing_email"

ISSUE_CODES = (
    VARIANT_MISSING_SKU,
    PRODUCT_WITHOUT_VARIANTS,
    DUPLICATE_SKU,
    PRICE_NOT_A_NUMBER,
    ADDRESS_INCOMPLETE,
    CUSTOMER_MISSING_EMAIL,
)

#: address fields SparkLayer requires, with the words an issue uses for them
REQUIRED_ADDRESS_FIELDS = (("address_line1", "line 1"), ("city", "city"), ("country_code", "country"))


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def product_label(product: Mapping[str, Any]) -> str:
    title = _text(product.get("title"))
    return f"Product '{title}' (#{product.get('id')})" if title else f"Product #{product.get('id')}"


def customer_label(customer: Mapping[str, Any]) -> str:
    name = " ".join(_text(customer.get(k)) for k in ("first_name", "last_name")).strip()
    who = name or _text(customer.get("email"))
    return f"Customer '{who}' (#{customer.get('id')})" if who else f"Customer #{customer.get('id')}"


def variant_sku_issue(
    product: Mapping[str, Any], variant: Mapping[str, Any], *, platform_url: str
) -> RecordIssue | None:
    """SKUs are SparkLayer's join key for stock and pricing: a variant without one is left out."""
    if _text(variant.get("sku")):
        return None
    options = ", ".join(
        _text(o.get("value")) for o in variant.get("options") or [] if isinstance(o, Mapping) and _text(o.get("value"))
    )
    return RecordIssue(
        external_id=str(product.get("id")),
        code=VARIANT_MISSING_SKU,
        message=(
            f"{product_label(product)}: variant #{variant.get('id')} ({options or 'no options'}) has no SKU; "
            "it is left out until one is set."
        ),
        platform_url=platform_url,
        visible_id=_text(product.get("title")),
    )


def no_variants_issue(product: Mapping[str, Any], *, platform_url: str) -> RecordIssue:
    """The product has no variants at all (when its variants were left out, their issues say why)."""
    return RecordIssue(
        external_id=str(product.get("id")),
        code=PRODUCT_WITHOUT_VARIANTS,
        message=f"{product_label(product)} has no variant that can be synced; add one with a SKU.",
        platform_url=platform_url,
        visible_id=_text(product.get("title")),
    )


def address_issue(
    address: Mapping[str, Any], *, record_external_id: str, record_label: str, platform_url: str, visible_id: str
) -> RecordIssue | None:
    """SparkLayer requires line 1, city and country; an address without them is left out."""
    missing = [words for field, words in REQUIRED_ADDRESS_FIELDS if not _text(address.get(field))]
    if not missing:
        return None
    return RecordIssue(
        external_id=record_external_id,
        code=ADDRESS_INCOMPLETE,
        message=f"{record_label}: address {address.get('id')} has no {', '.join(missing)}; it is left out.",
        platform_url=platform_url,
        visible_id=visible_id,
    )


def customer_email_issue(customer: Mapping[str, Any], *, platform_url: str) -> RecordIssue | None:
    """Email is SparkLayer's login and unique key: a customer without one cannot be pushed."""
    if _text(customer.get("email")):
        return None
    return RecordIssue(
        external_id=str(customer.get("id")),
        code=CUSTOMER_MISSING_EMAIL,
        message=f"{customer_label(customer)} has no email address; set one so the customer can be synced.",
        platform_url=platform_url,
        visible_id=str(customer.get("id")),
    )
