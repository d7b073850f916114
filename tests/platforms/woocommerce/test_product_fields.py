"""Products are read with ``_fields`` (``PRODUCT_FIELDS``, ``VARIATION_FIELDS``): the mapping reads no
other field, a store that ignores ``_fields`` maps the same, and the raw hash covers exactly those."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from platforms.types import DataType
from platforms.woocommerce.adapter import RECORD_FIELDS_PARAM, WooCommerceAdapter, mapping_fingerprint, raw_product_hash
from platforms.woocommerce.mapping import StoreSettings, map_product
from platforms.woocommerce.mapping.products import PRODUCT_FIELDS, VARIATION_FIELDS, only_fields
from sandbox.server import serve_in_thread
from sandbox.woocommerce.app import WooCommerceSandbox
from tests.platforms.woocommerce.support import STORE, load

SETTINGS = StoreSettings(currency="GBP", weight_unit="g", prices_include_tax=True)


class Reads(dict):  # type: ignore[type-arg]
    """A record that notes every field read from it; reading them all at once (iterating, copying)
    counts as reading every field it has."""

    def __init__(self, data: dict[str, Any], log: set[str]) -> None:
        super().__init__(data)
        self.log = log

    def __getitem__(self, key: str) -> Any:
        self.log.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.log.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.log.add(str(key))
        return super().__contains__(key)

    def _everything(self) -> None:
        self.log.update(super().keys())

    def __iter__(self) -> Iterator[str]:
        self._everything()
        return super().__iter__()

    def keys(self) -> Any:
        self._everything()
        return super().keys()

    def items(self) -> Any:
        self._everything()
        return super().items()

    def values(self) -> Any:
        self._everything()
        return super().values()

    def copy(self) -> dict[str, Any]:
        self._everything()
        return super().copy()


# Values that lead the mapping down its other branches: every type, status, stock mode, price and
# image shape it treats apart.
ANY_TEXT = st.one_of(st.none(), st.just(""), st.just("  "), st.text(max_size=6))
PRODUCT_CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["simple", "variable", "grouped", "external", "", None]),
        "status": st.sampled_from(["publish", "draft", "pending", "private", "trash", "future", None]),
        "sku": ANY_TEXT,
        "name": ANY_TEXT,
        "slug": ANY_TEXT,
        "manage_stock": st.sampled_from([True, False, None, "parent"]),
        "stock_quantity": st.one_of(st.none(), st.integers(-5, 50), st.just("2.5"), st.just("x")),
        "price": st.sampled_from(["", "12.5", "-1", "abc", None]),
        "regular_price": st.sampled_from(["", "14", "1e400", None]),
        "sale_price": st.sampled_from(["", "9.99", None]),
        "weight": st.sampled_from(["", "1.5", "x", None]),
        "images": st.sampled_from([[], [{"id": 0, "src": "placeholder"}], [{"id": 4, "src": "https://i/4.png"}]]),
        "date_modified_gmt": st.sampled_from(["2024-03-15T10:00:00", "", None]),
    },
)
VARIATION_CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["publish", "private", "draft", None]),
        "sku": ANY_TEXT,
        "manage_stock": st.sampled_from([True, False, "parent"]),
        "stock_quantity": st.one_of(st.none(), st.integers(-3, 9)),
        "price": st.sampled_from(["", "3", "bad"]),
        "menu_order": st.sampled_from([0, 2, "x", None]),
        "attributes": st.sampled_from([[], [{"name": "Size", "option": "L"}], [{"name": "", "option": "x"}], None]),
        "image": st.sampled_from([None, {"id": 0, "src": ""}, {"id": 9, "src": "https://i/9.png"}]),
        "weight": st.sampled_from(["", "0.2"]),
    },
)


def example_product(kind: str, changes: dict[str, Any], variation_changes: list[dict[str, Any]]) -> tuple[Any, Any]:
    """A full WooCommerce product (every field the REST API returns), with ``changes`` applied."""
    product = load(f"product_{kind}.json")
    variations = load("variations_variable.json") if kind == "variable" else []
    product.update(changes)
    for variation, change in zip(variations, variation_changes, strict=False):
        variation.update(change)
    return product, variations


def mapped(product: dict[str, Any], variations: list[dict[str, Any]], seen: dict[str, str] | None = None) -> Any:
    return map_product(product, variations, settings=SETTINGS, store_url=STORE, seen_skus=seen)


PRODUCTS = st.tuples(
    st.sampled_from(["simple", "variable", "grouped"]), PRODUCT_CHANGES, st.lists(VARIATION_CHANGES, max_size=4)
)


@settings(max_examples=300, deadline=None)
@given(PRODUCTS, st.booleans())
def test_the_mapping_reads_no_field_outside_the_ones_asked_for(case: Any, duplicate: bool) -> None:
    product, variations = example_product(*case)
    read_product: set[str] = set()
    read_variations: set[str] = set()
    seen = {str(product.get("sku") or "").strip(): "someone else"} if duplicate else {}
    mapped(Reads(product, read_product), [Reads(v, read_variations) for v in variations], seen)
    assert read_product <= set(PRODUCT_FIELDS)
    assert read_variations <= set(VARIATION_FIELDS)


def test_the_adapters_reading_of_a_page_reads_no_field_outside_the_ones_asked_for() -> None:
    """The deferred mapping of a page (hashes, chunks of variable products, the mapping itself)."""
    woo = WooCommerceAdapter(store_url=STORE, credentials={"consumer_key": "ck", "consumer_secret": "cs"})
    woo._settings = SETTINGS
    read_product: set[str] = set()
    read_variations: set[str] = set()
    product, variations = example_product("variable", {}, [])
    products = [Reads(product, read_product), Reads(load("product_simple.json"), read_product)]
    by_parent = {product["id"]: [Reads(v, read_variations) for v in variations]}
    woo._deferred_products(products, by_parent, {}).map({})
    assert read_product
    assert read_product <= set(PRODUCT_FIELDS)
    assert read_variations
    assert read_variations <= set(VARIATION_FIELDS)


@settings(max_examples=200, deadline=None)
@given(PRODUCTS, st.dictionaries(st.sampled_from(["description", "meta_data", "permalink", "x_plugin"]), st.text()))
def test_a_store_that_sends_every_field_maps_and_hashes_as_one_that_sends_the_ones_asked_for(
    case: Any, unread: dict[str, str]
) -> None:
    product, variations = example_product(*case)
    product.update(unread)  # fields the mapping does not read, with any value
    for variation in variations:
        variation.update(unread)
    trimmed = only_fields(product, PRODUCT_FIELDS)
    trimmed_variations = [only_fields(v, VARIATION_FIELDS) for v in variations]
    assert mapped(copy.deepcopy(product), copy.deepcopy(variations), {}) == mapped(trimmed, trimmed_variations, {})
    fingerprint = mapping_fingerprint(SETTINGS, STORE)
    assert raw_product_hash(product, variations, fingerprint) == raw_product_hash(
        trimmed, trimmed_variations, fingerprint
    )


def test_the_raw_hash_moves_with_every_field_asked_for_and_with_no_other() -> None:
    fingerprint = mapping_fingerprint(SETTINGS, STORE)
    product, variations = example_product("variable", {}, [])
    base = raw_product_hash(product, variations, fingerprint)
    for field in PRODUCT_FIELDS:
        changed = {**product, field: ["changed"]}
        assert raw_product_hash(changed, variations, fingerprint) != base, field
    for field in VARIATION_FIELDS:
        changed_variations = [{**variations[0], field: ["changed"]}, *variations[1:]]
        assert raw_product_hash(product, changed_variations, fingerprint) != base, field
    for field in ("description", "meta_data", "date_modified", "_links"):
        assert raw_product_hash({**product, field: "changed"}, variations, fingerprint) == base, field


class Store:
    """The sandbox, noting the ``_fields`` each read asked for; with ``ignore_fields`` a store whose
    WordPress drops ``_fields`` (a plugin, an old version) and answers with every field."""

    def __init__(self, app: WooCommerceSandbox) -> None:
        self.app = app
        self.ignore_fields = False
        self.asked: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        self.asked += [value for key, value in query if key == "_fields"]
        if self.ignore_fields:
            environ = {**environ, "QUERY_STRING": urlencode([(k, v) for k, v in query if k != "_fields"])}
        return self.app(environ, start_response)


def read_everything(url: str) -> tuple[list[Any], dict[str, str]]:
    """Every product as a full sync maps it, and the raw hashes of the pages."""
    woo = WooCommerceAdapter(
        store_url=url,
        credentials={"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"},
        allow_insecure_http=True,
        max_attempts=2,
    )
    woo.defer_mapping = True
    records, hashes = [], {}
    for page in woo.iter_pages(DataType.PRODUCTS):
        assert page.deferred is not None
        hashes.update(page.deferred.raw_hashes)
        records += page.deferred.map({})
    return records, hashes


def test_the_sync_reads_products_and_variations_with_fields_and_a_store_that_ignores_them_syncs_the_same() -> None:
    store = Store(WooCommerceSandbox(products=250, customers=1, orders=0, seed=5))
    server = serve_in_thread(store)
    try:
        trimmed, trimmed_hashes = read_everything(server.url)
        asked, store.asked = store.asked, []
        store.ignore_fields = True
        full, full_hashes = read_everything(server.url)
    finally:
        server.stop()
    assert ",".join(PRODUCT_FIELDS) in asked
    assert ",".join(VARIATION_FIELDS) in asked
    assert len(trimmed) == 250
    assert any(r.payload and len(r.payload["variants"]) > 1 for r in trimmed)  # variations were read
    assert any(r.issues for r in trimmed)
    assert [(r.external_id, r.payload, r.stock, r.pricing, r.issues) for r in trimmed] == [
        (r.external_id, r.payload, r.stock, r.pricing, r.issues) for r in full
    ]
    assert trimmed_hashes == full_hashes


def test_a_single_product_read_asks_for_the_fields_and_a_store_that_ignores_them_reads_the_same() -> None:
    """``fetch_record`` (webhooks, the completeness phase) asks for ``RECORD_FIELDS_PARAM``: what the
    mapping reads and the ``parent_id`` a variation's id is resolved by."""
    store = Store(WooCommerceSandbox(products=60, customers=1, orders=0, seed=6))
    server = serve_in_thread(store)
    try:
        woo = WooCommerceAdapter(
            store_url=server.url,
            credentials={"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"},
            allow_insecure_http=True,
            max_attempts=2,
        )
        listed = list(woo.client.iter_list("products", params={"orderby": "id", "order": "asc"}))
        variations = {str(p["variations"][0]): str(p["id"]) for p in listed if p.get("variations")}
        ids = [str(p["id"]) for p in listed] + list(variations)

        def read_all() -> list[Any]:
            return [woo.fetch_record(DataType.PRODUCTS, external_id) for external_id in ids]

        one = woo.client.get_json(f"products/{ids[0]}", params={"_fields": RECORD_FIELDS_PARAM})
        assert set(one) <= {*PRODUCT_FIELDS, "parent_id"}  # the store honours it ...
        assert "name" in one  # ... and sends what was asked for
        store.asked = []
        trimmed = read_all()
        asked, store.asked = store.asked, []
        store.ignore_fields = True
        full = read_all()
    finally:
        server.stop()
    assert asked.count(RECORD_FIELDS_PARAM) >= len(ids)  # every product read, and a variation's parent read
    assert set(RECORD_FIELDS_PARAM.split(",")) == {*PRODUCT_FIELDS, "parent_id"}
    assert variations
    assert all(record is not None for record in trimmed)
    by_variation = trimmed[len(listed) :]
    assert [r.external_id for r in by_variation] == list(variations.values())  # resolved to the parent
    assert any(r.payload and len(r.payload["variants"]) > 1 for r in trimmed)
    assert [(r.external_id, r.payload, r.stock, r.pricing, r.issues, r.deleted) for r in trimmed] == [
        (r.external_id, r.payload, r.stock, r.pricing, r.issues, r.deleted) for r in full
    ]
