"""Reads of drift audits for the operator console: the dashboard's drift line and the findings page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from connections.models import Connection
from connections.selectors import connection_syncs
from sync.models import ACTIVE_AUDIT_STATES, AuditFinding, AuditRun, AuditScope, AuditState, FindingState
from sync.scheduled.audit_check import AUDITED_DATA_TYPES

OPEN_FINDING_STATES = (FindingState.OPEN, FindingState.STILL_DIFFERS)


@dataclass(frozen=True)
class DriftLine:
    """One data type's drift as the last finished audit saw it, and the audit running now, if any."""

    data_type: str
    last: AuditRun | None
    active: AuditRun | None
    open_findings: int

    @property
    def summary(self) -> str:
        run = self.last
        if run is None:
            return "never audited"
        checked = f"{run.checked:,} sampled" if run.scope == AuditScope.SAMPLE else f"{run.checked:,} records"
        if not run.drifted:
            return f"no drift in {checked}"
        return f"drift: {run.drifted:,} of {checked} differ"


def dashboard_drift(*, connection: Connection) -> list[DriftLine]:
    """A line per audited data type the connection syncs (the dashboard's drift panel)."""
    lines = []
    for data_type in AUDITED_DATA_TYPES:
        if not connection_syncs(connection, data_type):
            continue
        runs = AuditRun.objects.filter(connection=connection, data_type=data_type)
        last = runs.filter(state=AuditState.SUCCEEDED).order_by("-finished_at").first()
        active = runs.filter(state__in=ACTIVE_AUDIT_STATES).order_by("-created_at").first()
        open_findings = (
            AuditFinding.objects.filter(run=last, state__in=OPEN_FINDING_STATES).count() if last is not None else 0
        )
        lines.append(DriftLine(str(data_type), last, active, open_findings))
    return lines


def audit_findings(*, run: AuditRun, kind: str = "") -> QuerySet[AuditFinding]:
    findings = AuditFinding.objects.filter(run=run).order_by("pk")
    return findings.filter(kind=kind) if kind else findings


def shown_value(value: Any) -> str:
    """A stored value as the findings page prints it: text as is, anything else as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
