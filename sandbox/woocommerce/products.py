"""Products: read, list, create, update, trash and delete, with WooCommerce's rules and webhook events.

Callers hold ``store.lock``. Reads return fresh dicts (safe to mutate); writes store the whole
record, bump ``date_modified_gmt`` and emit the topic WooCommerce would (``product.deleted`` only
on trash, never on a permanent delete).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sandbox.woocommerce import variations
from sandbox.woocommerce.catalogue import KIND_PRODUCT, ProductHeader, placeholder_image
from sandbox.woocommerce.common import WooError, gmt_to_ts, invalid_id, json_copy, money, to_decimal
from sandbox.woocommerce.listing import ListQuery
from sandbox.woocommerce.records import merge_meta, require_enum, require_string, stamp_created, touch
from sandbox.woocommerce.skeletons import product_skeleton
from sandbox.woocommerce.store import WooStore

TYPES = ("simple", "grouped", "external", "variable")
STATUSES = ("draft", "pending", "private", "publish", "future")
WRITABLE = (
    "name", "slug", "type", "status", "featured", "catalog_visibility", "description", "short_description", "sku",
    "regular_price", "sale_price", "virtual", "downloadable", "external_url", "button_text", "tax_status",
    "tax_class", "manage_stock", "stock_quantity", "stock_status", "backorders", "sold_individually", "weight",
    "dimensions", "shipping_class", "reviews_allowed", "upsell_ids", "cross_sell_ids", "purchase_note",
    "categories", "tags", "images", "attributes", "default_attributes", "grouped_products", "menu_order",
    "global_unique_id",
)  # fmt: skip


def stored(store: WooStore, product_id: int) -> dict[str, Any]:
    """The product as stored (generated if never written), as a fresh dict the caller may change.

    Raises 404 for an unknown id."""
    record: dict[str, Any] = json_copy(peek(store, product_id))
    return record


def peek(store: WooStore, product_id: int) -> Mapping[str, Any]:
    """The product as stored, shared with the store: read it, never change it."""
    if product_id not in store.products:
        raise invalid_id("product")
    record = store.product_records.get(product_id)
    if record is not None:
        return record
    return store.generated(KIND_PRODUCT, product_id, lambda: store.catalogue.product(product_id, store.base_url))


def children(store: WooStore, product_id: int) -> list[int]:
    """Variation ids of a product: the generated range, or the list kept once variations were added."""
    if product_id in store.children:
        return list(store.children[product_id])
    count = store.products[product_id].variation_count
    return [v for v in range(product_id + 1, product_id + 1 + count) if store.variation_parent.get(v) == product_id]


def render(store: WooStore, product_id: int) -> dict[str, Any]:
    """The product exactly as ``GET /products/<id>`` returns it."""
    record = stored(store, product_id)
    if record["type"] == "variable":
        record["variations"] = children(store, product_id)
        prices = []
        for variation_id in record["variations"]:
            variation = variations.peek(store, variation_id)
            price = to_decimal(variation["price"])
            if price is not None and variation["status"] == "publish":
                prices.append(price)
        record["price"] = money(min(prices)) if prices else ""
    if not record["images"]:
        record["images"] = [placeholder_image(store.base_url, gmt_to_ts(record["date_created_gmt"]))]
    record["price_html"] = _price_html(store, record["price"])
    record["_links"] = _links(store, f"products/{product_id}", "products")
    return record


def _price_html(store: WooStore, price: str) -> str:
    if to_decimal(price) is None:
        return ""
    symbol = {"GBP": "&pound;", "USD": "&#36;", "EUR": "&euro;"}.get(store.config.currency, "")
    return f'<span class="woocommerce-Price-amount amount"><bdi>{symbol}{price}</bdi></span>'


def _links(store: WooStore, path: str, collection: str) -> dict[str, Any]:
    base = f"{store.base_url}/wp-json/wc/v3"
    return {"self": [{"href": f"{base}/{path}"}], "collection": [{"href": f"{base}/{collection}"}]}


def current_sku(store: WooStore, record_id: int) -> str:
    """A product's or variation's SKU without generating the whole record when it never changed."""
    if record_id in store.products:
        record = store.product_records.get(record_id)
        return record["sku"] if record else store.catalogue.product_sku(record_id)
    record = store.variation_records.get(record_id)
    return record["sku"] if record else store.catalogue.variation_sku(record_id)


def sku_index(store: WooStore) -> dict[str, set[int]]:
    """SKU → product and variation ids; built on first use, then kept up to date by every write."""
    if store.sku_index is None:
        index: dict[str, set[int]] = {}
        for record_id in [*store.products, *store.variation_parent]:
            sku = current_sku(store, record_id)
            if sku:
                index.setdefault(sku, set()).add(record_id)
        store.sku_index = index
    return store.sku_index


def reindex_sku(store: WooStore, record_id: int, old: str, new: str | None) -> None:
    if store.sku_index is None or old == new:
        return
    if old:
        store.sku_index.get(old, set()).discard(record_id)
    if new:
        store.sku_index.setdefault(new, set()).add(record_id)


def check_sku(store: WooStore, record_id: int, data: dict[str, Any]) -> None:
    """WooCommerce refuses to *write* a SKU another product or variation already has."""
    sku = data.get("sku")
    if sku and sku_index(store).get(sku, set()) - {record_id}:
        raise WooError(400, "product_invalid_sku", "Invalid or duplicated SKU.", resource_id=record_id)


def list_ids(store: WooStore, query: ListQuery, *, status: str, types: list[str], skus: list[str]) -> list[int]:
    """Ids matching the filters, sorted. ``status=any`` excludes trash; a SKU filter also finds variations."""

    def build() -> list[int]:
        if skus:
            candidates = sorted({i for sku in skus for i in sku_index(store).get(sku, set())})
        elif query.include:
            candidates = [i for i in query.include if i in store.products]
        else:
            candidates = list(store.products)
        ids = []
        for record_id in candidates:
            header = _header(store, record_id)
            if (status == "any" and header.status == "trash") or (status != "any" and header.status != status):
                continue
            if (not types or header.type in types) and query.admits(record_id, header.created, header.modified):
                ids.append(record_id)
        keys = {
            "id": lambda i: i,
            "date": lambda i: _header(store, i).created,
            "modified": lambda i: _header(store, i).modified,
            "title": lambda i: stored(store, i)["name"] if i in store.products else i,
        }
        return query.sort(ids, keys)

    key = ("products", status, tuple(types), tuple(skus), *query.cache_key())
    return store.cached_list(key, build)


def _header(store: WooStore, record_id: int) -> ProductHeader:
    header = store.products.get(record_id)
    if header is not None:
        return header
    return variations.header(store, record_id)


def _apply(store: WooStore, record: dict[str, Any], data: dict[str, Any]) -> None:
    require_string(data, "regular_price", "sale_price", "sku", "name", "weight")
    require_enum(data, "type", TYPES)
    require_enum(data, "status", STATUSES)
    require_enum(data, "stock_status", ("instock", "outofstock", "onbackorder"))
    for name in WRITABLE:
        if name in data:
            record[name] = copy.deepcopy(data[name])
    if "meta_data" in data:
        record["meta_data"] = merge_meta(store, record["meta_data"], data["meta_data"])
    if "name" in data and "slug" not in data:
        record["slug"] = f"{str(data['name']).lower().replace(' ', '-')}-{record['id']}"
    settle_price_and_stock(record)


def settle_price_and_stock(record: dict[str, Any]) -> None:
    """Derived fields WooCommerce recomputes on save: price, on_sale, stock status, backorders flags."""
    if record.get("type") in ("variable", "grouped"):
        record["regular_price"] = record["sale_price"] = ""
    else:
        sale = to_decimal(record.get("sale_price"))
        regular = record.get("regular_price", "")
        on_sale = sale is not None and (to_decimal(regular) is None or sale < (to_decimal(regular) or Decimal(0)))
        record["price"] = record["sale_price"] if on_sale else regular
        record["on_sale"] = on_sale
    if record.get("manage_stock") is True:
        quantity = record.get("stock_quantity")
        record["stock_quantity"] = int(quantity) if quantity is not None else 0
        if record["stock_quantity"] > 0:
            record["stock_status"] = "instock"
        else:
            record["stock_status"] = "onbackorder" if record.get("backorders", "no") != "no" else "outofstock"
    elif record.get("manage_stock") is False:
        record["stock_quantity"] = None
    record["backorders_allowed"] = record.get("backorders", "no") != "no"


def _save(store: WooStore, record: dict[str, Any], old_sku: str) -> None:
    product_id = record["id"]
    store.product_records[product_id] = record
    header = store.products.get(product_id)
    created, modified = gmt_to_ts(record["date_created_gmt"]), gmt_to_ts(record["date_modified_gmt"])
    if header is None:
        store.products[product_id] = ProductHeader(record["type"], record["status"], created, modified, 0, 0)
    else:
        header.type, header.status, header.modified = record["type"], record["status"], modified
    reindex_sku(store, product_id, old_sku, record["sku"])
    store.changed()


def create(store: WooStore, data: dict[str, Any]) -> dict[str, Any]:
    if not data.get("name") and data.get("status", "publish") == "publish":
        data = {**data, "name": "Product"}
    product_id = store.next_post_id
    store.next_post_id += 1
    check_sku(store, product_id, data)
    record = product_skeleton(product_id, store.base_url)
    stamp_created(record)
    _apply(store, record, data)
    record["permalink"] = f"{store.base_url}/product/{record['slug']}/"
    store.children[product_id] = []
    _save(store, record, "")
    store.emit("product.created", product_id)
    return render(store, product_id)


def update(
    store: WooStore, product_id: int, data: dict[str, Any], *, emit: bool = True, keep_modified: bool = False
) -> dict[str, Any]:
    """Write ``data``; ``keep_modified`` leaves ``date_modified`` where it is, as a second save within
    the same second looks in WooCommerce (its dates have one-second resolution)."""
    if product_id not in store.products:
        if product_id in store.variation_parent:
            parent_id = store.variation_parent[product_id]
            return variations.update(store, parent_id, product_id, data, emit=emit, keep_modified=keep_modified)
        raise invalid_id("product", 400)
    record = stored(store, product_id)
    old_sku = record["sku"]
    check_sku(store, product_id, data)
    _apply(store, record, data)
    if not keep_modified:
        touch(record)
    _save(store, record, old_sku)
    if emit:
        store.emit("product.updated", product_id)
    return render(store, product_id)


def trash(store: WooStore, product_id: int) -> dict[str, Any]:
    """Move to trash: answer the product as it was, fire ``product.deleted`` (WooCommerce's only trigger)."""
    before = render(store, product_id)
    if before["status"] == "trash":
        raise WooError(410, "woocommerce_rest_already_trashed", "The product has already been deleted.")
    record = stored(store, product_id)
    record["status"] = "trash"
    touch(record)
    _save(store, record, record["sku"])
    store.emit("product.deleted", product_id)
    return before


def delete(store: WooStore, product_id: int) -> dict[str, Any]:
    """Permanent delete, variations included. WooCommerce fires no ``product.deleted`` for this."""
    before = render(store, product_id)
    for variation_id in children(store, product_id):
        variations.forget(store, variation_id)
    store.children.pop(product_id, None)
    store.product_records.pop(product_id, None)
    del store.products[product_id]
    reindex_sku(store, product_id, before["sku"], None)
    store.changed()
    return before


def set_stock_silently(store: WooStore, product_id: int, quantity: int, *, notify: bool = False) -> None:
    """Change stock the way an order's stock reduction does: no ``date_modified`` bump, and no webhook
    (#40060) unless ``notify``: then ``product.updated`` fires with the record as it is, date unchanged."""
    record = stored(store, product_id)
    record["manage_stock"] = True
    record["stock_quantity"] = quantity
    settle_price_and_stock(record)
    _save(store, record, record["sku"])
    if notify:
        store.emit("product.updated", product_id)
