"""Deferred product mapping (``WooCommerceAdapter.defer_mapping``): raw hashes cover what the mapping
reads, and a skipped record's SKUs keep duplicate detection exact."""

from __future__ import annotations

from platforms.woocommerce.adapter import WooCommerceAdapter, mapping_fingerprint, raw_product_hash
from platforms.woocommerce.mapping import StoreSettings
from tests.platforms.woocommerce.support import STORE, load


def adapter(settings: StoreSettings) -> WooCommerceAdapter:
    woo = WooCommerceAdapter(store_url=STORE, credentials={"consumer_key": "ck", "consumer_secret": "cs"})
    woo._settings = settings  # as read from the store once per adapter
    return woo


def two_products() -> list[dict]:  # type: ignore[type-arg]
    first, second = load("product_simple.json"), load("product_simple.json")
    second["id"], second["sku"] = 13, "HOOD-002"
    return [first, second]


def test_the_raw_hash_changes_with_the_payload_a_variation_the_settings_and_the_mapper_version() -> None:
    settings = StoreSettings(currency="GBP")
    product = load("product_simple.json")
    base = raw_product_hash(product, [], mapping_fingerprint(settings, STORE))
    assert raw_product_hash(load("product_simple.json"), [], mapping_fingerprint(settings, STORE)) == base
    product["stock_quantity"] = 999
    assert raw_product_hash(product, [], mapping_fingerprint(settings, STORE)) != base
    product = load("product_simple.json")
    assert raw_product_hash(product, [{"id": 1, "stock_quantity": 2}], mapping_fingerprint(settings, STORE)) != base
    assert raw_product_hash(product, [], mapping_fingerprint(StoreSettings(currency="EUR"), STORE)) != base
    assert raw_product_hash(product, [], mapping_fingerprint(settings, STORE + "/other")) != base


def test_a_new_mapper_version_changes_every_raw_hash(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import platforms.woocommerce.adapter as module

    settings = StoreSettings(currency="GBP")
    before = raw_product_hash(load("product_simple.json"), [], mapping_fingerprint(settings, STORE))
    monkeypatch.setattr(module, "PRODUCT_MAPPING_VERSION", "next")
    assert raw_product_hash(load("product_simple.json"), [], mapping_fingerprint(settings, STORE)) != before


def test_skipped_records_are_not_mapped_and_their_skus_count_as_seen() -> None:
    woo = adapter(StoreSettings(currency="GBP"))
    seen: dict[str, str] = {}
    products = two_products()
    deferred = woo._deferred_products(products, {}, seen)
    assert list(deferred.raw_hashes) == ["12", "13"]

    records = deferred.map({"12": {"12": "HOOD-001"}})
    assert [r.external_id for r in records] == ["13"]
    assert records[0].raw_hash == deferred.raw_hashes["13"]
    assert seen == {"HOOD-001": "12", "HOOD-002": "13"}


def test_a_skipped_record_whose_sku_another_variant_took_first_is_mapped_after_all() -> None:
    woo = adapter(StoreSettings(currency="GBP"))
    seen = {"HOOD-001": "99"}  # variant 99, earlier in this run, owns the SKU now
    deferred = woo._deferred_products(two_products(), {}, seen)
    records = deferred.map({"12": {"12": "HOOD-001"}})
    assert [r.external_id for r in records] == ["12", "13"]
    assert [issue.code for issue in records[0].issues] == ["duplicate_sku"]
