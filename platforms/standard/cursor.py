"""The adapter's page cursor: where a run is in a Platform API listing, as a string the sync engine stores.

``v=1&c=<the platform's next_cursor>&after=<UTC ISO>``: the platform's own cursor (opaque to the
bridge, stable by the API's promise) and the catch-up bound the run started with, so a resumed
run keeps its filter. The endpoint layer signs it before SparkLayer sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

VERSION = "1"


@dataclass(frozen=True)
class ListingCursor:
    platform_cursor: str | None = None
    updated_after: str | None = None

    def serialize(self) -> str:
        fields = {"v": VERSION}
        if self.platform_cursor:
            fields["c"] = self.platform_cursor
        if self.updated_after:
            fields["after"] = self.updated_after
        return urlencode(fields)

    def following(self, platform_cursor: str) -> ListingCursor:
        return ListingCursor(platform_cursor=platform_cursor, updated_after=self.updated_after)

    @classmethod
    def parse(cls, value: str) -> ListingCursor:
        """``ValueError`` for anything this adapter did not write."""
        fields = parse_qs(value, keep_blank_values=False, strict_parsing=True)
        if fields.get("v") != [VERSION] or set(fields) - {"v", "c", "after"}:
            raise ValueError("not a standard platform cursor")
        if any(len(values) != 1 for values in fields.values()):
            raise ValueError("a cursor field is repeated")
        return cls(platform_cursor=fields.get("c", [None])[0], updated_after=fields.get("after", [None])[0])
