"""Payload validation for customer upserts (v2, full replace) and purchase upserts.

A customer upsert is a full replace, so the normalised customer holds every documented field:
what the bridge left out comes back empty, exactly as SparkLayer would then store it.
"""

from __future__ import annotations

from typing import Any

from sandbox.sparklayer.checker import Checker, join
from sandbox.sparklayer.problems import FieldError, invalid
from sandbox.sparklayer.validation import CUSTOMER_ROLES, PURCHASE_TYPES, require_object

CUSTOMER_TEXT_FIELDS = (
    "title",
    "first_name",
    "last_name",
    "company_name",
    "accounting_id",
    "currency_code",
    "default_billing_address_id",
    "default_shipping_address_id",
    "parent_customer_id",
)
ADDRESS_TEXT_FIELDS = (
    "title",
    "first_name",
    "last_name",
    "company",
    "address_line2",
    "region_name",
    "region_code",
    "postal_code",
    "phone",
    "mobile",
    "nickname",
)


def _id_mismatch(prop: str, path_value: str) -> Exception:
    message = f"The body's {prop} must equal the identifier in the path ({path_value})."
    return invalid([FieldError("idMismatch", message, prop)], detail=message)


def customer(body: Any, external_id: str) -> dict[str, Any]:
    data = require_object(body)
    check = Checker()
    body_id = check.string(data, "external_id", required=True, reserved_prefix=True)
    if body_id is not None and body_id != external_id:
        raise _id_mismatch("external_id", external_id)
    email = check.string(data, "email", required=True)
    if email is not None and "@" not in email:
        check.fail("email", "invalid_email", "Must be an email address.")
    result: dict[str, Any] = {"external_id": external_id, "email": email}
    for key in CUSTOMER_TEXT_FIELDS:
        result[key] = check.string(data, key)
    result["group"] = check.string(data, "group") or "base"
    result["role"] = check.string(data, "role", choices=CUSTOMER_ROLES) or "main"
    result["price_lists"] = check.string_list(data, "price_lists")
    result["sales_agent_groups"] = check.string_list(data, "sales_agent_groups")
    discount = check.number(data, "discount_percentage")
    if discount is not None and not 0 <= discount <= 100:
        check.fail("discount_percentage", "invalid", "Must be between 0 and 100.")
    result["discount_percentage"] = discount
    result["tax_exempt"] = bool(check.boolean(data, "tax_exempt"))
    account = data.get("payment_on_account")
    result["payment_on_account"] = None if account is None else check.mapping(account, "payment_on_account")
    result["addresses"] = _addresses(check, data.get("addresses"))
    check.raise_if_errors()
    return result


def _addresses(check: Checker, value: Any) -> list[dict[str, Any]]:
    addresses: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate([] if value is None else check.items(value, "addresses")):
        prefix = f"addresses[{index}]"
        data = check.mapping(item, prefix)
        if data is None:
            continue
        external_id = check.string(data, "external_id", prefix)
        if external_id is not None and external_id.startswith("ca_"):
            check.fail(
                join(prefix, "external_id"), "reserved_prefix", "Must not start with ca_ (SparkLayer id prefix)."
            )
        elif external_id is not None and external_id in seen:
            check.fail(join(prefix, "external_id"), "duplicate", "Each address external_id may appear once.")
        seen.add(external_id or "")
        address: dict[str, Any] = {"external_id": external_id}
        address["address_line1"] = check.string(data, "address_line1", prefix, required=True)
        address["city"] = check.string(data, "city", prefix, required=True)
        country = check.string(data, "country_code", prefix, required=True)
        if country is not None and (len(country) != 2 or not country.isalpha()):
            check.fail(join(prefix, "country_code"), "invalid_country", "Must be an ISO 3166-1 alpha-2 code.")
        address["country_code"] = country
        for key in ADDRESS_TEXT_FIELDS:
            address[key] = check.string(data, key, prefix)
        for key in ("is_default_shipping", "is_default_billing"):
            address[key] = bool(check.boolean(data, key, prefix))
        addresses.append(address)
    return addresses


def purchase(body: Any, order_id: str) -> dict[str, Any]:
    """The purchase is stored as sent (it is replaced whole); only its documented core is checked."""
    data = require_object(body)
    check = Checker()
    check.string(data, "type", required=True, choices=PURCHASE_TYPES)
    identifiers = data.get("purchase_identifiers")
    if identifiers is None:
        check.fail("purchase_identifiers", "required", "This field is required.")
    elif check.mapping(identifiers, "purchase_identifiers") is not None:
        platform_id = check.string(identifiers, "platform", "purchase_identifiers", required=True)
        if platform_id is not None and platform_id != order_id:
            raise _id_mismatch("purchase_identifiers.platform", order_id)
        for key in ("sparklayer", "internal", "visible"):
            check.string(identifiers, key, "purchase_identifiers")
    for key in ("customer_identifiers", "dates"):
        if data.get(key) is None:
            check.fail(key, "required", "This field is required.")
        else:
            check.mapping(data[key], key)
    currency = check.currency(data, "currency_code", required=True)
    total = check.money(data, "calculated_total")
    if total is not None and currency is not None and total["currency"].lower() != currency.lower():
        check.fail("calculated_total.currency", "currency_mismatch", "Must equal currency_code.")
    for key in ("packages", "accounting_files", "custom_fields"):
        if data.get(key) is None:
            check.fail(key, "required", "This field is required.")
        else:
            for index, item in enumerate(check.items(data[key], key)):
                check.mapping(item, join(key, index))
    check.raise_if_errors()
    return data
