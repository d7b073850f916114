"""WooCommerce customers → SparkLayer Customer v2 (``PUT /api/v2/customers/platform/{external_id}``).

SparkLayer replaces a customer wholesale (fields left out are cleared, addresses not sent are
deleted), so the payload always carries everything: the WooCommerce fields, both addresses, and
every SparkLayer-only attribute read back from the customer's ``sparklayer_*`` meta (written there
by the customer-request endpoints).

Addresses: WooCommerce holds one native ``billing`` and one ``shipping`` address; SparkLayer's extra
addresses live in the ``sparklayer_addresses`` meta list (written by the address endpoints, each
with an ``id``). The sync sends the meta list plus any native address not already in it, under
the stable ids ``<customer id>-billing`` / ``<customer id>-shipping``. The native addresses are the
defaults (the store's checkout uses them); when the customer has no usable shipping address the
billing one is also the default shipping one, as in WooCommerce's checkout.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from platforms.types import DataType, SyncRecord
from platforms.woocommerce.addresses import stored_addresses
from platforms.woocommerce.mapping.common import (
    address_payload,
    customer_admin_url,
    meta_value,
    parse_gmt,
    text,
    without_blanks,
)
from platforms.woocommerce.meta import BOOL_FIELDS, CUSTOMER_META_FIELDS, LIST_FIELDS, NUMBER_FIELDS, OBJECT_FIELDS
from platforms.woocommerce.validation import (
    address_is_blank,
    address_issue,
    customer_email_issue,
    customer_label,
    parse_decimal,
)


def address_external_id(customer_id: Any, kind: str) -> str:
    return f"{customer_id}-{kind}"


def map_customer(customer: Mapping[str, Any], *, store_url: str) -> SyncRecord:
    """Map one customer; without an email nothing is pushed, a bad address is left out."""
    external_id = str(customer.get("id"))
    url = customer_admin_url(store_url, external_id)
    label = customer_label(customer)
    email = text(customer.get("email"))
    billing = customer.get("billing") or {}
    record = SyncRecord(
        data_type=DataType.CUSTOMERS,
        external_id=external_id,
        payload=None,
        platform_url=url,
        visible_id=email or text(customer.get("username")),
        updated_at=parse_gmt(customer.get("date_modified_gmt")) or parse_gmt(customer.get("date_created_gmt")),
    )
    email_issue = customer_email_issue(customer, platform_url=url)
    if email_issue:
        record.issues.append(email_issue)
        return record

    addresses = customer_addresses(customer, record=record, label=label, email=email)
    record.payload = without_blanks(
        {
            "external_id": external_id,
            "email": email,
            "first_name": text(customer.get("first_name")) or text(billing.get("first_name")),
            "last_name": text(customer.get("last_name")) or text(billing.get("last_name")),
            "company_name": text(billing.get("company")),
            "addresses": addresses,
            **sparklayer_attributes(customer),
        }
    )
    return record


def sparklayer_attributes(customer: Mapping[str, Any]) -> dict[str, Any]:
    """The SparkLayer-only attributes stored as ``sparklayer_*`` meta, typed as Customer v2 wants them."""
    attributes: dict[str, Any] = {}
    for field, meta_keys in CUSTOMER_META_FIELDS.items():
        for meta_key in meta_keys:
            value = _typed(field, meta_value(customer, meta_key))
            if value is not None:
                attributes[field] = value
                break
    return attributes


def _typed(field: str, raw: Any) -> Any:
    """Meta values arrive as WordPress stored them: strings, JSON strings, arrays or objects."""
    if raw is None or raw == "" or raw == []:
        return None
    if field in LIST_FIELDS:
        return _string_list(raw) or None
    if field in NUMBER_FIELDS:
        number = parse_decimal(raw)
        if number is None:
            return None
        return int(number) if number == number.to_integral_value() else float(number)
    if field in BOOL_FIELDS:
        return raw is True or str(raw).strip().lower() in ("1", "yes", "true")
    if field in OBJECT_FIELDS:
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                return None
        return dict(raw) if isinstance(raw, Mapping) else None
    return text(raw) or None


def _string_list(raw: Any) -> list[str]:
    if isinstance(raw, str):
        stripped = raw.strip()
        if stripped.startswith("["):
            try:
                raw = json.loads(stripped)
            except ValueError:
                raw = stripped.strip("[]").split(",")
        else:
            raw = stripped.split(",")
    if isinstance(raw, Mapping):  # PHP arrays with non-sequential keys come back as objects
        raw = list(raw.values())
    if not isinstance(raw, list):
        return []
    return [text(item) for item in raw if text(item)]


#: contract Address fields compared to tell whether two addresses are the same place
PLACE_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address_line1",
    "address_line2",
    "city",
    "region_code",
    "postal_code",
    "country_code",
    "phone",
)


def customer_addresses(
    customer: Mapping[str, Any], *, record: SyncRecord, label: str, email: str
) -> list[dict[str, Any]]:
    """Stored + native addresses with external ids and default flags; incomplete ones become issues."""
    url, external_id = record.platform_url, record.external_id
    natives: dict[str, dict[str, Any]] = {}
    for kind in ("billing", "shipping"):
        address = customer.get(kind) or {}
        if address_is_blank(address):
            continue
        issue = address_issue(
            address, kind=kind, record_external_id=external_id, record_label=label, platform_url=url, visible_id=email
        )
        if issue:
            record.issues.append(issue)
            continue
        natives[kind] = address_payload(address)

    by_id: dict[str, dict[str, Any]] = {}
    stored_defaults: dict[str, str] = {}
    for item in stored_addresses(customer):
        address_id = text(item.get("id"))
        payload = _contract_payload(item)
        issue = address_issue(
            _as_native(payload), kind=f"saved ({address_id})", record_external_id=external_id, record_label=label,
            platform_url=url, visible_id=email,
        )  # fmt: skip
        if issue:
            record.issues.append(issue)
            continue
        by_id[address_id] = payload
        for kind in ("billing", "shipping"):
            if item.get(f"is_default_{kind}") is True:
                stored_defaults.setdefault(kind, address_id)

    defaults: dict[str, str] = {}
    for kind, payload in natives.items():
        match = next((aid for aid, known in by_id.items() if _same_place(known, payload)), None)
        if match is None:  # new, or the merchant edited it in WooCommerce: the native one wins
            match = address_external_id(external_id, kind)
            by_id[match] = payload
        defaults[kind] = match
    for kind, address_id in stored_defaults.items():
        defaults.setdefault(kind, address_id)
    if "shipping" not in defaults and "billing" in defaults:
        defaults["shipping"] = defaults["billing"]
    return [
        {
            **payload,
            "external_id": address_id,
            "is_default_billing": defaults.get("billing") == address_id,
            "is_default_shipping": defaults.get("shipping") == address_id,
        }
        for address_id, payload in by_id.items()
    ]


def _contract_payload(address: Mapping[str, Any]) -> dict[str, Any]:
    payload = {field: text(address.get(field)) for field in PLACE_FIELDS}
    payload["country_code"] = payload["country_code"].upper()
    for optional in ("title", "region_name"):
        if text(address.get(optional)):
            payload[optional] = text(address.get(optional))
    return without_blanks(payload)


def _as_native(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "address_1": payload.get("address_line1"),
        "city": payload.get("city"),
        "country": payload.get("country_code"),
    }


def _same_place(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    return all(text(left.get(field)).casefold() == text(right.get(field)).casefold() for field in PLACE_FIELDS)
