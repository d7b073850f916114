"""REST routes for customers and orders (``/wc/v3/customers...``, ``/wc/v3/orders...``)."""

from __future__ import annotations

from sandbox.woocommerce import customers, orders, refunds
from sandbox.woocommerce.common import WooError
from sandbox.woocommerce.listing import int_param, parse_list_query, str_list
from sandbox.woocommerce.records import json_body
from sandbox.woocommerce.rest import Ctx, Reply, batch, paginate
from sandbox.woocommerce.routing import Route

ROLES = (
    "all",
    "administrator",
    "editor",
    "author",
    "contributor",
    "subscriber",
    "customer",
    "shop_manager",
    "wholesale_customer",
)


def customer_list(ctx: Ctx) -> Reply:
    args = ctx.args
    query = parse_list_query(
        args, orderby=("id", "include", "name", "registered_date"), default_orderby="name", default_order="asc"
    )
    role = args.get("role") or "customer"
    if role not in ROLES:
        raise WooError(
            400,
            "rest_invalid_param",
            "Invalid parameter(s): role",
            params={"role": f"role is not one of {', '.join(ROLES)}."},
        )
    ids = customers.list_ids(ctx.store, query, role=role, email=args.get("email", ""))
    return paginate(ctx, query, ids, lambda i: customers.render(ctx.store, i))


def customer_get(ctx: Ctx, customer_id: int) -> Reply:
    return Reply(customers.render(ctx.store, customer_id))


def customer_create(ctx: Ctx) -> Reply:
    return Reply(customers.create(ctx.store, json_body(ctx.body)), 201)


def customer_update(ctx: Ctx, customer_id: int) -> Reply:
    return Reply(customers.update(ctx.store, customer_id, json_body(ctx.body)))


def customer_delete(ctx: Ctx, customer_id: int) -> Reply:
    return Reply(customers.delete(ctx.store, customer_id, force=ctx.force))


def customer_batch(ctx: Ctx) -> Reply:
    store = ctx.store
    return batch(
        ctx,
        create=lambda d: customers.create(store, d),
        update=lambda i, d: customers.update(store, i, d),
        delete=lambda i: customers.delete(store, i, force=True),
    )


def order_list(ctx: Ctx) -> Reply:
    args = ctx.args
    query = parse_list_query(
        args, orderby=("date", "id", "include", "title", "slug", "modified"), default_orderby="date"
    )
    statuses = str_list(args, "status") or ["any"]
    for status in statuses:
        if status not in (*orders.STATUSES, "any"):
            raise WooError(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): status",
                params={"status": "status[0] is not one of any, " + ", ".join(orders.STATUSES) + "."},
            )
    customer = int_param(args, "customer", -1, 0) if args.get("customer") not in (None, "") else None
    ids = orders.list_ids(ctx.store, query, statuses=statuses, customer=customer)
    return paginate(ctx, query, ids, lambda i: orders.render(ctx.store, i))


def order_get(ctx: Ctx, order_id: int) -> Reply:
    return Reply(orders.render(ctx.store, order_id))


def order_create(ctx: Ctx) -> Reply:
    return Reply(orders.create(ctx.store, json_body(ctx.body)), 201)


def order_update(ctx: Ctx, order_id: int) -> Reply:
    return Reply(orders.update(ctx.store, order_id, json_body(ctx.body)))


def order_delete(ctx: Ctx, order_id: int) -> Reply:
    return Reply(orders.delete(ctx.store, order_id, force=ctx.force))


def order_refunds(ctx: Ctx, order_id: int) -> Reply:
    return Reply(refunds.refunds_list(ctx.store, order_id))


def order_refund_create(ctx: Ctx, order_id: int) -> Reply:
    return Reply(refunds.refund_create(ctx.store, order_id, json_body(ctx.body)), 201)


def order_batch(ctx: Ctx) -> Reply:
    store = ctx.store
    return batch(
        ctx,
        create=lambda d: orders.create(store, d),
        update=lambda i, d: orders.update(store, i, d),
        delete=lambda i: orders.delete(store, i, force=True),
    )


ROUTES = [
    Route("/customers", ("GET",), "list", customer_list),
    Route("/customers", ("POST",), "create", customer_create),
    Route("/customers/batch", ("POST", "PUT", "PATCH"), "batch", customer_batch),
    Route("/customers/<int:customer_id>", ("GET",), "view", customer_get),
    Route("/customers/<int:customer_id>", ("POST", "PUT", "PATCH"), "edit", customer_update),
    Route("/customers/<int:customer_id>", ("DELETE",), "delete", customer_delete),
    Route("/orders", ("GET",), "list", order_list),
    Route("/orders", ("POST",), "create", order_create),
    Route("/orders/batch", ("POST", "PUT", "PATCH"), "batch", order_batch),
    Route("/orders/<int:order_id>", ("GET",), "view", order_get),
    Route("/orders/<int:order_id>", ("POST", "PUT", "PATCH"), "edit", order_update),
    Route("/orders/<int:order_id>", ("DELETE",), "delete", order_delete),
    Route("/orders/<int:order_id>/refunds", ("GET",), "list", order_refunds),
    Route("/orders/<int:order_id>/refunds", ("POST",), "create", order_refund_create),
]
