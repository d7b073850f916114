"""The position in a WooCommerce listing, as the opaque string the sync engine stores between pages.

Format: a URL query string, e.g. ``v=2&offset=300&total=1250`` or
``v=2&offset=0&status=trash&modified_after=2024-03-15T10:00:00``:

* ``offset``: how many records of the listing (ordered by id ascending, 100 a page) come before the
  next page to read;
* ``total``: the listing's ``X-WP-Total`` when the previous page was read. WooCommerce pages by
  position, so when records leave an earlier part of the listing (trashed, deleted) between two
  page reads, every later record moves forward and a plain "next page" would skip some. The
  total tells how many left: the next read starts that many records earlier (records read twice
  are harmless: the second push finds them unchanged);
* ``modified_after``: the catch-up filter the run started with (UTC, WooCommerce's offset-less ISO);
* ``status``: products only, the listing phase. A catch-up run reads ``status=any`` (which
  WooCommerce defines as everything but trash) and then ``status=trash``, so products trashed
  since the last run come back as discontinued.

Version 1 cursors (``v=1&page=N``, page numbers) are still read, as the offset of that page.

The endpoint layer signs the cursor before handing it to SparkLayer; this module only checks that
it can read it back, raising ``ValueError`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import parse_qs, urlencode

from platforms.types import DataType
from platforms.woocommerce.client import next_offset

VERSION = "2"
PAGE_SIZE = 100
PRODUCT_PHASES = ("any", "trash")


@dataclass(frozen=True)
class ListingCursor:
    offset: int = 0
    total: int | None = None
    modified_after: str | None = None
    status: str | None = None

    @classmethod
    def start(cls, data_type: DataType, modified_after: str | None) -> ListingCursor:
        status = "any" if data_type in (DataType.PRODUCTS, DataType.STOCK) else None
        return cls(offset=0, modified_after=modified_after, status=status)

    def after(self, *, read: int, total: int | None) -> ListingCursor:
        """The page after one that returned ``read`` items while the listing had ``total`` records."""
        return replace(self, offset=next_offset(self.offset, read, self.total, total), total=total)

    def next_phase(self, data_type: DataType) -> ListingCursor | None:
        """The listing after this one, or None when the run is complete."""
        if data_type == DataType.PRODUCTS and self.modified_after and self.status == "any":
            return replace(self, offset=0, total=None, status="trash")
        return None

    def serialize(self) -> str:
        fields = {"v": VERSION, "offset": str(self.offset)}
        if self.total is not None:
            fields["total"] = str(self.total)
        if self.status:
            fields["status"] = self.status
        if self.modified_after:
            fields["modified_after"] = self.modified_after
        return urlencode(fields)

    @classmethod
    def parse(cls, cursor: str) -> ListingCursor:
        try:
            fields = {key: values[-1] for key, values in parse_qs(cursor, strict_parsing=True).items()}
        except ValueError as exc:
            raise ValueError(f"unreadable WooCommerce cursor {cursor!r}") from exc
        version = fields.get("v")
        if version == "1":
            page = _natural(fields.get("page"), cursor)
            if page < 1:
                raise ValueError(f"unreadable WooCommerce cursor {cursor!r}")
            offset, total = (page - 1) * PAGE_SIZE, None
        elif version == VERSION:
            offset = _natural(fields.get("offset"), cursor)
            total = _natural(fields["total"], cursor) if "total" in fields else None
        else:
            raise ValueError(f"unreadable WooCommerce cursor {cursor!r}")
        status = fields.get("status")
        if status is not None and status not in PRODUCT_PHASES:
            raise ValueError(f"unreadable WooCommerce cursor {cursor!r}")
        modified_after = fields.get("modified_after")
        if modified_after is not None:
            try:
                datetime.fromisoformat(modified_after)
            except ValueError as exc:
                raise ValueError(f"unreadable WooCommerce cursor {cursor!r}") from exc
        return cls(offset=offset, total=total, modified_after=modified_after, status=status)


def _natural(value: str | None, cursor: str) -> int:
    """A non-negative integer of ASCII digits (``str.isdigit`` also accepts '²' and '٢')."""
    if not value or not value.isascii() or not value.isdigit():
        raise ValueError(f"unreadable WooCommerce cursor {cursor!r}")
    return int(value)
