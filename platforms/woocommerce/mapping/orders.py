"""WooCommerce orders → SparkLayer Purchase (``PUT /api/v1/purchases/platform/{order_id}``).

Purchases feed the customer's order history in SparkLayer; they are never written back. An order
placed through SparkLayer's checkout carries ``sparkCartId`` meta, sent back as
``purchase_identifiers.sparklayer`` so SparkLayer turns its cart into this order.

Decisions where SparkLayer's docs are silent: ``dates`` uses ``created_at``/``updated_at``/
``paid_at``/``completed_at`` (ISO 8601, UTC, ``Z``); a line item's money is ``unit_price`` and
``line_total {total_net, subtotal_net, tax}`` as Money; the WooCommerce status travels in
``metadata`` as ``woocommerce_status``. All money values are decimal strings in the currency's
minor unit, rounded half up.

Lifecycle: a purchase is written again whenever the order changes (status, refund, edit), so
SparkLayer follows the order after it was placed. WooCommerce keeps an order's ``total`` as placed
and lists refunds apart (``refunds[]``, each ``total`` negative); the purchase's
``calculated_total`` is the total net of refunds, and the amounts themselves travel in
``metadata`` (``order_total``, ``refunded_total``) so the history shows both. The refund's lines
are not in the order resource, so line items stay as ordered. The ``sparkCartId`` meta the
checkout wrote is kept by every later update of the order, so ``purchase_identifiers.sparklayer``
stays the same through the whole lifecycle (SparkLayer refuses a change of it with 403).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from platforms.types import DataType, SyncRecord
from platforms.woocommerce.mapping.common import (
    address_payload,
    iso_utc,
    meta_value,
    money,
    money_string,
    order_admin_url,
    parse_gmt,
    text,
)
from platforms.woocommerce.meta import ORDER_CART_ID, ORDER_PAYMENT_TYPE
from platforms.woocommerce.validation import address_is_blank, parse_decimal, price_issue

#: statuses that are not purchases: block-checkout drafts are deleted by WooCommerce within a day
SKIPPED_ORDER_STATUSES = frozenset({"checkout-draft", "auto-draft", "draft"})


def is_syncable_order(order: Mapping[str, Any]) -> bool:
    return str(order.get("status") or "") not in SKIPPED_ORDER_STATUSES


def map_order(order: Mapping[str, Any], *, store_url: str) -> SyncRecord:
    """Map one order; a total that is not a number means nothing is pushed."""
    external_id = str(order.get("id"))
    url = order_admin_url(store_url, external_id)
    number = text(order.get("number")) or external_id
    currency = text(order.get("currency")).lower()
    record = SyncRecord(
        data_type=DataType.PURCHASES,
        external_id=external_id,
        payload=None,
        platform_url=url,
        visible_id=number,
        updated_at=parse_gmt(order.get("date_modified_gmt")),
        deleted=order.get("status") == "trash",
    )
    issue = price_issue(
        {"total": order.get("total")},
        record_external_id=external_id,
        record_label=f"Order #{number}",
        platform_url=url,
        visible_id=number,
    )
    if issue or parse_decimal(order.get("total")) is None:
        if issue:
            record.issues.append(issue)
        return record

    customer_id = order.get("customer_id") or 0
    cart_id = text(meta_value(order, ORDER_CART_ID))
    payload: dict[str, Any] = {
        "type": "order",
        "purchase_identifiers": {"sparklayer": cart_id or None, "platform": external_id, "visible": number},
        "customer_identifiers": {"platform": str(customer_id) if customer_id else None},
        "dates": _dates(order),
        "currency_code": currency,
        "calculated_total": _net_total(order, currency),
        "billing_address": _address_or_none(order.get("billing")),
        "packages": [
            {
                "line_items": [_line_item(item, currency) for item in order.get("line_items") or []],
                "shipping_method": _shipping_method(order, currency),
                "shipping_address": _address_or_none(order.get("shipping")),
            }
        ],
        "accounting_files": [],
        "custom_fields": [],
        "metadata": _metadata(order, currency),
    }
    if text(order.get("payment_method_title")):
        payload["payment_method"] = text(order.get("payment_method_title"))
    if text(order.get("customer_note")):
        payload["customer_reference"] = text(order.get("customer_note"))
    record.payload = payload
    return record


def _dates(order: Mapping[str, Any]) -> dict[str, str]:
    pairs = {
        "created_at": order.get("date_created_gmt"),
        "updated_at": order.get("date_modified_gmt"),
        "paid_at": order.get("date_paid_gmt"),
        "completed_at": order.get("date_completed_gmt"),
    }
    return {key: iso for key, value in pairs.items() if (iso := iso_utc(value))}


def _address_or_none(address: Any) -> dict[str, Any] | None:
    if not isinstance(address, Mapping) or address_is_blank(address):
        return None
    return address_payload(address)


def _line_item(item: Mapping[str, Any], currency: str) -> dict[str, Any]:
    quantity = _int(item.get("quantity"))
    total = parse_decimal(item.get("total"))
    unit = parse_decimal(item.get("price"))
    if unit is None and total is not None and quantity:
        unit = total / Decimal(quantity)
    variant_id = item.get("variation_id") or item.get("product_id")
    return {
        "identifiers": {
            "platform": str(item.get("id")),
            "product_external_id": str(item.get("product_id") or ""),
            "variant_external_id": str(variant_id or ""),
        },
        "sku": text(item.get("sku")),
        "name": text(item.get("name")),
        "name_parent": text(item.get("parent_name")) or text(item.get("name")),
        "quantity": quantity,
        "unit_price": {"number": money_string(unit, currency), "currency": currency} if unit is not None else None,
        "line_total": {
            "total_net": money(item.get("total"), currency),
            "subtotal_net": money(item.get("subtotal"), currency),
            "tax": money(item.get("total_tax"), currency),
        },
    }


def _shipping_method(order: Mapping[str, Any], currency: str) -> dict[str, Any] | None:
    lines = [line for line in order.get("shipping_lines") or [] if isinstance(line, Mapping)]
    if not lines:
        return None
    total = sum((parse_decimal(line.get("total")) or Decimal(0) for line in lines), Decimal(0))
    tax = sum((parse_decimal(line.get("total_tax")) or Decimal(0) for line in lines), Decimal(0))
    return {
        "name": ", ".join(text(line.get("method_title")) for line in lines if text(line.get("method_title"))),
        "method_id": text(lines[0].get("method_id")),
        "line_total": {
            "total_net": {"number": money_string(total, currency), "currency": currency},
            "tax": {"number": money_string(tax, currency), "currency": currency},
        },
    }


def refunded_total(order: Mapping[str, Any]) -> Decimal:
    """What was refunded so far, as a positive amount (WooCommerce lists each refund's total negative)."""
    refunded = Decimal(0)
    for refund in order.get("refunds") or []:
        amount = parse_decimal(refund.get("total")) if isinstance(refund, Mapping) else None
        if amount is not None:
            refunded += abs(amount)
    return refunded


def _net_total(order: Mapping[str, Any], currency: str) -> dict[str, str]:
    total = parse_decimal(order.get("total")) or Decimal(0)
    return {"number": money_string(max(total - refunded_total(order), Decimal(0)), currency), "currency": currency}


def _metadata(order: Mapping[str, Any], currency: str) -> list[dict[str, str]]:
    metadata = [{"name": "woocommerce_status", "value": text(order.get("status"))}]
    refunded = refunded_total(order)
    if refunded:
        total = parse_decimal(order.get("total")) or Decimal(0)
        metadata.append({"name": "order_total", "value": money_string(total, currency)})
        metadata.append({"name": "refunded_total", "value": money_string(refunded, currency)})
    payment_type = text(meta_value(order, ORDER_PAYMENT_TYPE))
    if payment_type:
        metadata.append({"name": ORDER_PAYMENT_TYPE, "value": payment_type})
    return metadata


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
