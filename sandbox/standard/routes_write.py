"""The customer-request half of the sandbox's Platform API (each behind its capability)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

from sandbox.standard.api import ApiError, Reply, json_body

if TYPE_CHECKING:
    from sandbox.standard.app import StandardSandbox

ADDRESS_FIELDS = (
    "title", "first_name", "last_name", "company", "address_line1", "address_line2", "city", "region_name",
    "region_code", "postal_code", "country_code", "phone", "is_default_billing", "is_default_shipping",
)  # fmt: skip
SHIPPING = {"standard": ("Standard delivery", Decimal("4.95")), "express": ("Express delivery", Decimal("12.00"))}
FREE_STANDARD_FROM = Decimal("75")
TAX_RATE = Decimal("0.2")
ORDER_STATUS = {
    "paymentOnAccount": "on-hold",
    "paymentByInvoice": "on-hold",
    "quote": "pending",
    "upfrontPayment": "pending",
}


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def _customer(app: StandardSandbox, customer_id: str) -> dict[str, Any]:
    found = app.store.get("customers", customer_id)
    if found is None:
        raise ApiError(404, f"No customer {customer_id}.", code="not_found")
    return found


def _address(body: dict[str, Any], address_id: str) -> dict[str, Any]:
    address = {field: body.get(field) for field in ADDRESS_FIELDS}
    address["is_default_billing"] = body.get("is_default_billing") is True
    address["is_default_shipping"] = body.get("is_default_shipping") is True
    return {"id": address_id, **address}


def _claim_defaults(addresses: list[dict[str, Any]], owner: dict[str, Any]) -> None:
    for flag in ("is_default_billing", "is_default_shipping"):
        if owner.get(flag):
            for other in addresses:
                if other is not owner:
                    other[flag] = False


# -- customers and sub-accounts ------------------------------------------------------------------


def customer_upsert(app: StandardSandbox, request: Request) -> Reply:
    body = json_body(request, "customer_upsert")
    store = app.store
    existing = store.find_customer_by_email(body["email"])
    record = existing if existing is not None else {"id": store.new_id("customers"), "addresses": [], "sparklayer": {}}
    record.update({"email": body["email"], "first_name": body["first_name"], "last_name": body["last_name"]})
    if "company_name" in body:
        record["company_name"] = body["company_name"]
    if "addresses" in body:
        record["addresses"] = [_address(a, f"{record['id']}-a{n}") for n, a in enumerate(body["addresses"], start=1)]
    record["sparklayer"] = {**(record.get("sparklayer") or {}), **(body.get("sparklayer") or {})}
    if existing is None:
        store.create("customers", record)
        return Reply({"id": record["id"]}, 201)
    store.touch("customers", record["id"])
    return Reply({"id": record["id"]})


def sub_account_create(app: StandardSandbox, request: Request) -> Reply:
    body = json_body(request, "sub_account_create")
    store = app.store
    if store.find_customer_by_email(body["email"]) is not None:
        raise ApiError(409, f"{body['email']} is registered already.", code="email_taken")
    if store.get("customers", body["parent_customer_id"]) is None:
        raise ApiError(422, f"No parent customer {body['parent_customer_id']}.", code="parent_not_found")
    record = {
        "id": store.new_id("customers"),
        "email": body["email"],
        "first_name": body["first_name"],
        "last_name": body["last_name"],
        "company_name": None,
        "addresses": [],
        "sparklayer": {
            "parent_customer_id": body["parent_customer_id"],
            "role": body.get("role") or "limited-customer",
        },
    }
    store.create("customers", record)
    return Reply({"id": record["id"]}, 201)


def _sub_account(app: StandardSandbox, customer_id: str) -> dict[str, Any]:
    found = app.store.get("customers", customer_id)
    if found is None or not (found.get("sparklayer") or {}).get("parent_customer_id"):
        raise ApiError(404, f"Customer {customer_id} is not a sub-account.", code="not_found")
    return found


def sub_account_update(app: StandardSandbox, request: Request, customer_id: str) -> Reply:
    body = json_body(request, "sub_account_update")
    record = _sub_account(app, customer_id)
    record.update({key: body[key] for key in ("first_name", "last_name") if key in body})
    if "role" in body:
        record["sparklayer"]["role"] = body["role"]
    app.store.touch("customers", customer_id)
    return Reply({"id": customer_id})


def sub_account_delete(app: StandardSandbox, request: Request, customer_id: str) -> Reply:
    record = _sub_account(app, customer_id)
    record["sparklayer"]["parent_customer_id"] = None
    app.store.touch("customers", customer_id)
    return Reply(status=204)


# -- addresses -----------------------------------------------------------------------------------


def address_create(app: StandardSandbox, request: Request, customer_id: str) -> Reply:
    body = json_body(request, "address_write")
    record = _customer(app, customer_id)
    address = _address(body, f"{customer_id}-n{app.store.new_id('addresses')}")
    record["addresses"].append(address)
    _claim_defaults(record["addresses"], address)
    app.store.touch("customers", customer_id)
    return Reply(copy.deepcopy(address), 201)


def address_update(app: StandardSandbox, request: Request, customer_id: str, address_id: str) -> Reply:
    body = json_body(request, "address_write")
    record = _customer(app, customer_id)
    for position, existing in enumerate(record["addresses"]):
        if existing["id"] == address_id:
            record["addresses"][position] = address = _address(body, address_id)
            _claim_defaults(record["addresses"], address)
            app.store.touch("customers", customer_id)
            return Reply(copy.deepcopy(address))
    raise ApiError(404, f"No address {address_id} on customer {customer_id}.", code="not_found")


def address_delete(app: StandardSandbox, request: Request, customer_id: str, address_id: str) -> Reply:
    record = _customer(app, customer_id)
    kept = [a for a in record["addresses"] if a["id"] != address_id]
    if len(kept) == len(record["addresses"]):
        raise ApiError(404, f"No address {address_id} on customer {customer_id}.", code="not_found")
    record["addresses"] = kept
    app.store.touch("customers", customer_id)
    return Reply(status=204)


# -- checkout ------------------------------------------------------------------------------------


def _priced_cart(app: StandardSandbox, body: dict[str, Any]) -> dict[str, Any]:
    lines, subtotal = [], Decimal(0)
    for n, line in enumerate(body["lines"], start=1):
        found = app.store.variant_by_sku(line["sku"])
        if found is None:
            raise ApiError(422, f"No variant has SKU {line['sku']}.", code="unknown_sku")
        product, variant = found
        total = Decimal(line["unit_price"]) * line["quantity"]
        subtotal += total
        lines.append({"id": f"l{n}", "sku": line["sku"], "title": product["title"], "product_id": product["id"],
                      "variant_id": variant["id"], "quantity": line["quantity"], "unit_price": line["unit_price"],
                      "subtotal": _money(total), "total": _money(total), "tax": _money(total * TAX_RATE)})  # fmt: skip
    if body.get("customer_id") and app.store.get("customers", body["customer_id"]) is None:
        raise ApiError(422, f"No customer {body['customer_id']}.", code="unknown_customer")
    methods = {
        method_id: (name, Decimal(0) if method_id == "standard" and subtotal >= FREE_STANDARD_FROM else price)
        for method_id, (name, price) in SHIPPING.items()
    }
    chosen = body.get("shipping_method_id") or "standard"
    if chosen not in methods:
        raise ApiError(422, f"Shipping method {chosen} is not available.", code="shipping_method_unavailable")
    shipping = methods[chosen][1]
    tax = (subtotal + shipping) * TAX_RATE
    return {
        "lines": lines,
        "methods": methods,
        "chosen": chosen,
        "totals": {
            "subtotal": _money(subtotal),
            "shipping": _money(shipping),
            "tax": _money(tax),
            "total": _money(subtotal + shipping + tax),
        },
    }


def checkout_calculate(app: StandardSandbox, request: Request) -> Reply:
    body = json_body(request, "checkout")
    cart = _priced_cart(app, body)
    return Reply(
        {
            "currency": body["currency"],
            "shipping_methods": [{"id": i, "name": n, "price": _money(p)} for i, (n, p) in cart["methods"].items()],
            "shipping_method_id": cart["chosen"],
            "totals": cart["totals"],
        }
    )


def checkout_complete(app: StandardSandbox, request: Request) -> Reply:
    """Creates the order once per ``Idempotency-Key``; a repeat answers the first order (200).
    With the ``checkout`` fault (``broken``) every call creates a new order."""
    body = json_body(request, "checkout")
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise ApiError(400, "The Idempotency-Key header is required.", code="idempotency_key_missing")
    if "payment_type" not in body:
        raise ApiError(400, "payment_type is required to complete a checkout.", code="invalid_body")
    if key in app.store.checkouts and "checkout" not in app.broken:
        return Reply(app.store.checkouts[key])
    cart = _priced_cart(app, body)
    store = app.store
    order_id = store.new_id("orders")
    name, price = cart["methods"][cart["chosen"]]
    order = {
        "id": order_id,
        "number": f"#{10000 + int(order_id)}",
        "status": ORDER_STATUS[body["payment_type"]],
        "currency": body["currency"],
        "customer_id": body.get("customer_id"),
        "cart_id": body["cart_id"],
        "payment_type": body["payment_type"],
        "payment_method": None,
        "note": None,
        "billing_address": body.get("billing_address"),
        "shipping_address": body.get("shipping_address"),
        "lines": [{**line, "id": f"{order_id}-{line['id']}"} for line in cart["lines"]],
        "shipping": {
            "method_id": cart["chosen"],
            "name": name,
            "total": _money(price),
            "tax": _money(price * TAX_RATE),
        },
        "total": cart["totals"]["total"],
    }
    store.create("orders", order)
    answer = {
        "order_id": order_id,
        "payment_url": f"{store.base_url}/pay/{order_id}" if body["payment_type"] == "upfrontPayment" else None,
    }
    store.checkouts[key] = answer
    return Reply(answer, 201)


# -- metafields and storefront login --------------------------------------------------------------


def metafields(app: StandardSandbox, request: Request) -> Reply:
    return Reply({"data": [{"key": key, "state": state} for key, state in app.store.metafields.items()]})


def metafield_enable(app: StandardSandbox, request: Request, key: str) -> Reply:
    if key not in app.store.metafields:
        raise ApiError(404, f"No attribute {key}.", code="not_found")
    app.store.metafields[key] = "enabled"
    return Reply({"key": key, "state": "enabled"})


def storefront_verify(app: StandardSandbox, request: Request) -> Reply:
    """The sandbox's storefront tokens are ``sf_<customer id>`` for a customer that exists."""
    body = json_body(request, "storefront_verify")
    token = body["token"]
    customer_id = token.removeprefix("sf_") if token.startswith("sf_") else ""
    if not customer_id or app.store.get("customers", customer_id) is None:
        raise ApiError(422, "The storefront token is not valid.", code="invalid_token")
    return Reply({"customer_id": customer_id})
