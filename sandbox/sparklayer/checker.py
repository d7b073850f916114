"""Field-by-field checks that collect every error before answering.

SparkLayer answers one ``errors[]`` entry per bad property; collecting (rather than stopping at the
first) lets the bridge's issue list show everything wrong with a record at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sandbox.sparklayer.problems import FieldError, invalid

_MISSING = object()
CURRENCY = re.compile(r"^[A-Za-z]{3}$")
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
RESERVED_PREFIXES = ("pp_", "pv_", "cu_")


def join(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


class Checker:
    """Reads typed values out of a decoded JSON body, recording an error for each bad one."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, prop: str, code: str, message: str) -> None:
        self.errors.append(FieldError(code, message, prop))

    def raise_if_errors(self) -> None:
        if self.errors:
            raise invalid(self.errors)

    def mapping(self, value: Any, prop: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(prop, "invalid_type", "Must be an object.")
            return None
        return value

    def items(self, value: Any, prop: str, *, max_items: int | None = None) -> list[Any]:
        if not isinstance(value, list):
            self.fail(prop, "invalid_type", "Must be an array.")
            return []
        if max_items is not None and len(value) > max_items:
            self.fail(prop, "too_many_items", f"At most {max_items} items are allowed, got {len(value)}.")
            return []
        return value

    def string(
        self,
        data: dict[str, Any],
        key: str,
        prefix: str = "",
        *,
        required: bool = False,
        nullable: bool = True,
        choices: Iterable[str] | None = None,
        reserved_prefix: bool = False,
    ) -> str | None:
        """A non-empty string; ``reserved_prefix`` rejects SparkLayer's own id prefixes (pp_, pv_, cu_)."""
        prop = join(prefix, key)
        value = data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.fail(prop, "required", "This field is required.")
            elif value is None and not nullable:
                self.fail(prop, "invalid_type", "Must not be null.")
            return None
        if not isinstance(value, str):
            self.fail(prop, "invalid_type", "Must be a string.")
            return None
        if value == "":
            self.fail(prop, "blank", "Must not be blank.")
            return None
        if reserved_prefix and value.startswith(RESERVED_PREFIXES):
            self.fail(prop, "reserved_prefix", "Must not start with pp_, pv_ or cu_ (SparkLayer id prefixes).")
            return None
        if choices is not None:
            allowed = sorted(choices)
            if value not in allowed:
                self.fail(prop, "invalid_choice", f"Must be one of: {', '.join(allowed)}.")
                return None
        return value

    def number(
        self, data: dict[str, Any], key: str, prefix: str = "", *, required: bool = False, integer: bool = False
    ) -> float | int | None:
        prop = join(prefix, key)
        value = data.get(key)
        if value is None:
            if required:
                self.fail(prop, "required", "This field is required.")
            return None
        kinds: tuple[type, ...] = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            self.fail(prop, "invalid_type", "Must be an integer." if integer else "Must be a number.")
            return None
        return value  # type: ignore[no-any-return]

    def boolean(self, data: dict[str, Any], key: str, prefix: str = "", *, required: bool = False) -> bool | None:
        prop = join(prefix, key)
        value = data.get(key)
        if value is None:
            if required:
                self.fail(prop, "required", "This field is required.")
            return None
        if not isinstance(value, bool):
            self.fail(prop, "invalid_type", "Must be a boolean.")
            return None
        return value

    def string_list(self, data: dict[str, Any], key: str, prefix: str = "") -> list[str]:
        prop = join(prefix, key)
        value = data.get(key)
        if value is None:
            return []
        result: list[str] = []
        for index, item in enumerate(self.items(value, prop)):
            if not isinstance(item, str) or not item:
                self.fail(join(prop, index), "invalid_type", "Must be a non-empty string.")
            else:
                result.append(item)
        return result

    def currency(self, data: dict[str, Any], key: str, prefix: str = "", *, required: bool = False) -> str | None:
        value = self.string(data, key, prefix, required=required)
        if value is not None and not CURRENCY.match(value):
            self.fail(join(prefix, key), "invalid_currency", "Must be an ISO 4217 code of three letters.")
            return None
        return value

    def price(self, data: dict[str, Any], key: str, prefix: str = "", *, required: bool = True) -> str | None:
        """A price as a decimal string or a number, stored as the decimal string."""
        prop = join(prefix, key)
        value = data.get(key)
        if value is None:
            if required:
                self.fail(prop, "required", "This field is required.")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(prop, "invalid_type", "Must be a decimal string or a number.")
            return None
        text = str(value)
        if not DECIMAL.match(text):
            self.fail(prop, "invalid_decimal", "Must be a decimal such as 15.99.")
            return None
        return text

    def money(
        self, data: dict[str, Any], key: str, prefix: str = "", *, required: bool = False
    ) -> dict[str, str] | None:
        """Money is ``{"number": "15.99", "currency": "gbp"}``: a decimal string, never a float."""
        prop = join(prefix, key)
        value = data.get(key)
        if value is None:
            if required:
                self.fail(prop, "required", "This field is required.")
            return None
        money = self.mapping(value, prop)
        if money is None:
            return None
        number = money.get("number")
        if not isinstance(number, str) or not DECIMAL.match(number):
            self.fail(join(prop, "number"), "invalid_decimal", 'Must be a decimal string such as "15.99".')
        currency = self.currency(money, "currency", prop, required=True)
        if not isinstance(number, str) or not DECIMAL.match(number) or currency is None:
            return None
        return {"number": number, "currency": currency}

    def timestamp(self, data: dict[str, Any], key: str, prefix: str = "") -> str | None:
        """An ISO 8601 date-time or null/absent (which the sync log treats as "clear it")."""
        prop = join(prefix, key)
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(prop, "invalid_type", "Must be an ISO 8601 date-time string.")
            return None
        try:
            datetime.fromisoformat(value)
        except ValueError:
            self.fail(prop, "invalid_datetime", "Must be an ISO 8601 date-time such as 2024-01-01T00:00:00Z.")
            return None
        return value
