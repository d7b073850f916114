"""Orders: generated history plus REST create/update/trash/delete with WooCommerce's totals and taxes.

Creating an order resolves each line (``product_id``/``variation_id`` or ``sku``), defaults its
price to the product's price excluding tax times the quantity, then runs the ``calculate_totals`` port, so
a client can check the taxes and totals it gets back against the store's rates.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import uuid
from decimal import Decimal
from typing import Any

from sandbox.woocommerce import products, variations
from sandbox.woocommerce.catalogue import OrderHeader
from sandbox.woocommerce.common import WooError, date_fields, gmt_to_ts, invalid_id, money, now_ts, to_decimal
from sandbox.woocommerce.listing import ListQuery
from sandbox.woocommerce.records import merge_meta, require_enum, require_string, touch
from sandbox.woocommerce.store import WooStore
from sandbox.woocommerce.totals import calculate_totals, price_excluding_tax

STATUSES = (
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
    "trash",
)
PAID_STATUSES = ("processing", "completed", "refunded")
BILLING_KEYS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
    "email",
    "phone",
)


def _skeleton(store: WooStore, order_id: int, order_key: str) -> dict[str, Any]:
    return {
        "id": order_id,
        "parent_id": 0,
        "status": "pending",
        "currency": store.config.currency,
        "version": "9.8.5",
        "prices_include_tax": store.config.prices_include_tax,
        "date_created": None,
        "date_created_gmt": None,
        "date_modified": None,
        "date_modified_gmt": None,
        "discount_total": "0.00",
        "discount_tax": "0.00",
        "shipping_total": "0.00",
        "shipping_tax": "0.00",
        "cart_tax": "0.00",
        "total": "0.00",
        "total_tax": "0.00",
        "customer_id": 0,
        "order_key": order_key,
        "billing": dict.fromkeys(BILLING_KEYS, ""),
        "shipping": {k: "" for k in BILLING_KEYS if k != "email"},
        "payment_method": "",
        "payment_method_title": "",
        "transaction_id": "",
        "customer_ip_address": "",
        "customer_user_agent": "",
        "created_via": "rest-api",
        "customer_note": "",
        "date_completed": None,
        "date_completed_gmt": None,
        "date_paid": None,
        "date_paid_gmt": None,
        "cart_hash": "",
        "number": str(order_id),
        "meta_data": [],
        "line_items": [],
        "tax_lines": [],
        "shipping_lines": [],
        "fee_lines": [],
        "coupon_lines": [],
        "refunds": [],
        "currency_symbol": {"GBP": "£", "USD": "$", "EUR": "€"}.get(store.config.currency, ""),
    }


def _generate(store: WooStore, order_id: int) -> dict[str, Any]:
    header = store.orders[order_id]
    rng, lines = store.catalogue.order_lines(order_id)
    key = "wc_order_" + hashlib.sha256(f"{store.seed}:{order_id}".encode()).hexdigest()[:13]
    order = _skeleton(store, order_id, key)
    order.update({"status": header.status, "customer_id": header.customer_id, "created_via": "checkout"})
    if header.customer_id in store.catalogue.customers:
        customer = store.catalogue.customer(header.customer_id, store.base_url)
        order["billing"], order["shipping"] = customer["billing"], customer["shipping"]
    else:
        first, last = store.catalogue.customer_names(order_id)
        order["billing"].update(
            {
                "first_name": first,
                "last_name": last,
                "address_1": "9 Guest Row",
                "city": "Leeds",
                "postcode": "LS1 4AP",
                "country": "GB",
                "email": f"guest{order_id}@example.com",
            }
        )
        order["shipping"].update({k: v for k, v in order["billing"].items() if k != "email"})
    for index, (product_id, variation_id, quantity) in enumerate(lines):
        source = (
            store.catalogue.variation(variation_id, store.base_url)
            if variation_id
            else store.catalogue.product(product_id, store.base_url)
        )
        name = store.catalogue.product(product_id, store.base_url)["name"]
        unit = price_excluding_tax(store.config, to_decimal(source["price"]) or Decimal(0), source["tax_class"])
        line = money(unit * quantity)
        order["line_items"].append(
            _line(
                order_id * 100 + index,
                name,
                product_id,
                variation_id,
                quantity,
                source["sku"],
                line,
                line,
                source["tax_class"],
            )
        )
    order["shipping_lines"] = [_shipping_line(order_id * 100 + 50, "flat_rate", "Standard delivery", "4.95")]
    if rng.random() < 0.2:
        order["meta_data"] = [
            {
                "id": order_id * 10 + 1,
                "key": "sparkCartId",
                "value": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            },
            {
                "id": order_id * 10 + 2,
                "key": "sparkPaymentType",
                "value": rng.choice(("upfrontPayment", "paymentOnAccount", "paymentByInvoice", "quote")),
            },
        ]
    order["payment_method"], order["payment_method_title"] = rng.choice(
        (("stripe", "Credit card"), ("bacs", "Bank transfer"))
    )
    calculate_totals(order, store.config)
    order.update(date_fields("date_created", header.created))
    order.update(date_fields("date_modified", header.modified))
    if header.status in PAID_STATUSES:
        order.update(date_fields("date_paid", header.created + 60))
    if header.status == "completed":
        order.update(date_fields("date_completed", header.modified))
    return order


def _line(
    item_id: int,
    name: str,
    product_id: int,
    variation_id: int,
    quantity: int,
    sku: str,
    subtotal: str,
    total: str,
    tax_class: str,
) -> dict[str, Any]:
    return {
        "id": item_id,
        "name": name,
        "product_id": product_id,
        "variation_id": variation_id,
        "quantity": quantity,
        "tax_class": tax_class,
        "subtotal": subtotal,
        "subtotal_tax": "0.00",
        "total": total,
        "total_tax": "0.00",
        "taxes": [],
        "meta_data": [],
        "sku": sku,
        "price": 0.0,
        "image": {"id": "", "src": ""},
        "parent_name": None,
    }


def _shipping_line(item_id: int, method_id: str, title: str, total: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "method_title": title,
        "method_id": method_id,
        "instance_id": "",
        "total": total,
        "total_tax": "0.00",
        "taxes": [],
        "meta_data": [],
    }


def stored(store: WooStore, order_id: int) -> dict[str, Any]:
    if order_id not in store.orders:
        raise invalid_id("shop_order")
    record = store.order_records.get(order_id)
    return copy.deepcopy(record) if record is not None else _generate(store, order_id)


def render(store: WooStore, order_id: int) -> dict[str, Any]:
    order = stored(store, order_id)
    total = to_decimal(order["total"]) or Decimal(0)
    order["payment_url"] = (
        f"{store.base_url}/checkout/order-pay/{order_id}/?pay_for_order=true&key={order['order_key']}"
    )
    order["is_editable"] = order["status"] in ("pending", "on-hold", "auto-draft", "checkout-draft")
    order["needs_payment"] = order["status"] in ("pending", "failed") and total > 0
    order["needs_processing"] = bool(order["line_items"])
    base = f"{store.base_url}/wp-json/wc/v3"
    order["_links"] = {"self": [{"href": f"{base}/orders/{order_id}"}], "collection": [{"href": f"{base}/orders"}]}
    if order["customer_id"]:
        order["_links"]["customer"] = [{"href": f"{base}/customers/{order['customer_id']}"}]
    return order


def list_ids(store: WooStore, query: ListQuery, *, statuses: list[str], customer: int | None) -> list[int]:
    def build() -> list[int]:
        ids = []
        for order_id, header in store.orders.items():
            if ("any" in statuses and header.status == "trash") or (
                "any" not in statuses and header.status not in statuses
            ):
                continue
            if customer is not None and header.customer_id != customer:
                continue
            if query.admits(order_id, header.created, header.modified):
                ids.append(order_id)
        keys = {
            "id": lambda i: i,
            "date": lambda i: store.orders[i].created,
            "modified": lambda i: store.orders[i].modified,
        }
        return query.sort(ids, keys)

    return store.cached_list(("orders", tuple(statuses), customer, *query.cache_key()), build)


def _resolve_line(store: WooStore, order_id: int, data: dict[str, Any]) -> dict[str, Any]:
    require_string(data, "subtotal", "total")
    product_id, variation_id = int(data.get("product_id") or 0), int(data.get("variation_id") or 0)
    if not product_id and data.get("sku"):
        found = sorted(products.sku_index(store).get(str(data["sku"]), set()))
        if not found:
            raise WooError(400, "woocommerce_rest_invalid_product_id", "Product ID provided is invalid.")
        product_id = found[0]
    if product_id in store.variation_parent:
        product_id, variation_id = store.variation_parent[product_id], product_id
    if product_id not in store.products or (variation_id and store.variation_parent.get(variation_id) != product_id):
        raise WooError(400, "woocommerce_rest_invalid_product_id", "Product ID provided is invalid.")
    source = variations.render_as_product(store, variation_id) if variation_id else products.render(store, product_id)
    quantity = int(data.get("quantity", 1))
    if data.get("subtotal") is None and data.get("total") is None:
        unit = price_excluding_tax(store.config, to_decimal(source["price"]) or Decimal(0), source["tax_class"])
        subtotal = total = money(unit * quantity)
    else:
        subtotal = str(data.get("subtotal", data.get("total")))
        total = str(data.get("total", subtotal))
    line = _line(
        store.new_item_id(),
        str(data.get("name") or source["name"]),
        product_id,
        variation_id,
        quantity,
        source["sku"],
        subtotal,
        total,
        source["tax_class"],
    )
    line["image"] = {
        "id": source["images"][0]["id"] if source["images"] else "",
        "src": source["images"][0]["src"] if source["images"] else "",
    }
    line["meta_data"] = merge_meta(store, [], data.get("meta_data", []))
    return line


def _apply(store: WooStore, order: dict[str, Any], data: dict[str, Any]) -> bool:
    """Write the sent fields; answer whether totals must be recalculated (WooCommerce's rule on update)."""
    require_enum(data, "status", STATUSES)
    recalc = False
    for address in ("billing", "shipping"):
        if isinstance(data.get(address), dict):
            order[address].update({k: str(v) for k, v in data[address].items() if k in order[address]})
            recalc = True
    for name in ("status", "payment_method", "payment_method_title", "transaction_id", "customer_note", "currency"):
        if name in data:
            order[name] = data[name]
    if "customer_id" in data:
        customer_id = int(data["customer_id"] or 0)
        if customer_id and customer_id not in store.customers:
            raise WooError(400, "woocommerce_rest_invalid_customer_id", "Customer ID is invalid.")
        order["customer_id"] = customer_id
    if "line_items" in data:
        recalc = True
        for item in data["line_items"]:
            existing = next((i for i in order["line_items"] if item.get("id") and i["id"] == item["id"]), None)
            if existing is not None:
                if int(item.get("quantity", existing["quantity"])) == 0 or item.get("product_id", 1) is None:
                    order["line_items"].remove(existing)
                else:
                    existing.update({k: item[k] for k in ("quantity", "subtotal", "total") if k in item})
            else:
                order["line_items"].append(_resolve_line(store, order["id"], item))
    if "shipping_lines" in data:
        recalc = True
        for line in data["shipping_lines"]:
            if not line.get("method_id"):
                raise WooError(400, "woocommerce_rest_invalid_shipping_item", "Shipping method ID is required.")
            order["shipping_lines"].append(
                _shipping_line(
                    store.new_item_id(),
                    str(line["method_id"]),
                    str(line.get("method_title", "")),
                    str(line.get("total", "0")),
                )
            )
    if "fee_lines" in data:
        recalc = True
        order["fee_lines"] += [
            {
                "id": store.new_item_id(),
                "name": f.get("name", ""),
                "tax_class": "",
                "tax_status": "none",
                "total": money(to_decimal(f.get("total")) or 0),
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [],
            }
            for f in data["fee_lines"]
        ]
    if "meta_data" in data:
        order["meta_data"] = merge_meta(store, order["meta_data"], data["meta_data"])
    if data.get("set_paid"):
        order["status"] = "processing"
        order.update(date_fields("date_paid", now_ts()))
    if order["status"] == "completed" and not order["date_completed_gmt"]:
        order.update(date_fields("date_completed", now_ts()))
    return recalc


def save(store: WooStore, order: dict[str, Any]) -> None:
    order_id = order["id"]
    store.order_records[order_id] = order
    created, modified = gmt_to_ts(order["date_created_gmt"]), gmt_to_ts(order["date_modified_gmt"])
    store.orders[order_id] = OrderHeader(order["status"], created, modified, order["customer_id"])
    store.changed()


def create(store: WooStore, data: dict[str, Any]) -> dict[str, Any]:
    order_id = store.next_order_id
    order = _skeleton(store, order_id, f"wc_order_{secrets.token_hex(7)[:13]}")
    moment = now_ts()
    order.update({**date_fields("date_created", moment), **date_fields("date_modified", moment)})
    _apply(store, order, data)
    calculate_totals(order, store.config)
    store.next_order_id += 1
    save(store, order)
    store.emit("order.created", order_id)
    return render(store, order_id)


def update(store: WooStore, order_id: int, data: dict[str, Any], *, emit: bool = True) -> dict[str, Any]:
    if order_id not in store.orders:
        raise invalid_id("shop_order", 400)
    order = stored(store, order_id)
    if _apply(store, order, data):
        calculate_totals(order, store.config)
    touch(order)
    save(store, order)
    if emit:
        store.emit("order.updated", order_id)
    return render(store, order_id)


def delete(store: WooStore, order_id: int, *, force: bool) -> dict[str, Any]:
    before = render(store, order_id)
    if force:
        del store.orders[order_id]
        store.order_records.pop(order_id, None)
        store.changed()
        return before
    if before["status"] == "trash":
        raise WooError(410, "woocommerce_rest_already_trashed", "The order has already been deleted.")
    order = stored(store, order_id)
    order["status"] = "trash"
    touch(order)
    save(store, order)
    store.emit("order.deleted", order_id)
    return before
