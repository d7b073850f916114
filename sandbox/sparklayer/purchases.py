"""Purchase services: a PUT by platform order id creates or replaces the whole purchase."""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.sparklayer.problems import ApiProblem
from sandbox.sparklayer.records import now_iso, pack, unpack
from sandbox.sparklayer.state import SiteState


def purchase_upsert(state: SiteState, order_id: str, data: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    """Returns (created, purchase). The SparkLayer cart id, once set, is immutable (a 403, as documented)."""
    stamp = now_iso()
    stored = state.purchases.get(order_id)
    if stored is None:
        identity = {"id": str(uuid.uuid4()), "created_at": stamp}
    else:
        old = unpack(stored)
        identity = {"id": old["id"], "created_at": old["created_at"]}
        old_cart = (old.get("purchase_identifiers") or {}).get("sparklayer")
        new_cart = (data.get("purchase_identifiers") or {}).get("sparklayer")
        if old_cart is not None and new_cart != old_cart:
            raise ApiProblem(403, f"The purchase's SparkLayer id {old_cart} cannot be changed.")
    record = {**data, **identity, "updated_at": stamp}
    state.purchases[order_id] = pack(record)
    return stored is None, record


def settings_update(state: SiteState, pairs: list[tuple[str, Any]]) -> None:
    """Global settings are a flat key/value list; each key sent is overwritten."""
    for key, value in pairs:
        state.settings[key] = value
