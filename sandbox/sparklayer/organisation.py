"""Stock locations and customer groups: the site structure other records refer to.

SparkLayer refuses a stock row naming a location it does not have and a customer naming a group it
does not have (both 400), so these are created first. Documented answers followed here: a
duplicate location ``external_id`` is a 409; a customer-group slug in use is a 400
``resource-already-exists``; an unknown parent group a 400 ``resource-id-not-found``; a group
create or update answers the whole, updated list. ``base`` always exists and cannot be changed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.sparklayer.problems import ApiProblem, FieldError, conflict, invalid, not_found
from sandbox.sparklayer.state import BASE_GROUP, SiteState

ALREADY_EXISTS = "resource-already-exists"
ID_NOT_FOUND = "resource-id-not-found"


def _location_key(state: SiteState, identifier: str) -> str:
    """Locations are addressed by SparkLayer id (uuid) or external id, as the real API allows."""
    if identifier in state.stock_locations:
        return identifier
    for external_id, location in state.stock_locations.items():
        if location["id"] == identifier:
            return external_id
    raise not_found(f"Stock location {identifier} does not exist.")


def stock_location_create(state: SiteState, data: dict[str, Any]) -> dict[str, Any]:
    external_id = data["external_id"]
    if external_id in state.stock_locations:
        raise conflict(409, "already_exists", "external_id", f"Stock location {external_id} already exists.")
    location = {"id": str(uuid.uuid4()), "name": data["name"], "external_id": external_id}
    state.stock_locations[external_id] = location
    return dict(location)


def stock_location_get(state: SiteState, identifier: str) -> dict[str, Any]:
    return dict(state.stock_locations[_location_key(state, identifier)])


def stock_location_update(state: SiteState, identifier: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Rename, or move to another external id (its stock rows follow); a taken external id is a 409."""
    key = _location_key(state, identifier)
    location = dict(state.stock_locations[key])
    new_key = changes.get("external_id") or key
    if new_key != key:
        if new_key in state.stock_locations:
            raise conflict(409, "already_exists", "external_id", f"Stock location {new_key} already exists.")
        del state.stock_locations[key]
        for rows in state.stock.values():
            if key in rows:
                rows[new_key] = rows.pop(key)
    location.update({"name": changes.get("name") or location["name"], "external_id": new_key})
    state.stock_locations[new_key] = location
    return dict(location)


def stock_location_delete(state: SiteState, identifier: str) -> None:
    """Deletes the location and every stock level held there; 204 even when nothing matched."""
    try:
        key = _location_key(state, identifier)
    except ApiProblem:
        return
    del state.stock_locations[key]
    for rows in state.stock.values():
        rows.pop(key, None)


StockRows = list[tuple[str, str, dict[str, Any]]]


def stock_location_resolve(state: SiteState, rows: StockRows) -> StockRows:
    """Rows keyed by the location's external id; an unknown location refuses the whole request (400)."""
    by_id = {location["id"]: external_id for external_id, location in state.stock_locations.items()}
    resolved: StockRows = []
    errors: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for index, (sku, location, row) in enumerate(rows):
        if location.startswith("id:"):
            key = by_id.get(location.removeprefix("id:"))
            prop = f"[{index}].stock_location_id"
        else:
            key = location if location in state.stock_locations else None
            prop = f"[{index}].stock_location_external_id"
        if key is None:
            message = f"Stock location {location.removeprefix('id:')} does not exist."
            errors.append(FieldError(ID_NOT_FOUND, message, prop))
            continue
        if (sku, key) in seen:
            message = "Each SKU and stock location pair may appear once."
            errors.append(FieldError("duplicate", message, f"[{index}].sku"))
            continue
        seen.add((sku, key))
        resolved.append((sku, key, row))
    if errors:
        raise invalid(errors, detail=errors[0].message)
    return resolved


def customer_groups_list(state: SiteState) -> list[dict[str, Any]]:
    return [dict(group) for group in state.customer_groups.values()]


def customer_group_create(state: SiteState, data: dict[str, Any]) -> list[dict[str, Any]]:
    slug = data["slug"]
    if slug in state.customer_groups:
        raise invalid([FieldError(ALREADY_EXISTS, f"The customer group {slug} already exists.", "slug")],
                      detail=f"The customer group {slug} already exists.")  # fmt: skip
    parent = data.get("parent_slug") or BASE_GROUP
    _require_parent(state, parent)
    state.customer_groups[slug] = {"slug": slug, "name": data["name"], "parent_slug": parent}
    return customer_groups_list(state)


def customer_group_update(state: SiteState, slug: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Sets name and parent; an omitted parent resets to ``base``; an unknown slug is a 400, not a 404."""
    if slug not in state.customer_groups or slug == BASE_GROUP:
        raise invalid([FieldError(ID_NOT_FOUND, f"The customer group {slug} does not exist.", "slug")],
                      detail=f"The customer group {slug} does not exist.")  # fmt: skip
    parent = data.get("parent_slug") or BASE_GROUP
    _require_parent(state, parent)
    if parent == slug:
        raise invalid([FieldError("invalid", "A group cannot be its own parent.", "parent_slug")])
    state.customer_groups[slug] = {"slug": slug, "name": data["name"], "parent_slug": parent}
    return customer_groups_list(state)


def customer_group_exists(state: SiteState, slug: str) -> bool:
    return slug in state.customer_groups


def _require_parent(state: SiteState, parent: str) -> None:
    if parent not in state.customer_groups:
        raise invalid([FieldError(ID_NOT_FOUND, f"The parent group {parent} does not exist.", "parent_slug")],
                      detail=f"The parent group {parent} does not exist.")  # fmt: skip
