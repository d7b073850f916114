"""Seeded, deterministic records for the standard platform sandbox, with the data problems a real store has.

Same seed → the same records. Roughly: 85% of products active, 10% draft, 5% archived; 1 to 4
variants over Colour and Size; 20% of variants with untracked stock (``stock: null``); ~2% variants
without SKU, ~1% products reusing the previous product's SKU, one product in 60 with no variants;
~3% customers with an address lacking line 1/city/country, ~1% without email, 20% carrying
SparkLayer attributes; orders of 1 to 3 lines, 10% guests, 20% placed through SparkLayer (``cart_id``).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

COLOURS = ("Red", "Blue", "Green", "Black", "White", "Oak", "Walnut")
SIZES = ("S", "M", "L", "XL")
NOUNS = ("Chair", "Table", "Lamp", "Shelf", "Desk", "Stool", "Bench", "Cabinet", "Rug", "Mirror")
ADJECTIVES = ("Nordic", "Classic", "Modern", "Rustic", "Compact", "Deluxe", "Industrial", "Café", "Ægir", "Studio")
FIRST = ("Ann", "Bob", "Chloé", "Dev", "Emma", "Finn", "Grace", "Hugo", "Iris", "Jon", "Zoë", "Łukasz")
LAST = ("Lee", "Patel", "Smith", "García", "Müller", "Jones", "O'Brien", "Nowak", "Kim", "Brown")
CITIES = (
    ("Leeds", "GB", "LS1 1AA"),
    ("Berlin", "DE", "10115"),
    ("Bristol", "GB", "BS1 4DJ"),
    ("Austin", "US", "73301"),
)
STATUSES = ("completed", "processing", "on-hold", "cancelled")
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def moment(rng: random.Random) -> datetime:
    return EPOCH + timedelta(seconds=rng.randrange(0, 365 * 24 * 3600))


def product(rng: random.Random, product_id: str, *, previous_sku: str | None) -> dict[str, Any]:
    title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {product_id}"
    roll = rng.random()
    status = "active" if roll < 0.85 else "draft" if roll < 0.95 else "archived"
    count = 0 if int(product_id) % 60 == 0 else rng.randint(1, 4)
    variants = []
    for n in range(1, count + 1):
        price = Decimal(rng.randrange(500, 50000)) / 100
        sku: str | None = f"SKU-{product_id}-{n}"
        if rng.random() < 0.02:
            sku = None
        elif n == 1 and previous_sku and rng.random() < 0.01:
            sku = previous_sku
        options = (
            []
            if count == 1
            else [
                {"name": "Colour", "value": COLOURS[n % len(COLOURS)]},
                {"name": "Size", "value": SIZES[n % len(SIZES)]},
            ]
        )
        variants.append(
            {
                "id": f"{product_id}-{n}",
                "sku": sku,
                "status": "inactive" if rng.random() < 0.05 else "active",
                "options": options,
                "price": money(price),
                "rrp": money(price * Decimal("1.2")) if rng.random() < 0.7 else None,
                "weight": money(Decimal(rng.randrange(100, 20000)) / 1000) if rng.random() < 0.8 else None,
                "image_url": f"/images/{product_id}-{n}.jpg" if rng.random() < 0.9 else None,
                "stock": rng.randrange(0, 200) if rng.random() < 0.8 else None,
            }
        )
    return {
        "id": product_id,
        "title": title,
        "slug": f"{title.lower().replace(' ', '-')}" if rng.random() < 0.9 else None,
        "status": status,
        "variants": variants,
    }


def address(rng: random.Random, address_id: str, first: str, last: str, *, incomplete: bool) -> dict[str, Any]:
    city, country, postcode = rng.choice(CITIES)
    return {
        "id": address_id,
        "first_name": first,
        "last_name": last,
        "company": f"{last} Trading" if rng.random() < 0.5 else None,
        "address_line1": None if incomplete else f"{rng.randint(1, 200)} High Street",
        "address_line2": None,
        "city": city,
        "region_name": None,
        "region_code": None,
        "postal_code": postcode,
        "country_code": country,
        "phone": f"0{rng.randint(1000000000, 1999999999)}",
        "is_default_billing": False,
        "is_default_shipping": False,
    }


def customer(rng: random.Random, customer_id: str) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    addresses = [
        address(rng, f"{customer_id}-a{n}", first, last, incomplete=rng.random() < 0.03)
        for n in range(1, rng.randint(0, 3) + 1)
    ]
    if addresses:
        addresses[0]["is_default_billing"] = True
        addresses[-1]["is_default_shipping"] = True
    sparklayer: dict[str, Any] = {}
    if rng.random() < 0.2:
        sparklayer = {
            "accounting_id": f"ACC-{customer_id}",
            "price_lists": ["trade"] if rng.random() < 0.5 else [],
            "discount_percentage": rng.choice((0, 5, 10)),
            "group": None,
            "role": "main",
        }
    return {
        "id": customer_id,
        "email": None if rng.random() < 0.01 else f"{first.lower()}.{customer_id}@example.com",
        "first_name": first,
        "last_name": last,
        "company_name": f"{last} Trading" if rng.random() < 0.4 else None,
        "addresses": addresses,
        "sparklayer": sparklayer,
    }


def order(
    rng: random.Random, order_id: str, *, customers: list[dict[str, Any]], products: list[dict[str, Any]], currency: str
) -> dict[str, Any]:
    buyer = rng.choice(customers) if customers and rng.random() < 0.9 else None
    sellable = [(p, v) for p in products for v in p["variants"] if v["sku"]]
    lines = []
    for n, (item, variant) in enumerate(rng.sample(sellable, k=min(len(sellable), rng.randint(1, 3))), start=1):
        quantity = rng.randint(1, 5)
        unit = Decimal(variant["price"])
        total = unit * quantity
        lines.append(
            {
                "id": f"{order_id}-l{n}",
                "sku": variant["sku"],
                "title": item["title"],
                "product_id": item["id"],
                "variant_id": variant["id"],
                "quantity": quantity,
                "unit_price": money(unit),
                "subtotal": money(total),
                "total": money(total),
                "tax": money(total * Decimal("0.2")),
            }
        )
    subtotal = sum((Decimal(line["total"]) for line in lines), Decimal(0))
    shipping = Decimal("4.95")
    tax = (subtotal + shipping) * Decimal("0.2")
    billing = buyer["addresses"][0] if buyer and buyer["addresses"] else None
    return {
        "id": order_id,
        "number": f"#{10000 + int(order_id)}",
        "status": rng.choice(STATUSES),
        "currency": currency,
        "customer_id": buyer["id"] if buyer else None,
        "cart_id": f"cart-{order_id}-{rng.randrange(10**8):08d}" if rng.random() < 0.2 else None,
        "payment_type": "paymentOnAccount" if rng.random() < 0.2 else None,
        "payment_method": "Bank transfer",
        "note": None,
        "billing_address": {
            k: v for k, v in billing.items() if k not in ("id", "is_default_billing", "is_default_shipping")
        }
        if billing
        else None,
        "shipping_address": None,
        "lines": lines,
        "shipping": {
            "method_id": "standard",
            "name": "Standard delivery",
            "total": money(shipping),
            "tax": money(shipping * Decimal("0.2")),
        },
        "total": money(subtotal + shipping + tax),
    }
