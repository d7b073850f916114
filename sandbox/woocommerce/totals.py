"""Order tax and totals, the way ``WC_Order::calculate_totals()`` does them for REST-created orders.

Line and shipping totals are stored excluding tax; taxes are found from the store's rates for the
address the ``woocommerce_tax_based_on`` option names, rounded per line, and summed into
``tax_lines`` and the order totals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.woocommerce.common import CENT, money, to_decimal
from sandbox.woocommerce.store_config import StoreConfig

ZERO = Decimal("0")


def find_rates(config: StoreConfig, *, country: str, state: str, tax_class: str) -> list[dict[str, Any]]:
    """The rates for a location and class: the first match of each priority (WC_Tax::find_rates)."""
    wanted_class = tax_class or "standard"
    chosen: dict[int, dict[str, Any]] = {}
    for rate in config.tax_rates:
        if rate["class"] != wanted_class or rate["country"] not in ("", country):
            continue
        if rate["state"] not in ("", state):
            continue
        chosen.setdefault(rate["priority"], rate)
    return [chosen[priority] for priority in sorted(chosen)]


def tax_location(config: StoreConfig, order: dict[str, Any]) -> tuple[str, str]:
    based_on = config.option("woocommerce_tax_based_on")
    if based_on == "base":
        return config.base_country
    shipping, billing = order.get("shipping") or {}, order.get("billing") or {}
    address = shipping if based_on == "shipping" and shipping.get("country") else billing
    if not address.get("country"):
        return config.base_country
    return str(address.get("country", "")), str(address.get("state", ""))


def price_excluding_tax(config: StoreConfig, price: Decimal, tax_class: str) -> Decimal:
    """``wc_get_price_excluding_tax`` for one unit: strip the shop-base tax when prices are entered gross."""
    if not config.prices_include_tax:
        return price
    country, state = config.base_country
    rate = sum(
        (Decimal(r["rate"]) for r in find_rates(config, country=country, state=state, tax_class=tax_class)), ZERO
    )
    return price / (1 + rate / 100)


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def calculate_totals(order: dict[str, Any], config: StoreConfig) -> None:
    """Fill every tax and total field of ``order`` in place from its lines, address and the store's rates."""
    calc_taxes = config.option("woocommerce_calc_taxes") == "yes"
    country, state = tax_location(config, order)
    per_rate: dict[int, dict[str, Any]] = {}

    def taxes_for(amount: Decimal, tax_class: str, shipping: bool) -> dict[int, Decimal]:
        if not calc_taxes:
            return {}
        result = {}
        for rate in find_rates(config, country=country, state=state, tax_class=tax_class):
            if shipping and not rate["shipping"]:
                continue
            per_rate.setdefault(rate["id"], {"rate": rate, "cart": ZERO, "shipping": ZERO})
            result[rate["id"]] = _round(amount * Decimal(rate["rate"]) / 100)
        return result

    cart_tax = subtotal_sum = total_sum = subtotal_tax_sum = ZERO
    for item in order["line_items"]:
        subtotal = to_decimal(item["subtotal"]) or ZERO
        total = to_decimal(item["total"]) or ZERO
        total_taxes = taxes_for(total, item.get("tax_class", ""), shipping=False)
        subtotal_taxes = taxes_for(subtotal, item.get("tax_class", ""), shipping=False)
        for rate_id, amount in total_taxes.items():
            per_rate[rate_id]["cart"] += amount
        item["subtotal"], item["total"] = money(subtotal), money(total)
        item["subtotal_tax"] = money(sum(subtotal_taxes.values(), ZERO))
        item["total_tax"] = money(sum(total_taxes.values(), ZERO))
        item["taxes"] = [
            {"id": rate_id, "total": money(amount), "subtotal": money(subtotal_taxes.get(rate_id, ZERO))}
            for rate_id, amount in total_taxes.items()
        ]
        quantity = int(item["quantity"]) or 1
        item["price"] = float(total / quantity)
        cart_tax += sum(total_taxes.values(), ZERO)
        subtotal_tax_sum += sum(subtotal_taxes.values(), ZERO)
        subtotal_sum += subtotal
        total_sum += total

    shipping_total = shipping_tax = ZERO
    for line in order["shipping_lines"]:
        amount = to_decimal(line.get("total")) or ZERO
        taxes = taxes_for(amount, "", shipping=True)
        for rate_id, tax in taxes.items():
            per_rate[rate_id]["shipping"] += tax
        line["total"] = money(amount)
        line["total_tax"] = money(sum(taxes.values(), ZERO))
        line["taxes"] = [{"id": rate_id, "total": money(tax), "subtotal": ""} for rate_id, tax in taxes.items()]
        shipping_total += amount
        shipping_tax += sum(taxes.values(), ZERO)

    fee_total = sum((to_decimal(fee.get("total")) or ZERO for fee in order.get("fee_lines", [])), ZERO)
    order["tax_lines"] = [
        {
            "id": order["id"] * 100 + 90 + index,
            "rate_code": rate_code(entry["rate"]),
            "rate_id": rate_id,
            "label": entry["rate"]["name"],
            "compound": entry["rate"]["compound"],
            "tax_total": money(entry["cart"]),
            "shipping_tax_total": money(entry["shipping"]),
            "rate_percent": float(entry["rate"]["rate"]),
            "meta_data": [],
        }
        for index, (rate_id, entry) in enumerate(sorted(per_rate.items()))
    ]
    order["discount_total"] = money(subtotal_sum - total_sum)
    order["discount_tax"] = money(subtotal_tax_sum - cart_tax)
    order["shipping_total"] = money(shipping_total)
    order["shipping_tax"] = money(shipping_tax)
    order["cart_tax"] = money(cart_tax)
    order["total_tax"] = money(cart_tax + shipping_tax)
    order["total"] = money(total_sum + cart_tax + shipping_total + shipping_tax + fee_total)


def rate_code(rate: dict[str, Any]) -> str:
    """``WC_Tax::get_rate_code``: COUNTRY-STATE-NAME-PRIORITY, upper case, empty parts left out."""
    parts = [rate["country"], rate["state"], rate["name"] or "TAX", str(rate["priority"])]
    return "-".join(part for part in parts if part).upper()
