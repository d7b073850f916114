"""Customer services (Customers v2, looked up by platform id): full-replace upsert and delete.

The upsert is a full replace (docs/ignite-contract.md §2.4): the stored customer becomes exactly the body, so
omitted fields are cleared and addresses not sent are deleted. Emails and address external ids
are unique per site; a clash with another customer is a 409, which the bridge must not retry.
"""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.sparklayer.problems import FieldError, conflict, invalid, not_found
from sandbox.sparklayer.records import now_iso, pack_lean, unpack
from sandbox.sparklayer.state import SiteState


def _find(state: SiteState, identifier: str) -> str | None:
    """A customer's external id from its external id, uuid or legacy cu_ id (for parent links)."""
    if identifier in state.customers:
        return identifier
    for external_id, text in state.customers.items():
        record = unpack(text)
        if identifier in (record["id"], record["legacy_id"]):
            return external_id
    return None


def _check(state: SiteState, external_id: str, data: dict[str, Any]) -> None:
    owner = state.emails.get(data["email"].lower())
    if owner is not None and owner != external_id:
        raise conflict(409, "already_exists", "email", f"The email {data['email']} belongs to another customer.")
    for index, address in enumerate(data["addresses"]):
        owner = state.address_owners.get(address["external_id"]) if address["external_id"] else None
        if owner is not None and owner != external_id:
            raise conflict(
                409,
                "already_exists",
                f"addresses[{index}].external_id",
                f"Address {address['external_id']} belongs to another customer.",
            )
    group = data["group"]
    if group not in state.customer_groups:
        raise invalid([FieldError("resource-id-not-found", f"Customer group {group} does not exist.", "group")])
    parent = data["parent_customer_id"]
    if parent is not None and _find(state, parent) in (None, external_id):
        raise invalid([FieldError("not_found", f"Parent customer {parent} does not exist.", "parent_customer_id")])


def customer_upsert(state: SiteState, external_id: str, data: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    """Create or replace; returns (created, customer). Addresses keep their ca_ id across replaces."""
    _check(state, external_id, data)
    stamp = now_iso()
    stored = state.customers.get(external_id)
    old_address_ids: dict[str, str] = {}
    if stored is None:
        identity = {"id": str(uuid.uuid4()), "legacy_id": state.next_id("cu_"), "created_at": stamp}
    else:
        old = state.customer_view(external_id)
        identity = {key: old[key] for key in ("id", "legacy_id", "created_at")}
        _unindex(state, old)
        old_address_ids = {
            address["external_id"]: address["id"] for address in old["addresses"] if address["external_id"]
        }
    for address in data["addresses"]:
        address["id"] = old_address_ids.get(address["external_id"]) or state.next_id("ca_")
        if address["external_id"]:
            state.address_owners[address["external_id"]] = external_id
    record = {**identity, **data, "updated_at": stamp}
    state.emails[data["email"].lower()] = external_id
    state.customers[external_id] = pack_lean(record)
    return stored is None, state.customer_view(external_id)


def customer_get(state: SiteState, external_id: str) -> dict[str, Any]:
    if external_id not in state.customers:
        raise not_found(f"Customer {external_id} does not exist.")
    return state.customer_view(external_id)


def customer_delete(state: SiteState, external_id: str) -> None:
    """Delete; the email and address external ids can be reused at once (docs/ignite-contract.md §2.4)."""
    record = customer_get(state, external_id)
    _unindex(state, record)
    del state.customers[external_id]


def _unindex(state: SiteState, record: dict[str, Any]) -> None:
    state.emails.pop(record["email"].lower(), None)
    for address in record["addresses"]:
        if address["external_id"]:
            state.address_owners.pop(address["external_id"], None)
