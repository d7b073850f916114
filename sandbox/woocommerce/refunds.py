"""Order refunds: ``GET|POST /orders/<id>/refunds`` as WooCommerce's refunds controller answers them.

A refund (``wc_create_refund``) is its own record in the order id space. The order lists it in
``refunds[]`` (newest first, ``{id, reason, total}`` with ``total`` negative), keeps its own
``total`` as placed, is marked ``refunded`` once nothing is left to refund
(``wc_order_fully_refunded``), and is saved, so ``order.updated`` fires. The amount must be more
than zero and at most what is left; no payment gateway is called (``api_refund`` is ignored).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.woocommerce import orders
from sandbox.woocommerce.common import WooError, date_fields, money, now_ts, to_decimal
from sandbox.woocommerce.records import touch
from sandbox.woocommerce.store import WooStore


def refunds_list(store: WooStore, order_id: int) -> list[dict[str, Any]]:
    orders.stored(store, order_id)  # 404 for an unknown order
    return [dict(refund) for refund in store.order_refunds.get(order_id, [])]


def refund_create(store: WooStore, order_id: int, data: dict[str, Any]) -> dict[str, Any]:
    if order_id not in store.orders:
        raise WooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid order ID.")
    order = orders.stored(store, order_id)
    amount = to_decimal(data.get("amount"))
    if amount is None or amount <= 0:
        raise WooError(400, "woocommerce_rest_invalid_order_refund", "Refund amount must be greater than zero.")
    total = to_decimal(order.get("total")) or Decimal(0)
    refunded = sum((abs(to_decimal(r.get("total")) or Decimal(0)) for r in order.get("refunds") or []), Decimal(0))
    if amount > total - refunded:
        raise WooError(500, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.")
    refund_id = store.next_order_id
    store.next_order_id += 1
    moment = now_ts()
    refund: dict[str, Any] = {
        "id": refund_id,
        **date_fields("date_created", moment),
        "amount": money(amount),
        "reason": str(data.get("reason") or ""),
        "refunded_by": 1,
        "refunded_payment": False,
        "meta_data": [],
        "line_items": [],
    }
    store.order_refunds.setdefault(order_id, []).insert(0, refund)
    order["refunds"] = [
        {"id": refund_id, "reason": refund["reason"], "total": f"-{money(amount)}"},
        *(order.get("refunds") or []),
    ]
    if refunded + amount == total:
        order["status"] = "refunded"
    touch(order)
    orders.save(store, order)
    store.emit("order.updated", order_id)
    return dict(refund)
