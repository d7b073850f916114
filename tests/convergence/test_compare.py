"""The comparator reports every divergence the expected semantics name, and nothing for a match."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from platforms.types import DataType, SyncRecord
from sync.engine.hashing import record_hashes
from sync.models import RecordState, SyncIssue
from tests.convergence.compare import compare, compare_pricing, compare_products, compare_stock
from tests.convergence.compare_records import compare_customers, payload_differences
from tests.convergence.difference import MISSING
from tests.convergence.semantics import Expected
from tests.factories import ConnectionFactory

LIST = "woocommerce-gbp"


def variant(external_id: str, sku: str, position: int) -> dict[str, Any]:
    return {
        "external_id": external_id, "sku": sku, "status": "live", "options": [{"group": "Colour", "value": "Red"}],
        "rrp": [{"currency_code": "gbp", "price": "10.00"}], "position": position, "weight_in_grams": 500,
        "cart_image_url": "https://images.example.com/1.jpg",
    }  # fmt: skip


def product_record(external_id: str = "10", skus: tuple[str, ...] = ("A-1", "A-2")) -> SyncRecord:
    variants = [variant(str(int(external_id) + n + 1), sku, n + 1) for n, sku in enumerate(skus)]
    return SyncRecord(
        data_type=DataType.PRODUCTS,
        external_id=external_id,
        payload={"external_id": external_id, "title": "Oak Mug", "slug": "oak-mug", "variants": variants},
        stock=[{"sku": sku, "stock_location_external_id": "default", "stock_level": 5} for sku in skus],
        pricing=[{"sku": sku, "price_list_slug": LIST, "pricing": [{"quantity": 1, "price": "9.00"}]} for sku in skus],
    )


def expected_of(*records: SyncRecord) -> Expected:
    expected = Expected()
    for record in records:
        expected.products[record.external_id] = record
        expected.stock.update({(r["sku"], r["stock_location_external_id"]): r for r in record.stock})
        expected.pricing.update({(i["sku"], i["price_list_slug"]): i for i in record.pricing})
    return expected


def landed(*records: SyncRecord) -> dict[str, Any]:
    """What the SparkLayer sandbox's state shows after the records were pushed (with its own fields)."""
    products = []
    for record in records:
        assert record.payload is not None
        stored = copy.deepcopy(record.payload)
        stored.update({"id": f"pp_{record.external_id}", "created_at": "2026-01-01T00:00:00Z"})
        for item in stored["variants"]:
            item.update({"id": f"pv_{item['external_id']}", "tax_type": None, "settings": []})
        products.append(stored)
    return {
        "products": products,
        "stock": [{**row, "restock_date": None} for record in records for row in record.stock],
        "price_lists": [{"slug": LIST, "source": "platform"}, {"slug": "trade", "source": "sparklayer"}],
        "pricing": [copy.deepcopy(item) for record in records for item in record.pricing]
        + [{"sku": "A-1", "price_list_slug": "trade", "pricing": [{"quantity": 1, "price": "1.00"}]}],
    }


def catalogue_differences(expected: Expected, state: dict[str, Any]) -> list[str]:
    found = compare_products(expected, state) + compare_stock(expected, state) + compare_pricing(expected, state)
    return [d.render() for d in found]


def test_a_catalogue_that_landed_has_no_differences_and_other_price_lists_are_not_compared() -> None:
    record = product_record()
    assert catalogue_differences(expected_of(record), landed(record)) == []


def test_every_variant_field_that_differs_is_reported_with_both_values() -> None:
    record = product_record()
    state = landed(record)
    changed = {"sku": "B-9", "status": "pending", "options": [], "rrp": [], "position": 7, "weight_in_grams": 1,
               "cart_image_url": None}  # fmt: skip
    state["products"][0]["variants"][0].update(changed)
    state["products"][0]["title"] = "Old title"
    found = compare_products(expected_of(record), state)
    assert [(d.record, d.field, d.actual) for d in found] == [
        ("10", "title", "Old title"),
        *(("11 of product 10", name, value) for name, value in changed.items()),
    ]
    assert all(d.key == ("products", "10") for d in found)


def test_variants_the_store_no_longer_maps_must_be_discontinued_whatever_their_sku() -> None:
    record = product_record(skus=("A-1",))
    state = landed(product_record(skus=("A-1", "A-2", "A-3")))
    state["products"][0]["variants"][2]["status"] = "discontinued"
    state["products"][0]["variants"][2]["sku"] = "anything"
    found = compare_products(expected_of(record), state)
    assert [(d.record, d.field, d.actual, d.expected) for d in found] == [
        ("12 of product 10 (variation gone from the store)", "status", "live", "discontinued")
    ]


def test_products_gone_or_unpushable_must_have_every_variant_discontinued() -> None:
    kept, gone, unpushable = product_record("10"), product_record("20", ("B-1",)), product_record("30", ("C-1",))
    expected = expected_of(kept)
    expected.unpushable["30"] = SyncRecord(data_type=DataType.PRODUCTS, external_id="30", payload=None)
    state = landed(kept, gone, unpushable)
    state["products"][2]["variants"][0]["status"] = "discontinued"
    found = compare_products(expected, state)
    assert [(d.record, d.actual) for d in found] == [("21 of product 20 (gone from the store)", "live")]


def test_stock_rows_are_exactly_the_mapped_rows() -> None:
    record = product_record()
    state = landed(record, product_record("20", ("G-1",)))
    state["stock"][0]["stock_level"] = 4
    state["stock"].append({"sku": "OLD-SKU", "stock_location_external_id": "default", "stock_level": 3})
    del state["stock"][1]
    found = compare_stock(expected_of(record), state)
    assert [(d.record, d.field, d.actual, d.expected) for d in found] == [
        ("A-1 @ default", "stock_level", 4, 5),
        ("A-2 @ default", "(row)", MISSING, 5),
        ("G-1 @ default (product gone in the store)", "(row)", 5, MISSING),
        ("OLD-SKU @ default (no variant has the SKU)", "(row)", 3, MISSING),
    ]
    assert [d.kind() for d in found] == [
        "stock stock_level",
        "stock missing",
        "stock left over (product gone in the store)",
        "stock left over (no variant has the SKU)",
    ]


def test_pricing_rows_of_platform_lists_are_exactly_the_mapped_items() -> None:
    record = product_record()
    state = landed(record)
    state["pricing"][0]["pricing"] = [{"quantity": 1, "price": "8.00", "id": "tier_1"}]
    state["pricing"].append({"sku": "GONE", "price_list_slug": LIST, "pricing": [{"quantity": 1, "price": "2.00"}]})
    found = compare_pricing(expected_of(record), state)
    assert [(d.record, d.field) for d in found] == [
        ("A-1 in woocommerce-gbp", "tiers"),
        ("GONE in woocommerce-gbp (no variant has the SKU)", "(row)"),
    ]


def customer_record(external_id: str, phone: str) -> SyncRecord:
    addresses = [
        {"external_id": f"{external_id}-billing", "address_line1": "1 High Street", "phone": phone,
         "is_default_billing": True, "is_default_shipping": True},
        {"external_id": f"{external_id}-shipping", "address_line1": "2 Low Road", "is_default_billing": False,
         "is_default_shipping": False},
    ]  # fmt: skip
    payload = {"external_id": external_id, "email": f"c{external_id}@example.com", "first_name": "Jo",
               "last_name": "Oak", "addresses": addresses}  # fmt: skip
    return SyncRecord(data_type=DataType.CUSTOMERS, external_id=external_id, payload=payload)


def test_customers_compare_the_payloads_fields_match_addresses_by_external_id_and_must_not_outlive_the_store() -> None:
    expected = Expected(customers={"5": customer_record("5", "+44 1")})
    stored = copy.deepcopy(customer_record("5", "+44 2").payload)
    assert stored is not None
    stored["addresses"].reverse()
    for number, address in enumerate(stored["addresses"]):
        address["id"] = f"ca_{number}"
    stored.update({"id": "uuid", "legacy_id": "cu_1", "group": None})
    deleted = {**copy.deepcopy(stored), "external_id": "6"}
    found = compare_customers(expected, {"customers": [stored, deleted]})
    assert [(d.record, d.field, d.actual, d.expected) for d in found] == [
        ("5", "addresses[5-billing].phone", "+44 2", "+44 1"),
        ("6", "(record)", "present", "deleted from the store"),
    ]


def test_payload_differences_report_a_list_of_another_length_whole() -> None:
    assert payload_differences({"lines": [1, 2]}, {"lines": [1]}, "") == [("lines", [1], [1, 2])]
    assert payload_differences({"a": {"b": 1}}, {}, "") == [("a", MISSING, {"b": 1})]


@pytest.mark.django_db
def test_record_state_holds_the_mapped_hashes_gone_records_are_deleted_and_issues_match() -> None:
    connection = ConnectionFactory()
    record, stale, gone = product_record("10"), product_record("20", ("B-1",)), product_record("30", ("C-1",))
    expected = expected_of(record, stale)
    expected.unpushable["40"] = SyncRecord(data_type=DataType.PRODUCTS, external_id="40", payload=None)
    hashes = record_hashes(record)
    stored = {"content_hash": hashes.content, "stock_hash": hashes.stock, "pricing_hash": hashes.pricing}
    RecordState.objects.create(connection=connection, data_type="products", external_id="10", **stored)
    RecordState.objects.create(connection=connection, data_type="products", external_id="20", **stored)
    RecordState.objects.create(connection=connection, data_type="products", external_id="30", deleted=False)
    now = "2026-01-01T00:00:00Z"
    SyncIssue.objects.create(connection=connection, data_type="products", external_id="10", code="x", message="m",
                             first_seen_at=now, last_seen_at=now)  # fmt: skip
    state = landed(record, stale, gone)
    for product in state["products"][2:]:
        for item in product["variants"]:
            item["status"] = "discontinued"
    found = [d.render() for d in compare(connection=connection, expected=expected, state=state) if d.area != "stock"]
    assert [f for f in found if "pricing" not in f.split(":")[0]] == [
        "record_state products 20: content_hash: RecordState='" + hashes.content[:12] + "' store='"
        + record_hashes(stale).content[:12] + "'",
        "record_state products 20: stock_hash: RecordState='" + hashes.stock[:12] + "' store='"
        + record_hashes(stale).stock[:12] + "'",
        "record_state products 20: pricing_hash: RecordState='" + hashes.pricing[:12] + "' store='"
        + record_hashes(stale).pricing[:12] + "'",
        "record_state products 30 (gone from the store): deleted: RecordState=False store=True",
        "issue products 40 (unpushable): open issue: bridge='none' store='one'",
        "issue products 10 (maps cleanly): open issue: bridge='open' store='none'",
    ]  # fmt: skip
    leave_out = compare(connection=connection, expected=expected, state=state, leave_out=frozenset({"20", "30"}))
    assert {d.key for d in leave_out} == {("products", "40"), ("products", "10")}
