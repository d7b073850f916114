"""Rules a WooCommerce record must pass before any of it is pushed to SparkLayer.

Each rule is a pure function returning a ``RecordIssue`` (or None): the mapping decides what to
leave out, the rule only says what is wrong, in a sentence a merchant can act on, with the link to
the record's admin page. A failing rule never raises, so one bad record never stops the others.

Issue codes are stable: the sync engine stores them and resolves an issue when the same
``(external_id, code)`` no longer comes back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platforms.types import RecordIssue
from platforms.validation import DUPLICATE_SKU, PRICE_NOT_A_NUMBER
from platforms.validation import duplicate_sku_issue as duplicate_sku_issue  # the rules every platform shares
from platforms.validation import parse_decimal as parse_decimal
from platforms.validation import price_issue as price_issue

PRODUCT_MISSING_SKU = "product_missing_sku"
VARIANT_MISSING_SKU = "variant_missing_sku"
PRODUCT_NO_VARIANTS = "product_no_variants"
UNSUPPORTED_PRODUCT_TYPE = "unsupported_product_type"
ADDRESS_INCOMPLETE = "address_incomplete"
CUSTOMER_MISSING_EMAIL = "customer_missing_email"

ISSUE_CODES = (
    PRODUCT_MISSING_SKU,
    VARIANT_MISSING_SKU,
    DUPLICATE_SKU,
    UNSUPPORTED_PRODUCT_TYPE,
    PRODUCT_NO_VARIANTS,
    ADDRESS_INCOMPLETE,
    CUSTOMER_MISSING_EMAIL,
    PRICE_NOT_A_NUMBER,
)

#: product types that map to SparkLayer's "simple option products"
SUPPORTED_PRODUCT_TYPES = frozenset({"simple", "variable"})

#: address fields SparkLayer requires (docs/ignite-contract.md §2.4), as WooCommerce names them
REQUIRED_ADDRESS_FIELDS = (("address_1", "line 1"), ("city", "city"), ("country", "country"))


def product_label(product: Mapping[str, Any]) -> str:
    name = str(product.get("name") or "").strip()
    return f"Product '{name}' (#{product.get('id')})" if name else f"Product #{product.get('id')}"


def product_type_issue(product: Mapping[str, Any], *, platform_url: str) -> RecordIssue | None:
    """Grouped, external and plugin types have no SKU-per-variant shape SparkLayer can take."""
    product_type = str(product.get("type") or "")
    if product_type in SUPPORTED_PRODUCT_TYPES:
        return None
    return RecordIssue(
        external_id=str(product.get("id")),
        code=UNSUPPORTED_PRODUCT_TYPE,
        message=(
            f"{product_label(product)} is a '{product_type or 'unknown'}' product; only simple and variable "
            "products can be synced to SparkLayer."
        ),
        platform_url=platform_url,
        visible_id=str(product.get("sku") or product.get("name") or ""),
    )


def no_variants_issue(product: Mapping[str, Any], *, platform_url: str) -> RecordIssue:
    """A variable product with no variation left to sync (none at all, or none that maps)."""
    return RecordIssue(
        external_id=str(product.get("id")),
        code=PRODUCT_NO_VARIANTS,
        message=(
            f"{product_label(product)} has no variation that can be synced; it is discontinued in SparkLayer "
            "until it has one."
        ),
        platform_url=platform_url,
        visible_id=str(product.get("sku") or product.get("name") or ""),
    )


def missing_sku_issue(
    product: Mapping[str, Any], variation: Mapping[str, Any] | None, *, platform_url: str
) -> RecordIssue | None:
    """SKUs are SparkLayer's join key for stock and pricing: a variant without one cannot exist there."""
    source = variation if variation is not None else product
    if str(source.get("sku") or "").strip():
        return None
    if variation is None:
        return RecordIssue(
            external_id=str(product.get("id")),
            code=PRODUCT_MISSING_SKU,
            message=f"{product_label(product)} has no SKU; set one so it can be synced.",
            platform_url=platform_url,
            visible_id=str(product.get("name") or ""),
        )
    return RecordIssue(
        external_id=str(product.get("id")),
        code=VARIANT_MISSING_SKU,
        message=(
            f"{product_label(product)}: variation #{variation.get('id')} ({variation_label(variation)}) has no SKU; "
            "it is left out until one is set."
        ),
        platform_url=platform_url,
        visible_id=str(product.get("sku") or product.get("name") or ""),
    )


def variation_label(variation: Mapping[str, Any]) -> str:
    options = [str(a.get("option")) for a in variation.get("attributes") or [] if isinstance(a, Mapping)]
    return ", ".join(options) or "no attributes"


def address_is_blank(address: Mapping[str, Any] | None) -> bool:
    """WooCommerce returns every address field as ``""`` when the customer never filled the address."""
    if not address:
        return True
    return not any(str(v or "").strip() for k, v in address.items() if k not in ("email", "phone"))


def address_issue(
    address: Mapping[str, Any],
    *,
    kind: str,
    record_external_id: str,
    record_label: str,
    platform_url: str,
    visible_id: str = "",
) -> RecordIssue | None:
    """SparkLayer requires line 1, city and country; an address without them is left out."""
    missing = [label for key, label in REQUIRED_ADDRESS_FIELDS if not str(address.get(key) or "").strip()]
    if not missing:
        return None
    return RecordIssue(
        external_id=record_external_id,
        code=ADDRESS_INCOMPLETE,
        message=f"{record_label}: the {kind} address has no {', '.join(missing)}; it is left out.",
        platform_url=platform_url,
        visible_id=visible_id,
    )


def customer_email_issue(customer: Mapping[str, Any], *, platform_url: str) -> RecordIssue | None:
    """Email is SparkLayer's login and unique key: a customer without one cannot be pushed."""
    if str(customer.get("email") or "").strip():
        return None
    return RecordIssue(
        external_id=str(customer.get("id")),
        code=CUSTOMER_MISSING_EMAIL,
        message=f"{customer_label(customer)} has no email address; set one so the customer can be synced.",
        platform_url=platform_url,
        visible_id=str(customer.get("username") or ""),
    )


def customer_label(customer: Mapping[str, Any]) -> str:
    name = " ".join(str(customer.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
    who = name or str(customer.get("email") or customer.get("username") or "").strip()
    return f"Customer '{who}' (#{customer.get('id')})" if who else f"Customer #{customer.get('id')}"
