"""Seeded, deterministic, lazy generation of the store's starting catalogue.

Benchmarks ask for 50,000 products (~150,000 variations) and 100,000 customers, so nothing is
built up front except a compact *header* per record (status, type or role, dates): one pass of a
seeded RNG, a few seconds at most. The full JSON of a record is generated on demand from its own
RNG (seed + kind + id), so the same seed always yields the same store and memory stays small.
About 3-5% of records carry the problems a real store has (no SKU, duplicate SKU, grouped and
external types, a non-numeric price, incomplete or empty addresses).
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sandbox.woocommerce import catalogue_words as words
from sandbox.woocommerce.common import date_fields, lru_get, money
from sandbox.woocommerce.skeletons import product_skeleton, variation_skeleton

START_TS = 1640995200  # 2022-01-01T00:00:00Z: generated records were created after this
END_TS = 1748736000  # 2025-06-01T00:00:00Z: ... and last modified before this
FIRST_CUSTOMER_ID = 2  # user 1 is the shop's administrator
FIRST_ORDER_ID = 100
PLACEHOLDER_SRC = "/wp-content/uploads/woocommerce-placeholder.png"

KIND_PRODUCT, KIND_VARIATION, KIND_CUSTOMER, KIND_ORDER = 1, 2, 3, 4
ATTRIBUTES_CACHE_SIZE = 1024


@dataclass(slots=True)
class ProductHeader:
    """What listing filters need, without the full record."""

    type: str
    status: str
    created: int
    modified: int
    variation_count: int
    flags: int  # bit set of PROBLEM_* below


@dataclass(slots=True)
class PersonHeader:
    role: str
    created: int
    modified: int


@dataclass(slots=True)
class OrderHeader:
    status: str
    created: int
    modified: int
    customer_id: int


PROBLEM_NO_SKU = 1
PROBLEM_DUPLICATE_SKU = 2
PROBLEM_BAD_PRICE = 4
PROBLEM_NO_IMAGES = 8
PROBLEM_PARENT_STOCK = 16  # a variable product managing stock itself, so variations say "parent"


def _weighted(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    roll = rng.random()
    for value, share in table:
        if roll < share:
            return value
        roll -= share
    return table[-1][0]


def _weighted_int(rng: random.Random, table: tuple[tuple[int, float], ...]) -> int:
    roll = rng.random()
    for value, share in table:
        if roll < share:
            return value
        roll -= share
    return table[-1][0]


def record_rng(seed: int, kind: int, record_id: int) -> random.Random:
    return random.Random(seed * 1_000_003 + kind * 100_000_019 + record_id)


class Catalogue:
    """The generated starting state: headers built eagerly, full records generated when asked for."""

    def __init__(self, *, seed: int, products: int, customers: int, orders: int) -> None:
        self.seed = seed
        self._attributes: dict[int, list[tuple[str, list[str]]]] = {}
        rng = random.Random(seed)
        self.products: dict[int, ProductHeader] = {}
        self.variation_parent: dict[int, int] = {}
        self.product_sku_of: dict[int, str] = {}  # only the duplicate-SKU products, pointing at a neighbour's SKU
        next_id = 10
        previous_id = 0
        for _ in range(products):
            kind = _weighted(rng, words.PRODUCT_TYPES)
            count = _weighted_int(rng, words.VARIATION_COUNTS) if kind == "variable" else 0
            created = rng.randrange(START_TS, END_TS - 86400)
            modified = created + int(rng.random() ** 3 * (END_TS - created))
            flags = 0
            if rng.random() < 0.012:
                flags |= PROBLEM_NO_SKU
            elif previous_id and rng.random() < 0.008:
                flags |= PROBLEM_DUPLICATE_SKU
            if kind == "simple" and rng.random() < 0.006:
                flags |= PROBLEM_BAD_PRICE
            if rng.random() < 0.06:
                flags |= PROBLEM_NO_IMAGES
            if kind == "variable" and rng.random() < 0.2:
                flags |= PROBLEM_PARENT_STOCK
            status = _weighted(rng, words.PRODUCT_STATUSES)
            self.products[next_id] = ProductHeader(kind, status, created, modified, count, flags)
            if flags & PROBLEM_DUPLICATE_SKU:
                self.product_sku_of[next_id] = self.base_sku(previous_id)
            for offset in range(1, count + 1):
                self.variation_parent[next_id + offset] = next_id
            previous_id = next_id
            next_id += 1 + count
        self.next_post_id = next_id
        self.customers: dict[int, PersonHeader] = {}
        for index in range(customers):
            created = rng.randrange(START_TS, END_TS - 86400)
            modified = created + int(rng.random() ** 4 * (END_TS - created))
            self.customers[FIRST_CUSTOMER_ID + index] = PersonHeader(
                _weighted(rng, words.CUSTOMER_ROLES), created, modified
            )
        self.orders: dict[int, OrderHeader] = {}
        customer_ids = list(self.customers)
        for index in range(orders):
            created = rng.randrange(START_TS, END_TS - 86400)
            modified = min(END_TS, created + rng.randrange(0, 86400 * 20))
            customer = 0 if not customer_ids or rng.random() < 0.12 else rng.choice(customer_ids)
            status = _weighted(rng, words.ORDER_STATUSES)
            self.orders[FIRST_ORDER_ID + index] = OrderHeader(status, created, modified, customer)

    # ---- identities derivable from the id alone (cheap; used by indexes) ----

    @staticmethod
    def base_sku(product_id: int) -> str:
        return f"{words.SKU_PREFIXES[product_id % len(words.SKU_PREFIXES)]}-{product_id:06d}"

    def product_sku(self, product_id: int) -> str:
        header = self.products[product_id]
        if header.flags & PROBLEM_NO_SKU and header.type != "variable":
            return ""
        return self.product_sku_of.get(product_id) or self.base_sku(product_id)

    def variation_sku(self, variation_id: int, first_draw: float | None = None) -> str:
        """``first_draw``: the variation RNG's first ``random()``, when the caller already has it."""
        parent = self.variation_parent[variation_id]
        if first_draw is None:
            first_draw = record_rng(self.seed, KIND_VARIATION, variation_id).random()
        if first_draw < 0.03:
            return ""
        return f"{self.base_sku(parent)}-{variation_id - parent}"

    @staticmethod
    def customer_names(customer_id: int) -> tuple[str, str]:
        first = words.FIRST_NAMES[(customer_id * 7919) % len(words.FIRST_NAMES)]
        last = words.LAST_NAMES[(customer_id * 104729 // 7) % len(words.LAST_NAMES)]
        return first, last

    def customer_email(self, customer_id: int) -> str:
        first, last = self.customer_names(customer_id)
        domain = words.EMAIL_DOMAINS[customer_id % len(words.EMAIL_DOMAINS)]
        local = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode().replace("'", "")
        return f"{local}.{customer_id}@{domain}".lower()

    # ---- product attributes shared by a variable product and its variations ----

    def product_attributes(self, product_id: int) -> list[tuple[str, list[str]]]:
        """Kept for the last few products asked about: every variation of a product needs them."""
        build = lambda: self._product_attributes(product_id)  # noqa: E731
        return lru_get(self._attributes, product_id, build, ATTRIBUTES_CACHE_SIZE)

    def _product_attributes(self, product_id: int) -> list[tuple[str, list[str]]]:
        rng = record_rng(self.seed, KIND_PRODUCT, product_id * 7 + 3)
        count = self.products[product_id].variation_count
        colours = rng.sample(words.COLOURS, k=min(len(words.COLOURS), max(1, min(count, 3))))
        sizes_needed = -(-count // len(colours))
        sizes = words.SIZES[: max(1, sizes_needed)]
        return [("Colour", colours), ("Size", sizes)]

    def variation_options(self, variation_id: int) -> list[tuple[str, str]]:
        parent = self.variation_parent[variation_id]
        (colour_name, colours), (size_name, sizes) = self.product_attributes(parent)
        index = variation_id - parent - 1
        return [(colour_name, colours[index % len(colours)]), (size_name, sizes[index // len(colours)])]

    def base_price(self, rng: random.Random) -> Decimal:
        pounds = int(rng.lognormvariate(3.2, 0.8)) + 1
        return Decimal(pounds) + Decimal(rng.choice(("0.99", "0.50", "0.00", "0.95")))

    # ---- full records ----

    def product(self, product_id: int, base_url: str) -> dict[str, Any]:
        header = self.products[product_id]
        rng = record_rng(self.seed, KIND_PRODUCT, product_id)
        name = f"{rng.choice(words.ADJECTIVES)} {rng.choice(words.MATERIALS)} {rng.choice(words.NOUNS)}"
        slug = f"{name.lower().replace(' ', '-')}-{product_id}"
        regular = self.base_price(rng)
        on_sale = rng.random() < 0.15
        sale = (regular * Decimal("0.8")).quantize(Decimal("0.01")) if on_sale else None
        manage_stock = rng.random() < 0.6 or bool(header.flags & PROBLEM_PARENT_STOCK)
        quantity = rng.randint(0, 400) if manage_stock else None
        backorders = "notify" if rng.random() < 0.1 else "no"
        stock_status = _stock_status(manage_stock, quantity, backorders, rng)
        category = rng.choice(words.CATEGORIES)
        record = product_skeleton(product_id, base_url)
        record.update(
            {
                "name": name,
                "slug": slug,
                "permalink": f"{base_url}/product/{slug}/",
                **date_fields("date_created", header.created),
                **date_fields("date_modified", header.modified),
                "type": header.type,
                "status": header.status,
                "featured": rng.random() < 0.05,
                "description": f"<p>{name}. {rng.choice(words.BLURBS)}</p>",
                "short_description": f"<p>{rng.choice(words.BLURBS)}</p>",
                "sku": self.product_sku(product_id),
                "regular_price": money(regular),
                "sale_price": money(sale) if sale is not None else "",
                "price": money(sale if sale is not None else regular),
                "on_sale": on_sale,
                "total_sales": rng.randint(0, 500),
                "manage_stock": manage_stock,
                "stock_quantity": quantity,
                "stock_status": stock_status,
                "backorders": backorders,
                "backorders_allowed": backorders != "no",
                "backordered": False,
                "weight": f"{rng.uniform(0.05, 12):.2f}" if rng.random() < 0.92 else "",
                "dimensions": {
                    "length": str(rng.randint(5, 80)),
                    "width": str(rng.randint(5, 60)),
                    "height": str(rng.randint(1, 40)),
                },
                "categories": [{"id": category[0], "name": category[1], "slug": category[2]}],
                "images": [] if header.flags & PROBLEM_NO_IMAGES else _images(product_id, slug, base_url, rng),
                "menu_order": 0,
                "meta_data": _product_meta(product_id, rng),
            }
        )
        if header.flags & PROBLEM_BAD_PRICE:
            record["regular_price"] = "abc"
            record["price"] = "abc"
            record["sale_price"] = ""
            record["on_sale"] = False
        if header.type == "variable":
            attributes = self.product_attributes(product_id)
            record["attributes"] = [
                {"id": 0, "name": n, "slug": n.lower(), "position": i, "visible": True, "variation": True, "options": o}
                for i, (n, o) in enumerate(attributes)
            ]
            record["variations"] = list(range(product_id + 1, product_id + 1 + header.variation_count))
            record["regular_price"] = record["sale_price"] = ""
            record["has_options"] = True
            if not header.flags & PROBLEM_PARENT_STOCK:
                record["manage_stock"], record["stock_quantity"] = False, None
        elif header.type == "grouped":
            record["regular_price"] = record["sale_price"] = record["price"] = ""
            record["grouped_products"] = [pid for pid in (product_id - 1, product_id - 2) if pid in self.products]
            record["manage_stock"], record["stock_quantity"] = False, None
        elif header.type == "external":
            record["external_url"] = f"https://partner.example.com/item/{product_id}"
            record["button_text"] = "Buy at our partner"
            record["manage_stock"], record["stock_quantity"], record["stock_status"] = False, None, "instock"
        return record

    def variation(self, variation_id: int, base_url: str) -> dict[str, Any]:
        parent_id = self.variation_parent[variation_id]
        parent = self.products[parent_id]
        rng = record_rng(self.seed, KIND_VARIATION, variation_id)
        sku = self.variation_sku(variation_id, rng.random())
        regular = self.base_price(rng)
        on_sale = rng.random() < 0.1
        sale = (regular * Decimal("0.85")).quantize(Decimal("0.01")) if on_sale else None
        if parent.flags & PROBLEM_PARENT_STOCK and rng.random() < 0.6:
            manage_stock: bool | str = "parent"
            quantity: int | None = record_rng(self.seed, KIND_PRODUCT, parent_id).randint(0, 400)
        else:
            manage_stock = rng.random() < 0.7
            quantity = rng.randint(0, 200) if manage_stock else None
        created = parent.created + (variation_id - parent_id)
        options = self.variation_options(variation_id)
        record = variation_skeleton(variation_id, parent_id)
        record.update(
            {
                **date_fields("date_created", created),
                **date_fields("date_modified", max(created, parent.modified - rng.randrange(0, 3600))),
                "permalink": f"{base_url}/?p={variation_id}",
                "sku": sku,
                "price": money(sale if sale is not None else regular),
                "regular_price": money(regular),
                "sale_price": money(sale) if sale is not None else "",
                "on_sale": on_sale,
                "status": "private" if rng.random() < 0.05 else "publish",
                "manage_stock": manage_stock,
                "stock_quantity": quantity,
                "stock_status": _stock_status(bool(manage_stock), quantity, "no", rng),
                "weight": f"{rng.uniform(0.05, 8):.2f}" if rng.random() < 0.9 else "",
                "image": None
                if rng.random() < 0.3
                else _images(variation_id, f"variation-{variation_id}", base_url, rng)[0],
                "attributes": [{"id": 0, "name": n, "slug": n.lower(), "option": o} for n, o in options],
                "menu_order": variation_id - parent_id - 1,
                "meta_data": [],
            }
        )
        return record

    def customer(self, customer_id: int, base_url: str) -> dict[str, Any]:
        header = self.customers[customer_id]
        rng = record_rng(self.seed, KIND_CUSTOMER, customer_id)
        first, last = self.customer_names(customer_id)
        email = self.customer_email(customer_id)
        country, states, cities = rng.choice(words.COUNTRIES)
        company = rng.choice(words.COMPANIES) if rng.random() < 0.5 else ""
        billing = {
            "first_name": first,
            "last_name": last,
            "company": company,
            "address_1": f"{rng.randint(1, 220)} {rng.choice(words.STREETS)}",
            "address_2": "",
            "city": rng.choice(cities),
            "state": rng.choice(states) if states else "",
            "postcode": f"{rng.choice('ABCDEFGHKLMNS')}{rng.randint(1, 29)} {rng.randint(1, 9)}XY",
            "country": country,
            "email": email,
            "phone": f"+44 7{rng.randint(100000000, 999999999)}",
        }
        roll = rng.random()
        if roll < 0.035:
            billing.update({"address_1": "", "city": "", "country": ""})
        shipping = {key: value for key, value in billing.items() if key != "email"}
        if roll > 0.95:
            shipping = dict.fromkeys(shipping, "")
        meta: list[dict[str, Any]] = []
        if rng.random() < 0.2:
            meta = [
                {"id": customer_id * 10 + 1, "key": "sparklayer_accounting_id", "value": f"ACC{customer_id:07d}"},
                {"id": customer_id * 10 + 2, "key": "sparklayer_price_lists", "value": ["trade", "gbp-wholesale"]},
                {
                    "id": customer_id * 10 + 3,
                    "key": "sparklayer_customer_group",
                    "value": rng.choice(("gold", "silver")),
                },
            ]
        if header.role == "wholesale_customer":
            meta.append({"id": customer_id * 10 + 5, "key": "vat_number", "value": f"GB{rng.randint(10**8, 10**9)}"})
        return {
            "id": customer_id,
            **date_fields("date_created", header.created),
            **date_fields("date_modified", header.modified),
            "email": email,
            "first_name": first,
            "last_name": last,
            "role": header.role,
            "username": email.split("@", 1)[0],
            "billing": billing,
            "shipping": shipping,
            "is_paying_customer": rng.random() < 0.6,
            "avatar_url": f"https://secure.gravatar.com/avatar/{customer_id:032x}?s=96&d=mm&r=g",
            "meta_data": meta,
        }

    def order_lines(self, order_id: int) -> tuple[random.Random, list[tuple[int, int, int]]]:
        """The (product_id, variation_id, quantity) lines of a generated order, and its RNG for the rest."""
        rng = record_rng(self.seed, KIND_ORDER, order_id)
        product_ids = list(self.products) if len(self.products) < 5000 else None
        lines: list[tuple[int, int, int]] = []
        for _ in range(rng.randint(1, 4)):
            for _attempt in range(20):
                if product_ids is not None:
                    pid = rng.choice(product_ids)
                else:
                    pid = rng.randrange(10, self.next_post_id)
                    if pid not in self.products:
                        pid = self.variation_parent.get(pid, 0)
                header = self.products.get(pid)
                if header and header.type in ("simple", "variable") and not header.flags & PROBLEM_BAD_PRICE:
                    variation = pid + rng.randint(1, header.variation_count) if header.type == "variable" else 0
                    lines.append((pid, variation, rng.randint(1, 6)))
                    break
        return rng, lines


def _stock_status(manage: bool, quantity: int | None, backorders: str, rng: random.Random) -> str:
    if manage and quantity is not None:
        if quantity > 0:
            return "instock"
        return "onbackorder" if backorders != "no" else "outofstock"
    return "outofstock" if rng.random() < 0.08 else "instock"


def _images(owner_id: int, slug: str, base_url: str, rng: random.Random) -> list[dict[str, Any]]:
    images = []
    for position in range(rng.randint(1, 3)):
        image_id = 5_000_000 + owner_id * 4 + position
        images.append(
            {
                "id": image_id,
                **date_fields("date_created", START_TS + owner_id),
                **date_fields("date_modified", START_TS + owner_id),
                "src": f"{base_url}/wp-content/uploads/2024/05/{slug}-{position + 1}.jpg",
                "name": f"{slug}-{position + 1}",
                "alt": "",
                "position": position,
            }
        )
    return images


def placeholder_image(base_url: str, ts: int) -> dict[str, Any]:
    """What WooCommerce returns for a product with no images: one image with id 0."""
    return {
        "id": 0,
        **date_fields("date_created", ts),
        **date_fields("date_modified", ts),
        "src": f"{base_url}{PLACEHOLDER_SRC}",
        "name": "Placeholder",
        "alt": "Placeholder",
        "position": 0,
    }


def _product_meta(product_id: int, rng: random.Random) -> list[dict[str, Any]]:
    meta = []
    if rng.random() < 0.3:
        meta.append({"id": product_id * 10 + 1, "key": "_yoast_wpseo_focuskw", "value": "quality"})
    if rng.random() < 0.1:
        meta.append({"id": product_id * 10 + 2, "key": "sparklayer_min_order_qty", "value": str(rng.randint(2, 12))})
    return meta
