"""REST routes for products and their variations (``/wc/v3/products...``)."""

from __future__ import annotations

from sandbox.woocommerce import products, variations
from sandbox.woocommerce.common import WooError
from sandbox.woocommerce.listing import enum_param, id_list, parse_list_query, str_list
from sandbox.woocommerce.records import json_body
from sandbox.woocommerce.rest import Ctx, Reply, batch, paginate
from sandbox.woocommerce.routing import Route

PRODUCT_ORDERBY = ("date", "id", "include", "title", "slug", "modified", "menu_order", "price", "popularity", "rating")
PRODUCT_STATUS = ("any", "future", "trash", "draft", "pending", "private", "publish")
VARIATION_ORDERBY = ("date", "id", "include", "title", "slug", "modified", "menu_order")


def product_list(ctx: Ctx) -> Reply:
    args = ctx.args
    query = parse_list_query(args, orderby=PRODUCT_ORDERBY, default_orderby="date")
    status = enum_param(args, "status", "any", PRODUCT_STATUS)
    types = str_list(args, "type")
    for kind in types:
        if kind not in products.TYPES:
            raise WooError(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): type",
                params={"type": "type is not one of simple, grouped, external, variable."},
            )
    ids = products.list_ids(ctx.store, query, status=status, types=types, skus=str_list(args, "sku"))
    return paginate(ctx, query, ids, lambda i: _product_or_variation(ctx, i))


def _product_or_variation(ctx: Ctx, record_id: int) -> dict:
    if record_id in ctx.store.variation_parent:
        return variations.render_as_product(ctx.store, record_id)
    return products.render(ctx.store, record_id)


def product_get(ctx: Ctx, product_id: int) -> Reply:
    if product_id not in ctx.store.products and product_id not in ctx.store.variation_parent:
        raise WooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
    return Reply(_product_or_variation(ctx, product_id))


def product_create(ctx: Ctx) -> Reply:
    return Reply(products.create(ctx.store, json_body(ctx.body)), 201)


def product_update(ctx: Ctx, product_id: int) -> Reply:
    return Reply(products.update(ctx.store, product_id, json_body(ctx.body)))


def product_delete(ctx: Ctx, product_id: int) -> Reply:
    if product_id not in ctx.store.products:
        raise WooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
    if ctx.force:
        return Reply(products.delete(ctx.store, product_id))
    return Reply(products.trash(ctx.store, product_id))


def product_batch(ctx: Ctx) -> Reply:
    store = ctx.store

    def delete(product_id: int) -> dict:
        if product_id not in store.products:
            raise WooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return products.delete(store, product_id)  # batch delete is always permanent: no product.deleted

    return batch(ctx, create=lambda d: products.create(store, d), update=lambda i, d: products.update(store, i, d),
                 delete=delete)  # fmt: skip


def variation_list(ctx: Ctx, product_id: int) -> Reply:
    args = ctx.args
    query = parse_list_query(args, orderby=VARIATION_ORDERBY, default_orderby="date")
    status = enum_param(args, "status", "any", PRODUCT_STATUS)
    ids = variations.list_ids(ctx.store, product_id, query, status=status, skus=str_list(args, "sku"))
    return paginate(ctx, query, ids, lambda i: variations.render(ctx.store, i))


def all_variations_list(ctx: Ctx) -> Reply:
    """``GET /variations`` (WooCommerce 10.3+): every variation, each with its ``parent_id``."""
    args = ctx.args
    query = parse_list_query(args, orderby=VARIATION_ORDERBY, default_orderby="date")
    status = enum_param(args, "status", "any", PRODUCT_STATUS)
    ids = variations.list_all_ids(
        ctx.store, query, status=status, skus=str_list(args, "sku"), parents=id_list(args, "parent")
    )
    return paginate(ctx, query, ids, lambda i: variations.render(ctx.store, i))


def variation_get(ctx: Ctx, product_id: int, variation_id: int) -> Reply:
    variations.lookup(ctx.store, product_id, variation_id)
    return Reply(variations.render(ctx.store, variation_id))


def variation_create(ctx: Ctx, product_id: int) -> Reply:
    return Reply(variations.create(ctx.store, product_id, json_body(ctx.body)), 201)


def variation_update(ctx: Ctx, product_id: int, variation_id: int) -> Reply:
    return Reply(variations.update(ctx.store, product_id, variation_id, json_body(ctx.body)))


def variation_delete(ctx: Ctx, product_id: int, variation_id: int) -> Reply:
    return Reply(variations.delete(ctx.store, product_id, variation_id, force=ctx.force))


def variation_batch(ctx: Ctx, product_id: int) -> Reply:
    store = ctx.store
    return batch(
        ctx,
        create=lambda d: variations.create(store, product_id, d),
        update=lambda i, d: variations.update(store, product_id, i, d),
        delete=lambda i: variations.delete(store, product_id, i, force=True),
    )


ROUTES = [
    Route("/products", ("GET",), "list", product_list),
    Route("/products", ("POST",), "create", product_create),
    Route("/products/batch", ("POST", "PUT", "PATCH"), "batch", product_batch),
    Route("/products/<int:product_id>", ("GET",), "view", product_get),
    Route("/products/<int:product_id>", ("POST", "PUT", "PATCH"), "edit", product_update),
    Route("/products/<int:product_id>", ("DELETE",), "delete", product_delete),
    Route("/products/<int:product_id>/variations", ("GET",), "list", variation_list),
    Route("/products/<int:product_id>/variations", ("POST",), "create", variation_create),
    Route("/products/<int:product_id>/variations/batch", ("POST", "PUT", "PATCH"), "batch", variation_batch),
    Route("/products/<int:product_id>/variations/<int:variation_id>", ("GET",), "view", variation_get),
    Route(
        "/products/<int:product_id>/variations/<int:variation_id>", ("POST", "PUT", "PATCH"), "edit", variation_update
    ),
    Route("/products/<int:product_id>/variations/<int:variation_id>", ("DELETE",), "delete", variation_delete),
    Route("/variations", ("GET",), "list", all_variations_list),
]
