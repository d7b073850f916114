"""Field-by-field comparison of SparkLayer's copy with the store's mapping (pure: no database, no HTTP)."""

from __future__ import annotations

import copy
from typing import Any

from platforms.types import DataType, SyncRecord
from sync.scheduled.audit_compare import (
    DIFFERS,
    EQUAL,
    EXTRA,
    MISSING,
    ProductSide,
    compare_customer,
    compare_product,
)

SLUG = "woocommerce-gbp"


def product_record() -> SyncRecord:
    payload = {
        "external_id": "10",
        "title": "Jumper",
        "slug": "jumper",
        "variants": [
            {
                "external_id": "11",
                "sku": "J-S",
                "status": "live",
                "position": 1,
                "weight_in_grams": 1500,
                "rrp": [{"currency_code": "gbp", "price": "20.00"}],
                "options": [{"group": "Size", "value": "S"}, {"group": "Colour", "value": "Red"}],
            },
            {"external_id": "12", "sku": "J-M", "status": "live", "position": 2},
        ],
    }
    return SyncRecord(
        data_type=DataType.PRODUCTS,
        external_id="10",
        payload=payload,
        stock=[{"sku": "J-S", "stock_location_external_id": "default", "stock_level": 4}],
        pricing=[{"sku": "J-S", "price_list_slug": SLUG, "pricing": [{"quantity": 1, "price": "18.50"}]}],
    )


def held_side(record: SyncRecord) -> ProductSide:
    """SparkLayer's copy as its API answers it: same values in its own forms, plus its own fields."""
    assert record.payload is not None
    product = copy.deepcopy(record.payload)
    product.update(id="pp_1", created_at="2025-01-01T00:00:00Z")
    for variant in product["variants"]:
        variant.update(id="pv_x", tax_type=None, settings=[])
    first = product["variants"][0]
    first["weight_in_grams"] = 1500.0
    first["rrp"] = [{"currency_code": "GBP", "price": "20"}]
    first["options"] = list(reversed(first["options"]))
    return ProductSide(
        product=product,
        stock={"J-S": {"default": {"stock_level": 4, "restock_date": None}}},
        pricing={SLUG: {"J-S": [{"quantity": 1, "price": "18.5"}]}},
    )


def fields(result: Any) -> dict[str, tuple[Any, Any]]:
    return {diff.field: (diff.sparklayer, diff.store) for diff in result.fields}


def test_a_product_held_as_mapped_is_equal_whatever_form_the_values_take() -> None:
    record = product_record()
    assert compare_product(record, held_side(record), slugs=[SLUG]).kind == EQUAL


def test_each_product_part_that_differs_is_named_with_both_values() -> None:
    record = product_record()
    side = held_side(record)
    assert side.product is not None
    side.product["title"] = "Edited"
    side.product["variants"][1]["status"] = "suspended"
    side.stock = {"J-S": {"default": {"stock_level": 9}}, "J-M": {"default": {"stock_level": 1}}}
    side.pricing = {SLUG: {"J-S": [{"quantity": 1, "price": "17.00"}]}}
    result = compare_product(record, side, slugs=[SLUG])
    assert result.kind == DIFFERS
    assert fields(result) == {
        "title": ("Edited", "Jumper"),
        "variants[12].status": ("suspended", "live"),
        "stock[J-M@default]": (1, None),
        "stock[J-S@default]": (9, 4),
        "pricing[J-S@woocommerce-gbp]": (
            [{"quantity": 1, "price": "17.00"}],
            [{"quantity": 1, "price": "18.50"}],
        ),
    }


def test_variants_missing_or_left_live_and_missing_stock_or_prices() -> None:
    record = product_record()
    side = held_side(record)
    assert side.product is not None
    side.product["variants"] = [
        side.product["variants"][0],
        {"external_id": "13", "sku": "J-L", "status": "live"},
        {"external_id": "14", "sku": "J-XL~retired-14", "status": "discontinued"},
    ]
    side.stock, side.pricing = {}, {SLUG: {}}
    result = fields(compare_product(record, side, slugs=[SLUG]))
    assert set(result) == {
        "variants[12]",
        "variants[13].status",
        "stock[J-S@default]",
        "pricing[J-S@woocommerce-gbp]",
    }
    assert result["variants[13].status"] == ("live", "discontinued")
    assert result["stock[J-S@default]"] == (None, 4)


def test_a_product_missing_in_sparklayer_and_one_gone_from_the_store() -> None:
    record = product_record()
    assert compare_product(record, ProductSide(product=None), slugs=[SLUG]).kind == MISSING
    assert compare_product(None, ProductSide(product=None), slugs=[SLUG]).kind == EQUAL
    retired = held_side(record)
    assert retired.product is not None
    for variant in retired.product["variants"]:
        variant["status"] = "discontinued"
    retired.stock, retired.pricing = {}, {}
    assert compare_product(None, retired, slugs=[SLUG]).kind == EQUAL
    left_live = held_side(record)
    result = compare_product(None, left_live, slugs=[SLUG])
    assert result.kind == EXTRA
    assert set(fields(result)) == {
        "variants[11].status",
        "variants[12].status",
        "stock[J-S@default]",
        "pricing[J-S@woocommerce-gbp]",
    }


def customer_record() -> SyncRecord:
    payload = {
        "external_id": "7",
        "email": "Jane@Example.com",
        "first_name": "Jane",
        "last_name": "Doe",
        "price_lists": ["a", "b"],
        "addresses": [
            {
                "external_id": "7-billing",
                "address_line1": "1 High Street",
                "city": "London",
                "country_code": "GB",
                "is_default_billing": True,
                "is_default_shipping": True,
            },
            {
                "external_id": "7-shipping",
                "address_line1": "2 Low Road",
                "city": "Leeds",
                "country_code": "GB",
                "is_default_billing": False,
                "is_default_shipping": False,
            },
        ],
    }
    return SyncRecord(data_type=DataType.CUSTOMERS, external_id="7", payload=payload)


def held_customer(record: SyncRecord) -> dict[str, Any]:
    """The customer as SparkLayer answers after a full replace: omitted fields cleared, its own ids added."""
    assert record.payload is not None
    held = copy.deepcopy(record.payload)
    held.update(
        id="uuid", email="jane@example.com", price_lists=["b", "a"], group="base", role="main", tax_exempt=False,
        accounting_id=None, sales_agent_groups=[], discount_percentage=None, company_name=None,
    )  # fmt: skip
    for index, address in enumerate(held["addresses"]):
        address.update(id=f"ca_{index}", country_code="gb", phone=None, address_line2=None)
    held["addresses"][1].pop("is_default_shipping")  # a false flag SparkLayer leaves out
    return held


def test_a_customer_held_as_mapped_is_equal() -> None:
    record = customer_record()
    assert compare_customer(record, held_customer(record)).kind == EQUAL


def test_a_removed_address_a_stale_field_and_a_field_not_cleared() -> None:
    record = customer_record()
    held = held_customer(record)
    held["addresses"] = held["addresses"][:1]
    held["addresses"][0]["postal_code"] = "SW1A 1AA"
    held["last_name"] = "Smith"
    held["accounting_id"] = "ACC-9"
    result = compare_customer(record, held)
    assert result.kind == DIFFERS
    found = fields(result)
    assert set(found) == {"addresses[7-shipping]", "addresses[7-billing].postal_code", "last_name", "accounting_id"}
    assert found["addresses[7-shipping]"][0] is None
    assert found["addresses[7-shipping]"][1]["city"] == "Leeds"
    assert found["accounting_id"] == ("ACC-9", None)


def test_a_customer_missing_in_sparklayer_and_one_gone_from_the_store() -> None:
    record = customer_record()
    assert compare_customer(record, None).kind == MISSING
    assert compare_customer(None, None).kind == EQUAL
    extra = compare_customer(None, held_customer(record))
    assert extra.kind == EXTRA
    assert fields(extra) == {"customer": ("jane@example.com", None)}
