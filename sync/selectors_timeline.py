"""Per-record history for the operator: find a record by external id or SKU, then everything that happened to it.

The timeline merges webhook receipts (WebhookEvent), SparkLayer writes (PushLog, with the content
hash and SparkLayer's status) and issues opened/resolved (SyncIssue) in time order, all scoped to
one connection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from connections.models import Connection
from sync.models import IssueState, PushLog, RecordState, SyncIssue, WebhookEvent

RECEIPT, PUSH, ISSUE_OPENED, ISSUE_RESOLVED, ISSUE_MUTED = "receipt", "push", "issue_opened", "issue_resolved", "muted"


@dataclass(frozen=True)
class RecordMatch:
    data_type: str
    external_id: str
    skus: tuple[str, ...]
    in_sparklayer: bool  # a RecordState that is not deleted


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # RECEIPT, PUSH, ISSUE_OPENED, ISSUE_RESOLVED, ISSUE_MUTED
    summary: str
    detail: str = ""
    status: str = ""  # event state, SparkLayer HTTP status or issue code
    object_id: int | None = None  # the WebhookEvent / PushLog / SyncIssue row


def record_search(*, connection: Connection, query: str, limit: int = 50) -> list[RecordMatch]:
    """Records of the connection whose external id is ``query`` or that own the SKU ``query``.

    Also finds records that never reached SparkLayer (only an issue or a webhook names them)."""
    query = query.strip()
    if not query:
        return []
    # skus is a JSON list; matching its text for the quoted value works on PostgreSQL and SQLite alike.
    sku_text = json.dumps(query)
    states = RecordState.objects.filter(connection=connection).filter(
        Q(external_id=query) | Q(skus__icontains=sku_text)
    )[:limit]
    found: dict[tuple[str, str], RecordMatch] = {
        (s.data_type, s.external_id): RecordMatch(s.data_type, s.external_id, tuple(s.skus or ()), not s.deleted)
        for s in states
    }
    issue_keys = (
        SyncIssue.objects.filter(connection=connection)
        .filter(Q(external_id=query) | Q(visible_id=query))
        .values_list("data_type", "external_id")
        .distinct()[:limit]
    )
    event_keys = (
        WebhookEvent.objects.filter(connection=connection, record_id=query)
        .values_list("data_type", "record_id")
        .distinct()[:limit]
    )
    for data_type, external_id in [*issue_keys, *event_keys]:
        found.setdefault((data_type, external_id), RecordMatch(data_type, external_id, (), False))
    return sorted(found.values(), key=lambda m: (m.data_type, m.external_id))[:limit]


def record_timeline(
    *, connection: Connection, data_type: str, external_id: str, limit: int = 500
) -> list[TimelineEntry]:
    """Everything that happened to one record, oldest first (the latest ``limit`` of each kind)."""
    entries: list[TimelineEntry] = []
    events = WebhookEvent.objects.filter(connection=connection, data_type=data_type, record_id=external_id).order_by(
        "-received_at"
    )[:limit]
    for event in events:
        outcome = f", {event.get_outcome_display().lower()}" if event.outcome else ""
        entries.append(
            TimelineEntry(
                at=event.received_at,
                kind=RECEIPT,
                summary=f"Webhook {event.topic} received",
                detail=f"{event.get_state_display()}{outcome}"
                + (f": {event.last_error[:300]}" if event.last_error else ""),
                status=event.state,
                object_id=event.pk,
            )
        )
    pushes = PushLog.objects.filter(connection=connection, data_type=data_type, external_id=external_id).order_by(
        "-at"
    )[:limit]
    for push in pushes:
        source = f"job #{push.job_id}" if push.job_id else (f"event #{push.event_id}" if push.event_id else "")
        entries.append(
            TimelineEntry(
                at=push.at,
                kind=PUSH,
                summary=f"Pushed to SparkLayer: {push.operation}" + (f" ({source})" if source else ""),
                detail=(f"hash {push.content_hash[:12]}" if push.content_hash else "")
                + (f" — {push.error[:300]}" if push.error else ""),
                status=str(push.status) if push.status is not None else "no response",
                object_id=push.pk,
            )
        )
    issues = SyncIssue.objects.filter(connection=connection, data_type=data_type, external_id=external_id).order_by(
        "-first_seen_at"
    )[:limit]
    for issue in issues:
        entries.append(
            TimelineEntry(
                at=issue.first_seen_at,
                kind=ISSUE_OPENED,
                summary=f"Issue opened: {issue.code}",
                detail=issue.message[:500] + (f" (seen {issue.occurrences} times)" if issue.occurrences > 1 else ""),
                status=issue.code,
                object_id=issue.pk,
            )
        )
        if issue.resolved_at:
            entries.append(
                TimelineEntry(
                    at=issue.resolved_at,
                    kind=ISSUE_RESOLVED,
                    summary=f"Issue resolved: {issue.code}",
                    status=issue.code,
                    object_id=issue.pk,
                )
            )
        elif issue.state == IssueState.MUTED:
            entries.append(
                TimelineEntry(
                    at=issue.updated_at,
                    kind=ISSUE_MUTED,
                    summary=f"Issue muted: {issue.code}",
                    status=issue.code,
                    object_id=issue.pk,
                )
            )
    # Same instant: the receipt comes before the push it caused, the push before the issue it opened.
    order = {RECEIPT: 0, PUSH: 1, ISSUE_OPENED: 2, ISSUE_RESOLVED: 3, ISSUE_MUTED: 4}
    return sorted(entries, key=lambda e: (e.at, order[e.kind], e.object_id or 0))
