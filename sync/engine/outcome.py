"""What one push did: the ``PushOutcome`` its callers read (kept apart from ``push`` so the helpers
that fill one, such as ``customer_groups``, need not import the push itself)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ignite_bridge.core.errors import TransientError
from platforms.types import DataType, RecordIssue


@dataclass
class PushOutcome:
    """What one push did, by record external id."""

    data_type: DataType
    pushed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    issues_opened: list[RecordIssue] = field(default_factory=list)
    issues_resolved: list[str] = field(default_factory=list)
    writes: int = 0
    transient_error: TransientError | None = None

    @property
    def records_with_issues(self) -> int:
        return len({issue.external_id for issue in self.issues_opened})
