"""Customer addresses beyond WooCommerce's two native ones, kept in customer meta with stable ids.

WooCommerce stores exactly one ``billing`` and one ``shipping`` address per customer. SparkLayer
customers have any number of addresses, each with an id, and flags saying which is the default
billing and default shipping one. The bridge therefore keeps SparkLayer's addresses in the
customer meta ``sparklayer_addresses`` (a JSON list of contract Addresses, each with an ``id``) and
mirrors the two defaults into the native fields, which is what the store's own checkout, emails and
tax rules read.

Ids: a new address gets a uuid. The native addresses the customer sync reports as
``<customer id>-billing`` / ``<customer id>-shipping`` keep those ids when SparkLayer edits them
(they are adopted into the meta list under that id), so an id SparkLayer holds never changes.

Everything here is pure; ``customer_requests`` does the I/O.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

#: customer meta holding SparkLayer's addresses (read back by ``mapping.customers``)
ADDRESSES_META_KEY = "sparklayer_addresses"

#: contract Address fields stored per address (``customer_address_external_id`` is the ``id``)
ADDRESS_FIELDS = (
    "title",
    "first_name",
    "last_name",
    "company",
    "address_line1",
    "address_line2",
    "city",
    "region_name",
    "region_code",
    "postal_code",
    "country_code",
    "phone",
)
FLAG_FIELDS = ("is_default_shipping", "is_default_billing", "is_temporary")
NATIVE_KINDS = ("billing", "shipping")


def native_address_id(customer_id: Any, kind: str) -> str:
    """The id the customer sync gives a native address (same rule as ``mapping.address_external_id``)."""
    return f"{customer_id}-{kind}"


def stored_addresses(customer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The meta list as written by the bridge; tolerant of an array or a JSON string, drops junk entries."""
    raw: Any = None
    for entry in customer.get("meta_data") or []:
        if isinstance(entry, Mapping) and entry.get("key") == ADDRESSES_META_KEY:
            raw = entry.get("value")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    if isinstance(raw, Mapping):  # PHP arrays with gaps in their keys come back as objects
        raw = list(raw.values())
    if not isinstance(raw, list):
        return []
    return [dict(item) for item in raw if isinstance(item, Mapping) and item.get("id")]


def clean_address(address: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the contract fields only: text as stripped strings, flags as booleans, country upper case."""
    result: dict[str, Any] = {}
    for field in ADDRESS_FIELDS:
        value = address.get(field)
        result[field] = "" if value is None else str(value).strip()
    result["country_code"] = result["country_code"].upper()
    for flag in FLAG_FIELDS:
        result[flag] = bool(address.get(flag))
    return result


def same_place(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    """Two addresses with equal contract fields are the same address (flags aside)."""
    return all(str(left.get(f) or "").strip() == str(right.get(f) or "").strip() for f in ADDRESS_FIELDS)


def with_id(address: Mapping[str, Any]) -> dict[str, Any]:
    """A stored address as the contract's AddressWithId."""
    body = clean_address(address)
    body["customer_address_external_id"] = str(address["id"])
    return body


def native_from_address(address: Mapping[str, Any], *, kind: str, email: str = "") -> dict[str, str]:
    """Contract Address → WooCommerce ``billing``/``shipping`` object."""
    native = {
        "first_name": str(address.get("first_name") or ""),
        "last_name": str(address.get("last_name") or ""),
        "company": str(address.get("company") or ""),
        "address_1": str(address.get("address_line1") or ""),
        "address_2": str(address.get("address_line2") or ""),
        "city": str(address.get("city") or ""),
        # The code only: the customer sync compares native and stored addresses field by field.
        "state": str(address.get("region_code") or ""),
        "postcode": str(address.get("postal_code") or ""),
        "country": str(address.get("country_code") or "").upper(),
        "phone": str(address.get("phone") or ""),
    }
    if kind == "billing" and email:
        native["email"] = email
    return native


def address_from_native(native: Mapping[str, Any]) -> dict[str, Any]:
    """WooCommerce ``billing``/``shipping`` → contract Address fields (no flags)."""
    return clean_address(
        {
            "first_name": native.get("first_name"),
            "last_name": native.get("last_name"),
            "company": native.get("company"),
            "address_line1": native.get("address_1"),
            "address_line2": native.get("address_2"),
            "city": native.get("city"),
            "region_code": native.get("state"),
            "postal_code": native.get("postcode"),
            "country_code": native.get("country"),
            "phone": native.get("phone"),
        }
    )


def blank_native(kind: str) -> dict[str, str]:
    keys = ["first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode", "country"]
    keys.append("phone")
    if kind == "billing":
        keys.append("email")
    return dict.fromkeys(keys, "")


def new_address_id() -> str:
    return str(uuid.uuid4())


def claim_defaults(addresses: list[dict[str, Any]], chosen: Mapping[str, Any]) -> None:
    """Only one address may be the default billing (and one the default shipping): ``chosen`` wins."""
    for address in addresses:
        if address["id"] == chosen["id"]:
            continue
        for flag in ("is_default_billing", "is_default_shipping"):
            if chosen.get(flag):
                address[flag] = False


def customer_update_body(
    customer: Mapping[str, Any], before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The ``PUT /customers/<id>`` body storing ``after`` and mirroring its defaults to the native fields.

    A native field takes the address flagged default for it. When no address is flagged any more but
    one was before (SparkLayer removed or un-flagged the default), the native field is cleared, so
    the customer sync does not bring the old address back under its native id. A native address no
    SparkLayer address ever claimed (typed in by the merchant) is left alone.
    """
    body: dict[str, Any] = {"meta_data": [{"key": ADDRESSES_META_KEY, "value": json.dumps(list(after))}]}
    email = str(customer.get("email") or "")
    for kind in NATIVE_KINDS:
        flag = f"is_default_{kind}"
        current = next((a for a in after if a.get(flag)), None)
        previous = next((a for a in before if a.get(flag)), None)
        if current is not None:
            body[kind] = native_from_address(current, kind=kind, email=email)
        elif previous is not None:
            body[kind] = blank_native(kind)
            if kind == "billing" and email:
                body[kind]["email"] = email
    return body


def merge_addresses(
    existing: Sequence[Mapping[str, Any]], incoming: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The list after a whole-customer write: incoming addresses keep the id of an equal stored one."""
    result: list[dict[str, Any]] = []
    free = [dict(a) for a in existing]
    for address in incoming:
        cleaned = clean_address(address)
        match = next((a for a in free if same_place(a, cleaned)), None)
        if match is not None:
            free.remove(match)
            cleaned["id"] = match["id"]
        else:
            cleaned["id"] = new_address_id()
        result.append(cleaned)
    for flag in ("is_default_billing", "is_default_shipping"):
        flagged = [a for a in result if a[flag]]
        for extra in flagged[1:]:  # the first flagged address wins, as in claim_defaults
            extra[flag] = False
    return result
