"""Compact storage of records: one JSON string per product, variant or customer.

A benchmark holds 150,000 variants and 100,000 customers. A Python dict per record costs several
times its JSON text, so the stores keep each record as one compact string and decode on read.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def pack(record: dict[str, Any]) -> str:
    return _encoder.encode(record)


def pack_lean(record: dict[str, Any]) -> str:
    """Like ``pack`` but leaves out top-level nulls; ``unpack(text, defaults)`` puts them back."""
    return _encoder.encode({key: value for key, value in record.items() if value is not None})


def unpack(text: str, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(text)
    if defaults:
        return {**defaults, **result}
    return result


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
