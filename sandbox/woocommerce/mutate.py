"""Merchant-like random changes (``POST /_sandbox/mutate``), made through the same services as the API.

So they fire exactly the webhooks a real store would, including the gaps: a permanent delete,
a variation delete and a silent stock change (``stock_silent``, like stock reduced by an order,
WooCommerce issue #40060) fire nothing and leave ``date_modified`` alone; ``stock_from_order``
fires ``product.updated`` but leaves ``date_modified`` alone too.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sandbox.woocommerce import customers, orders, products, variations
from sandbox.woocommerce.common import WooError, money, to_decimal
from sandbox.woocommerce.store import WooStore

Change = dict[str, Any]


def _pick(rng: random.Random, ids: list[int], accept: Callable[[int], bool]) -> int | None:
    for _ in range(50):
        if not ids:
            return None
        candidate = rng.choice(ids)
        if accept(candidate):
            return candidate
    return None


def _live_products(store: WooStore) -> list[int]:
    return list(store.products)  # trash is filtered by each pick's test: cheaper than a 50,000-item scan


def _live(store: WooStore, product_id: int) -> bool:
    header = store.products.get(product_id)
    return header is not None and header.status != "trash"


def product_update(store: WooStore, rng: random.Random) -> Change | None:
    product_id = _pick(
        rng, _live_products(store), lambda i: _live(store, i) and store.products[i].type in ("simple", "variable")
    )
    if product_id is None:
        return None
    record = products.stored(store, product_id)
    data: dict[str, Any] = {
        "name": f"{record['name'].split(' (')[0]} ({rng.choice(['new', 'v2', 'restocked', 'sale'])})"
    }
    price = to_decimal(record["regular_price"])
    if price is not None and record["type"] == "simple":
        data["regular_price"] = money(price * Decimal(rng.choice(["0.9", "1.05", "1.1"])))
    products.update(store, product_id, data)
    return {"kind": "product_update", "resource": "product", "id": product_id, "fields": sorted(data)}


def product_stock(store: WooStore, rng: random.Random) -> Change | None:
    product_id = _pick(rng, _live_products(store), lambda i: _live(store, i) and store.products[i].type == "simple")
    if product_id is None:
        return None
    products.update(store, product_id, {"manage_stock": True, "stock_quantity": rng.randint(0, 300)})
    return {"kind": "product_stock", "resource": "product", "id": product_id}


def stock_silent(store: WooStore, rng: random.Random) -> Change | None:
    product_id = _pick(rng, _live_products(store), lambda i: _live(store, i) and store.products[i].type == "simple")
    if product_id is None:
        return None
    products.set_stock_silently(store, product_id, rng.randint(0, 300))
    return {"kind": "stock_silent", "resource": "product", "id": product_id}


def stock_from_order(store: WooStore, rng: random.Random) -> Change | None:
    """Stock reduced by an order: ``product.updated`` fires (for a variation, with the variation's
    body), but ``date_modified`` does not move."""
    product_id = _pick(
        rng, _live_products(store), lambda i: _live(store, i) and store.products[i].type in ("simple", "variable")
    )
    if product_id is None:
        return None
    quantity = rng.randint(0, 300)
    family = products.children(store, product_id) if store.products[product_id].type == "variable" else []
    if family:
        variation_id = rng.choice(family)
        variations.set_stock_silently(store, variation_id, quantity, notify=True)
        return {"kind": "stock_from_order", "resource": "product", "id": variation_id, "parent_id": product_id}
    products.set_stock_silently(store, product_id, quantity, notify=True)
    return {"kind": "stock_from_order", "resource": "product", "id": product_id}


def product_create(store: WooStore, rng: random.Random) -> Change:
    data = {
        "name": f"New arrival {rng.randint(1000, 9999)}",
        "type": "simple",
        "status": "publish",
        "regular_price": money(Decimal(rng.randint(500, 9000)) / 100),
        "sku": f"NEW-{rng.getrandbits(40):010x}",
        "manage_stock": True,
        "stock_quantity": rng.randint(1, 100),
        "weight": "0.50",
    }
    created = products.create(store, data)
    return {"kind": "product_create", "resource": "product", "id": created["id"]}


def product_delete(store: WooStore, rng: random.Random) -> Change | None:
    product_id = _pick(rng, _live_products(store), lambda i: _live(store, i))
    if product_id is None:
        return None
    products.trash(store, product_id)
    return {"kind": "product_delete", "resource": "product", "id": product_id}


def product_force_delete(store: WooStore, rng: random.Random) -> Change | None:
    product_id = _pick(rng, list(store.products), lambda i: True)
    if product_id is None:
        return None
    products.delete(store, product_id)
    return {"kind": "product_force_delete", "resource": "product", "id": product_id}


def _variable_with_children(store: WooStore, rng: random.Random) -> tuple[int, int] | None:
    product_id = _pick(
        rng,
        _live_products(store),
        lambda i: _live(store, i) and store.products[i].type == "variable" and bool(products.children(store, i)),
    )
    if product_id is None:
        return None
    return product_id, rng.choice(products.children(store, product_id))


def variation_update(store: WooStore, rng: random.Random) -> Change | None:
    picked = _variable_with_children(store, rng)
    if picked is None:
        return None
    product_id, variation_id = picked
    record = variations.stored(store, variation_id)
    price = to_decimal(record["regular_price"]) or Decimal("10")
    variations.update(store, product_id, variation_id, {"regular_price": money(price * Decimal("1.05"))})
    return {"kind": "variation_update", "resource": "product", "id": variation_id, "parent_id": product_id}


def variation_delete(store: WooStore, rng: random.Random) -> Change | None:
    picked = _variable_with_children(store, rng)
    if picked is None:
        return None
    variations.delete(store, picked[0], picked[1], force=True)
    return {"kind": "variation_delete", "resource": "product", "id": picked[1], "parent_id": picked[0]}


def customer_update(store: WooStore, rng: random.Random) -> Change | None:
    customer_id = _pick(rng, list(store.customers), lambda i: store.customers[i].role != "administrator")
    if customer_id is None:
        return None
    customers.update(
        store, customer_id, {"billing": {"phone": f"+44 20 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"}}
    )
    return {"kind": "customer_update", "resource": "customer", "id": customer_id}


def customer_create(store: WooStore, rng: random.Random) -> Change:
    token = rng.getrandbits(32)
    created = customers.create(
        store,
        {
            "email": f"new.customer.{token:08x}@example.com",
            "first_name": "New",
            "last_name": f"Customer {token % 1000}",
        },
    )
    return {"kind": "customer_create", "resource": "customer", "id": created["id"]}


def customer_delete(store: WooStore, rng: random.Random) -> Change | None:
    customer_id = _pick(rng, list(store.customers), lambda i: store.customers[i].role == "customer")
    if customer_id is None:
        return None
    customers.delete(store, customer_id, force=True)
    return {"kind": "customer_delete", "resource": "customer", "id": customer_id}


def order_create(store: WooStore, rng: random.Random) -> Change | None:
    live = _live_products(store)
    lines = []
    for _ in range(rng.randint(1, 3)):
        product_id = _pick(
            rng,
            live,
            lambda i: _live(store, i)
            and store.products[i].type == "simple"
            and to_decimal(products.stored(store, i)["price"]) is not None,
        )
        if product_id is not None:
            lines.append({"product_id": product_id, "quantity": rng.randint(1, 4)})
    if not lines:
        return None
    customer_id = _pick(rng, list(store.customers), lambda i: store.customers[i].role == "customer") or 0
    data: dict[str, Any] = {
        "customer_id": customer_id,
        "status": rng.choice(["pending", "processing", "on-hold"]),
        "line_items": lines,
        "billing": {"first_name": "Mutate", "country": "GB", "email": "mutate@example.com"},
        "shipping_lines": [{"method_id": "flat_rate", "method_title": "Standard", "total": "4.95"}],
    }
    created = orders.create(store, data)
    return {"kind": "order_create", "resource": "order", "id": created["id"]}


def order_update(store: WooStore, rng: random.Random) -> Change | None:
    order_id = _pick(rng, list(store.orders), lambda i: store.orders[i].status != "trash")
    if order_id is None:
        return None
    orders.update(store, order_id, {"status": rng.choice(["processing", "completed", "on-hold", "cancelled"])})
    return {"kind": "order_update", "resource": "order", "id": order_id}


KINDS: dict[str, Callable[[WooStore, random.Random], Change | None]] = {
    "product_update": product_update,
    "product_stock": product_stock,
    "stock_silent": stock_silent,
    "stock_from_order": stock_from_order,
    "product_create": product_create,
    "product_delete": product_delete,
    "product_force_delete": product_force_delete,
    "variation_update": variation_update,
    "variation_delete": variation_delete,
    "customer_update": customer_update,
    "customer_create": customer_create,
    "customer_delete": customer_delete,
    "order_create": order_create,
    "order_update": order_update,
}
DEFAULT_KINDS = (
    "product_update",
    "product_stock",
    "product_create",
    "product_delete",
    "variation_update",
    "customer_update",
    "customer_create",
    "order_create",
    "order_update",
)


def mutate(store: WooStore, *, count: int, seed: int, kinds: list[str] | None) -> list[Change]:
    """Apply ``count`` random changes of the given kinds; answer what changed. Raises ValueError on an unknown kind."""
    chosen = list(kinds or DEFAULT_KINDS)
    unknown = [kind for kind in chosen if kind not in KINDS]
    if unknown:
        raise ValueError(f"unknown kinds: {', '.join(unknown)}; known: {', '.join(KINDS)}")
    rng = random.Random(seed)
    changes: list[Change] = []
    for _ in range(count):
        kind = rng.choice(chosen)
        try:
            change = KINDS[kind](store, rng)
        except WooError as error:
            change = {"kind": kind, "error": error.as_json()}
        if change is not None:
            changes.append(change)
    return changes
