"""Customer, sub-account and address writes SparkLayer asks for while a buyer is on the storefront.

Every SparkLayer-only attribute lands in ``sparklayer_*`` customer meta (keys from ``meta.py``), so
the customer sync reads it back and SparkLayer's whole-record replace never loses it. Each
operation reads the customer first: an unknown id is ``RecordNotFound`` before anything is written.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ignite_bridge.core.errors import PermanentError
from ignite_bridge.core.ids import positive_id
from platforms.base import EmailAlreadyTaken, PlatformRequestError, RecordNotFound
from platforms.woocommerce.addresses import (
    NATIVE_KINDS,
    address_from_native,
    blank_native,
    claim_defaults,
    clean_address,
    customer_update_body,
    merge_addresses,
    native_address_id,
    new_address_id,
    stored_addresses,
    with_id,
)
from platforms.woocommerce.client import WooCommerceClient
from platforms.woocommerce.mapping.customers import PLACE_FIELDS
from platforms.woocommerce.meta import CUSTOMER_META_FIELDS

#: request field (docs/ignite-contract.md §1.6) → the customer meta key written for it
ATTRIBUTE_META_KEYS: dict[str, str] = {
    "accounting_id": CUSTOMER_META_FIELDS["accounting_id"][0],
    "company_name": CUSTOMER_META_FIELDS["company_name"][0],
    "price_lists": CUSTOMER_META_FIELDS["price_lists"][0],
    "sales_agent_groups": CUSTOMER_META_FIELDS["sales_agent_groups"][0],
    "customer_discount_percentage": CUSTOMER_META_FIELDS["discount_percentage"][0],
    "group": CUSTOMER_META_FIELDS["group"][0],
    "role": CUSTOMER_META_FIELDS["role"][0],
}
PARENT_META_KEY = CUSTOMER_META_FIELDS["parent_customer_id"][0]
ROLE_META_KEY = CUSTOMER_META_FIELDS["role"][0]
#: WooCommerce's answer to creating a customer whose email is registered already
EMAIL_EXISTS_CODES = frozenset({"registration-error-email-exists", "woocommerce_rest_customer_invalid_email"})


def get_customer(client: WooCommerceClient, customer_id: str) -> dict[str, Any]:
    """The customer or ``RecordNotFound``; a non-numeric id is unknown without asking the store."""
    number = positive_id(customer_id)
    if number is None:
        raise RecordNotFound("Customer not found: a customer id is a positive number in ASCII digits.")
    found = client.get_or_none(f"customers/{number}")
    if not isinstance(found, dict):
        raise RecordNotFound(f"Customer {customer_id} not found.")
    return found


def find_customer_by_email(client: WooCommerceClient, email: str) -> dict[str, Any] | None:
    """``role=all``: the default ``role=customer`` would hide B2B roles and create a duplicate."""
    items = client.get_json("customers", params={"email": email, "role": "all"})
    for item in items if isinstance(items, list) else []:
        if str(item.get("email") or "").lower() == email.lower():
            return dict(item)
    return None


def meta_entry(key: str, value: Any) -> dict[str, Any]:
    """A meta write; ``None`` deletes the key (``WC_Data::save_meta_data`` drops null values)."""
    if value is None:
        return {"key": key, "value": None}
    if isinstance(value, list | tuple):
        return {"key": key, "value": json.dumps([str(v) for v in value])}
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return {"key": key, "value": format(Decimal(str(value)).normalize(), "f")}
    return {"key": key, "value": str(value)}


def attribute_meta(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Meta writes for the SparkLayer attributes present in ``data`` (absent ones are left as they are)."""
    return [meta_entry(meta_key, data[field]) for field, meta_key in ATTRIBUTE_META_KEYS.items() if field in data]


def is_email_taken(error: PermanentError) -> bool:
    return error.code in EMAIL_EXISTS_CODES


def customer_upsert(client: WooCommerceClient, data: Mapping[str, Any]) -> str:
    """Create or update the customer keyed by email; returns its WooCommerce id."""
    email = str(data["email"]).strip()
    existing = find_customer_by_email(client, email)
    body: dict[str, Any] = {"first_name": data["first_name"], "last_name": data["last_name"]}
    meta = attribute_meta(data)
    if data.get("addresses") is not None:
        before = stored_addresses(existing) if existing else []
        after = merge_addresses(before, data["addresses"])
        addresses_body = customer_update_body({"email": email}, before, after)
        meta += addresses_body.pop("meta_data")
        body.update(addresses_body)
    body["meta_data"] = meta
    if existing is not None:
        client.send_json("PUT", f"customers/{existing['id']}", body=body)
        return str(existing["id"])
    try:
        created = client.send_json("POST", "customers", body={"email": email, "password": _password(), **body})
    except PermanentError as exc:
        if not is_email_taken(exc):
            raise
        # Created by a concurrent call since we looked: update that one instead.
        raced = find_customer_by_email(client, email)
        if raced is None:
            raise
        client.send_json("PUT", f"customers/{raced['id']}", body=body)
        return str(raced["id"])
    return str(created["id"])


def _password() -> str:
    """Stores that do not generate passwords need one; the buyer sets their own via "lost password"."""
    return secrets.token_urlsafe(24)


# -- sub-accounts ------------------------------------------------------------------------------


def parent_of(customer: Mapping[str, Any]) -> str:
    for entry in customer.get("meta_data") or []:
        if isinstance(entry, Mapping) and entry.get("key") == PARENT_META_KEY and entry.get("value") not in (None, ""):
            return str(entry["value"])
    return ""


def sub_account_create(client: WooCommerceClient, data: Mapping[str, Any]) -> str:
    email = str(data["email"]).strip()
    if find_customer_by_email(client, email) is not None:
        raise EmailAlreadyTaken(f"{email} is registered already.")
    parent_id = str(data["parent_customer_external_id"])
    try:
        get_customer(client, parent_id)
    except RecordNotFound as exc:
        raise PlatformRequestError(f"Parent customer {parent_id} not found.", code="parent_not_found") from exc
    meta = [meta_entry(PARENT_META_KEY, parent_id)]
    if data.get("role"):
        meta.append(meta_entry(ROLE_META_KEY, data["role"]))
    body = {
        "email": email,
        "first_name": data["first_name"],
        "last_name": data["last_name"],
        "password": _password(),
        "meta_data": meta,
    }
    try:
        created = client.send_json("POST", "customers", body=body)
    except PermanentError as exc:
        if is_email_taken(exc):
            raise EmailAlreadyTaken(f"{email} is registered already.") from exc
        raise
    return str(created["id"])


def _sub_account(client: WooCommerceClient, customer_id: str) -> dict[str, Any]:
    """A customer linked to a parent; any other customer is not a sub-account (404)."""
    customer = get_customer(client, customer_id)
    if not parent_of(customer):
        raise RecordNotFound(f"Customer {customer_id} is not a sub-account.")
    return customer


def sub_account_update(client: WooCommerceClient, customer_id: str, data: Mapping[str, Any]) -> str:
    customer = _sub_account(client, customer_id)
    body: dict[str, Any] = {key: data[key] for key in ("first_name", "last_name") if data.get(key) is not None}
    if "role" in data:
        body["meta_data"] = [meta_entry(ROLE_META_KEY, data["role"])]
    if body:
        client.send_json("PUT", f"customers/{customer['id']}", body=body)
    return str(customer["id"])


def sub_account_delete(client: WooCommerceClient, customer_id: str) -> None:
    """Unlink only: the WooCommerce customer may own orders, so it stays (docs/ignite-contract.md §1.6)."""
    customer = _sub_account(client, customer_id)
    client.send_json("PUT", f"customers/{customer['id']}", body={"meta_data": [meta_entry(PARENT_META_KEY, None)]})


# -- addresses ---------------------------------------------------------------------------------


def _native_kind(customer: Mapping[str, Any], address_id: str, stored: list[dict[str, Any]]) -> str | None:
    """The native address ``address_id`` names, when the customer sync reports it under that id.

    Same rule as ``mapping.customers``: a non-blank native address that equals no stored address
    (never mirrored from SparkLayer, or edited by the merchant since) is sent as ``<id>-<kind>``.
    """
    for kind in NATIVE_KINDS:
        if address_id != native_address_id(customer["id"], kind):
            continue
        native = customer.get(kind) or {}
        if not any(str(v or "").strip() for k, v in native.items() if k != "email"):
            return None
        as_contract = address_from_native(native)
        if not any(_same_place(as_contract, item) for item in stored):
            return kind
    return None


def _same_place(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    return all(
        str(left.get(f) or "").strip().casefold() == str(right.get(f) or "").strip().casefold() for f in PLACE_FIELDS
    )


def address_create(client: WooCommerceClient, customer_id: str, address: Mapping[str, Any]) -> dict[str, Any]:
    customer = get_customer(client, customer_id)
    before = stored_addresses(customer)
    created = clean_address(address)
    created["id"] = new_address_id()
    after = [dict(a) for a in before] + [created]
    claim_defaults(after, created)
    client.send_json("PUT", f"customers/{customer['id']}", body=customer_update_body(customer, before, after))
    return with_id(created)


def address_update(
    client: WooCommerceClient, customer_id: str, address_id: str, address: Mapping[str, Any]
) -> dict[str, Any]:
    customer = get_customer(client, customer_id)
    before = stored_addresses(customer)
    updated = clean_address(address)
    updated["id"] = address_id
    if any(a["id"] == address_id for a in before):
        after = [updated if a["id"] == address_id else dict(a) for a in before]
    else:
        kind = _native_kind(customer, address_id, before)
        if kind is None:
            raise RecordNotFound(f"Address {address_id} not found.")
        # Adopt the native address under its native id. The sync reported it as that field's default,
        # so a stored address still flagged for the field is stale: the flag goes.
        stale = f"is_default_{kind}"
        after = [{**a, stale: False} for a in before] + [updated]
        before = [*before, {"id": address_id, stale: True}]
    claim_defaults(after, updated)
    client.send_json("PUT", f"customers/{customer['id']}", body=customer_update_body(customer, before, after))
    return with_id(updated)


def address_delete(client: WooCommerceClient, customer_id: str, address_id: str) -> None:
    customer = get_customer(client, customer_id)
    before = stored_addresses(customer)
    if any(a["id"] == address_id for a in before):
        after = [dict(a) for a in before if a["id"] != address_id]
        body = customer_update_body(customer, before, after)
    else:
        kind = _native_kind(customer, address_id, before)
        if kind is None:
            raise RecordNotFound(f"Address {address_id} not found.")
        native = blank_native(kind)
        if kind == "billing":
            native["email"] = str((customer.get("billing") or {}).get("email") or customer.get("email") or "")
        body = {kind: native}
    client.send_json("PUT", f"customers/{customer['id']}", body=body)
