"""The WooCommerce customer-request building blocks, table-tested: zones, rates, tokens, addresses, order bodies.

The endpoint tests (``tests/endpoints/test_storefront_*``) run the same code against the sandbox
store over HTTP; these pin the rules themselves, including cases the sandbox's default zones do
not exercise (postcode ranges, state rules, formulas).
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

import jwt
import pytest

from platforms.base import CredentialInvalid, PlatformRequestError
from platforms.woocommerce.adapter import WooCommerceAdapter
from platforms.woocommerce.addresses import (
    ADDRESSES_META_KEY,
    customer_update_body,
    merge_addresses,
    native_from_address,
    stored_addresses,
)
from platforms.woocommerce.checkout import ORDER_STATUS_BY_PAYMENT_TYPE, chosen_rate, completion, order_body
from platforms.woocommerce.customer_writes import attribute_meta, meta_entry
from platforms.woocommerce.shipping import (
    Destination,
    ShippingRate,
    flat_rate_cost,
    match_zone,
    postcode_matches,
    rates_for,
)
from platforms.woocommerce.storefront_auth import storefront_token_subject

SECRET = "s3cret-s3cret-s3cret-s3cret-s3cret"

ZONES = [
    {"id": 0, "name": "Rest of world", "order": 0},
    {"id": 4, "name": "London postcodes", "order": 0},
    {"id": 3, "name": "California", "order": 1},
    {"id": 2, "name": "Europe", "order": 2},
    {"id": 1, "name": "United Kingdom", "order": 2},
    {"id": 5, "name": "Postcodes only", "order": 3},
]
LOCATIONS = {
    4: [
        {"code": "GB", "type": "country"},
        {"code": "EC1*", "type": "postcode"},
        {"code": "SW1A 1AA", "type": "postcode"},
    ],
    3: [{"code": "US:CA", "type": "state"}, {"code": "90000...90299", "type": "postcode"}],
    2: [{"code": "EU", "type": "continent"}],
    1: [{"code": "GB", "type": "country"}],
    5: [{"code": "10115", "type": "postcode"}],
}


@pytest.mark.parametrize(
    ("country", "state", "postcode", "zone"),
    [
        ("GB", "", "EC1A 1BB", 4),  # postcode wildcard inside the country
        ("GB", "", "sw1a-1aa", 4),  # exact postcode, normalised
        ("GB", "", "M1 1AA", 1),  # Europe and UK share order 2: the lower zone id (UK, 1) is tried first
        ("US", "CA", "90210", 3),  # state + numeric range
        ("US", "CA", "94105", 0),  # state matches, postcode range does not
        ("US", "NY", "10001", 0),
        ("DE", "", "10115", 2),  # continent; the postcode-only zone never matches
        ("JP", "", "100-0001", 0),
    ],
)
def test_zone_matching_follows_woocommerce(country, state, postcode, zone):
    seen: list[int] = []

    def locations(zone_id: int):
        seen.append(zone_id)
        return LOCATIONS[zone_id]

    assert match_zone(ZONES, Destination(country, state, postcode), locations) == zone
    assert seen == sorted(seen, key=[4, 3, 1, 2, 5].index)  # tried in order, stopping at the match


def test_zone_without_locations_matches_everything():
    assert match_zone([{"id": 7, "order": 0}], Destination("FR", "", ""), lambda _: []) == 7


@pytest.mark.parametrize(
    ("rule", "postcode", "expected"),
    [("EC1*", "ec1a 1bb", True), ("EC1*", "E1 6AN", False), ("90000...90299", "90210", True),
     ("90000...90299", "90300", False), ("SW1A1AA", "SW1A 1AA", True)],
)  # fmt: skip
def test_postcode_rules(rule, postcode, expected):
    assert postcode_matches(rule, postcode) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [("4.95", "4.95"), ("", "0"), ("2 * [qty]", "6.00"), ("5 + [cost] * 0.1", "15.00"),
     ('[fee percent="10" min_fee="20"]', "20.00"), ('[fee percent="10" max_fee="5"]', "5.00"),
     ("4,95", "4.95"), ("__import__('os')", None), ("1/0", None), ("[qty] -", None)],
)  # fmt: skip
def test_flat_rate_cost_formulas(expression, expected):
    result = flat_rate_cost(expression, quantity=3, cost=Decimal("100"))
    assert (None if result is None else Decimal(result)) == (None if expected is None else Decimal(expected))


def _method(instance_id, method_id, *, enabled=True, order=1, **settings):
    values = {"title": f"M{instance_id}", **settings}
    return {"instance_id": instance_id, "method_id": method_id, "enabled": enabled, "order": order,
            "settings": {key: {"value": value} for key, value in values.items()}}  # fmt: skip


def test_rates_only_enabled_methods_and_free_shipping_rules():
    methods = [
        _method(1, "flat_rate", cost="4.95"),
        _method(2, "free_shipping", order=2, requires="min_amount", min_amount="75.00"),
        _method(3, "free_shipping", order=3, requires="coupon"),
        _method(4, "local_pickup", order=4, cost=""),
        _method(5, "flat_rate", enabled=False, cost="1.00"),
        _method(6, "table_rate_plugin", order=5),
    ]
    below = rates_for(methods, subtotal=Decimal("74.99"), quantity=1)
    assert [(r.id, r.cost) for r in below] == [("flat_rate:1", Decimal("4.95")), ("local_pickup:4", Decimal("0"))]
    above = rates_for(methods, subtotal=Decimal("75.00"), quantity=1)
    assert [r.id for r in above] == ["flat_rate:1", "free_shipping:2", "local_pickup:4"]


def _token(claims, *, secret=SECRET, algorithm="HS256"):
    return jwt.encode(claims, secret, algorithm=algorithm)


def test_token_subject_accepts_a_valid_token():
    assert storefront_token_subject(_token({"sub": "42", "exp": int(time.time()) + 60}), secret=SECRET) == "42"


@pytest.mark.parametrize(
    "claims_or_token",
    [
        {"sub": "42", "exp": int(time.time()) - 60},
        {"sub": "42"},
        {"exp": int(time.time()) + 60},
        {"sub": "-3", "exp": int(time.time()) + 60},
        {"sub": "0", "exp": int(time.time()) + 60},
        "",
        "a.b.c",
    ],
)
def test_token_subject_refuses(claims_or_token):
    token = claims_or_token if isinstance(claims_or_token, str) else _token(claims_or_token)
    with pytest.raises(CredentialInvalid):
        storefront_token_subject(token, secret=SECRET)


def test_token_subject_refuses_everything_without_a_secret():
    with pytest.raises(CredentialInvalid, match="no storefront secret"):
        storefront_token_subject(_token({"sub": "1", "exp": int(time.time()) + 60}, secret=""), secret="")


def test_merge_keeps_ids_of_equal_addresses_and_one_default_each():
    existing = [{"id": "a1", "address_line1": "1 Road", "city": "York", "country_code": "GB"}]
    merged = merge_addresses(existing, [
        {"address_line1": "2 Road", "city": "Leeds", "country_code": "gb", "is_default_billing": True},
        {"address_line1": "1 Road", "city": "York", "country_code": "GB", "is_default_billing": True},
    ])  # fmt: skip
    assert merged[1]["id"] == "a1"
    assert merged[0]["id"] != "a1"
    assert [a["is_default_billing"] for a in merged] == [True, False]
    assert merged[0]["country_code"] == "GB"


def test_update_body_mirrors_defaults_and_clears_a_dropped_one():
    before = [{"id": "a", "address_line1": "1 Road", "city": "York", "country_code": "GB", "is_default_billing": True,
               "is_default_shipping": True}]  # fmt: skip
    after = [{**before[0], "is_default_shipping": False}]
    body = customer_update_body({"email": "x@example.com"}, before, after)
    assert body["billing"]["address_1"] == "1 Road"
    assert body["billing"]["email"] == "x@example.com"
    assert body["shipping"] == {k: "" for k in body["shipping"]}
    assert json.loads(body["meta_data"][0]["value"]) == after
    assert body["meta_data"][0]["key"] == ADDRESSES_META_KEY


def test_stored_addresses_tolerates_arrays_objects_and_junk():
    as_list = {"meta_data": [{"key": ADDRESSES_META_KEY, "value": [{"id": "x"}, "junk", {"no": "id"}]}]}
    as_object = {"meta_data": [{"key": ADDRESSES_META_KEY, "value": {"0": {"id": "y"}}}]}
    broken = {"meta_data": [{"key": ADDRESSES_META_KEY, "value": "{not json"}]}
    assert [a["id"] for a in stored_addresses(as_list)] == ["x"]
    assert [a["id"] for a in stored_addresses(as_object)] == ["y"]
    assert stored_addresses(broken) == []


def test_attribute_meta_writes_only_the_fields_sent():
    assert attribute_meta({"price_lists": ["a"], "customer_discount_percentage": 25.0, "group": None}) == [
        {"key": "sparklayer_price_lists", "value": '["a"]'},
        {"key": "sparklayer_customer_discount_percentage", "value": "25"},
        {"key": "sparklayer_group", "value": None},
    ]
    assert meta_entry("k", 12.50) == {"key": "k", "value": "12.5"}


def _cart(**extra):
    line = {"sku": "S1", "quantity": 3, "unit_price": {"number": "9.99", "currency": "gbp"}}
    return {"cart_id": "c", "currency_code": "gbp", "customer": {"email": "b@x.example", "external_id": "42"},
            "shipping_address": {"address_line1": "1 Road", "city": "York", "country_code": "GB", "region_code": "YK"},
            "line_items": [line], **extra}  # fmt: skip


def test_order_body_sends_b2b_line_totals_and_the_chosen_shipping():
    rate = ShippingRate("flat_rate:1", "flat_rate", 1, "Standard", Decimal("4.95"))
    body = order_body(_cart(), rate)
    assert body["line_items"] == [{"sku": "S1", "quantity": 3, "subtotal": "29.97", "total": "29.97"}]
    assert body["shipping_lines"] == [{"method_id": "flat_rate", "instance_id": "1", "method_title": "Standard",
                                       "total": "4.95"}]  # fmt: skip
    assert body["currency"] == "GBP"
    assert body["customer_id"] == 42
    assert body["billing"] == native_from_address(_cart()["shipping_address"], kind="billing", email="b@x.example")


def test_chosen_rate_prefers_the_request_then_the_state_then_the_first():
    rates = [ShippingRate("a:1", "a", 1, "A", Decimal(1)), ShippingRate("b:2", "b", 2, "B", Decimal(2))]
    assert chosen_rate(rates, {"shipping_line": {"id": "b:2"}}, strict=True).id == "b:2"
    assert chosen_rate(rates, {"ignite_state": {"shipping_method_id": "b:2"}}, strict=True).id == "b:2"
    assert chosen_rate(rates, {}, strict=True).id == "a:1"
    assert chosen_rate(rates, {"shipping_line": {"id": "gone:9"}}, strict=False).id == "a:1"
    with pytest.raises(PlatformRequestError) as caught:
        chosen_rate(rates, {"shipping_line": {"id": "gone:9"}}, strict=True)
    assert caught.value.code == "shipping_method_unavailable"


def test_payment_types_map_to_statuses_and_answers():
    assert ORDER_STATUS_BY_PAYMENT_TYPE == {"paymentOnAccount": "on-hold", "paymentByInvoice": "on-hold",
                                            "quote": "pending", "upfrontPayment": "pending"}  # fmt: skip
    order = {"id": 7, "payment_url": "https://shop.example/pay/7"}
    assert completion(order, "upfrontPayment") == {"order_id": "7", "order_external_id": None,
                                                   "redirect_url": "https://shop.example/pay/7"}  # fmt: skip
    assert completion(order, "quote") == {"order_id": "7", "order_external_id": "7", "redirect_url": None}


def test_metafields_are_all_enabled_and_unknown_keys_refused():
    adapter = WooCommerceAdapter(store_url="https://shop.example.com", credentials={})
    assert {m["state"] for m in adapter.metafield_list()} == {"enabled"}
    assert adapter.metafield_enable("customer.group") == {"key": "customer.group", "state": "enabled"}
    with pytest.raises(PlatformRequestError) as caught:
        adapter.metafield_enable("customer.shoe_size")
    assert caught.value.code == "unknown_metafield"
