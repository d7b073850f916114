"""Payload validation for the sync-log API: full (PUT) and partial (PATCH) records (docs/ignite-contract.md §2.7)."""

from __future__ import annotations

from typing import Any

from sandbox.sparklayer.checker import Checker, join
from sandbox.sparklayer.validation import require_object


def _errors(check: Checker, value: Any, prop: str, limit: int) -> dict[str, dict[str, Any]] | None:
    """Errors keyed by external_id, in the order sent; duplicates and more than ``limit`` are refused."""
    if value is None:
        return {}
    items = check.items(value, prop, max_items=limit)
    errors: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(items):
        prefix = join(prop, index)
        data = check.mapping(item, prefix)
        if data is None:
            continue
        external_id = check.string(data, "external_id", prefix, required=True)
        error = {
            "external_id": external_id,
            "external_url": check.string(data, "external_url", prefix),
            "visible_id": check.string(data, "visible_id", prefix),
            "message": check.string(data, "message", prefix),
        }
        if external_id is None:
            continue
        if external_id in errors:
            check.fail(join(prefix, "external_id"), "duplicate_external_id", "Each external_id may appear once.")
            continue
        errors[external_id] = error
    return None if check.errors else errors


def full_sync(body: Any, *, limit: int) -> dict[str, Any]:
    data = require_object(body)
    check = Checker()
    record = {
        "started_full_sync": check.timestamp(data, "started_full_sync"),
        "last_full_sync": check.timestamp(data, "last_full_sync"),
        "last_full_sync_succeeded": check.boolean(data, "last_full_sync_succeeded"),
        "errors": _errors(check, data.get("errors"), "errors", limit),
    }
    check.raise_if_errors()
    return record


def partial_sync(body: Any, *, limit: int) -> dict[str, Any]:
    data = require_object(body)
    check = Checker()
    added = _errors(check, data.get("errors_added"), "errors_added", limit) or {}
    resolved = check.string_list(data, "errors_resolved")
    change = {
        "last_partial_sync": check.timestamp(data, "last_partial_sync"),
        "has_last_partial_sync": "last_partial_sync" in data,
        "errors_added": added,
        "errors_resolved": resolved,
    }
    for index, external_id in enumerate(resolved):
        if external_id in added:
            check.fail(f"errors_resolved[{index}]", "conflict", "An external_id cannot be both added and resolved.")
    check.raise_if_errors()
    return change
