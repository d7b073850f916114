"""Validation rules: each produces exactly one issue naming the record and linking to it; the rest still maps."""

from __future__ import annotations

from typing import Any

import pytest

from platforms.types import RecordIssue, SyncRecord
from platforms.woocommerce import validation
from platforms.woocommerce.mapping import StoreSettings, map_customer, map_order, map_product
from tests.platforms.woocommerce.support import STORE, load

PRODUCT_URL = "https://shop.example.com/wp-admin/post.php?post={}&action=edit"
CUSTOMER_URL = "https://shop.example.com/wp-admin/user-edit.php?user_id={}"


def simple(product_id: int, sku: str, **changes: Any) -> dict[str, Any]:
    product = load("product_simple.json")
    product.update({"id": product_id, "sku": sku, "name": f"Product {product_id}", **changes})
    return product


def map_page(products: list[tuple[dict[str, Any], list[dict[str, Any]]]], settings: StoreSettings) -> list[SyncRecord]:
    seen: dict[str, str] = {}
    return [map_product(p, v, settings=settings, store_url=STORE, seen_skus=seen) for p, v in products]


def only_issue(record: SyncRecord) -> RecordIssue:
    assert len(record.issues) == 1, record.issues
    return record.issues[0]


def test_simple_product_without_sku_has_no_payload_and_one_issue(settings: StoreSettings) -> None:
    valid, bad = map_page([(simple(100, "OK-1"), []), (simple(101, ""), [])], settings)

    assert valid.payload is not None
    assert valid.issues == []
    assert bad.payload is None
    issue = only_issue(bad)
    assert issue.code == validation.PRODUCT_MISSING_SKU
    assert issue.external_id == "101"
    assert "Product 101" in issue.message
    assert "#101" in issue.message
    assert issue.platform_url == PRODUCT_URL.format(101)


def test_variation_without_sku_is_left_out_and_the_rest_maps(settings: StoreSettings) -> None:
    variations = load("variations_variable.json")
    next(v for v in variations if v["id"] == 42)["sku"] = ""
    (record,) = map_page([(load("product_variable.json"), variations)], settings)

    assert record.payload is not None
    assert [v["external_id"] for v in record.payload["variants"]] == ["41", "43"]
    assert [v["position"] for v in record.payload["variants"]] == [1, 2]
    assert [row["sku"] for row in record.stock] == ["TEE-RED-S"]
    issue = only_issue(record)
    assert issue.code == validation.VARIANT_MISSING_SKU
    assert issue.external_id == "40"
    assert "Organic Cotton T-Shirt" in issue.message
    assert "variation #42" in issue.message
    assert issue.platform_url == PRODUCT_URL.format(40)


def test_duplicate_sku_across_pages_flags_the_second_owner(settings: StoreSettings) -> None:
    seen: dict[str, str] = {}
    first = map_product(simple(200, "DUP-1"), settings=settings, store_url=STORE, seen_skus=seen)
    second = map_product(simple(201, "DUP-1"), settings=settings, store_url=STORE, seen_skus=seen)  # "next page"
    again = map_product(simple(200, "DUP-1"), settings=settings, store_url=STORE, seen_skus=seen)  # same owner

    assert first.payload is not None
    assert first.issues == []
    assert again.payload is not None
    assert again.issues == []
    assert second.payload is None
    assert second.stock == []
    assert second.pricing == []
    issue = only_issue(second)
    assert issue.code == validation.DUPLICATE_SKU
    assert issue.external_id == "201"
    assert "DUP-1" in issue.message
    assert "#200" in issue.message
    assert "Product 201" in issue.message
    assert issue.platform_url == PRODUCT_URL.format(201)
    assert seen == {"DUP-1": "200"}


def test_duplicate_sku_within_a_variable_product_drops_only_that_variation(settings: StoreSettings) -> None:
    variations = load("variations_variable.json")
    next(v for v in variations if v["id"] == 43)["sku"] = "TEE-RED-S"
    (record,) = map_page([(load("product_variable.json"), variations)], settings)
    assert record.payload is not None
    assert [v["external_id"] for v in record.payload["variants"]] == ["41", "42"]
    assert only_issue(record).code == validation.DUPLICATE_SKU


def test_grouped_and_external_products_are_unsupported(settings: StoreSettings) -> None:
    external = simple(301, "EXT-1", type="external", external_url="https://partner.example.com/item/301")
    valid, grouped, ext = map_page(
        [(simple(300, "OK-3"), []), (load("product_grouped.json"), []), (external, [])], settings
    )

    assert valid.payload is not None
    assert valid.issues == []
    for record, product_id, kind in ((grouped, "70", "grouped"), (ext, "301", "external")):
        assert record.payload is None
        issue = only_issue(record)
        assert issue.code == validation.UNSUPPORTED_PRODUCT_TYPE
        assert issue.external_id == product_id
        assert f"'{kind}'" in issue.message
        assert f"#{product_id}" in issue.message
        assert issue.platform_url == PRODUCT_URL.format(product_id)


def test_price_not_a_number_keeps_the_variant_without_that_price(settings: StoreSettings) -> None:
    bad = simple(401, "BAD-PRICE", regular_price="abc", price="abc", sale_price="")
    valid, record = map_page([(simple(400, "OK-4"), []), (bad, [])], settings)

    assert valid.payload is not None
    assert valid.issues == []
    assert record.payload is not None
    assert record.payload["variants"][0]["rrp"] == []
    assert record.pricing == []
    issue = only_issue(record)
    assert issue.code == validation.PRICE_NOT_A_NUMBER
    assert "Product 401" in issue.message
    assert "'abc'" in issue.message
    assert issue.platform_url == PRODUCT_URL.format(401)


def test_customer_without_email_has_no_payload() -> None:
    customer = load("customer_billing_only.json")
    customer["email"] = ""
    valid = map_customer(load("customer_b2b.json"), store_url=STORE)
    record = map_customer(customer, store_url=STORE)

    assert valid.payload is not None
    assert valid.issues == []
    assert record.payload is None
    issue = only_issue(record)
    assert issue.code == validation.CUSTOMER_MISSING_EMAIL
    assert issue.external_id == "31"
    assert "#31" in issue.message
    assert issue.platform_url == CUSTOMER_URL.format(31)


def test_address_without_line1_city_or_country_is_left_out() -> None:
    customer = load("customer_b2b.json")
    customer["shipping"]["city"] = ""
    customer["shipping"]["country"] = ""
    record = map_customer(customer, store_url=STORE)

    assert record.payload is not None
    assert [(a["external_id"], a["is_default_shipping"]) for a in record.payload["addresses"]] == [("25-billing", True)]
    issue = only_issue(record)
    assert issue.code == validation.ADDRESS_INCOMPLETE
    assert "Jane Buyer" in issue.message
    assert "shipping address has no city, country" in issue.message
    assert issue.platform_url == CUSTOMER_URL.format(25)


@pytest.mark.parametrize("huge", ["1e400", "1e27", "-1E+30", "1000000000000000"])
def test_a_price_too_large_for_any_currency_is_an_issue_not_a_failed_mapping(
    settings: StoreSettings, huge: str
) -> None:
    """Past 28 digits an amount cannot be rounded to pence: it was an exception that stopped the page."""
    bad = simple(402, "HUGE", regular_price=huge, price="12.50", sale_price="")
    variation = {**load("variations_variable.json")[0], "regular_price": huge, "price": huge}
    variable = {**load("product_variable.json"), "stock_quantity": huge, "weight": huge}
    record, parent = map_page([(bad, []), (variable, [variation])], settings)

    assert record.payload is not None
    assert record.payload["variants"][0]["rrp"] == []
    assert record.pricing[0]["pricing"] == [{"quantity": 1, "price": "12.50"}]
    assert only_issue(record).code == validation.PRICE_NOT_A_NUMBER
    assert huge in only_issue(record).message
    assert parent.payload is not None
    assert parent.pricing == []
    assert only_issue(parent).code == validation.PRICE_NOT_A_NUMBER
    assert parent.payload["variants"][0]["weight_in_grams"] is None


def test_a_variant_just_below_the_limit_keeps_its_price(settings: StoreSettings) -> None:
    record = map_page([(simple(403, "BIG", regular_price="999999999999999.99", price="5"), [])], settings)[0]
    assert record.issues == []
    assert record.payload is not None
    assert record.payload["variants"][0]["rrp"][0]["price"] == "999999999999999.99"


def test_order_total_not_a_number_has_no_payload() -> None:
    order = load("order_guest.json")
    order["total"] = "N/A"
    record = map_order(order, store_url=STORE)
    assert record.payload is None
    issue = only_issue(record)
    assert issue.code == validation.PRICE_NOT_A_NUMBER
    assert "Order #731" in issue.message
    assert issue.platform_url == PRODUCT_URL.format(731)


def test_issue_codes_are_stable() -> None:
    assert validation.ISSUE_CODES == (
        "product_missing_sku",
        "variant_missing_sku",
        "duplicate_sku",
        "unsupported_product_type",
        "product_no_variants",
        "address_incomplete",
        "customer_missing_email",
        "price_not_a_number",
    )


def test_a_variable_product_without_variations_gets_an_issue(settings: StoreSettings) -> None:
    product = {"id": 880, "type": "variable", "name": "Empty shell", "status": "publish", "sku": "", "variations": []}
    record = map_product(product, [], settings=settings, store_url=STORE)
    assert record.payload is None
    issue = only_issue(record)
    assert issue.code == validation.PRODUCT_NO_VARIANTS
    assert "Empty shell" in issue.message
