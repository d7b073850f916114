"""Platform API orders → SparkLayer Purchase (``PUT /api/v1/purchases/platform/{order_id}``).

Purchases feed the customer's order history in SparkLayer; they are never written back. An order
placed through SparkLayer's checkout carries the ``cart_id`` it was completed with, sent back as
``purchase_identifiers.sparklayer`` so SparkLayer turns its cart into this order. The same
decisions as the other platforms where SparkLayer's docs are silent: ``dates`` in UTC with ``Z``,
a line's money as ``unit_price`` and ``line_total {total_net, subtotal_net, tax}``, the platform's
own status in ``metadata`` (``platform_status``). All money values are decimal strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platforms.standard.mapping.common import (
    address_is_blank,
    address_payload,
    iso_utc,
    money,
    parse_timestamp,
    text,
)
from platforms.types import DataType, SyncRecord
from platforms.validation import parse_decimal, price_issue


def map_order(order: Mapping[str, Any]) -> SyncRecord:
    """Map one order; a total that is not a number means nothing is pushed."""
    external_id = text(order.get("id"))
    url = text(order.get("admin_url"))
    number = text(order.get("number")) or external_id
    currency = text(order.get("currency")).lower()
    record = SyncRecord(
        data_type=DataType.PURCHASES,
        external_id=external_id,
        payload=None,
        platform_url=url,
        visible_id=number,
        updated_at=parse_timestamp(order.get("updated_at")),
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
    metadata = [{"name": "platform_status", "value": text(order.get("status"))}]
    if text(order.get("payment_type")):
        metadata.append({"name": "payment_type", "value": text(order.get("payment_type"))})
    payload: dict[str, Any] = {
        "type": "order",
        "purchase_identifiers": {
            "sparklayer": text(order.get("cart_id")) or None,
            "platform": external_id,
            "visible": number,
        },
        "customer_identifiers": {"platform": text(order.get("customer_id")) or None},
        "dates": {
            key: iso
            for key in ("created_at", "updated_at", "paid_at", "completed_at")
            if (iso := iso_utc(order.get(key)))
        },
        "currency_code": currency,
        "calculated_total": money(order.get("total"), currency),
        "billing_address": _address_or_none(order.get("billing_address")),
        "packages": [
            {
                "line_items": [
                    _line_item(line, currency) for line in order.get("lines") or [] if isinstance(line, Mapping)
                ],
                "shipping_method": _shipping_method(order.get("shipping"), currency),
                "shipping_address": _address_or_none(order.get("shipping_address")),
            }
        ],
        "accounting_files": [],
        "custom_fields": [],
        "metadata": metadata,
    }
    if text(order.get("payment_method")):
        payload["payment_method"] = text(order.get("payment_method"))
    if text(order.get("note")):
        payload["customer_reference"] = text(order.get("note"))
    record.payload = payload
    return record


def _address_or_none(address: Any) -> dict[str, Any] | None:
    if not isinstance(address, Mapping) or address_is_blank(address):
        return None
    return address_payload(address)


def _line_item(line: Mapping[str, Any], currency: str) -> dict[str, Any]:
    quantity = line.get("quantity") if isinstance(line.get("quantity"), int) else 0
    return {
        "identifiers": {
            "platform": text(line.get("id")),
            "product_external_id": text(line.get("product_id")),
            "variant_external_id": text(line.get("variant_id")),
        },
        "sku": text(line.get("sku")),
        "name": text(line.get("title")),
        "name_parent": text(line.get("title")),
        "quantity": quantity,
        "unit_price": money(line.get("unit_price"), currency),
        "line_total": {
            "total_net": money(line.get("total"), currency),
            "subtotal_net": money(_first_set(line.get("subtotal"), line.get("total")), currency),
            "tax": money(_first_set(line.get("tax"), "0"), currency),
        },
    }


def _shipping_method(shipping: Any, currency: str) -> dict[str, Any] | None:
    if not isinstance(shipping, Mapping):
        return None
    return {
        "name": text(shipping.get("name")),
        "method_id": text(shipping.get("method_id")),
        "line_total": {
            "total_net": money(shipping.get("total"), currency),
            "tax": money(_first_set(shipping.get("tax"), "0"), currency),
        },
    }


def _first_set(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value
