"""Clean records for a fresh store, written through the sandbox store's services (callers hold the
store lock): every product maps without issues, every SKU is unique, every customer has a full
address. The walk's changes create records with the same helpers."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal
from typing import Any

from sandbox.woocommerce import customers, orders, products, variations
from sandbox.woocommerce.common import date_fields, money

WORDS = ("Linen", "Oak", "Copper", "Field", "Harbour", "Cedar", "Slate", "Meadow", "Amber", "Willow", "Flint", "Moss")
THINGS = ("Jacket", "Beanie", "Mug", "Lamp", "Satchel", "Scarf", "Kettle", "Blanket", "Stool", "Notebook")
COLOURS = ("Red", "Blue", "Green", "Black", "Sand", "Plum", "Teal", "Ochre")
CITIES = (("London", "E1 6AN"), ("Leeds", "LS1 4AP"), ("Bristol", "BS1 5TR"), ("York", "YO1 7HH"))
#: when the records a seed starts with were last changed (2025-03-01T00:00:00Z): long before the walk
ESTABLISHED_TS = 1_740_787_200


class Names:
    """Fresh SKUs, names, emails and image ids: unique within one seed's store."""

    def __init__(self, seed: int, rng: random.Random) -> None:
        self.seed = seed
        self.rng = rng
        self.counter = itertools.count(1)

    def sku(self) -> str:
        return f"CV{self.seed}-{next(self.counter):04d}"

    def title(self) -> str:
        return f"{self.rng.choice(WORDS)} {self.rng.choice(THINGS)} {next(self.counter)}"

    def price(self) -> str:
        return money(Decimal(self.rng.randint(200, 9000)) / 100)

    def weight(self) -> str:
        return f"{self.rng.randint(1, 40) / 10:.2f}"

    def image(self) -> dict[str, Any]:
        number = next(self.counter)
        return {"id": 5000 + number, "src": f"https://images.example.com/cv{self.seed}/{number}.jpg", "name": "",
                "alt": ""}  # fmt: skip

    def email(self) -> str:
        return f"cv{self.seed}.customer{next(self.counter)}@example.com"


def create_simple(store: Any, names: Names, *, sku: str | None = None, managed: bool = True) -> int:
    data: dict[str, Any] = {
        "name": names.title(), "type": "simple", "status": "publish", "sku": sku or names.sku(),
        "regular_price": names.price(), "manage_stock": managed, "weight": names.weight(), "images": [names.image()],
    }  # fmt: skip
    if managed:
        data["stock_quantity"] = names.rng.randint(0, 60)
    return int(products.create(store, data)["id"])


def create_variable(
    store: Any, names: Names, *, variation_skus: list[str] | None = None, parent_stock: bool = False
) -> int:
    """A variable product over Colour; ``parent_stock``: the product manages stock for its variations."""
    count = len(variation_skus) if variation_skus else names.rng.randint(2, 3)
    colours = names.rng.sample(COLOURS, count)
    data: dict[str, Any] = {
        "name": names.title(), "type": "variable", "status": "publish", "weight": names.weight(),
        "images": [names.image()],
        "attributes": [{"id": 0, "name": "Colour", "position": 0, "visible": True, "variation": True,
                        "options": colours}],
    }  # fmt: skip
    if parent_stock:
        data.update({"manage_stock": True, "stock_quantity": names.rng.randint(5, 60)})
    product_id = int(products.create(store, data)["id"])
    for index, colour in enumerate(colours):
        sku = variation_skus[index] if variation_skus else names.sku()
        add_variation(store, names, product_id, colour=colour, sku=sku, parent_stock=parent_stock)
    return product_id


def add_variation(
    store: Any, names: Names, product_id: int, *, colour: str, sku: str | None = None, parent_stock: bool = False
) -> int:
    rng = names.rng
    data: dict[str, Any] = {
        "sku": sku or names.sku(), "regular_price": names.price(), "weight": names.weight(),
        "attributes": [{"id": 0, "name": "Colour", "option": colour}],
    }  # fmt: skip
    if rng.random() < 0.5:
        data["image"] = names.image()
    if not parent_stock and rng.random() < 0.8:
        data.update({"manage_stock": True, "stock_quantity": rng.randint(0, 40)})
    variation_id = int(variations.create(store, product_id, data)["id"])
    if parent_stock:  # REST cannot write "parent" (it becomes false); WooCommerce's admin stores it like this
        store.variation_records[variation_id]["manage_stock"] = "parent"
        store.variation_records[variation_id]["stock_quantity"] = None
    return variation_id


def address(names: Names, *, email: str | None = None) -> dict[str, str]:
    city, postcode = names.rng.choice(CITIES)
    found = {
        "first_name": "Alex", "last_name": names.rng.choice(WORDS), "company": "", "address_1":
        f"{names.rng.randint(1, 200)} High Street", "address_2": "", "city": city, "state": "", "postcode": postcode,
        "country": "GB", "phone": f"+44 20 {names.rng.randint(1000, 9999)} {names.rng.randint(1000, 9999)}",
    }  # fmt: skip
    if email:
        found["email"] = email
    return found


def create_customer(store: Any, names: Names) -> int:
    email = names.email()
    data = {
        "email": email, "first_name": names.rng.choice(("Sam", "Jo", "Chris", "Robin")),
        "last_name": names.rng.choice(WORDS), "billing": address(names, email=email),
    }  # fmt: skip
    if names.rng.random() < 0.6:
        data["shipping"] = address(names)
    return int(customers.create(store, data)["id"])


def create_order(store: Any, names: Names, lines: list[dict[str, Any]], customer_id: int) -> int:
    data = {
        "customer_id": customer_id,
        "status": names.rng.choice(["pending", "processing", "on-hold", "completed"]),
        "line_items": lines,
        "billing": address(names, email=f"cv{names.seed}.buyer@example.com"),
        "shipping": address(names),
        "shipping_lines": [{"method_id": "flat_rate", "method_title": "Standard", "total": "4.95"}],
    }
    return int(orders.create(store, data)["id"])


def build_store(store: Any, names: Names) -> dict[str, int]:
    """A fresh store: 8-12 products (about half variable, one managing stock for its variations, one
    simple without managed stock), 5 customers and 3 orders. Callers hold the store lock."""
    rng = names.rng
    count = rng.randint(8, 12)
    for index in range(count):
        if index == 0:
            create_variable(store, names, parent_stock=True)
        elif index == 1:
            create_simple(store, names, managed=False)
        elif rng.random() < 0.5:
            create_variable(store, names)
        else:
            create_simple(store, names)
    people = [create_customer(store, names) for _ in range(5)]
    simple = sorted(i for i, h in store.products.items() if h.type == "simple")
    for _ in range(3):
        lines = [{"product_id": rng.choice(simple), "quantity": rng.randint(1, 3)} for _ in range(rng.randint(1, 2))]
        create_order(store, names, lines, rng.choice(people))
    backdate(store, ESTABLISHED_TS)
    return {"products": count, "customers": len(people), "orders": 3}


def backdate(store: Any, moment: int) -> None:
    """Make every record look long established: created and last modified at ``moment``.

    Otherwise the catch-up's modified-date window (it starts at the connection's activation, less
    an overlap) would cover the whole store of a seed that lasts seconds and re-read every record,
    hiding what webhooks failed to bring: only what the walk changes must be in that window."""
    dates = {**date_fields("date_created", moment), **date_fields("date_modified", moment)}
    for product_id, record in store.product_records.items():
        record.update(dates)
        header = store.products[product_id]
        header.created = header.modified = moment
    for record in store.variation_records.values():
        record.update(dates)
    for customer_id, record in store.customer_records.items():
        record.update(dates)
        header = store.customers[customer_id]
        header.created = header.modified = moment
    for order_id, record in store.order_records.items():
        record.update(dates)
        header = store.orders[order_id]
        header.created = header.modified = moment
    store.changed()
