"""Customers and orders mapping, table-tested from WooCommerce-format fixtures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from platforms.types import DataType
from platforms.woocommerce.mapping import is_syncable_order, map_customer, map_order
from tests.platforms.woocommerce.support import STORE, load


def test_b2b_customer_maps_with_both_addresses_and_sparklayer_meta() -> None:
    record = map_customer(load("customer_b2b.json"), store_url=STORE)

    assert record.data_type == DataType.CUSTOMERS
    assert record.external_id == "25"
    assert record.platform_url == "https://shop.example.com/wp-admin/user-edit.php?user_id=25"
    assert record.visible_id == "jane.buyer@acme-trading.co.uk"
    assert record.updated_at == datetime(2024, 3, 18, 9, 45, tzinfo=UTC)
    assert record.issues == []
    assert record.payload == {
        "external_id": "25",
        "email": "jane.buyer@acme-trading.co.uk",
        "first_name": "Jane",
        "last_name": "Buyer",
        "company_name": "Acme Trading Ltd",
        "addresses": [
            {
                "first_name": "Jane",
                "last_name": "Buyer",
                "company": "Acme Trading Ltd",
                "address_line1": "Unit 4, Riverside Estate",
                "address_line2": "Mill Lane",
                "city": "Manchester",
                "postal_code": "M1 2AB",
                "country_code": "GB",
                "phone": "+44 161 496 0000",
                "external_id": "25-billing",
                "is_default_billing": True,
                "is_default_shipping": False,
            },
            {
                "first_name": "Goods",
                "last_name": "In",
                "company": "Acme Trading Ltd",
                "address_line1": "Dock 7, Trafford Park",
                "city": "Manchester",
                "postal_code": "M17 1AA",
                "country_code": "GB",
                "external_id": "25-shipping",
                "is_default_billing": False,
                "is_default_shipping": True,
            },
        ],
        "accounting_id": "ACC0000025",
        "price_lists": ["trade", "gbp-wholesale"],
        "sales_agent_groups": ["north", "key-accounts"],
        "discount_percentage": 12.5,
        "group": "gold",
        "role": "main",
        "parent_customer_id": "19",
    }


def test_customer_with_empty_shipping_uses_billing_as_default_shipping() -> None:
    record = map_customer(load("customer_billing_only.json"), store_url=STORE)

    assert record.issues == []
    assert record.payload is not None
    assert record.payload["first_name"] == "Sam"  # blank on the user: taken from billing
    assert record.payload["last_name"] == "Smith"
    assert "company_name" not in record.payload  # blank text is left out, never sent as ""
    assert [
        (a["external_id"], a["region_code"], a["is_default_billing"], a["is_default_shipping"])
        for a in record.payload["addresses"]
    ] == [("31-billing", "CA", True, True)]
    assert not {"accounting_id", "price_lists", "group", "role"} & set(record.payload)


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"key": "sparklayer_price_lists", "value": '["a","b"]'}, {"price_lists": ["a", "b"]}),
        ({"key": "sparklayer_price_lists", "value": {"0": "a", "2": "b"}}, {"price_lists": ["a", "b"]}),
        ({"key": "sparklayer_price_lists", "value": ""}, {}),
        ({"key": "sparklayer_customer_discount_percentage", "value": "10"}, {"discount_percentage": 10}),
        ({"key": "sparklayer_customer_discount_percentage", "value": "ten"}, {}),
        ({"key": "sparklayer_customer_group", "value": "silver"}, {"group": "silver"}),
        ({"key": "sparklayer_company_name", "value": "Acme Holdings"}, {"company_name": "Acme Holdings"}),
        ({"key": "sparklayer_tax_exempt", "value": "yes"}, {"tax_exempt": True}),
        (
            {"key": "sparklayer_payment_on_account", "value": '{"credit_limit": 500, "net_terms": "30_days"}'},
            {"payment_on_account": {"credit_limit": 500, "net_terms": "30_days"}},
        ),
    ],
)
def test_sparklayer_meta_is_typed(meta: dict[str, object], expected: dict[str, object]) -> None:
    customer = load("customer_billing_only.json")
    customer["meta_data"] = [{"id": 1, **meta}]
    record = map_customer(customer, store_url=STORE)
    assert record.payload is not None
    base = map_customer(load("customer_billing_only.json"), store_url=STORE).payload
    assert base is not None
    changed = {k: v for k, v in record.payload.items() if base.get(k) != v}
    assert changed == expected


def test_order_from_sparklayer_checkout_maps_to_purchase() -> None:
    record = map_order(load("order_sparklayer.json"), store_url=STORE)

    assert record.data_type == DataType.PURCHASES
    assert record.external_id == "727"
    assert record.visible_id == "727"
    assert record.platform_url == "https://shop.example.com/wp-admin/post.php?post=727&action=edit"
    assert record.updated_at == datetime(2024, 3, 21, 12, 5, tzinfo=UTC)
    assert record.issues == []
    payload = record.payload
    assert payload is not None
    assert payload["type"] == "order"
    assert payload["purchase_identifiers"] == {
        "sparklayer": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
        "platform": "727",
        "visible": "727",
    }
    assert payload["customer_identifiers"] == {"platform": "25"}
    assert payload["dates"] == {
        "created_at": "2024-03-21T12:00:00Z",
        "updated_at": "2024-03-21T12:05:00Z",
        "paid_at": "2024-03-21T12:04:00Z",
    }
    assert payload["currency_code"] == "gbp"
    assert payload["calculated_total"] == {"number": "54.00", "currency": "gbp"}
    assert payload["billing_address"]["address_line1"] == "Unit 4, Riverside Estate"
    assert payload["accounting_files"] == []
    assert payload["custom_fields"] == []
    assert payload["payment_method"] == "Direct bank transfer"
    assert payload["customer_reference"] == "PO-2024-118"
    assert payload["metadata"] == [
        {"name": "woocommerce_status", "value": "processing"},
        {"name": "sparkPaymentType", "value": "paymentOnAccount"},
    ]
    (package,) = payload["packages"]
    assert package["shipping_address"]["address_line1"] == "Dock 7, Trafford Park"
    assert package["shipping_method"] == {
        "name": "Flat rate",
        "method_id": "flat_rate",
        "line_total": {
            "total_net": {"number": "5.00", "currency": "gbp"},
            "tax": {"number": "1.00", "currency": "gbp"},
        },
    }
    assert package["line_items"] == [
        {
            "identifiers": {"platform": "301", "product_external_id": "12", "variant_external_id": "12"},
            "sku": "HOOD-001",
            "name": "Merino Wool Hoodie",
            "name_parent": "Merino Wool Hoodie",
            "quantity": 1,
            "unit_price": {"number": "20.00", "currency": "gbp"},
            "line_total": {
                "total_net": {"number": "20.00", "currency": "gbp"},
                "subtotal_net": {"number": "20.00", "currency": "gbp"},
                "tax": {"number": "4.00", "currency": "gbp"},
            },
        },
        {
            "identifiers": {"platform": "302", "product_external_id": "40", "variant_external_id": "42"},
            "sku": "TEE-BLUE-M",
            "name": "Organic Cotton T-Shirt - Blue, M",
            "name_parent": "Organic Cotton T-Shirt",
            "quantity": 3,
            "unit_price": {"number": "6.67", "currency": "gbp"},  # WooCommerce's float 6.666…, in pence
            "line_total": {
                "total_net": {"number": "20.00", "currency": "gbp"},
                "subtotal_net": {"number": "20.00", "currency": "gbp"},
                "tax": {"number": "4.00", "currency": "gbp"},
            },
        },
    ]


def test_guest_order_has_no_platform_customer_and_no_cart_id() -> None:
    record = map_order(load("order_guest.json"), store_url=STORE)
    payload = record.payload
    assert payload is not None
    assert payload["purchase_identifiers"] == {"sparklayer": None, "platform": "731", "visible": "731"}
    assert payload["customer_identifiers"] == {"platform": None}
    assert payload["calculated_total"] == {"number": "15.00", "currency": "gbp"}
    assert payload["dates"]["completed_at"] == "2024-03-23T10:00:00Z"
    (package,) = payload["packages"]
    assert package["shipping_address"] is None  # WooCommerce sends an all-blank shipping object
    assert package["shipping_method"] is None
    assert package["line_items"][0]["unit_price"] == {"number": "12.50", "currency": "gbp"}
    assert "customer_reference" not in payload


def test_order_number_differs_from_id_under_order_number_plugins() -> None:
    order = load("order_guest.json")
    order["number"] = "WC-2024-0731"
    record = map_order(order, store_url=STORE)
    assert record.visible_id == "WC-2024-0731"
    assert record.payload is not None
    assert record.payload["purchase_identifiers"]["visible"] == "WC-2024-0731"


@pytest.mark.parametrize(
    ("status", "syncable"),
    [("processing", True), ("completed", True), ("pending", True), ("checkout-draft", False), ("auto-draft", False)],
)
def test_checkout_drafts_are_not_purchases(status: str, syncable: bool) -> None:
    order = load("order_guest.json")
    order["status"] = status
    assert is_syncable_order(order) is syncable


def test_trashed_order_is_marked_deleted() -> None:
    order = load("order_guest.json")
    order["status"] = "trash"
    assert map_order(order, store_url=STORE).deleted is True


def test_saved_sparklayer_addresses_are_sent_with_the_native_ones() -> None:
    customer = load("customer_b2b.json")
    billing_mirror = {  # the default billing address SparkLayer saved, mirrored into WooCommerce's billing
        "id": "0b0f8a52-5b8e-4c1c-9d7e-1f2a3b4c5d6e", "first_name": "Jane", "last_name": "Buyer",
        "company": "Acme Trading Ltd", "address_line1": "Unit 4, Riverside Estate", "address_line2": "Mill Lane",
        "city": "Manchester", "region_code": "", "postal_code": "M1 2AB", "country_code": "GB",
        "phone": "+44 161 496 0000", "is_default_billing": True, "is_default_shipping": False,
    }  # fmt: skip
    depot = {"id": "depot-2", "title": "Depot", "address_line1": "2 Canal St", "city": "Leeds", "country_code": "gb"}
    broken = {"id": "broken-3", "address_line1": "", "city": "York", "country_code": "GB"}
    customer["meta_data"].append({"id": 399, "key": "sparklayer_addresses", "value": [billing_mirror, depot, broken]})

    record = map_customer(customer, store_url=STORE)

    assert record.payload is not None
    summary = [
        (a["external_id"], a["address_line1"], a["country_code"], a["is_default_billing"], a["is_default_shipping"])
        for a in record.payload["addresses"]
    ]
    assert summary == [
        ("0b0f8a52-5b8e-4c1c-9d7e-1f2a3b4c5d6e", "Unit 4, Riverside Estate", "GB", True, False),
        ("depot-2", "2 Canal St", "GB", False, False),
        ("25-shipping", "Dock 7, Trafford Park", "GB", False, True),  # native, not saved: its stable id
    ]
    assert record.payload["addresses"][1]["title"] == "Depot"
    assert [(i.code, "broken-3" in i.message) for i in record.issues] == [("address_incomplete", True)]


def test_refunds_lower_the_purchase_total_and_are_listed_in_metadata() -> None:
    order = load("order_sparklayer.json")
    order["status"] = "completed"
    order["refunds"] = [{"id": 801, "reason": "damaged", "total": "-10.00"}, {"id": 802, "reason": "", "total": "-4.5"}]

    payload = map_order(order, store_url=STORE).payload

    assert payload is not None
    assert payload["calculated_total"] == {"number": "39.50", "currency": "gbp"}
    assert payload["metadata"] == [
        {"name": "woocommerce_status", "value": "completed"},
        {"name": "order_total", "value": "54.00"},
        {"name": "refunded_total", "value": "14.50"},
        {"name": "sparkPaymentType", "value": "paymentOnAccount"},
    ]
    assert payload["purchase_identifiers"]["sparklayer"] == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"


def test_fully_refunded_order_totals_zero_and_keeps_its_sparklayer_id() -> None:
    order = load("order_sparklayer.json")
    order["status"] = "refunded"
    order["refunds"] = [{"id": 803, "reason": "", "total": "-54.00"}]

    payload = map_order(order, store_url=STORE).payload

    assert payload is not None
    assert payload["calculated_total"] == {"number": "0.00", "currency": "gbp"}
    assert payload["metadata"][0] == {"name": "woocommerce_status", "value": "refunded"}
    assert payload["purchase_identifiers"]["sparklayer"] == "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"


@pytest.mark.parametrize("status", ["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"])
def test_every_order_status_is_a_purchase_carrying_the_status(status: str) -> None:
    order = load("order_sparklayer.json")
    order["status"] = status
    record = map_order(order, store_url=STORE)
    assert is_syncable_order(order)
    assert record.payload is not None
    assert record.payload["metadata"][0] == {"name": "woocommerce_status", "value": status}


def test_order_money_is_rounded_half_up_to_the_currency_minor_unit() -> None:
    order = load("order_guest.json")
    order["total"] = "15.005"
    order["line_items"][0]["total"] = "12.125"
    order["line_items"][0]["price"] = 12.125

    payload = map_order(order, store_url=STORE).payload

    assert payload is not None
    assert payload["calculated_total"] == {"number": "15.01", "currency": "gbp"}
    (line,) = payload["packages"][0]["line_items"]
    assert line["unit_price"] == {"number": "12.13", "currency": "gbp"}
    assert line["line_total"]["total_net"] == {"number": "12.13", "currency": "gbp"}


def test_zero_decimal_currency_has_no_minor_unit() -> None:
    order = load("order_guest.json")
    order["currency"] = "JPY"
    order["total"] = "1500.5"

    payload = map_order(order, store_url=STORE).payload

    assert payload is not None
    assert payload["calculated_total"] == {"number": "1501", "currency": "jpy"}
