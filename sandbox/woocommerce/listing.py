"""Parsing the collection parameters WordPress validates for every list route (page, per_page, dates...).

WordPress rejects an out-of-range or malformed parameter with ``400 rest_invalid_param`` before
the controller runs; doing the same here keeps clients honest about the 100-per-page limit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sandbox.woocommerce.common import invalid_param, parse_date, truthy

MAX_PER_PAGE = 100


def int_param(args: Mapping[str, str], name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_param(name, f"{name} is not of type integer.") from None
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"between {minimum} (inclusive) and {maximum} (inclusive)" if maximum else f"at least {minimum}"
        raise invalid_param(name, f"{name} must be {bounds}")
    return value


def id_list(args: Mapping[str, str], name: str) -> list[int]:
    raw = args.get(name) or ""
    try:
        return [int(part) for part in raw.replace(" ", "").split(",") if part]
    except ValueError:
        raise invalid_param(name, f"{name}[0] is not of type integer.") from None


def str_list(args: Mapping[str, str], name: str) -> list[str]:
    return [part.strip() for part in (args.get(name) or "").split(",") if part.strip()]


def enum_param(args: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = args.get(name) or default
    if value not in allowed:
        raise invalid_param(name, f"{name} is not one of {', '.join(allowed)}.")
    return value


@dataclass
class ListQuery:
    page: int
    per_page: int
    offset: int | None
    order: str
    orderby: str
    fields: list[str] | None
    include: list[int] = field(default_factory=list)
    exclude: list[int] = field(default_factory=list)
    after: int | None = None
    before: int | None = None
    modified_after: int | None = None
    modified_before: int | None = None

    def cache_key(self) -> tuple[Any, ...]:
        return (self.order, self.orderby, tuple(self.include), tuple(self.exclude), self.after, self.before,
                self.modified_after, self.modified_before)  # fmt: skip

    def window(self, ids: list[int]) -> list[int]:
        start = self.offset if self.offset is not None else (self.page - 1) * self.per_page
        return ids[start : start + self.per_page]

    def admits(self, record_id: int, created: int, modified: int) -> bool:
        """``include``/``exclude`` and the date bounds, the filters every listing shares."""
        if (self.include and record_id not in self._included) or record_id in self._excluded:
            return False
        return self.date_filter(created, modified)

    @cached_property
    def _included(self) -> frozenset[int]:
        return frozenset(self.include)

    @cached_property
    def _excluded(self) -> frozenset[int]:
        return frozenset(self.exclude)

    def date_filter(self, created: int, modified: int) -> bool:
        """WP ``date_query`` bounds are exclusive, one-second resolution."""
        if self.after is not None and not created > self.after:
            return False
        if self.before is not None and not created < self.before:
            return False
        if self.modified_after is not None and not modified > self.modified_after:
            return False
        return self.modified_before is None or modified < self.modified_before

    def sort(self, ids: list[int], keys: Mapping[str, Callable[[int], Any]]) -> list[int]:
        if self.orderby == "include" and self.include:
            position = {value: index for index, value in enumerate(self.include)}
            return sorted(ids, key=lambda i: position.get(i, 0))
        key = keys.get(self.orderby) or keys["id"]
        return sorted(ids, key=lambda i: (key(i), i), reverse=self.order == "desc")


def parse_list_query(
    args: Mapping[str, str], *, orderby: tuple[str, ...], default_orderby: str, default_order: str = "desc"
) -> ListQuery:
    gmt = truthy(args.get("dates_are_gmt"))

    def date(name: str) -> int | None:
        value = args.get(name)
        if not value:
            return None
        try:
            return parse_date(value, gmt=gmt)
        except ValueError:
            raise invalid_param(name, "Invalid date.") from None

    offset_raw = args.get("offset")
    fields = str_list(args, "_fields") or None
    return ListQuery(
        page=int_param(args, "page", 1, 1),
        per_page=int_param(args, "per_page", 10, 1, MAX_PER_PAGE),
        offset=int_param(args, "offset", 0, 0) if offset_raw not in (None, "") else None,
        order=enum_param(args, "order", default_order, ("asc", "desc")),
        orderby=enum_param(args, "orderby", default_orderby, orderby),
        fields=fields,
        include=id_list(args, "include"),
        exclude=id_list(args, "exclude"),
        after=date("after"),
        before=date("before"),
        modified_after=date("modified_after"),
        modified_before=date("modified_before"),
    )
