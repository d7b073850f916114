"""Content hashes of mapped payloads: what decides whether a record is pushed again.

The JSON is canonical (sorted keys, no whitespace, UTF-8) so the same payload always hashes the
same, whatever order the mapper built its dicts in. Products have three hashes (the product body,
its stock rows, its pricing items) because SparkLayer takes them through three endpoints: a
stock-only change pushes only stock.

orjson writes the canonical JSON (~10 times faster than ``json``; three hashes a product, every product
of every full sync), byte for byte what ``json.dumps(..., sort_keys=True, separators=(",", ":"),
ensure_ascii=False, default=str)`` writes for strings, integers, booleans, null, lists and objects
(a randomized test holds it to that), so hashes stored by an earlier version still match. Floats
are written in their shortest form either way, but with exponents as ``1e16`` instead of ``1e+16``
and NaN or an infinity as null (as the request body sends them): a record carrying such a float
hashes differently once and is pushed again, never skipped. What orjson refuses (a key that is not
a string, an integer beyond 64 bits) goes to ``json``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import orjson

from platforms.types import SyncRecord

#: dates and dataclasses go to ``default=str`` as they did through ``json``, not orjson's own forms
_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def canonical_json(value: Any) -> bytes:
    """Sorted keys, compact separators, UTF-8; non-JSON values (dates, decimals) as their string."""
    try:
        return orjson.dumps(value, default=str, option=_CANONICAL)
    except TypeError:
        return json_canonical_json(value)


def json_canonical_json(value: Any) -> bytes:
    """The same document through ``json``: for what orjson refuses, and the rule the test holds it to."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def content_hash(value: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


@dataclass(frozen=True)
class RecordHashes:
    """``stock``/``pricing`` are empty strings when the record has no rows of that kind."""

    content: str
    stock: str
    pricing: str


def record_hashes(record: SyncRecord) -> RecordHashes:
    """Hashes of what would be pushed for ``record`` (its payload must be set)."""
    stock = sorted(record.stock, key=lambda row: (str(row.get("sku")), str(row.get("stock_location_external_id"))))
    pricing = sorted(record.pricing, key=lambda item: (str(item.get("sku")), str(item.get("price_list_slug"))))
    return RecordHashes(
        content=content_hash(record.payload),
        stock=content_hash(stock) if stock else "",
        pricing=content_hash(pricing) if pricing else "",
    )
