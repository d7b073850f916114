"""Platform API customers → SparkLayer Customer v2 (``PUT /api/v2/customers/platform/{external_id}``).

SparkLayer replaces a customer wholesale, so the payload always carries everything: the
customer's own fields, every address (ids as the platform gives them) and the SparkLayer-only
attributes the platform keeps for the bridge under ``sparklayer`` (written there by the customer
requests), so SparkLayer never loses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platforms.standard.mapping.common import address_payload, parse_timestamp, text, without_blanks
from platforms.standard.validation import address_issue, customer_email_issue, customer_label
from platforms.types import DataType, SyncRecord

#: Customer v2 fields kept under the Platform API customer's ``sparklayer`` object
SPARKLAYER_FIELDS = (
    "accounting_id",
    "price_lists",
    "sales_agent_groups",
    "discount_percentage",
    "group",
    "role",
    "parent_customer_id",
    "tax_exempt",
    "payment_on_account",
)


def map_customer(customer: Mapping[str, Any]) -> SyncRecord:
    """Map one customer; without an email nothing is pushed, an incomplete address is left out."""
    external_id = text(customer.get("id"))
    url = text(customer.get("admin_url"))
    email = text(customer.get("email"))
    record = SyncRecord(
        data_type=DataType.CUSTOMERS,
        external_id=external_id,
        payload=None,
        platform_url=url,
        visible_id=email or external_id,
        updated_at=parse_timestamp(customer.get("updated_at")),
    )
    email_issue = customer_email_issue(customer, platform_url=url)
    if email_issue:
        record.issues.append(email_issue)
        return record
    label = customer_label(customer)
    addresses = []
    for address in customer.get("addresses") or []:
        if not isinstance(address, Mapping):
            continue
        issue = address_issue(
            address, record_external_id=external_id, record_label=label, platform_url=url, visible_id=email
        )
        if issue:
            record.issues.append(issue)
            continue
        addresses.append(
            {
                **address_payload(address),
                "external_id": text(address.get("id")),
                "is_default_billing": address.get("is_default_billing") is True,
                "is_default_shipping": address.get("is_default_shipping") is True,
            }
        )
    record.payload = without_blanks(
        {
            "external_id": external_id,
            "email": email,
            "first_name": text(customer.get("first_name")),
            "last_name": text(customer.get("last_name")),
            "company_name": text(customer.get("company_name")),
            "addresses": addresses,
            **sparklayer_attributes(customer.get("sparklayer")),
        }
    )
    return record


def sparklayer_attributes(raw: Any) -> dict[str, Any]:
    """The attributes that are set (empty lists and nulls are left out: SparkLayer's default)."""
    if not isinstance(raw, Mapping):
        return {}
    found: dict[str, Any] = {}
    for field in SPARKLAYER_FIELDS:
        value = raw.get(field)
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list):
            value = [text(item) for item in value if text(item)]
        elif isinstance(value, str):
            value = value.strip()
        found[field] = value
    return found
