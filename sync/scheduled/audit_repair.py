"""Repair audit findings: re-read each record from the store, push it forced through the one write path,
and mark the finding repaired only when a fresh read of SparkLayer confirms it now holds the mapping.

``force`` makes the write path send every part of the record whatever the hashes say (the hashes
are what was wrong); record locks and read versions still apply, so a repair never overwrites a
fresher write (``docs/sync-design.md``). A record gone from the store is pushed as gone (a product's
variants discontinued, a customer deleted). Only the findings' records are written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from connections.clients import connection_sparklayer_client, connection_sync_source
from connections.models import Connection
from platforms.types import DataType
from sparklayer.reads import SparkLayerReader
from sync.engine.clock import ReadClock
from sync.engine.deletion import record_read
from sync.engine.push import sync_records_push
from sync.models import AuditFinding, FindingState
from sync.scheduled.audit_check import AuditChecker

logger = logging.getLogger(__name__)

#: findings repaired (pushed together, then re-read) at a time
CHUNK = 50
#: findings a repair may be queued for (one already queued is left to its task)
QUEUEABLE_STATES = (FindingState.OPEN, FindingState.STILL_DIFFERS)
REPAIRABLE_STATES = (*QUEUEABLE_STATES, FindingState.REPAIRING)


@dataclass
class RepairOutcome:
    repaired: int = 0
    still_differs: int = 0
    refused: int = 0  # SparkLayer refused the write: the record's issue says why

    @property
    def total(self) -> int:
        return self.repaired + self.still_differs


def audit_findings_mark_repairing(*, findings: QuerySet[AuditFinding]) -> list[int]:
    """Mark open (or still differing) findings as queued for repair; returns their ids."""
    ids = list(findings.filter(state__in=QUEUEABLE_STATES).values_list("pk", flat=True))
    AuditFinding.objects.filter(pk__in=ids).update(state=FindingState.REPAIRING)
    return ids


def audit_findings_repair(
    *, findings: Iterable[AuditFinding], progress: Callable[[int], None] | None = None
) -> RepairOutcome:
    """Repair ``findings`` (any connection, any data type): force-push each record, re-read, record the result.

    Raises ``TransientError`` when SparkLayer or the store keeps failing; findings not reached yet
    keep their state and can be repaired again."""
    outcome = RepairOutcome()
    groups: dict[tuple[int, str], list[AuditFinding]] = {}
    for finding in findings:
        if finding.state in REPAIRABLE_STATES:
            groups.setdefault((finding.connection_id, finding.data_type), []).append(finding)
    for (connection_id, data_type), group in groups.items():
        connection = Connection.objects.get(pk=connection_id)
        _repair_group(connection, DataType(data_type), group, outcome, progress)
    return outcome


def _repair_group(
    connection: Connection,
    data_type: DataType,
    findings: list[AuditFinding],
    outcome: RepairOutcome,
    progress: Callable[[int], None] | None,
) -> None:
    adapter = connection_sync_source(connection)
    client = connection_sparklayer_client(connection)
    reader = SparkLayerReader(client, requests_per_minute=connection.request_budget_per_minute)
    clock = ReadClock()
    with ThreadPoolExecutor(max_workers=max(1, connection.push_concurrency), thread_name_prefix="repair") as pool:
        checker = AuditChecker(connection=connection, data_type=data_type, adapter=adapter, reader=reader, pool=pool)
        for start in range(0, len(findings), CHUNK):
            chunk = findings[start : start + CHUNK]
            records = [
                record_read(adapter=adapter, data_type=data_type, external_id=finding.external_id, clock=clock)
                for finding in chunk
            ]
            seen = checker.drop_held_skus([r for r in records if not r.deleted])
            pushed = sync_records_push(
                connection=connection, records=records, client=client, adapter=adapter, force=True, seen_skus=seen
            )
            refused = set(pushed.refused)
            for finding in chunk:
                after = checker.confirm(finding.external_id)
                finding.repaired_at = timezone.now()
                if not after.drifted:
                    finding.state, finding.repair_note = FindingState.REPAIRED, ""
                    outcome.repaired += 1
                else:
                    finding.state = FindingState.STILL_DIFFERS
                    left = ", ".join(diff.field for diff in after.fields) or after.kind
                    why = (
                        "SparkLayer refused the write (see the record's issues)"
                        if finding.external_id in refused
                        else ""
                    )
                    finding.repair_note = f"Still differs after a forced push: {left}. {why}".strip()
                    outcome.still_differs += 1
                outcome.refused += finding.external_id in refused
            AuditFinding.objects.bulk_update(chunk, ["state", "repaired_at", "repair_note"])
            if progress is not None:
                progress(outcome.total)
    logger.info(
        "audit findings repaired",
        extra={"connection": connection.pk, "data_type": str(data_type), "repaired": outcome.repaired,
               "still_differs": outcome.still_differs},
    )  # fmt: skip
