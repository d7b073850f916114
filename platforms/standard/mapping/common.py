"""Helpers the Platform API mappings share: store settings, timestamps, money, weights, addresses.

All pure: nothing here performs I/O, so the mappings can be table-tested from JSON fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from platforms.validation import parse_decimal

#: grams per unit of the store's ``weight_unit`` (settings)
GRAMS_PER_UNIT: dict[str, Decimal] = {
    "g": Decimal("1"),
    "kg": Decimal("1000"),
    "lb": Decimal("453.59237"),
    "oz": Decimal("28.349523125"),
}

#: contract Address fields, as the Platform API names them too
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


@dataclass(frozen=True)
class StoreSettings:
    """``GET {base}/settings``: what the mappings need, read once per adapter."""

    currency: str = "USD"
    weight_unit: str = "kg"
    prices_include_tax: bool = False
    name: str = ""

    @property
    def currency_code(self) -> str:
        """SparkLayer writes currency codes in lower case (``gbp``)."""
        return self.currency.lower()


def store_settings(body: Mapping[str, Any]) -> StoreSettings:
    return StoreSettings(
        currency=text(body.get("currency")).upper() or "USD",
        weight_unit=text(body.get("weight_unit")).lower() or "kg",
        prices_include_tax=body.get("prices_include_tax") is True,
        name=text(body.get("name")),
    )


def text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 date-time as an aware UTC datetime; None when blank or unreadable.

    An offset-less value is read as UTC (the schema requires an offset; the mapping is lenient)."""
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip().replace(" ", "T")
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso_utc(value: Any) -> str | None:
    """A timestamp as ISO 8601 UTC with ``Z`` (what SparkLayer's dates expect)."""
    parsed = parse_timestamp(value)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else None


def decimal_string(value: Decimal) -> str:
    """At least two places (``12.5`` → ``"12.50"``), never a float."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format(value, "f")


def price_string(value: Any) -> str | None:
    parsed = parse_decimal(value)
    return decimal_string(parsed) if parsed is not None else None


def money(value: Any, currency_code: str) -> dict[str, str] | None:
    """Contract Money ``{"number": "15.99", "currency": "gbp"}``; None when the value is not a number."""
    number = price_string(value)
    return {"number": number, "currency": currency_code} if number is not None else None


def weight_in_grams(weight: Any, unit: str) -> int | None:
    parsed = parse_decimal(weight)
    factor = GRAMS_PER_UNIT.get((unit or "").lower())
    if parsed is None or factor is None or parsed < 0:
        return None
    return int((parsed * factor).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def slugify(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def without_blanks(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Leave out empty strings and None: SparkLayer refuses blank text, and under full replace an
    absent field is stored empty anyway."""
    return {key: value for key, value in payload.items() if value != "" and value is not None}


def address_payload(address: Mapping[str, Any]) -> dict[str, Any]:
    """A Platform API address as a SparkLayer Address (same field names; blanks left out)."""
    payload = {field: text(address.get(field)) for field in ADDRESS_FIELDS}
    payload["country_code"] = payload["country_code"].upper()
    return without_blanks(payload)


def address_is_blank(address: Mapping[str, Any] | None) -> bool:
    if not address:
        return True
    return not any(text(address.get(field)) for field in ADDRESS_FIELDS if field != "phone")
