"""Products, variations, stock and pricing mapping, table-tested from WooCommerce-format fixtures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from platforms.types import DataType
from platforms.woocommerce.mapping import (
    StoreSettings,
    map_merchant,
    map_product,
    option_values,
    price_list_payloads,
    product_status,
    stock_location_payloads,
    store_settings_from_options,
    variant_status,
    weight_in_grams,
)
from tests.platforms.woocommerce.support import STORE, load


def test_simple_product_maps_to_one_variant(settings: StoreSettings) -> None:
    record = map_product(load("product_simple.json"), settings=settings, store_url=STORE)

    assert record.data_type == DataType.PRODUCTS
    assert record.external_id == "12"
    assert record.platform_url == "https://shop.example.com/wp-admin/post.php?post=12&action=edit"
    assert record.visible_id == "HOOD-001"
    assert record.updated_at == datetime(2024, 3, 15, 10, 0, tzinfo=UTC)
    assert record.deleted is False
    assert record.issues == []
    assert record.payload == {
        "external_id": "12",
        "title": "Merino Wool Hoodie",
        "slug": "merino-wool-hoodie",
        "variants": [
            {
                "external_id": "12",
                "sku": "HOOD-001",
                "status": "live",
                "options": [],
                "rrp": [{"currency_code": "gbp", "price": "25.00"}],
                "weight_in_grams": 1250,
                "cart_image_url": "https://shop.example.com/wp-content/uploads/2024/03/hoodie-1.jpg",
                "position": 1,
            }
        ],
    }
    assert record.stock == [{"sku": "HOOD-001", "stock_location_external_id": "default", "stock_level": 14}]
    assert record.pricing == [
        {"sku": "HOOD-001", "price_list_slug": "woocommerce-gbp", "pricing": [{"quantity": 1, "price": "20.00"}]}
    ]


def test_variable_product_maps_one_variant_per_variation_in_menu_order(settings: StoreSettings) -> None:
    record = map_product(
        load("product_variable.json"), load("variations_variable.json"), settings=settings, store_url=STORE
    )

    assert record.issues == []
    assert record.payload is not None
    assert record.payload["external_id"] == "40"
    assert record.payload["variants"] == [
        {
            "external_id": "41",
            "sku": "TEE-RED-S",
            "status": "live",
            "options": [{"group": "Colour", "value": "Red"}, {"group": "Size", "value": "S"}],
            "rrp": [{"currency_code": "gbp", "price": "15.00"}],
            "weight_in_grams": 250,
            "cart_image_url": "https://shop.example.com/wp-content/uploads/2024/02/tee.jpg",  # parent's image
            "position": 1,
        },
        {
            "external_id": "42",
            "sku": "TEE-BLUE-M",
            "status": "live",
            "options": [{"group": "Colour", "value": "Blue"}, {"group": "Size", "value": "M"}],
            "rrp": [{"currency_code": "gbp", "price": "15.00"}],
            "weight_in_grams": 200,  # blank on the variation: the parent's weight
            "cart_image_url": "https://shop.example.com/wp-content/uploads/2024/02/tee-blue.jpg",
            "position": 2,
        },
        {
            "external_id": "43",
            "sku": "TEE-GREEN",
            "status": "suspended",  # disabled variation
            "options": [{"group": "Colour", "value": "Green"}],  # "Any size" is omitted by WooCommerce
            "rrp": [{"currency_code": "gbp", "price": "15.00"}],
            "weight_in_grams": 200,
            "cart_image_url": "https://shop.example.com/wp-content/uploads/2024/02/tee.jpg",
            "position": 3,
        },
    ]
    assert record.stock == [
        {"sku": "TEE-RED-S", "stock_location_external_id": "default", "stock_level": 5},
        {"sku": "TEE-BLUE-M", "stock_location_external_id": "default", "stock_level": 30},  # "parent"
    ]
    assert [(p["sku"], p["pricing"][0]["price"]) for p in record.pricing] == [
        ("TEE-RED-S", "15.00"),
        ("TEE-BLUE-M", "12.00"),  # on sale: the current price
        ("TEE-GREEN", "15.00"),
    ]


def test_variable_product_with_a_single_variation(settings: StoreSettings) -> None:
    variation = next(v for v in load("variations_variable.json") if v["id"] == 41)
    record = map_product(load("product_variable.json"), [variation], settings=settings, store_url=STORE)

    assert record.payload is not None
    assert [(v["external_id"], v["sku"], v["position"]) for v in record.payload["variants"]] == [("41", "TEE-RED-S", 1)]


def test_variable_product_without_variations_has_no_payload_and_says_why(settings: StoreSettings) -> None:
    record = map_product(load("product_variable.json"), [], settings=settings, store_url=STORE)
    assert record.payload is None
    assert [issue.code for issue in record.issues] == ["product_no_variants"]


@pytest.mark.parametrize(
    ("unit", "weight", "grams"),
    [
        ("g", "250", 250),
        ("g", "12.6", 13),
        ("kg", "1.25", 1250),
        ("kg", "0.0004", 0),
        ("lbs", "2", 907),
        ("lbs", "0.5", 227),
        ("oz", "16", 454),
        ("oz", "1", 28),
        ("kg", "", None),
        ("kg", "heavy", None),
        ("stone", "1", None),
    ],
)
def test_weight_units_convert_to_whole_grams(unit: str, weight: str, grams: int | None) -> None:
    assert weight_in_grams(weight, unit) == grams


@pytest.mark.parametrize("unit", ["g", "kg", "lbs", "oz"])
def test_store_weight_unit_is_used_for_variants(unit: str) -> None:
    product = load("product_simple.json")
    product["weight"] = "2"
    record = map_product(product, settings=StoreSettings(currency="GBP", weight_unit=unit), store_url=STORE)
    assert record.payload is not None
    assert record.payload["variants"][0]["weight_in_grams"] == {"g": 2, "kg": 2000, "lbs": 907, "oz": 57}[unit]


def test_blank_weight_is_sent_as_null(settings: StoreSettings) -> None:
    """A product update keeps fields it leaves out: a weight removed in the store is sent empty."""
    product = load("product_simple.json")
    product["weight"] = ""
    record = map_product(product, settings=settings, store_url=STORE)
    assert record.payload is not None
    assert record.payload["variants"][0]["weight_in_grams"] is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("publish", "live"),
        ("draft", "pending"),
        ("pending", "pending"),
        ("future", "pending"),
        ("private", "suspended"),
        ("trash", "discontinued"),
        ("something-new", "pending"),
    ],
)
def test_product_status_maps_to_variant_status(settings: StoreSettings, status: str, expected: str) -> None:
    product = load("product_simple.json")
    product["status"] = status
    record = map_product(product, settings=settings, store_url=STORE)
    assert product_status(status) == expected
    assert record.payload is not None
    assert record.payload["variants"][0]["status"] == expected
    assert record.deleted is (status == "trash")


@pytest.mark.parametrize(
    ("parent", "variation", "expected"),
    [
        ("publish", "publish", "live"),
        ("publish", "private", "suspended"),
        ("draft", "publish", "pending"),
        ("private", "publish", "suspended"),
        ("trash", "publish", "discontinued"),
        ("trash", "private", "discontinued"),
    ],
)
def test_variation_status_follows_parent_unless_parent_is_live(parent: str, variation: str, expected: str) -> None:
    assert variant_status(parent, variation) == expected


def test_trashed_variable_product_is_deleted_with_every_variant_discontinued(settings: StoreSettings) -> None:
    product = load("product_variable.json")
    product["status"] = "trash"
    record = map_product(product, load("variations_variable.json"), settings=settings, store_url=STORE)
    assert record.deleted is True
    assert record.payload is not None
    assert {v["status"] for v in record.payload["variants"]} == {"discontinued"}


def test_placeholder_image_is_no_image(settings: StoreSettings) -> None:
    product = load("product_simple.json")
    product["images"] = load("product_grouped.json")["images"]  # WooCommerce's id-0 placeholder
    record = map_product(product, settings=settings, store_url=STORE)
    assert record.payload is not None
    assert record.payload["variants"][0]["cart_image_url"] is None


def test_unmanaged_stock_has_no_row_and_blank_price_no_pricing(settings: StoreSettings) -> None:
    product = load("product_simple.json")
    product.update({"manage_stock": False, "stock_quantity": None, "price": "", "sale_price": "", "regular_price": ""})
    record = map_product(product, settings=settings, store_url=STORE)
    assert record.stock == []
    assert record.pricing == []
    assert record.payload is not None
    assert record.payload["variants"][0]["rrp"] == []


def test_managed_stock_with_null_quantity_counts_as_zero(settings: StoreSettings) -> None:
    product = load("product_simple.json")
    product["stock_quantity"] = None
    record = map_product(product, settings=settings, store_url=STORE)
    assert record.stock == [{"sku": "HOOD-001", "stock_location_external_id": "default", "stock_level": 0}]


def test_price_falls_back_to_sale_then_regular_when_price_is_blank(settings: StoreSettings) -> None:
    product = load("product_simple.json")
    product.update({"price": "", "sale_price": "", "regular_price": "30"})
    record = map_product(product, settings=settings, store_url=STORE)
    assert record.pricing[0]["pricing"] == [{"quantity": 1, "price": "30.00"}]


def test_draft_without_slug_gets_one_from_its_name(settings: StoreSettings) -> None:
    product = load("product_simple.json")
    product.update({"status": "draft", "slug": ""})
    record = map_product(product, settings=settings, store_url=STORE)
    assert record.payload is not None
    assert record.payload["slug"] == "merino-wool-hoodie-12"


def test_store_settings_and_merchant_record() -> None:
    options = {
        **option_values(load("settings_general.json")),
        **option_values(load("settings_products.json")),
        **option_values(load("settings_tax.json")),
    }
    settings = store_settings_from_options(options)
    assert settings == StoreSettings(
        currency="GBP", weight_unit="kg", prices_include_tax=True, store_address="1 Sandbox Street"
    )

    record = map_merchant(settings, store_url=STORE)
    assert record.data_type == DataType.MERCHANT
    assert record.external_id == "settings"
    assert record.payload == {
        "settings": [
            {"key": "currency_code", "value": "gbp"},
            {"key": "weight_unit", "value": "kg"},
            {"key": "prices_include_tax", "value": True},
        ]
    }
    assert price_list_payloads(settings) == [
        {"slug": "woocommerce-gbp", "name": "WooCommerce GBP", "currency_code": "gbp", "source": "platform"}
    ]


def test_missing_settings_fall_back_to_woocommerce_defaults() -> None:
    assert store_settings_from_options({}) == StoreSettings(currency="USD", weight_unit="kg", prices_include_tax=False)


@pytest.mark.parametrize(
    ("currency", "typed", "sent"),
    [
        ("GBP", "12.345", "12.35"),  # half up, not banker's rounding
        ("GBP", "12.344", "12.34"),
        ("GBP", "12.5", "12.50"),
        ("GBP", "7", "7.00"),
        ("JPY", "1500.5", "1501"),
        ("KWD", "1.2345", "1.235"),
    ],
)
def test_prices_are_rounded_half_up_to_the_currency_minor_unit(currency: str, typed: str, sent: str) -> None:
    product = load("product_simple.json")
    product.update({"regular_price": typed, "sale_price": "", "price": typed})
    record = map_product(product, settings=StoreSettings(currency=currency), store_url=STORE)

    assert record.payload is not None
    assert record.payload["variants"][0]["rrp"] == [{"currency_code": currency.lower(), "price": sent}]
    assert record.pricing[0]["pricing"] == [{"quantity": 1, "price": sent}]
    assert record.issues == []


@pytest.mark.parametrize(
    ("quantity", "level"),
    [(14, 14), ("2.7", 2), (2.7, 2), ("0.4", 0), (-3, 0), ("-2.5", 0), ("12", 12)],
)
def test_stock_is_whole_units_floored_and_never_negative(settings: StoreSettings, quantity: object, level: int) -> None:
    product = load("product_simple.json")
    product.update({"manage_stock": True, "stock_quantity": quantity, "backorders": "notify"})
    record = map_product(product, settings=settings, store_url=STORE)

    assert record.stock == [{"sku": "HOOD-001", "stock_location_external_id": "default", "stock_level": level}]
    assert record.payload is not None
    assert record.payload["variants"][0]["status"] == "live"  # backordered stock stays sellable


def test_unreadable_stock_quantity_sends_no_row(settings: StoreSettings) -> None:
    product = load("product_simple.json")
    product.update({"manage_stock": True, "stock_quantity": "lots"})
    assert map_product(product, settings=settings, store_url=STORE).stock == []


def test_the_one_stock_location_is_named_by_the_store_address_else_its_host() -> None:
    options = {
        "woocommerce_store_address": "Unit 4, Riverside Estate",
        "woocommerce_store_address_2": "",
        "woocommerce_store_city": "Manchester",
        "woocommerce_store_postcode": " M1 2AB ",
    }
    settings = store_settings_from_options(options)
    assert stock_location_payloads(settings, store_url=STORE) == [
        {"external_id": "default", "name": "Unit 4, Riverside Estate, Manchester, M1 2AB"}
    ]
    assert stock_location_payloads(StoreSettings(), store_url=STORE) == [
        {"external_id": "default", "name": "shop.example.com"}
    ]
