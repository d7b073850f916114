"""Platform API records → SparkLayer payloads (``platforms/standard/mapping``) and the validation rules,
table-tested from fixtures in the API's own format (``fixtures/``), whole payloads asserted exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from platforms.standard.conformance import schema
from platforms.standard.mapping import StoreSettings, map_customer, map_merchant, map_order, map_product
from platforms.types import DataType
from tests.platforms.standard.support import load

SETTINGS = StoreSettings(currency="GBP", weight_unit="kg", prices_include_tax=True, name="Shop")


def product(**changes: Any) -> dict[str, Any]:
    return {**load("product.json"), **changes}


@pytest.mark.parametrize(("name", "reference"), [("product", "product.json"), ("customer", "customer.json"),
                                                  ("order", "order.json")])  # fmt: skip
def test_the_fixtures_are_valid_platform_api_records(name: str, reference: str) -> None:
    assert schema.errors(reference, load(f"{name}.json"), where=name) == []


def test_a_product_maps_to_product_stock_and_pricing() -> None:
    record = map_product(product(), settings=SETTINGS, seen_skus={})
    assert (record.data_type, record.external_id, record.visible_id) == (DataType.PRODUCTS, "p-100", "Oak Chair")
    assert record.platform_url == "https://shop.example/admin/products/p-100"
    assert record.updated_at == datetime(2025, 2, 3, 9, 11, 12, 345000, tzinfo=UTC)
    assert record.issues == []
    assert record.payload == {
        "external_id": "p-100",
        "title": "Oak Chair",
        "slug": "oak-chair",
        "variants": [
            {"external_id": "v-1", "sku": "OAK-RED-S", "status": "live",
             "options": [{"group": "Colour", "value": "Red"}, {"group": "Size", "value": "S"}],
             "rrp": [{"currency_code": "gbp", "price": "24.00"}], "weight_in_grams": 1250,
             "cart_image_url": "https://shop.example/images/oak-red.jpg", "position": 1},
            {"external_id": "v-2", "sku": "OAK-BLUE-S", "status": "suspended",
             "options": [{"group": "Colour", "value": "Blue"}, {"group": "Size", "value": "S"}], "rrp": [],
             "weight_in_grams": None, "cart_image_url": None, "position": 2},
        ],
    }  # fmt: skip
    assert record.stock == [{"sku": "OAK-RED-S", "stock_location_external_id": "default", "stock_level": 7}]
    assert record.pricing == [
        {"sku": "OAK-RED-S", "price_list_slug": "platform-gbp", "pricing": [{"quantity": 1, "price": "19.90"}]},
        {"sku": "OAK-BLUE-S", "price_list_slug": "platform-gbp", "pricing": [{"quantity": 1, "price": "21.00"}]},
    ]


@pytest.mark.parametrize(
    ("status", "expected"), [("active", "live"), ("draft", "pending"), ("archived", "discontinued")]
)
def test_product_status_decides_every_variants_status(status: str, expected: str) -> None:
    record = map_product(product(status=status), settings=SETTINGS)
    assert record.payload is not None
    assert [v["status"] for v in record.payload["variants"]] == [
        expected,
        "suspended" if expected == "live" else expected,
    ]


def test_weight_follows_the_store_unit_and_a_missing_slug_is_made_from_the_title() -> None:
    record = map_product(product(slug=None), settings=StoreSettings(currency="USD", weight_unit="lb"))
    assert record.payload is not None
    assert record.payload["slug"] == "oak-chair-p-100"
    assert record.payload["variants"][0]["weight_in_grams"] == 567  # 1.25 lb
    assert record.pricing[0]["price_list_slug"] == "platform-usd"


def test_a_variant_without_sku_is_left_out_with_an_issue() -> None:
    data = product()
    data["variants"][1]["sku"] = " "
    record = map_product(data, settings=SETTINGS)
    assert record.payload is not None
    assert [v["external_id"] for v in record.payload["variants"]] == ["v-1"]
    assert [(i.code, i.external_id, i.platform_url) for i in record.issues] == [
        ("variant_missing_sku", "p-100", "https://shop.example/admin/products/p-100")
    ]
    assert record.issues[0].message == (
        "Product 'Oak Chair' (#p-100): variant #v-2 (Blue, S) has no SKU; it is left out until one is set."
    )
    assert [item["sku"] for item in record.pricing] == ["OAK-RED-S"]


def test_a_product_with_no_usable_variant_is_not_pushed_with_one_issue_saying_why() -> None:
    record = map_product(product(variants=[]), settings=SETTINGS)
    assert record.payload is None
    assert [i.code for i in record.issues] == ["product_without_variants"]
    data = product()
    for variant in data["variants"]:
        variant["sku"] = None
    record = map_product(data, settings=SETTINGS)
    assert record.payload is None
    assert [i.code for i in record.issues] == ["variant_missing_sku", "variant_missing_sku"]


def test_a_sku_another_product_owns_is_a_duplicate_across_pages() -> None:
    seen: dict[str, str] = {}
    map_product(product(), settings=SETTINGS, seen_skus=seen)
    other = product(id="p-200")
    other["variants"] = [{**other["variants"][0], "id": "v-9"}]
    record = map_product(other, settings=SETTINGS, seen_skus=seen)
    assert record.payload is None
    assert [i.code for i in record.issues] == ["duplicate_sku"]  # it says why nothing is pushed
    assert "SKU 'OAK-RED-S' (variant #v-9) is already used by variant #v-1" in record.issues[0].message


def test_a_price_that_is_not_a_number_is_left_out_with_an_issue() -> None:
    data = product()
    data["variants"][0]["price"] = "abc"
    record = map_product(data, settings=SETTINGS)
    assert [i.code for i in record.issues] == ["price_not_a_number"]
    assert [item["sku"] for item in record.pricing] == ["OAK-BLUE-S"]
    assert record.payload is not None
    assert len(record.payload["variants"]) == 2


def test_a_customer_maps_to_customer_v2_with_its_sparklayer_attributes() -> None:
    record = map_customer(load("customer.json"))
    assert (record.external_id, record.visible_id, record.issues) == ("c-7", "ann@example.com", [])
    assert record.payload == {
        "external_id": "c-7",
        "email": "ann@example.com",
        "first_name": "Ann",
        "last_name": "Lee",
        "company_name": "Acme Ltd",
        "addresses": [
            {"title": "Head office", "first_name": "Ann", "last_name": "Lee", "company": "Acme Ltd",
             "address_line1": "1 High St", "city": "Leeds", "region_name": "West Yorkshire", "postal_code": "LS1 1AA",
             "country_code": "GB", "phone": "0113 000000", "external_id": "a-1", "is_default_billing": True,
             "is_default_shipping": False},
            {"first_name": "Ann", "last_name": "Lee", "address_line1": "9 Dock Rd", "city": "Hull",
             "postal_code": "HU1 1AA", "country_code": "GB", "external_id": "a-2", "is_default_billing": False,
             "is_default_shipping": True},
        ],
        "accounting_id": "ACC-7",
        "price_lists": ["trade"],
        "discount_percentage": 12.5,
        "role": "main",
        "tax_exempt": True,
        "payment_on_account": {"limit": 5000},
    }  # fmt: skip


def test_an_incomplete_address_is_left_out_and_a_customer_without_email_is_not_pushed() -> None:
    data = load("customer.json")
    data["addresses"][1]["city"] = ""
    record = map_customer(data)
    assert record.payload is not None
    assert [a["external_id"] for a in record.payload["addresses"]] == ["a-1"]
    assert [(i.code, i.message) for i in record.issues] == [
        ("address_incomplete", "Customer 'Ann Lee' (#c-7): address a-2 has no city; it is left out.")
    ]
    data["email"] = None
    record = map_customer(data)
    assert record.payload is None
    assert [i.code for i in record.issues] == ["customer_missing_email"]


def test_an_order_maps_to_a_purchase_carrying_its_cart_id() -> None:
    record = map_order(load("order.json"))
    assert (record.external_id, record.visible_id, record.issues) == ("o-55", "#1055", [])
    gbp = "gbp"
    assert record.payload == {
        "type": "order",
        "purchase_identifiers": {"sparklayer": "0b5c1f0e-7a43-4c1e-9f39-2f0f1b6b9e11", "platform": "o-55",
                                 "visible": "#1055"},
        "customer_identifiers": {"platform": "c-7"},
        "dates": {"created_at": "2025-02-01T08:00:00Z", "updated_at": "2025-02-01T09:30:00Z",
                  "paid_at": "2025-02-01T08:05:00Z"},
        "currency_code": gbp,
        "calculated_total": {"number": "53.70", "currency": gbp},
        "billing_address": {"first_name": "Ann", "last_name": "Lee", "address_line1": "1 High St", "city": "Leeds",
                            "postal_code": "LS1 1AA", "country_code": "GB"},
        "packages": [{
            "line_items": [{
                "identifiers": {"platform": "l-1", "product_external_id": "p-100", "variant_external_id": "v-1"},
                "sku": "OAK-RED-S", "name": "Oak Chair", "name_parent": "Oak Chair", "quantity": 2,
                "unit_price": {"number": "19.90", "currency": gbp},
                "line_total": {"total_net": {"number": "39.80", "currency": gbp},
                               "subtotal_net": {"number": "39.80", "currency": gbp},
                               "tax": {"number": "7.96", "currency": gbp}},
            }],
            "shipping_method": {"name": "Standard delivery", "method_id": "standard",
                                "line_total": {"total_net": {"number": "4.95", "currency": gbp},
                                               "tax": {"number": "0.99", "currency": gbp}}},
            "shipping_address": None,
        }],
        "accounting_files": [],
        "custom_fields": [],
        "metadata": [{"name": "platform_status", "value": "processing"},
                     {"name": "payment_type", "value": "paymentOnAccount"}],
        "payment_method": "On account",
        "customer_reference": "PO 4411",
    }  # fmt: skip


def test_a_guest_order_and_an_order_whose_total_is_not_a_number() -> None:
    guest = {**load("order.json"), "customer_id": None, "cart_id": None}
    payload = map_order(guest).payload
    assert payload is not None
    assert payload["customer_identifiers"] == {"platform": None}
    assert payload["purchase_identifiers"]["sparklayer"] is None
    broken = map_order({**guest, "total": "n/a"})
    assert broken.payload is None
    assert [i.code for i in broken.issues] == ["price_not_a_number"]


def test_the_merchant_record_carries_the_store_settings() -> None:
    record = map_merchant(SETTINGS)
    assert (record.data_type, record.external_id) == (DataType.MERCHANT, "settings")
    assert record.payload == {
        "settings": [
            {"key": "currency_code", "value": "gbp"},
            {"key": "weight_unit", "value": "kg"},
            {"key": "prices_include_tax", "value": True},
        ]
    }
