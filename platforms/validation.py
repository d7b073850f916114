"""Validation rules every platform shares: duplicate SKUs across a run, prices that are not numbers.

Pure functions returning a ``RecordIssue`` (or None), like each platform's own ``validation``
module: the mapping decides what to leave out, the rule says what is wrong in a sentence a
merchant can act on. The codes are stable (the sync engine resolves an issue when the same
``(external_id, code)`` no longer comes back), so every platform reports these two the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from decimal import Decimal, InvalidOperation
from typing import Any

from platforms.types import RecordIssue

DUPLICATE_SKU = "duplicate_sku"
PRICE_NOT_A_NUMBER = "price_not_a_number"
#: no price, quantity or weight a store holds reaches this; past it an amount cannot be rounded to a
#: currency's minor unit within ``decimal``'s 28 digits (``1e400`` would stop the mapping), so it is
#: treated like any other value that is not a number
NUMBER_LIMIT = Decimal(10) ** 15


def duplicate_sku_issue(
    sku: str,
    owner_external_id: str,
    seen: MutableMapping[str, str],
    *,
    record_external_id: str,
    record_label: str,
    platform_url: str,
) -> RecordIssue | None:
    """Record ``sku`` as owned by ``owner_external_id``; an issue when another owner had it first.

    ``seen`` belongs to the caller so duplicates are caught across pages of one sync run. The same
    owner seen twice (the record fetched again) is not a duplicate.
    """
    key = sku.strip()
    first_owner = seen.setdefault(key, owner_external_id)
    if first_owner == owner_external_id:
        return None
    return RecordIssue(
        external_id=record_external_id,
        code=DUPLICATE_SKU,
        message=(
            f"{record_label}: SKU '{key}' (variant #{owner_external_id}) is already used by variant "
            f"#{first_owner}; SKUs must be unique, so this one is left out."
        ),
        platform_url=platform_url,
        visible_id=key,
    )


def price_issue(
    prices: Mapping[str, Any], *, record_external_id: str, record_label: str, platform_url: str, visible_id: str = ""
) -> RecordIssue | None:
    """One issue naming every price field (``field → value``) that is set but not a number.

    A blank price is fine (no price set); anything else must parse as a finite decimal below
    ``NUMBER_LIMIT``.
    """
    bad = {field: value for field, value in prices.items() if value not in (None, "") and parse_decimal(value) is None}
    if not bad:
        return None
    listed = ", ".join(f"{field} {value!r}" for field, value in bad.items())
    return RecordIssue(
        external_id=record_external_id,
        code=PRICE_NOT_A_NUMBER,
        message=f"{record_label}: {listed} is not a number a price can be; that price is left out.",
        platform_url=platform_url,
        visible_id=visible_id,
    )


def parse_decimal(value: Any) -> Decimal | None:
    """A money amount or number (string or number) as a Decimal; None when blank, not numeric, or not
    below ``NUMBER_LIMIT`` either way."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() and abs(result) < NUMBER_LIMIT else None
