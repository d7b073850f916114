"""One divergence found by the comparator, and how it is named in reports and summaries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MISSING = "<missing>"


def by_id(item: tuple[str, Any]) -> tuple[int, str]:
    """Sort key of ``(external id, ...)`` pairs: numeric ids in numeric order."""
    return len(item[0]), item[0]


@dataclass(frozen=True)
class Difference:
    """One divergence: ``actual`` is what SparkLayer (or the bridge's bookkeeping) holds, ``expected``
    what the store's mapping says."""

    area: str  # product, variant, stock, pricing, customer, purchase, record_state, issue
    record: str
    field: str
    actual: Any
    expected: Any
    key: tuple[str, str] | None = None  # (data type, external id) of the record, for its RecordState

    def kind(self) -> str:
        """What went wrong, without the record: to count distinct causes over many seeds."""
        qualifier = self.record[self.record.index("(") - 1 :] if "(" in self.record else ""
        if self.field in ("(record)", "(row)"):
            return f"{self.area} {'missing' if self.actual == MISSING else 'left over'}{qualifier}"
        return f"{self.area} {self.field}{qualifier}"

    def render(self) -> str:
        holder = {"record_state": "RecordState", "issue": "bridge"}.get(self.area, "SparkLayer")
        return f"{self.area} {self.record}: {self.field}: {holder}={self.actual!r} store={self.expected!r}"
