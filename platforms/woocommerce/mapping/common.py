"""Helpers every WooCommerce mapping shares: store settings, dates, money, admin links, addresses.

All pure: nothing here performs I/O, so the mapping can be table-tested from JSON fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from platforms.woocommerce.validation import parse_decimal

#: grams per unit of ``woocommerce_weight_unit``
GRAMS_PER_UNIT: dict[str, Decimal] = {
    "g": Decimal("1"),
    "kg": Decimal("1000"),
    "lbs": Decimal("453.59237"),
    "oz": Decimal("28.349523125"),
}


@dataclass(frozen=True)
class StoreSettings:
    """The store-wide settings the mapping depends on (read once per adapter)."""

    currency: str = "USD"  # woocommerce_currency, ISO 4217
    weight_unit: str = "kg"  # woocommerce_weight_unit
    prices_include_tax: bool = False  # woocommerce_prices_include_tax
    store_address: str = ""  # woocommerce_store_address(_2), _city, _postcode, joined: names the stock location

    @property
    def currency_code(self) -> str:
        """SparkLayer writes currency codes in lower case (``gbp``)."""
        return self.currency.lower()


def product_admin_url(store_url: str, product_id: Any) -> str:
    return f"{store_url.rstrip('/')}/wp-admin/post.php?post={product_id}&action=edit"


def order_admin_url(store_url: str, order_id: Any) -> str:
    return f"{store_url.rstrip('/')}/wp-admin/post.php?post={order_id}&action=edit"


def customer_admin_url(store_url: str, customer_id: Any) -> str:
    return f"{store_url.rstrip('/')}/wp-admin/user-edit.php?user_id={customer_id}"


def parse_gmt(value: Any) -> datetime | None:
    """A WooCommerce ``*_gmt`` field (ISO 8601 without offset, UTC) as an aware datetime."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace(" ", "T")
    if text.endswith("Z"):
        text = text[:-1]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso_utc(value: Any) -> str | None:
    """A ``*_gmt`` field as ISO 8601 with an explicit ``Z`` (what SparkLayer's dates expect)."""
    parsed = parse_gmt(value)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else None


#: ISO 4217 minor units of the currencies whose minor unit is not 2 (everything else has 2)
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF"}
    | {"XPF"}
)
CURRENCY_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(ZERO_DECIMAL_CURRENCIES, 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def minor_unit(currency_code: str) -> int:
    """Decimal places of the currency's minor unit (ISO 4217): 2 unless the table above says otherwise."""
    return CURRENCY_MINOR_UNITS.get((currency_code or "").strip().upper(), 2)


def money_string(value: Decimal, currency_code: str) -> str:
    """An amount as a decimal string with exactly the currency's minor unit, rounded half up.

    WooCommerce stores prices as typed (``"12.345"`` in a pound store is possible); SparkLayer's Money
    is an amount of the currency, so it gets the currency's precision: ``12.345`` GBP → ``"12.35"``,
    ``1500.4`` JPY → ``"1500"``, ``1.2345`` KWD → ``"1.235"``.
    """
    places = minor_unit(currency_code)
    return format(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")


def price_string(value: Any, currency_code: str) -> str | None:
    """A WooCommerce price (string, or a number for order ``price``) in the currency's precision; None if blank/bad."""
    parsed = parse_decimal(value)
    return money_string(parsed, currency_code) if parsed is not None else None


def money(value: Any, currency_code: str) -> dict[str, str] | None:
    """Contract Money ``{"number": "15.99", "currency": "gbp"}``; None when the value is not a number."""
    number = price_string(value, currency_code)
    return {"number": number, "currency": currency_code} if number is not None else None


def weight_in_grams(weight: Any, unit: str) -> int | None:
    """A weight in the store unit as whole grams (rounded half up); None when blank or unparseable."""
    parsed = parse_decimal(weight)
    factor = GRAMS_PER_UNIT.get((unit or "").lower())
    if parsed is None or factor is None or parsed < 0:
        return None
    return int((parsed * factor).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def meta_value(record: Mapping[str, Any], key: str) -> Any:
    """The value of the last ``meta_data`` entry with ``key`` (WordPress allows repeats; the last wins)."""
    found: Any = None
    for entry in record.get("meta_data") or []:
        if isinstance(entry, Mapping) and entry.get("key") == key:
            found = entry.get("value")
    return found


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def address_payload(address: Mapping[str, Any]) -> dict[str, Any]:
    """A WooCommerce ``billing``/``shipping`` object as a SparkLayer Address (docs/ignite-contract.md §1.6, §2.4)."""
    payload: dict[str, Any] = {
        "first_name": text(address.get("first_name")),
        "last_name": text(address.get("last_name")),
        "company": text(address.get("company")),
        "address_line1": text(address.get("address_1")),
        "address_line2": text(address.get("address_2")),
        "city": text(address.get("city")),
        "region_code": text(address.get("state")),
        "postal_code": text(address.get("postcode")),
        "country_code": text(address.get("country")).upper(),
        "phone": text(address.get("phone")),
    }
    return without_blanks(payload)


def without_blanks(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Leave out empty strings: SparkLayer refuses blank text, and under full replace an absent
    field is stored empty anyway, so leaving it out says the same thing."""
    return {key: value for key, value in payload.items() if value != ""}
