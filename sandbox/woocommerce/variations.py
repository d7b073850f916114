"""Variations of variable products: read, list, create, update and (force-only) delete.

A variation is rendered two ways, as in WooCommerce: the variations endpoint's own shape, and the
product shape (``type: "variation"``, ``parent_id``) that ``GET /products/<variation id>`` and
``product.*`` webhook bodies use. Deleting a variation fires no webhook (WooCommerce issue #31620).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sandbox.woocommerce import products
from sandbox.woocommerce.catalogue import KIND_VARIATION, ProductHeader
from sandbox.woocommerce.common import WooError, gmt_to_ts, invalid_id, json_copy
from sandbox.woocommerce.listing import ListQuery
from sandbox.woocommerce.records import merge_meta, require_enum, require_string, stamp_created, touch
from sandbox.woocommerce.skeletons import product_skeleton, variation_skeleton
from sandbox.woocommerce.store import WooStore

WRITABLE = (
    "description", "sku", "regular_price", "sale_price", "status", "virtual", "downloadable", "tax_status",
    "tax_class", "manage_stock", "stock_quantity", "stock_status", "backorders", "weight", "dimensions",
    "shipping_class", "image", "attributes", "menu_order", "global_unique_id",
)  # fmt: skip


def stored(store: WooStore, variation_id: int) -> dict[str, Any]:
    """The variation as stored, as a fresh dict the caller may change."""
    record: dict[str, Any] = json_copy(peek(store, variation_id))
    return record


def peek(store: WooStore, variation_id: int) -> Mapping[str, Any]:
    """The variation as stored, shared with the store: read it, never change it."""
    if variation_id not in store.variation_parent:
        raise invalid_id("product_variation")
    record = store.variation_records.get(variation_id)
    if record is not None:
        return record
    build = lambda: store.catalogue.variation(variation_id, store.base_url)  # noqa: E731
    return store.generated(KIND_VARIATION, variation_id, build)


def lookup(store: WooStore, product_id: int, variation_id: int) -> dict[str, Any]:
    if product_id not in store.products:
        raise invalid_id("product")
    if store.variation_parent.get(variation_id) != product_id:
        raise invalid_id("product_variation")
    return stored(store, variation_id)


def header(store: WooStore, variation_id: int) -> ProductHeader:
    record = peek(store, variation_id)
    created, modified = gmt_to_ts(record["date_created_gmt"]), gmt_to_ts(record["date_modified_gmt"])
    return ProductHeader("variation", record["status"], created, modified, 0, 0)


def render(store: WooStore, variation_id: int) -> dict[str, Any]:
    """The variation as ``GET /products/<parent>/variations/<id>`` returns it."""
    record = stored(store, variation_id)
    parent_id = record["parent_id"]
    if record["manage_stock"] == "parent":
        record["stock_quantity"] = products.peek(store, parent_id)["stock_quantity"]
    base = f"{store.base_url}/wp-json/wc/v3/products/{parent_id}"
    record["_links"] = {
        "self": [{"href": f"{base}/variations/{variation_id}"}],
        "collection": [{"href": f"{base}/variations"}],
        "up": [{"href": base}],
    }
    return record


def render_as_product(store: WooStore, variation_id: int) -> dict[str, Any]:
    """The variation in product shape, as ``GET /products/<variation id>`` and webhook bodies show it."""
    variation = render(store, variation_id)
    parent = products.peek(store, variation["parent_id"])
    record = product_skeleton(variation_id, store.base_url)
    for key in record:
        if key in variation:
            record[key] = variation[key]
    options = ", ".join(str(a.get("option", "")) for a in variation["attributes"])
    record.update(
        {
            "name": f"{parent['name']} - {options}" if options else parent["name"],
            "slug": f"{parent['slug']}-{variation_id}",
            "type": "variation",
            "parent_id": variation["parent_id"],
            "images": [variation["image"]] if variation["image"] else [],
            "categories": [],
            "_links": {
                "self": [{"href": f"{store.base_url}/wp-json/wc/v3/products/{variation_id}"}],
                "collection": [{"href": f"{store.base_url}/wp-json/wc/v3/products"}],
                "up": [{"href": f"{store.base_url}/wp-json/wc/v3/products/{variation['parent_id']}"}],
            },
        }
    )
    return record


def list_ids(store: WooStore, product_id: int, query: ListQuery, *, status: str, skus: list[str]) -> list[int]:
    """``GET /products/<id>/variations``."""
    if product_id not in store.products:
        raise invalid_id("product")
    return store.cached_list(
        ("variations", product_id, status, tuple(skus), *query.cache_key()),
        lambda: _filtered(store, products.children(store, product_id), query, status, skus),
    )


def list_all_ids(store: WooStore, query: ListQuery, *, status: str, skus: list[str], parents: list[int]) -> list[int]:
    """``GET /variations`` (WooCommerce 10.3+): variations across products; ``parent`` keeps those
    of the named products (unknown ids match nothing, as ``post_parent__in`` does)."""

    def candidates() -> list[int]:
        if parents:
            return [v for p in sorted(set(parents)) if p in store.products for v in products.children(store, p)]
        return sorted(store.variation_parent)

    return store.cached_list(
        ("all-variations", tuple(sorted(set(parents))), status, tuple(skus), *query.cache_key()),
        lambda: _filtered(store, candidates(), query, status, skus),
    )


def _filtered(store: WooStore, candidates: list[int], query: ListQuery, status: str, skus: list[str]) -> list[int]:
    ids = []
    for variation_id in candidates:
        head = header(store, variation_id)
        if (status != "any" and head.status != status) or (
            skus and products.current_sku(store, variation_id) not in skus
        ):
            continue
        if query.admits(variation_id, head.created, head.modified):
            ids.append(variation_id)
    keys = {
        "id": lambda i: i,
        "date": lambda i: header(store, i).created,
        "modified": lambda i: header(store, i).modified,
        "menu_order": lambda i: peek(store, i)["menu_order"],
    }
    return query.sort(ids, keys)


def _apply(store: WooStore, record: dict[str, Any], data: dict[str, Any]) -> None:
    require_string(data, "regular_price", "sale_price", "sku", "weight")
    require_enum(data, "status", ("draft", "pending", "private", "publish"))
    for name in WRITABLE:
        if name in data:
            record[name] = copy.deepcopy(data[name])
    if record.get("manage_stock") == "parent" and "manage_stock" in data:
        record["manage_stock"] = False  # WooCommerce maps a written "parent" to false
    if "attributes" in data:
        record["attributes"] = [
            {"id": int(a.get("id", 0)), "name": a.get("name", ""), "slug": str(a.get("name", "")).lower(),
             "option": a.get("option", "")}
            for a in data["attributes"]
        ]  # fmt: skip
    if "meta_data" in data:
        record["meta_data"] = merge_meta(store, record["meta_data"], data["meta_data"])
    products.settle_price_and_stock(record)  # a "parent" manage_stock leaves the stock fields alone


def _save(store: WooStore, record: dict[str, Any], old_sku: str) -> None:
    store.variation_records[record["id"]] = record
    products.reindex_sku(store, record["id"], old_sku, record["sku"])
    store.changed()


def create(store: WooStore, product_id: int, data: dict[str, Any]) -> dict[str, Any]:
    if product_id not in store.products:
        raise invalid_id("product")
    variation_id = store.next_post_id
    store.next_post_id += 1
    products.check_sku(store, variation_id, data)
    siblings = products.children(store, product_id)
    record = variation_skeleton(variation_id, product_id)
    record["permalink"] = f"{store.base_url}/?p={variation_id}"
    stamp_created(record)
    _apply(store, record, data)
    store.variation_parent[variation_id] = product_id
    store.children[product_id] = [*siblings, variation_id]
    _save(store, record, "")
    store.emit("product.created", variation_id)
    return render(store, variation_id)


def update(
    store: WooStore,
    product_id: int,
    variation_id: int,
    data: dict[str, Any],
    *,
    emit: bool = True,
    keep_modified: bool = False,
) -> dict[str, Any]:
    """Write ``data``; ``keep_modified`` as in ``products.update`` (a save within the same second)."""
    try:
        record = lookup(store, product_id, variation_id)
    except WooError as error:
        raise WooError(400, error.code, error.message) from None
    old_sku = record["sku"]
    products.check_sku(store, variation_id, data)
    _apply(store, record, data)
    if not keep_modified:
        touch(record)
    _save(store, record, old_sku)
    if emit:
        store.emit("product.updated", variation_id)
    return render(store, variation_id)


def set_stock_silently(store: WooStore, variation_id: int, quantity: int, *, notify: bool = False) -> None:
    """A variation's stock changed by an order: ``date_modified`` stays, no webhook unless ``notify``
    (then ``product.updated`` with the variation in product shape). A variation whose stock is the
    parent's (``manage_stock: "parent"``) changes the parent's quantity instead, as WooCommerce does."""
    record = stored(store, variation_id)
    if record["manage_stock"] == "parent":
        products.set_stock_silently(store, record["parent_id"], quantity)
        if notify:
            store.emit("product.updated", variation_id)
        return
    record["manage_stock"] = True
    record["stock_quantity"] = quantity
    products.settle_price_and_stock(record)
    _save(store, record, record["sku"])
    if notify:
        store.emit("product.updated", variation_id)


def delete(store: WooStore, product_id: int, variation_id: int, *, force: bool) -> dict[str, Any]:
    lookup(store, product_id, variation_id)
    if not force:
        raise WooError(501, "woocommerce_rest_trash_not_supported", "Variations do not support trashing.")
    before = render(store, variation_id)
    forget(store, variation_id)
    store.changed()
    return before


def forget(store: WooStore, variation_id: int) -> None:
    parent_id = store.variation_parent.get(variation_id)
    if parent_id is None:
        return
    old_sku = products.current_sku(store, variation_id)
    siblings = products.children(store, parent_id)
    store.children[parent_id] = [v for v in siblings if v != variation_id]
    products.reindex_sku(store, variation_id, old_sku, None)
    del store.variation_parent[variation_id]
    store.variation_records.pop(variation_id, None)
