"""What each SparkLayer write sent, kept on its ``PushLog`` row so the record timeline can say which fields
changed between two pushes, name the record and link to it on the store.

A payload is flattened to ``{path: value}`` (``variants[sku=ABC-1].rrp[0].price``): list items that carry
an identity (``external_id``, ``sku``, ``key``, ``slug``) are addressed by it, so a variant added at the
front does not make every later one look changed. It is bounded: long texts are cut, and past
``MAX_FIELDS`` leaves the rest is summarised by a count, so a row never grows with a huge product.

A write whose content is at most ``MAX_SENT_BYTES`` of JSON is kept as it was sent (``sent``) and
flattened only when the timeline reads it (``digest_fields``): flattening every write of a full sync as it
went cost ~65 µs of CPU a product (its upsert, stock and pricing rows), keeping them costs ~6 µs, and the
rows are half as long. A longer one is flattened and bounded when it is kept (``fields``, ``more_fields``),
as every row was before; the timeline reads both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import orjson
from django.conf import settings

from platforms.types import DataType, SyncRecord
from sparklayer.payloads import Customer, Product, Purchase

MAX_FIELDS = 300
MAX_TEXT = 200
IDENTITY_KEYS = ("external_id", "sku", "key", "slug", "stock_location_external_id")
#: writes of the record's own content (the others are its stock and pricing rows, or deletes)
RECORD_OPERATIONS = ("upsert", "settings")
#: the digest's own keys
NAME, STORE_URL, VISIBLE_ID, FIELDS, MORE = "name", "platform_url", "visible_id", "fields", "more_fields"
#: the digest's key for a write kept as it was sent
SENT = "sent"
#: the longest content (JSON bytes) kept as it was sent; a longer one is flattened and bounded at once
MAX_SENT_BYTES = 4096
#: dates and dataclasses go to ``_as_json`` as text, as ``flatten`` keeps them
_KEEP_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _scalar(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "…"
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)[:MAX_TEXT]


def _identity(item: Mapping[str, Any]) -> str | None:
    for key in IDENTITY_KEYS:
        if item.get(key) not in (None, ""):
            return f"{key}={item[key]}"
    return None


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """The (path, scalar) leaves of a JSON-like value; empty lists and objects are leaves too.

    Every SparkLayer write of a full sync flattens what it sent (``push_payload_digest``), so this is
    a plain recursion into one list, with exact type checks before the slower ``Mapping`` one."""
    leaves: list[tuple[str, Any]] = []
    _flatten_into(leaves, value, prefix)
    return leaves


#: types that are never a ``Mapping``: checked by identity before the (slower) abstract check
_NOT_MAPPINGS = frozenset({list, tuple, str, int, float, bool, type(None)})


#: scalar types kept as they are, checked by identity (subclasses, such as an enum, take ``_scalar``'s way)
_PLAIN_SCALARS = frozenset({int, float, bool, type(None)})


def _flatten_into(leaves: list[tuple[str, Any]], value: Any, prefix: str) -> None:
    # Children that are plain texts and numbers (most leaves) are appended in the loop, without a call.
    kind = type(value)
    if kind is dict or (kind not in _NOT_MAPPINGS and isinstance(value, Mapping)):
        if not value:
            leaves.append((prefix, {}))
        for key in sorted(value):
            child = value[key]
            path = f"{prefix}.{key}" if prefix else str(key)
            child_kind = type(child)
            if child_kind is str:
                leaves.append((path, child if len(child) <= MAX_TEXT else child[:MAX_TEXT] + "…"))
            elif child_kind in _PLAIN_SCALARS:
                leaves.append((path, child))
            else:
                _flatten_into(leaves, child, path)
    elif kind is list or kind is tuple or isinstance(value, list | tuple):
        if not value:
            leaves.append((prefix, []))
        for index, item in enumerate(value):
            item_kind = type(item)
            if item_kind is str:
                leaves.append((f"{prefix}[{index}]", item if len(item) <= MAX_TEXT else item[:MAX_TEXT] + "…"))
            elif item_kind in _PLAIN_SCALARS:
                leaves.append((f"{prefix}[{index}]", item))
            else:
                identity = _identity(item) if item_kind is dict or isinstance(item, Mapping) else None
                _flatten_into(leaves, item, f"{prefix}[{identity or index}]")
    else:
        leaves.append((prefix, _scalar(value)))


def record_name(record: SyncRecord) -> str:
    """What a merchant calls the record: a product's title, a customer's name or email, an order's number."""
    payload = record.payload or {}
    if record.data_type == DataType.PRODUCTS:
        return str(cast(Product, payload).get("title") or "")
    if record.data_type == DataType.CUSTOMERS:
        customer = cast(Customer, payload)
        full = " ".join(str(name or "") for name in (customer.get("first_name"), customer.get("last_name"))).strip()
        email = str(customer.get("email") or "")
        return f"{full} <{email}>" if full and email else full or email
    if record.data_type == DataType.PURCHASES:
        identifiers = cast(Purchase, payload).get("purchase_identifiers")
        visible = identifiers.get("visible") if isinstance(identifiers, Mapping) else None
        return f"Order {visible}" if visible else ""
    if record.data_type == DataType.MERCHANT:
        return "Store settings"
    return ""


def push_payload_digest(record: SyncRecord, operation: str) -> dict[str, Any] | None:
    """The ``PushLog.payload`` of one write of ``record`` (``operation``: upsert, stock, pricing, settings...);
    None when ``SYNC_PUSH_LOG_PAYLOADS`` is off (the timeline then shows writes without their changed fields)."""
    if not getattr(settings, "SYNC_PUSH_LOG_PAYLOADS", True):
        return None
    if operation == "stock":
        sent: Any = {"stock": record.stock}
    elif operation == "pricing":
        sent = {"pricing": record.pricing}
    elif operation in ("upsert", "settings"):
        sent = record.payload or {}
    else:  # deletes and discontinues carry no content of the record
        sent = {}
    digest = _kept_as_sent(sent)
    if digest is None:
        leaves = flatten(sent) if sent else []
        digest = {FIELDS: dict(leaves[:MAX_FIELDS])}
        if len(leaves) > MAX_FIELDS:
            digest[MORE] = len(leaves) - MAX_FIELDS
    if operation in RECORD_OPERATIONS:  # the record's own write names it; its stock and pricing rows need not
        digest.update(
            {NAME: record_name(record)[:MAX_TEXT], STORE_URL: record.platform_url[:500],
             VISIBLE_ID: record.visible_id[:255]}
        )  # fmt: skip
    return digest


def _kept_as_sent(sent: Any) -> dict[str, Any] | None:
    """``{"sent": ...}``: ``sent`` as JSON would carry it (what is not JSON as text, a copy the caller
    cannot change after), when it is content of at most ``MAX_SENT_BYTES``; else None."""
    if not sent:
        return None
    try:
        text = orjson.dumps(sent, default=_as_json, option=_KEEP_OPTIONS)
    except TypeError:  # an integer beyond 64 bits: flattened instead
        return None
    return {SENT: orjson.loads(text)} if len(text) <= MAX_SENT_BYTES else None


def _as_json(value: Any) -> Any:
    """What orjson does not write itself, as ``flatten`` would keep it: any mapping as one, else its text."""
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)[:MAX_TEXT]


def digest_fields(digest: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``{path: value}`` fields of a ``PushLog.payload``, whether the write was kept as sent or
    flattened when it was kept; bounded alike (``MAX_FIELDS``, ``MAX_TEXT``)."""
    if not digest:
        return {}
    if SENT in digest:
        return dict(flatten(digest[SENT])[:MAX_FIELDS])  # never empty: empty content is flattened when kept
    return dict(digest.get(FIELDS) or {})


def payload_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[tuple[str, Any, Any]]:
    """(path, old, new) of every field that differs between two digests' fields; a missing side is None."""
    old, new = digest_fields(before), digest_fields(after)
    missing = object()
    changes = []
    for path in sorted(set(old) | set(new)):
        was, now = old.get(path, missing), new.get(path, missing)
        if was != now:
            changes.append((path, None if was is missing else was, None if now is missing else now))
    return changes
