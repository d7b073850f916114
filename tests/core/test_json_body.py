"""Decoding answers with orjson (``json_body``) and writing JSON documents (``sql._json_text``, raw
hashes): the same values as ``json``, and ``json``'s answer wherever orjson refuses the input."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

from ignite_bridge.core.http import json_body
from platforms.woocommerce.adapter import raw_product_hash
from sync.engine.sql import _json_text


def answer(body: bytes, content_type: str = "application/json; charset=UTF-8") -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = body
    response.headers["Content-Type"] = content_type
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    return response


@pytest.mark.parametrize(
    "body",
    [
        b'[{"id": 1, "name": "Caf\\u00e9 \xc3\xa9", "price": "10.50", "tags": [], "meta": {"a": null}}]',
        b'{"total": 12345678901234567, "ok": true, "ratio": 0.1}',
        b"[]",
    ],
)
def test_a_body_decodes_as_requests_decodes_it(body: bytes) -> None:
    assert json_body(answer(body)) == answer(body).json()


def test_what_orjson_refuses_is_decoded_by_requests_as_before() -> None:
    assert math.isnan(json_body(answer(b'{"weight": NaN}'))["weight"])  # not JSON, but json reads it
    latin = "Cr\u00e8me".encode("latin-1")  # a charset other than UTF-8
    assert json_body(answer(b'["' + latin + b'"]', "application/json; charset=ISO-8859-1")) == ["Cr\u00e8me"]


def test_a_body_that_is_not_json_raises_the_error_it_always_raised() -> None:
    with pytest.raises(requests.exceptions.JSONDecodeError):
        json_body(answer(b"<html>Briefly unavailable for scheduled maintenance</html>", "text/html"))


def test_a_document_is_the_json_it_was_and_falls_back_where_orjson_cannot_write() -> None:
    rows = [{"c0": "caf\u00e9", "c1": 3, "c2": None, "c3": [1, "a"], "c4": {"k": Decimal("1.10")}}]
    assert json.loads(_json_text(rows)) == json.loads(json.dumps(rows, default=str))
    at = datetime(2026, 12, 3, 18, 0, 1, 250000, tzinfo=UTC)
    assert datetime.fromisoformat(json.loads(_json_text([at]))[0]) == at
    huge = [2**70]  # beyond 64 bits: orjson refuses, json writes it exactly
    assert json.loads(_json_text(huge)) == huge


def test_a_raw_hash_tells_payloads_apart_even_where_orjson_cannot_write_them() -> None:
    product = {"id": 1, "name": "Mug", "variations": [2]}
    variations = [{"id": 2, "stock_quantity": 5}]
    same = raw_product_hash(dict(product), [dict(v) for v in variations], b"fp")
    assert raw_product_hash(product, variations, b"fp") == same
    assert raw_product_hash(product, [{"id": 2, "stock_quantity": 4}], b"fp") != same
    assert raw_product_hash(product, variations, b"other settings") != same
    big = raw_product_hash({**product, "stock_quantity": 2**70}, variations, b"fp")  # a field the mapping reads
    assert big != raw_product_hash({**product, "stock_quantity": 2**70 + 1}, variations, b"fp")
