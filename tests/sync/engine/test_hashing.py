"""Canonical JSON for content hashes: orjson writes what ``json`` wrote, so stored hashes still match."""

from __future__ import annotations

import datetime
import json
import math
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ignite_bridge.core.http import json_request_body
from sync.engine.hashing import canonical_json, content_hash, json_canonical_json

#: what the mappers put in payloads: no floats (prices are strings, weights whole grams)
scalars = st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.text()
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@given(documents)
def test_the_same_bytes_as_json_for_json_documents(value):
    assert canonical_json(value) == json_canonical_json(value)


@given(st.dictionaries(st.text(max_size=3), st.integers(), min_size=2, max_size=8))
def test_keys_are_sorted_whatever_order_the_dict_was_built_in(value):
    reversed_order = dict(reversed(list(value.items())))
    assert canonical_json(reversed_order) == canonical_json(value)
    assert list(json.loads(canonical_json(value))) == sorted(value)


def test_values_json_does_not_know_go_through_str_as_before():
    value = {
        "at": datetime.datetime(2026, 12, 4, 21, 0, tzinfo=datetime.UTC),
        "on": datetime.date(2026, 12, 4),
        "price": Decimal("1.50"),
        "tags": {"only"},
    }
    assert canonical_json(value) == json_canonical_json(value)
    assert b'"2026-12-04 21:00:00+00:00"' in canonical_json(value)  # str(), not orjson's ISO form


def test_what_orjson_refuses_goes_to_json():
    assert canonical_json({2: "b", 1: "a"}) == b'{"1":"a","2":"b"}'  # keys that are not strings
    assert canonical_json({"n": 2**70}) == json_canonical_json({"n": 2**70})


@given(st.floats(allow_nan=False, allow_infinity=False), st.floats(allow_nan=False, allow_infinity=False))
def test_floats_read_back_as_themselves_and_distinct_floats_hash_apart(a, b):
    assert json.loads(canonical_json([a])) == [a]
    if a != b:
        assert content_hash([a]) != content_hash([b])


def test_nan_and_infinities_are_written_as_null_as_the_request_body_sends_them():
    written = canonical_json([math.nan, math.inf, -math.inf])
    assert written == json_request_body([None, None, None]) == b"[null,null,null]"
    assert json_request_body([math.nan, math.inf]) == b"[null,null]"
