"""The position in a WooCommerce listing, as the opaque string the sync engine stores between pages.

Format: a URL query string, e.g. ``v=1&page=3`` or
``v=1&page=1&status=trash&modified_after=2024-03-15T10:00:00``:

* ``page``: the next page number to read (``per_page`` is always 100, ordered by id ascending);
* ``modified_after``: the catch-up filter the run started with (UTC, WooCommerce's offset-less ISO);
* ``status``: products only, the listing phase. A catch-up run reads ``status=any`` (which
  WooCommerce defines as everything but trash) and then ``status=trash``, so products trashed
  since the last run come back as discontinued.

The endpoint layer signs the cursor before handing it to SparkLayer; this module only checks that
it can read it back, raising ``ValueError`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import parse_qs, urlencode

from platforms.types import DataType

VERSION = "1"
PRODUCT_PHASES = ("any", "trash")


@dataclass(frozen=True)
class ListingCursor:
    page: int = 1
    modified_after: str | None = None
    status: str | None = None

    @classmethod
    def start(cls, data_type: DataType, modified_after: str | None) -> ListingCursor:
        status = "any" if data_type in (DataType.PRODUCTS, DataType.STOCK) else None
        return cls(page=1, modified_after=modified_after, status=status)

    def next_page(self) -> ListingCursor:
        return replace(self, page=self.page + 1)

    def next_phase(self, data_type: DataType) -> ListingCursor | None:
        """The listing after this one, or None when the run is complete."""
        if data_type == DataType.PRODUCTS and self.modified_after and self.status == "any":
            return replace(self, page=1, status="trash")
        return None

    def serialize(self) -> str:
        fields = {"v": VERSION, "page": str(self.page)}
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
        if fields.get("v") != VERSION or not fields.get("page", "").isdigit() or int(fields["page"]) < 1:
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
        return cls(page=int(fields["page"]), modified_after=modified_after, status=status)
