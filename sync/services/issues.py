"""Per-record sync issues: open or refresh, resolve when the record syncs, mute from the admin.

An issue is unique per (connection, data type, record, code) while open or muted (a partial
unique constraint), so recording the same problem again refreshes the row instead of adding one.
Muted issues stay muted when they recur: an operator chose to ignore them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db.models import F, QuerySet
from django.utils import timezone

from connections.models import Connection
from platforms.types import RecordIssue
from sync.models import IssueState, SyncIssue

logger = logging.getLogger(__name__)

#: a SparkLayer write for the record was refused (a 4xx other than the ones below)
SPARKLAYER_REJECTED = "sparklayer_rejected"
#: customers: the email or external id belongs to another SparkLayer customer (409)
EMAIL_CONFLICT = "email_conflict"
#: merchant settings refused (best effort: never fails the sync)
SETTINGS_REJECTED = "settings_rejected"

LIVE_STATES = (IssueState.OPEN, IssueState.MUTED)


def issues_record(
    *, connection: Connection, data_type: str, issues: Iterable[RecordIssue], now: datetime | None = None
) -> int:
    """Open new issues and refresh the live ones (message, last seen, occurrences); returns how many."""
    now = now or timezone.now()
    by_key: dict[tuple[str, str], RecordIssue] = {}
    for issue in issues:
        by_key.setdefault((issue.external_id, issue.code), issue)
    if not by_key:
        return 0
    external_ids = {external_id for external_id, _code in by_key}
    live = SyncIssue.objects.filter(
        connection=connection, data_type=data_type, external_id__in=external_ids, state__in=LIVE_STATES
    )
    existing = {(row.external_id, row.code): row for row in live}
    refreshed: list[SyncIssue] = []
    seen_again: list[int] = []  # same message and links: only last seen and occurrences move
    created: list[SyncIssue] = []
    for key, issue in by_key.items():
        row = existing.get(key)
        if row is not None:
            platform_url = issue.platform_url[:500] or row.platform_url
            visible_id = issue.visible_id[:255] or row.visible_id
            if (row.message, row.platform_url, row.visible_id) == (issue.message, platform_url, visible_id):
                seen_again.append(row.pk)
                continue
            row.message, row.last_seen_at = issue.message, now
            row.platform_url, row.visible_id = platform_url, visible_id
            row.occurrences += 1
            refreshed.append(row)
            continue
        created.append(
            SyncIssue(
                connection=connection,
                data_type=data_type,
                external_id=issue.external_id[:255],
                visible_id=issue.visible_id[:255],
                platform_url=issue.platform_url[:500],
                code=issue.code[:64],
                message=issue.message,
                state=IssueState.OPEN,
                first_seen_at=now,
                last_seen_at=now,
            )
        )
    if seen_again:  # the common case on a re-sync: one plain UPDATE, not a CASE per row
        SyncIssue.objects.filter(pk__in=seen_again).update(
            last_seen_at=now, occurrences=F("occurrences") + 1, updated_at=now
        )
    if refreshed:
        SyncIssue.objects.bulk_update(
            refreshed, ["message", "last_seen_at", "platform_url", "visible_id", "occurrences", "updated_at"]
        )
    if created:
        # A concurrent run (webhook and full sync) may open the same issue: the constraint keeps one.
        SyncIssue.objects.bulk_create(created, ignore_conflicts=True)
    return len(by_key)


def issues_resolve(*, connection: Connection, data_type: str, current: Mapping[str, set[str]]) -> list[str]:
    """Resolve open issues of the records in ``current`` whose code is not among their current codes.

    ``current`` maps each record handled now to the issue codes it still has (empty: it synced).
    Returns the external ids left with no open issue that had one before (for ``errors_resolved``).
    """
    if not current:
        return []
    rows = list(
        SyncIssue.objects.filter(
            connection=connection, data_type=data_type, external_id__in=list(current), state=IssueState.OPEN
        ).values_list("pk", "external_id", "code")
    )
    to_resolve = [pk for pk, external_id, code in rows if code not in current[external_id]]
    if not to_resolve:
        return []
    SyncIssue.objects.filter(pk__in=to_resolve).update(
        state=IssueState.RESOLVED, resolved_at=timezone.now(), updated_at=timezone.now()
    )
    resolved_records = {external_id for pk, external_id, _code in rows if pk in set(to_resolve)}
    still_open = {external_id for _pk, external_id, code in rows if code in current[external_id]}
    return sorted(resolved_records - still_open)


def issues_resolve_records(*, connection: Connection, data_type: str, external_ids: Iterable[str]) -> int:
    """Resolve every open issue of these records (they were deleted: nothing left to fix)."""
    ids = list(external_ids)
    if not ids:
        return 0
    now = timezone.now()
    return SyncIssue.objects.filter(
        connection=connection, data_type=data_type, external_id__in=ids, state=IssueState.OPEN
    ).update(state=IssueState.RESOLVED, resolved_at=now, updated_at=now)


def issues_set_state(*, issues: QuerySet[SyncIssue], state: IssueState) -> int:
    """Admin actions: resolve or mute the selected issues (muting an already muted one is a no-op)."""
    now = timezone.now()
    if state == IssueState.RESOLVED:
        return issues.filter(state__in=LIVE_STATES).update(state=state, resolved_at=now, updated_at=now)
    if state == IssueState.MUTED:
        # A resolved issue cannot be muted back into life: the constraint allows one live row per key.
        return issues.filter(state=IssueState.OPEN).update(state=state, updated_at=now)
    return 0


def open_issues_query(*, connection: Connection, data_type: str) -> QuerySet[SyncIssue]:
    """Open issues of a type, oldest first (the sync log keeps the first 5,000 by external id)."""
    return SyncIssue.objects.filter(connection=connection, data_type=data_type, state=IssueState.OPEN).order_by(
        "first_seen_at", "pk"
    )


__all__ = [
    "EMAIL_CONFLICT",
    "SETTINGS_REJECTED",
    "SPARKLAYER_REJECTED",
    "issues_record",
    "issues_resolve",
    "issues_resolve_records",
    "issues_set_state",
    "open_issues_query",
]
