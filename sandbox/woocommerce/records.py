"""Write rules shared by every resource: meta_data merging, type checks, touching the modified date."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.woocommerce.common import WooError, date_fields, invalid_param, now_ts
from sandbox.woocommerce.store import WooStore


def merge_meta(store: WooStore, current: list[dict[str, Any]], updates: Any) -> list[dict[str, Any]]:
    """WooCommerce's meta write: ``{id, key, value}`` updates that entry; ``{key, value}`` replaces or adds."""
    if not isinstance(updates, list):
        raise invalid_param("meta_data", "meta_data is not of type array.")
    result = copy.deepcopy(current)
    for entry in updates:
        if not isinstance(entry, dict) or ("key" not in entry and "id" not in entry):
            raise invalid_param("meta_data", "meta_data[0][key] is a required property.")
        target = None
        if entry.get("id"):
            target = next((m for m in result if m["id"] == entry["id"]), None)
        elif entry.get("key"):
            target = next((m for m in result if m["key"] == entry["key"]), None)
        if target is None:
            if entry.get("value") is None and entry.get("id"):
                continue
            result.append({"id": store.new_meta_id(), "key": entry["key"], "value": entry.get("value", "")})
        elif "value" in entry and entry["value"] is None:
            result.remove(target)
        else:
            target["key"] = entry.get("key", target["key"])
            target["value"] = entry.get("value", target["value"])
    return result


def require_string(data: dict[str, Any], *names: str) -> None:
    """WP schema validation: a ``string`` field given a number is a 400, as on a real store."""
    for name in names:
        if name in data and not isinstance(data[name], str):
            raise invalid_param(name, f"{name} is not of type string.")


def require_enum(data: dict[str, Any], name: str, allowed: tuple[str, ...]) -> None:
    if name in data and data[name] not in allowed:
        raise invalid_param(name, f"{name} is not one of {', '.join(allowed)}.")


def touch(record: dict[str, Any], ts: int | None = None) -> int:
    """Bump ``date_modified(_gmt)``, as any save does in WooCommerce."""
    moment = ts if ts is not None else now_ts()
    record.update(date_fields("date_modified", moment))
    return moment


def stamp_created(record: dict[str, Any]) -> int:
    moment = now_ts()
    record.update(date_fields("date_created", moment))
    record.update(date_fields("date_modified", moment))
    return moment


def json_body(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.")
    return data
