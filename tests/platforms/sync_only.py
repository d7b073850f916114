"""A platform with only the ``SyncSource`` capability, for the tests of what callers do without the others.

Loaded through ``IGNITE_PLATFORMS`` by the tests that need it; it never talks to a store.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

from platforms.base import SyncSource
from platforms.types import DataType, Page, ReadClock, SyncRecord
from sparklayer.payloads import PriceList


class SyncOnlyAdapter(SyncSource):
    name: ClassVar[str] = "synconly"
    data_types: ClassVar[tuple[DataType, ...]] = (DataType.PRODUCTS,)
    credential_keys: ClassVar[tuple[str, ...]] = ("synconly_token",)

    @classmethod
    def credentials_from_extra_config(cls, extra_config: Mapping[str, Any]) -> dict[str, str]:
        token = str(extra_config.get("synconly_token") or "")
        return {"token": token} if token else {}

    def check_credentials(self) -> None:
        return None

    def iter_pages(
        self,
        data_type: DataType,
        *,
        cursor: str | None = None,
        modified_after: datetime | None = None,
        clock: ReadClock | None = None,
    ) -> Iterator[Page]:
        yield Page(records=[], next_cursor=None)

    def fetch_record(self, data_type: DataType, record_id: str) -> SyncRecord | None:
        return None

    def iter_record_ids(self, data_type: DataType) -> Iterator[str]:
        return iter(())

    def price_lists(self) -> list[PriceList]:
        return []
