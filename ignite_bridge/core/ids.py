"""Numeric record ids from the outside world, accepted only as plain ASCII digits.

``str.isdigit()`` is true for ``"²"`` (which ``int()`` refuses: a 500) and for ``"٢"`` (Arabic-Indic
two, which ``int()`` reads as 2: the id would reach the store as customer 2 and be echoed back as
``"٢"``). Every id a caller hands the bridge (customer, sub-account, checkout customer, storefront
token subject, admin filters) goes through ``positive_id``.
"""

from __future__ import annotations

from typing import Any

#: the largest id accepted (a signed 64-bit integer: WordPress ids and PostgreSQL bigint)
MAX_ID = 2**63 - 1


def positive_id(value: Any) -> int | None:
    """``value`` as an int when it is 1 to ``MAX_ID`` written in ASCII digits only; else None."""
    if isinstance(value, bool):
        return None
    text = str(value) if isinstance(value, int | str) else ""
    if not text or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
