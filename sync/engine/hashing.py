"""Content hashes of mapped payloads: what decides whether a record is pushed again.

The JSON is canonical (sorted keys, no whitespace, UTF-8) so the same payload always hashes the
same, whatever order the mapper built its dicts in. Products have three hashes (the product body,
its stock rows, its pricing items) because SparkLayer takes them through three endpoints: a
stock-only change pushes only stock.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from platforms.types import SyncRecord


def canonical_json(value: Any) -> bytes:
    """Sorted keys, compact separators, UTF-8; non-JSON values (dates, decimals) as their string."""
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
