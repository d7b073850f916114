"""Checks of the customer requests a platform announces: customers, sub-accounts, addresses,
checkout (idempotent on its key), metafields, storefront login. Each writes to a test store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platforms.standard import capabilities as caps
from platforms.standard.conformance.checks_read import expect, valid
from platforms.standard.conformance.context import Context
from platforms.standard.conformance.report import CheckResult

ADDRESS = {
    "first_name": "Ada",
    "last_name": "Check",
    "company": "Conformance Ltd",
    "address_line1": "1 Test Street",
    "city": "Leeds",
    "postal_code": "LS1 1AA",
    "country_code": "GB",
    "is_default_billing": True,
    "is_default_shipping": True,
}


def answered(result: CheckResult, answer: Any, what: str, reference: str, *, status: int = 200) -> Any:
    """The answer's body when it has the expected status and matches the schema; None otherwise (failed)."""
    if expect(result, answer, what, status=status) and valid(result, reference, answer.body, where=what):
        return answer.body
    return None


def _email(ctx: Context, label: str) -> str:
    return f"platform-check+{label}-{ctx.run_id}@example.com"


def _upsert(ctx: Context, result: CheckResult, email: str, **extra: Any) -> str | None:
    body = {"email": email, "first_name": "Ada", "last_name": "Check", **extra}
    answer = ctx.call("PUT", "customers", body=body)
    if answer.status not in (200, 201):
        result.fail(f"PUT /customers: expected HTTP 200 or 201, got {answer.says()}")
        return None
    if not valid(result, "answers.json#/$defs/created_id", answer.body, where="PUT /customers"):
        return None
    return str(answer.body["id"])


def customers_write(ctx: Context) -> None:
    with ctx.check("customers.write (PUT /customers, upsert by email)") as result:
        if not ctx.needs(result, caps.CUSTOMERS_WRITE, writes=True):
            return
        email = _email(ctx, "customer")
        first = _upsert(ctx, result, email, sparklayer={"accounting_id": f"ACC-{ctx.run_id}"})
        again = _upsert(ctx, result, email.upper(), company_name="Renamed Ltd")
        if first is None or again is None:
            return
        if first != again:
            result.fail(
                f"PUT /customers with the same email (other case) made a second customer ({first}, then {again})"
            )
            return
        stored = ctx.call("GET", f"customers/{first}")
        if not expect(result, stored, f"GET /customers/{first}") or not valid(
            result, "customer.json", stored.body, where=f"GET /customers/{first}"
        ):
            return
        if stored.body.get("company_name") != "Renamed Ltd":
            result.fail(f"GET /customers/{first}: company_name is {stored.body.get('company_name')!r} after the update")
        kept = (stored.body.get("sparklayer") or {}).get("accounting_id")
        if kept != f"ACC-{ctx.run_id}":
            result.fail(
                f"GET /customers/{first}: sparklayer.accounting_id is {kept!r}; attributes the bridge stored must "
                "come back (an update that does not send a key leaves it as it is)"
            )


def sub_accounts(ctx: Context) -> None:
    with ctx.check("sub_accounts (create, conflict, update, detach)") as result:
        if not ctx.needs(result, caps.SUB_ACCOUNTS, writes=True):
            return
        parent = _parent(ctx, result)
        if parent is None:
            return
        body = {"parent_customer_id": parent, "email": _email(ctx, "sub"), "first_name": "Sub", "last_name": "Account"}
        created = ctx.call("POST", "sub-accounts", body=body)
        if not expect(result, created, "POST /sub-accounts", status=201) or not valid(
            result, "answers.json#/$defs/created_id", created.body, where="POST /sub-accounts"
        ):
            return
        child = str(created.body["id"])
        taken = ctx.call("POST", "sub-accounts", body=body)
        _expect_code(result, taken, "POST /sub-accounts with an email that is taken", 409, "email_taken")
        orphan = ctx.call(
            "POST",
            "sub-accounts",
            body={**body, "email": _email(ctx, "orphan"), "parent_customer_id": f"none-{ctx.run_id}"},
        )
        _expect_code(result, orphan, "POST /sub-accounts under a parent that does not exist", 422, "parent_not_found")
        updated = ctx.call("PATCH", f"sub-accounts/{child}", body={"last_name": "Renamed", "role": "limited-customer"})
        if expect(result, updated, f"PATCH /sub-accounts/{child}"):
            valid(result, "answers.json#/$defs/created_id", updated.body, where=f"PATCH /sub-accounts/{child}")
        expect(result, ctx.call("DELETE", f"sub-accounts/{child}"), f"DELETE /sub-accounts/{child}", status=204)
        expect(result, ctx.call("DELETE", f"sub-accounts/{child}"), f"DELETE /sub-accounts/{child} again", status=404)
        customer = ctx.call("GET", f"customers/{child}")
        expect(result, customer, f"GET /customers/{child} (a detached sub-account stays a customer)")


def _parent(ctx: Context, result: CheckResult) -> str | None:
    if ctx.has(caps.CUSTOMERS_WRITE) and not ctx.options.read_only:
        return _upsert(ctx, result, _email(ctx, "parent"))
    customers = ctx.listed.get("customers") or []
    if not customers:
        result.skip("needs a customer: the store has none and does not offer customers.write")
        return None
    return str(customers[0]["id"])


def _expect_code(result: CheckResult, answer: Any, what: str, status: int, code: str) -> None:
    got = answer.body.get("code") if isinstance(answer.body, Mapping) else None
    if answer.status != status or got != code:
        result.fail(f"{what}: expected HTTP {status} with code {code!r}, got {answer.says()}")


def addresses(ctx: Context) -> None:
    with ctx.check("addresses (create, replace, delete)") as result:
        if not ctx.needs(result, caps.ADDRESSES, writes=True):
            return
        customer = _parent(ctx, result)
        if customer is None:
            return
        base = f"customers/{customer}/addresses"
        created = ctx.call("POST", base, body=ADDRESS)
        if not expect(result, created, f"POST /{base}", status=201) or not valid(
            result, "common.json#/$defs/stored_address", created.body, where=f"POST /{base}"
        ):
            return
        address_id = str(created.body["id"])
        replaced = ctx.call("PUT", f"{base}/{address_id}", body={**ADDRESS, "city": "York"})
        body = answered(result, replaced, f"PUT /{base}/{address_id}", "common.json#/$defs/stored_address")
        if body is not None and (str(body.get("id")) != address_id or body.get("city") != "York"):
            result.fail(f"PUT /{base}/{address_id}: the answer is not the replaced address (id and city York)")
        expect(result, ctx.call("DELETE", f"{base}/{address_id}"), f"DELETE /{base}/{address_id}", status=204)
        expect(result, ctx.call("DELETE", f"{base}/{address_id}"), f"DELETE /{base}/{address_id} again", status=404)
        missing = f"customers/none-{ctx.run_id}/addresses"
        expect(result, ctx.call("POST", missing, body=ADDRESS), f"POST /{missing} (unknown customer)", status=404)


def _cart(ctx: Context) -> dict[str, Any] | None:
    """A one-line cart of a variant the store sells, for the first listed customer."""
    for product in ctx.listed.get("products") or []:
        if product.get("status") != "active":
            continue
        for variant in product.get("variants") or []:
            if variant.get("sku") and variant.get("price") and variant.get("status", "active") == "active":
                customers = ctx.listed.get("customers") or []
                return {
                    "cart_id": f"platform-check-{ctx.run_id}",
                    "currency": _currency(ctx),
                    "customer_id": str(customers[0]["id"]) if customers else None,
                    "email": _email(ctx, "buyer"),
                    "billing_address": ADDRESS,
                    "shipping_address": ADDRESS,
                    "shipping_method_id": None,
                    "lines": [{"sku": variant["sku"], "quantity": 2, "unit_price": str(variant["price"])}],
                }
    return None


def _currency(ctx: Context) -> str:
    answer = ctx.call("GET", "settings")
    return str(answer.body.get("currency") or "USD") if isinstance(answer.body, Mapping) else "USD"


def checkout(ctx: Context) -> None:
    with ctx.check("checkout (calculate; complete idempotent on its key)") as result:
        if not ctx.needs(result, caps.CHECKOUT, writes=True):
            return
        cart = _cart(ctx)
        if cart is None:
            result.skip("needs an active product with a SKU and a price")
            return
        calculated = ctx.call("POST", "checkout/calculate", body=cart)
        if expect(result, calculated, "POST /checkout/calculate"):
            valid(result, "answers.json#/$defs/checkout_calculate", calculated.body, where="POST /checkout/calculate")
        body = {**cart, "payment_type": "paymentOnAccount"}
        headers = {"Idempotency-Key": cart["cart_id"]}
        first = ctx.call("POST", "checkout/complete", body=body, headers=headers)
        if first.status != 201:
            result.fail(f"POST /checkout/complete: expected HTTP 201 for a new cart, got {first.says()}")
            return
        if not valid(result, "answers.json#/$defs/checkout_complete", first.body, where="POST /checkout/complete"):
            return
        again = ctx.call("POST", "checkout/complete", body=body, headers=headers)
        where = "POST /checkout/complete repeated with the same Idempotency-Key"
        if again.status not in (200, 201):
            result.fail(f"{where}: expected HTTP 200 (or 201) with the first order, got {again.says()}")
            return
        if not valid(result, "answers.json#/$defs/checkout_complete", again.body, where=where):
            return
        order, repeat = str(first.body["order_id"]), str(again.body["order_id"])
        if order != repeat:
            result.fail(
                f"{where} (cart {cart['cart_id']}) created a second order ({order}, then {repeat}): a repeated key "
                "must answer the first order"
            )
        stored = answered(result, ctx.call("GET", f"orders/{order}"), f"GET /orders/{order}", "order.json")
        if stored is not None and stored.get("cart_id") != cart["cart_id"]:
            result.fail(f"GET /orders/{order}: cart_id is {stored.get('cart_id')!r}, not the cart it completed")
        unknown = {
            **cart,
            "cart_id": f"{cart['cart_id']}-x",
            "lines": [{"sku": f"NO-SUCH-SKU-{ctx.run_id}", "quantity": 1, "unit_price": "1.00"}],
        }
        _expect_code(
            result,
            ctx.call("POST", "checkout/calculate", body=unknown),
            "POST /checkout/calculate with an unknown SKU",
            422,
            "unknown_sku",
        )


def metafields(ctx: Context) -> None:
    with ctx.check("metafields (list, enable)") as result:
        if not ctx.needs(result, caps.METAFIELDS):
            return
        listed = ctx.call("GET", "metafields")
        if not expect(result, listed, "GET /metafields") or not valid(
            result, "answers.json#/$defs/metafields", listed.body, where="GET /metafields"
        ):
            return
        keys = [item["key"] for item in listed.body["data"]]
        if not keys:
            result.warn("GET /metafields lists no attributes")
            return
        if ctx.options.read_only:
            return
        enabled = ctx.call("POST", f"metafields/{keys[0]}/enable")
        if expect(result, enabled, f"POST /metafields/{keys[0]}/enable"):
            valid(result, "answers.json#/$defs/metafield", enabled.body, where=f"POST /metafields/{keys[0]}/enable")
        unknown = f"metafields/none-{ctx.run_id}/enable"
        expect(result, ctx.call("POST", unknown), f"POST /{unknown} (unknown key)", status=404)


def storefront_verify(ctx: Context) -> None:
    with ctx.check("storefront.verify (a forged token is refused)") as result:
        if not ctx.needs(result, caps.STOREFRONT_VERIFY):
            return
        answer = ctx.call("POST", "storefront/verify", body={"token": f"forged-{ctx.run_id}"})
        _expect_code(result, answer, "POST /storefront/verify with a forged token", 422, "invalid_token")


def timing(ctx: Context) -> None:
    """Customer requests run while a shopper waits: the bridge gives up after its inline timeout."""
    with ctx.check("timing (customer requests within the bridge's inline timeout)") as result:
        inline = (
            "PUT /customers",
            "POST /sub-accounts",
            "POST /checkout",
            "POST /storefront",
            "/addresses",
            "metafields",
        )
        for check in ctx.report.checks:
            for call in check.calls:
                if not any(marker in call.route for marker in inline):
                    continue
                seconds = call.ms / 1000
                if seconds > ctx.options.inline_timeout:
                    limit = ctx.options.inline_timeout
                    result.fail(
                        f"{call.method} {call.path} took {seconds:.1f} s: the bridge gives up after {limit:.0f} s"
                    )
                elif seconds > ctx.options.inline_warning:
                    result.warn(f"{call.method} {call.path} took {seconds:.1f} s while a shopper waits")
