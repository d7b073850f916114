"""Checkout on WooCommerce: shipping from the store's zones, tax and totals from the store itself.

**Calculate.** WooCommerce computes tax only on orders (REST has no cart), so the bridge creates an
order with the cart's lines (by SKU, SparkLayer's B2B unit prices as the ex-tax line totals), both
addresses and the chosen shipping line, reads the totals WooCommerce computed, and deletes the
order for good (``force=true``). Trade-off, accepted for exact store-side tax: for a moment the
order exists (an admin looking at that instant could see it), it uses up an order id, and it emits
``order.created`` to webhook consumers. It is created ``pending`` (no stock change, no emails) and
tagged ``_sparklayer_calculation`` so a consumer can tell it apart. The alternative, re-implementing
``WC_Tax`` from ``GET /taxes`` in the bridge, leaves no trace but drifts from the store (compound
rates, rounding options, tax plugins).

**Complete.** An order with ``sparkCartId``/``sparkPaymentType`` meta; status per payment type
(``ORDER_STATUS_BY_PAYMENT_TYPE``); for ``upfrontPayment`` the answer is the order's payment URL.
Before creating, the customer's recent orders are searched for one carrying the same cart id, so a
retry after a crash between "order created" and "answer recorded" finds the order instead of
making a second one (the bridge's own database is the first guard, see ``endpoints``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ignite_bridge.core.errors import IntegrationError, PermanentError
from ignite_bridge.core.ids import positive_id
from ignite_bridge.core.process_cache import ProcessCache
from platforms.base import PlatformRequestError
from platforms.woocommerce.addresses import native_from_address
from platforms.woocommerce.client import WooCommerceClient
from platforms.woocommerce.mapping.common import meta_value, money
from platforms.woocommerce.meta import ORDER_CART_ID, ORDER_PAYMENT_TYPE
from platforms.woocommerce.shipping import Destination, ShippingRate, match_zone, rates_for

logger = logging.getLogger(__name__)

#: [decision] WooCommerce status of the order each SparkLayer payment type creates. ``on-hold``: goods
#: are owed and the merchant reviews the order (stock is reduced); ``pending``: nothing is owed yet,
#: the buyer pays through the store (upfront) or the merchant turns the quote into an order.
ORDER_STATUS_BY_PAYMENT_TYPE: dict[str, str] = {
    "paymentOnAccount": "on-hold",
    "paymentByInvoice": "on-hold",
    "quote": "pending",
    "upfrontPayment": "pending",
}
PAYMENT_TITLES: dict[str, str] = {
    "paymentOnAccount": "Payment on account (SparkLayer)",
    "paymentByInvoice": "Payment by invoice (SparkLayer)",
    "quote": "Quote request (SparkLayer)",
    "upfrontPayment": "",  # the buyer picks a gateway on the store's payment page
}
CALCULATION_META_KEY = "_sparklayer_calculation"
#: how many of the customer's latest orders are searched for the cart id
RECENT_ORDERS = 20
#: WooCommerce codes meaning the cart itself is wrong (an unknown SKU or customer), not the store
CART_ERROR_CODES = {
    "woocommerce_rest_invalid_product_id": "unknown_sku",
    "woocommerce_rest_required_product_reference": "unknown_sku",
    "woocommerce_rest_invalid_customer_id": "unknown_customer",
}


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def cart_subtotal(data: Mapping[str, Any]) -> tuple[Decimal, int]:
    """Sum of unit price x quantity (ex tax) and the item count: what free-shipping and formulas use."""
    subtotal, quantity = Decimal(0), 0
    for line in data.get("line_items") or []:
        subtotal += _decimal(line["unit_price"]["number"]) * int(line["quantity"])
        quantity += int(line["quantity"])
    return subtotal, quantity


#: how long a process reuses a store's shipping zones, zone locations and zone methods (seconds).
#: They change when the merchant edits shipping settings, for which WooCommerce sends no webhook;
#: reading them on every calculation cost three of its five store calls.
SHIPPING_CACHE_SECONDS = 60.0

#: (store URL, API key, path) -> the store's answer; many stores in one process stay bounded
_shipping_cache: ProcessCache[tuple[str, str, str], Any] = ProcessCache(
    name="woocommerce shipping configuration", ttl=lambda: SHIPPING_CACHE_SECONDS, max_entries=10_000
)


def shipping_config(client: WooCommerceClient, path: str) -> Any:
    """GET a shipping-configuration resource, kept ``SHIPPING_CACHE_SECONDS`` per store and key."""
    key = (client.base_url, client.consumer_key, path)
    hit = _shipping_cache.get(key)
    if hit is not None:
        return hit
    value = client.get_json(path)
    _shipping_cache.set(key, value)
    return value


def shipping_cache_clear() -> None:
    _shipping_cache.clear()


def shipping_rates(client: WooCommerceClient, data: Mapping[str, Any]) -> list[ShippingRate]:
    address = data.get("shipping_address") or data.get("billing_address") or {}
    destination = Destination(
        country=str(address.get("country_code") or "").upper(),
        state=str(address.get("region_code") or "").upper(),
        postcode=str(address.get("postal_code") or ""),
    )
    zones = shipping_config(client, "shipping/zones")
    zone_id = match_zone(zones, destination, lambda zid: shipping_config(client, f"shipping/zones/{zid}/locations"))
    methods = shipping_config(client, f"shipping/zones/{zone_id}/methods")
    subtotal, quantity = cart_subtotal(data)
    return rates_for(methods, subtotal=subtotal, quantity=quantity)


def chosen_rate(rates: list[ShippingRate], data: Mapping[str, Any], *, strict: bool) -> ShippingRate | None:
    """The method the buyer chose (``shipping_line.id``, else the one calculate picked), else the first.

    ``strict`` (complete): a named method the destination does not offer is a 400, never a silent swap.
    """
    line = data.get("shipping_line") or {}
    state = data.get("ignite_state") or {}
    wanted = str(line.get("id") or "") if isinstance(line, Mapping) else ""
    wanted = wanted or (str(state.get("shipping_method_id") or "") if isinstance(state, Mapping) else "")
    if wanted:
        for rate in rates:
            if rate.id == wanted:
                return rate
        if strict:
            raise PlatformRequestError(
                f"Shipping method {wanted} is not available for this address.", code="shipping_method_unavailable"
            )
    return rates[0] if rates else None


def order_body(data: Mapping[str, Any], rate: ShippingRate | None) -> dict[str, Any]:
    email = str((data.get("customer") or {}).get("email") or "")
    billing = data.get("billing_address") or data.get("shipping_address") or {}
    shipping = data.get("shipping_address") or billing
    body: dict[str, Any] = {
        "currency": str(data["currency_code"]).upper(),
        "billing": native_from_address(billing, kind="billing", email=email),
        "shipping": native_from_address(shipping, kind="shipping"),
        "line_items": [
            {
                "sku": line["sku"],
                "quantity": int(line["quantity"]),
                # WooCommerce wants line values ex tax: SparkLayer's price-list prices are taken as ex tax.
                "subtotal": _line_total(line),
                "total": _line_total(line),
            }
            for line in data["line_items"]
        ],
        "shipping_lines": [],
    }
    if rate is not None:
        body["shipping_lines"] = [
            {
                "method_id": rate.method_id,
                "instance_id": str(rate.instance_id),
                "method_title": rate.name,
                "total": str(rate.cost),
            }
        ]
    customer_id = checkout_customer_id(data)
    if customer_id is not None:
        body["customer_id"] = customer_id
    return body


def checkout_customer_id(data: Mapping[str, Any]) -> int | None:
    """The WooCommerce customer of the cart; None for a guest (no ``customer.external_id``).

    Anything else than a positive id in ASCII digits is refused (400) rather than guessed at."""
    raw = (data.get("customer") or {}).get("external_id")
    if raw is None or raw == "":
        return None
    number = positive_id(raw)
    if number is None:
        raise PlatformRequestError(
            "customer.external_id is not a WooCommerce customer id (a positive number in ASCII digits).",
            code="unknown_customer",
        )
    return number


def _line_total(line: Mapping[str, Any]) -> str:
    return format(_decimal(line["unit_price"]["number"]) * int(line["quantity"]), "f")


def create_order(client: WooCommerceClient, body: Mapping[str, Any]) -> dict[str, Any]:
    """POST the order; a store refusing the cart's SKU or customer is the caller's 400, not a 502."""
    try:
        return dict(client.send_json("POST", "orders", body=body))
    except PermanentError as exc:
        code = CART_ERROR_CODES.get(exc.code)
        if code is None:
            raise
        raise PlatformRequestError(f"The store refused the cart: {exc.problem.detail or exc.code}", code=code) from exc


def checkout_calculate(client: WooCommerceClient, data: Mapping[str, Any]) -> dict[str, Any]:
    currency = str(data["currency_code"]).lower()
    rates = shipping_rates(client, data)
    rate = chosen_rate(rates, data, strict=False)
    body = order_body(data, rate)
    body["status"] = "pending"
    body["meta_data"] = [{"key": CALCULATION_META_KEY, "value": str(data["cart_id"])}]
    order = create_order(client, body)
    try:
        subtotal = sum((_decimal(item.get("subtotal")) for item in order.get("line_items") or []), Decimal(0))
        totals = {
            "subtotal": money(subtotal, currency),
            "shipping": money(order.get("shipping_total") or "0", currency),
            "tax": money(order.get("total_tax") or "0", currency),
            "total": money(order.get("total") or "0", currency),
        }
    finally:
        _discard(client, order.get("id"))
    return {
        "available_shipping_methods": [{"id": r.id, "name": r.name, "price": money(r.cost, currency)} for r in rates],
        "totals": totals,
        "ignite_state": {
            "version": 1,
            "shipping_method_id": rate.id if rate else None,
            "shipping_rates": [r.as_state() for r in rates],
            "totals": totals,
        },
    }


def _discard(client: WooCommerceClient, order_id: Any) -> None:
    """Delete the calculation order for good; a failure is logged (with the id to clean up), never raised."""
    if not order_id:
        return
    try:
        client.send_json("DELETE", f"orders/{order_id}", params={"force": "true"})
    except IntegrationError as exc:
        logger.warning(
            "could not delete the checkout calculation order", extra={"order_id": order_id, "error": exc.code}
        )


def find_cart_order(client: WooCommerceClient, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The customer's recent order carrying this cart id, if an earlier attempt created one."""
    customer_id = checkout_customer_id(data)
    if customer_id is None:
        return None  # guest carts: the bridge's own database is the only guard
    orders = client.get_json(
        "orders",
        params={
            "customer": customer_id,
            "orderby": "date",
            "order": "desc",
            "per_page": RECENT_ORDERS,
            "_fields": "id,status,meta_data,payment_url",
        },
    )
    for order in orders if isinstance(orders, list) else []:
        if str(meta_value(order, ORDER_CART_ID) or "") == str(data["cart_id"]):
            return dict(order)
    return None


def completion(order: Mapping[str, Any], payment_type: str) -> dict[str, Any]:
    """docs/ignite-contract.md §1.7: the order id, or (upfront payment) the store's payment page for it."""
    order_id = str(order["id"])
    if payment_type == "upfrontPayment":
        return {"order_id": order_id, "order_external_id": None, "redirect_url": str(order.get("payment_url") or "")}
    return {"order_id": order_id, "order_external_id": order_id, "redirect_url": None}


def checkout_complete(client: WooCommerceClient, data: Mapping[str, Any]) -> dict[str, Any]:
    payment_type = str(data["payment_type"])
    existing = find_cart_order(client, data)
    if existing is not None:
        return completion(existing, payment_type)
    rate = chosen_rate(shipping_rates(client, data), data, strict=True)
    body = order_body(data, rate)
    body["status"] = ORDER_STATUS_BY_PAYMENT_TYPE[payment_type]
    if PAYMENT_TITLES[payment_type]:
        body["payment_method_title"] = PAYMENT_TITLES[payment_type]
    body["meta_data"] = [
        {"key": ORDER_CART_ID, "value": str(data["cart_id"])},
        {"key": ORDER_PAYMENT_TYPE, "value": payment_type},
    ]
    return completion(create_order(client, body), payment_type)
