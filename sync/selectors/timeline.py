"""Per-record history for the operator: find a record by external id or SKU, then everything that happened to it.

The timeline merges webhook receipts (WebhookEvent), SparkLayer writes (PushLog, with the content
hash, SparkLayer's status and which fields changed since the last accepted write of the same kind)
and the issue's history (opened, resolved, reopened, muted, re-checked) in the order things were
done: an event at the time it was processed (received, when it never was), all scoped to one
connection. ``record_header`` names the record (from what was last pushed) and links it to the
store and to SparkLayer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.db.models import Q

from connections.clients import sparklayer_base_url
from connections.models import Connection
from ignite_bridge.core.display import stamp
from sync.engine.push_payloads import NAME, RECORD_OPERATIONS, STORE_URL, VISIBLE_ID, payload_changes
from sync.models import IssueAction, IssueState, PushLog, RecordState, SyncIssue, SyncIssueChange, WebhookEvent

RECEIPT, PUSH, ISSUE_OPENED, ISSUE_RESOLVED, ISSUE_MUTED = "receipt", "push", "issue_opened", "issue_resolved", "muted"
ISSUE_REOPENED, ISSUE_RECHECKED = "issue_reopened", "issue_rechecked"
ISSUE_KIND = {
    IssueAction.OPENED: ISSUE_OPENED,
    IssueAction.REOPENED: ISSUE_REOPENED,
    IssueAction.RESOLVED: ISSUE_RESOLVED,
    IssueAction.MUTED: ISSUE_MUTED,
    IssueAction.RECHECKED: ISSUE_RECHECKED,
}
#: SparkLayer's API path of one record, by data type (the API is what SparkLayer documents publicly)
SPARKLAYER_RECORD_PATHS = {
    "products": "/api/v1/products/{id}",
    "customers": "/api/v2/customers/platform/{id}",
    "purchases": "/api/v1/purchases/platform/{id}",
    "merchant": "/api/v1/settings",
}


@dataclass(frozen=True)
class RecordMatch:
    data_type: str
    external_id: str
    skus: tuple[str, ...]
    in_sparklayer: bool  # a RecordState that is not deleted


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # RECEIPT, PUSH, ISSUE_OPENED, ISSUE_REOPENED, ISSUE_RESOLVED, ISSUE_MUTED, ISSUE_RECHECKED
    summary: str
    detail: str = ""
    status: str = ""  # event state, SparkLayer HTTP status or issue code
    object_id: int | None = None  # the WebhookEvent / PushLog / SyncIssue row
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)  # pushes: (field, before, after)
    first_push: bool = False  # pushes: nothing accepted of this kind before, so no diff
    compared: bool = False  # pushes: ``changes`` compares this write with the last accepted one


@dataclass(frozen=True)
class RecordHeader:
    """What the timeline says of the record above its history."""

    name: str
    visible_id: str
    store_url: str  # the record's page on the store ("" when unknown)
    sparklayer_url: str  # the record in SparkLayer's API
    skus: tuple[str, ...]
    in_sparklayer: bool
    last_pushed_at: datetime | None


def sparklayer_record_url(*, connection: Connection, data_type: str, external_id: str) -> str:
    path = SPARKLAYER_RECORD_PATHS.get(data_type)
    if path is None:
        return ""
    return sparklayer_base_url(connection.site_env).rstrip("/") + path.format(id=quote(external_id, safe=""))


def record_header(*, connection: Connection, data_type: str, external_id: str) -> RecordHeader:
    """The record's name and links: from its latest push (what SparkLayer was sent), else its issues."""
    latest = (
        PushLog.objects.filter(connection=connection, data_type=data_type, external_id=external_id,
                               operation__in=RECORD_OPERATIONS, payload__isnull=False)
        .order_by("-at", "-pk")
        .values_list("payload", flat=True)
        .first()
    ) or {}  # fmt: skip
    issue = (
        SyncIssue.objects.filter(connection=connection, data_type=data_type, external_id=external_id)
        .order_by("-last_seen_at")
        .first()
    )
    state = RecordState.objects.filter(connection=connection, data_type=data_type, external_id=external_id).first()
    return RecordHeader(
        name=str(latest.get(NAME) or ""),
        visible_id=str(latest.get(VISIBLE_ID) or (issue.visible_id if issue else "")),
        store_url=str(latest.get(STORE_URL) or (issue.platform_url if issue else "")),
        sparklayer_url=sparklayer_record_url(connection=connection, data_type=data_type, external_id=external_id),
        skus=tuple(state.skus or ()) if state else (),
        in_sparklayer=bool(state and not state.deleted and state.content_hash),
        last_pushed_at=state.last_pushed_at if state else None,
    )


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
    entries = [
        *_receipts(connection, data_type, external_id, limit),
        *_pushes(connection, data_type, external_id, limit),
        *_issue_entries(connection, data_type, external_id, limit),
    ]
    # Same instant: the receipt comes before the push it caused, the push before the issue it opened.
    order = {RECEIPT: 0, PUSH: 1, ISSUE_OPENED: 2, ISSUE_REOPENED: 2, ISSUE_RECHECKED: 3, ISSUE_RESOLVED: 4,
             ISSUE_MUTED: 5}  # fmt: skip
    return sorted(entries, key=lambda e: (e.at, order[e.kind], e.object_id or 0))


def _receipts(connection: Connection, data_type: str, external_id: str, limit: int) -> list[TimelineEntry]:
    entries = []
    events = (
        WebhookEvent.objects.filter(connection=connection, data_type=data_type, record_id=external_id)
        .defer("body", "headers", "traceback")
        .order_by("-received_at")[:limit]
    )
    for event in events:
        outcome = f", {event.get_outcome_display().lower()}" if event.outcome else ""
        received = f"received {stamp(event.received_at)}"
        processed = f", processed {stamp(event.processed_at)}" if event.processed_at else ", not processed yet"
        entries.append(
            TimelineEntry(
                # ordered by when it was applied: a late or retried event sits where its effect happened
                at=event.processed_at or event.received_at,
                kind=RECEIPT,
                summary=f"Webhook {event.topic} received",
                detail=f"{event.get_state_display()}{outcome}"
                + (f": {event.last_error[:300]}" if event.last_error else "")
                + f" ({received}{processed})",
                status=event.state,
                object_id=event.pk,
            )
        )
    return entries


def _pushes(connection: Connection, data_type: str, external_id: str, limit: int) -> list[TimelineEntry]:
    pushes = list(
        PushLog.objects.filter(connection=connection, data_type=data_type, external_id=external_id).order_by(
            "-at", "-pk"
        )[:limit]
    )
    entries = []
    accepted: dict[str, dict[str, Any]] = {}  # operation → the payload SparkLayer last accepted
    for push in reversed(pushes):  # oldest first, so each write is compared with the one before it
        source = f"job #{push.job_id}" if push.job_id else (f"event #{push.event_id}" if push.event_id else "")
        before = accepted.get(push.operation)
        changes = payload_changes(before, push.payload) if push.payload is not None and before is not None else []
        ok = push.status is not None and push.status < 400 and not push.error
        if ok and push.payload is not None:
            accepted[push.operation] = push.payload
        entries.append(
            TimelineEntry(
                at=push.at,
                kind=PUSH,
                summary=f"Pushed to SparkLayer: {push.operation}" + (f" ({source})" if source else ""),
                detail=(f"hash {push.content_hash[:12]}" if push.content_hash else "")
                + (f" — {push.error[:300]}" if push.error else ""),
                status=str(push.status) if push.status is not None else "no response",
                object_id=push.pk,
                changes=changes,
                first_push=push.payload is not None and before is None,
                compared=push.payload is not None and before is not None,
            )
        )
    return entries


def _issue_entries(connection: Connection, data_type: str, external_id: str, limit: int) -> list[TimelineEntry]:
    entries = []
    issues = list(
        SyncIssue.objects.filter(connection=connection, data_type=data_type, external_id=external_id).order_by(
            "-first_seen_at"
        )[:limit]
    )
    history: dict[int, list[SyncIssueChange]] = {}
    for change in SyncIssueChange.objects.filter(issue__in=issues).order_by("at", "pk"):
        history.setdefault(change.issue_id, []).append(change)
    for issue in issues:
        changes = history.get(issue.pk)
        if changes:
            for change in changes:
                kind = ISSUE_KIND.get(change.action, ISSUE_OPENED)  # type: ignore[call-overload]
                by = f" by {change.by}" if change.by else ""
                entries.append(
                    TimelineEntry(
                        at=change.at,
                        kind=kind,
                        summary=f"Issue {change.get_action_display().lower()}{by}: {issue.code}",
                        detail=change.note[:500],
                        status=issue.code,
                        object_id=issue.pk,
                    )
                )
            continue
        entries.extend(_issue_without_history(issue))
    return entries


def _issue_without_history(issue: SyncIssue) -> list[TimelineEntry]:
    """Issues recorded before their history was kept: opened at first seen, resolved or muted after."""
    entries = [
        TimelineEntry(
            at=issue.first_seen_at,
            kind=ISSUE_OPENED,
            summary=f"Issue opened: {issue.code}",
            detail=issue.message[:500] + (f" (seen {issue.occurrences} times)" if issue.occurrences > 1 else ""),
            status=issue.code,
            object_id=issue.pk,
        )
    ]
    if issue.resolved_at:
        entries.append(TimelineEntry(at=issue.resolved_at, kind=ISSUE_RESOLVED, summary=f"Issue resolved: {issue.code}",
                                     status=issue.code, object_id=issue.pk))  # fmt: skip
    elif issue.state == IssueState.MUTED:
        entries.append(TimelineEntry(at=issue.updated_at, kind=ISSUE_MUTED, summary=f"Issue muted: {issue.code}",
                                     status=issue.code, object_id=issue.pk))  # fmt: skip
    return entries
