"""Per-record sync issues: open or refresh, resolve when the record syncs, reopen when it comes back, mute.

An issue is unique per (connection, data type, record, code) while open or muted (a partial
unique constraint), so recording the same problem again refreshes the row instead of adding one.
A resolved problem that comes back reopens its row (Sentry's "regression"): the occurrence count
goes on and the history (``SyncIssueChange``: opened, resolved, reopened, muted, re-checked, by whom
and in which job or event) is kept, instead of a new row that forgets the old one. Muted issues stay
muted when they recur: an operator chose to ignore them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db import connection as db
from django.db.models import F, QuerySet
from django.utils import timezone

from connections.models import Connection
from platforms.types import RecordIssue
from sync.engine.sql import issues_open_insert, issues_open_select, issues_seen_again_update
from sync.models import IssueAction, IssueState, SyncIssue, SyncIssueChange, SyncJob, WebhookEvent

logger = logging.getLogger(__name__)

#: a SparkLayer write for the record was refused (a 4xx other than the ones below)
SPARKLAYER_REJECTED = "sparklayer_rejected"
#: customers: the email or external id belongs to another SparkLayer customer (409)
EMAIL_CONFLICT = "email_conflict"
#: merchant settings refused (best effort: never fails the sync)
SETTINGS_REJECTED = "settings_rejected"

LIVE_STATES = (IssueState.OPEN, IssueState.MUTED)


def _changes(
    issue_ids: Iterable[int],
    action: IssueAction,
    *,
    now: datetime,
    note: str = "",
    notes: Mapping[int, str] | None = None,
    by: str = "",
    job: SyncJob | None = None,
    event: WebhookEvent | None = None,
) -> None:
    SyncIssueChange.objects.bulk_create(
        [
            SyncIssueChange(
                issue_id=pk, at=now, action=action, by=by[:150], note=(notes or {}).get(pk, note), job=job, event=event
            )
            for pk in issue_ids
        ],
        batch_size=500,
    )


def issues_record(
    *,
    connection: Connection,
    data_type: str,
    issues: Iterable[RecordIssue],
    now: datetime | None = None,
    job: SyncJob | None = None,
    event: WebhookEvent | None = None,
) -> int:
    """Open new issues, reopen resolved ones that came back, refresh the live ones; returns how many.

    ``job`` / ``event``: the run that saw them (linked from the console), when the caller has one."""
    now = now or timezone.now()
    by_key: dict[tuple[str, str], RecordIssue] = {}
    for issue in issues:
        by_key.setdefault((issue.external_id, issue.code), issue)
    if not by_key:
        return 0
    count = len(by_key)
    if db.vendor == "postgresql":  # the common case on a re-sync: issues back as they were, one statement
        for key in issues_seen_again_update(
            connection_id=connection.pk,
            data_type=data_type,
            issues=[
                (external_id, code, issue.message, issue.platform_url[:500], issue.visible_id[:255])
                for (external_id, code), issue in by_key.items()
            ],
            states=LIVE_STATES,
            now=now,
            job_id=job.pk if job is not None else None,
            event_id=event.pk if event is not None else None,
        ):
            del by_key[key]
    if by_key:
        _record(connection, data_type, by_key, now=now, job=job, event=event)
    return count


def _record(
    connection: Connection,
    data_type: str,
    by_key: Mapping[tuple[str, str], RecordIssue],
    *,
    now: datetime,
    job: SyncJob | None,
    event: WebhookEvent | None,
) -> None:
    """``issues_record`` for these keys by reading their rows: refresh, reopen or open each one."""
    seen_by: dict[str, Any] = {}
    if job is not None:
        seen_by["last_job"] = job
    if event is not None:
        seen_by["last_event"] = event
    # The live rows of these keys and the resolved ones (one a key that comes back reopens), in one read
    # (an index scan on the record-and-code index, ``SyncIssue.Meta``).
    rows = SyncIssue.objects.filter(
        connection=connection,
        data_type=data_type,
        external_id__in={external_id for external_id, _code in by_key},
        code__in={code for _external_id, code in by_key},
        state__in=(*LIVE_STATES, IssueState.RESOLVED),
    )
    existing: dict[tuple[str, str], SyncIssue] = {}
    resolved: list[SyncIssue] = []
    for found in rows:
        if found.state == IssueState.RESOLVED:
            resolved.append(found)
        else:
            existing[(found.external_id, found.code)] = found
    refreshed: list[SyncIssue] = []
    seen_again: list[int] = []  # same message and links: only last seen and occurrences move
    missing: dict[tuple[str, str], RecordIssue] = {}
    for key, issue in by_key.items():
        row = existing.get(key)
        if row is None:
            missing[key] = issue
            continue
        platform_url = issue.platform_url[:500] or row.platform_url
        visible_id = issue.visible_id[:255] or row.visible_id
        if (row.message, row.platform_url, row.visible_id) == (issue.message, platform_url, visible_id):
            seen_again.append(row.pk)
            continue
        row.message, row.last_seen_at, row.updated_at = issue.message, now, now  # bulk_update sets no auto_now
        row.platform_url, row.visible_id = platform_url, visible_id
        row.occurrences += 1
        for name, value in seen_by.items():
            setattr(row, name, value)
        refreshed.append(row)
    if seen_again:  # one plain UPDATE, not a CASE per row (on PostgreSQL ``issues_seen_again_update`` took most)
        SyncIssue.objects.filter(pk__in=seen_again).update(
            last_seen_at=now, occurrences=F("occurrences") + 1, updated_at=now, **seen_by
        )
    if refreshed:
        SyncIssue.objects.bulk_update(
            refreshed,
            ["message", "last_seen_at", "platform_url", "visible_id", "occurrences", "updated_at", *seen_by],
        )
    if missing and resolved:
        missing = _reopen(connection, missing, resolved, now=now, job=job, event=event)
    if missing:
        _open(connection, data_type, missing, now=now, job=job, event=event)


def _reopen(
    connection: Connection,
    missing: dict[tuple[str, str], RecordIssue],
    resolved: list[SyncIssue],
    *,
    now: datetime,
    job: SyncJob | None,
    event: WebhookEvent | None,
) -> dict[tuple[str, str], RecordIssue]:
    """Reopen the latest resolved row (of ``resolved``) of each key that has one; returns the keys still
    without a row."""
    latest: dict[tuple[str, str], SyncIssue] = {}
    never = datetime.min.replace(tzinfo=now.tzinfo)
    for row in sorted(resolved, key=lambda row: (row.resolved_at is not None, row.resolved_at or never, row.pk),
                      reverse=True):  # fmt: skip
        key = (row.external_id, row.code)
        if key in missing:
            latest.setdefault(key, row)
    if not latest:
        return missing
    for key, row in latest.items():
        issue = missing[key]
        row.state, row.resolved_at, row.last_seen_at, row.updated_at = IssueState.OPEN, None, now, now
        row.message = issue.message
        row.platform_url = issue.platform_url[:500] or row.platform_url
        row.visible_id = issue.visible_id[:255] or row.visible_id
        row.occurrences += 1
        row.last_job, row.last_event = job or row.last_job, event or row.last_event
    fields = ["state", "resolved_at", "last_seen_at", "updated_at", "message", "platform_url", "visible_id",
              "occurrences", "last_job", "last_event"]  # fmt: skip
    try:
        with transaction.atomic():
            SyncIssue.objects.bulk_update(list(latest.values()), fields)
    except IntegrityError:
        # A concurrent run opened one of these meanwhile (the constraint allows one live row): record
        # them again, which refreshes that row.
        logger.info("issue reopen raced with another run", extra={"connection": connection.pk})
        return missing
    _changes(
        [row.pk for row in latest.values()],
        IssueAction.REOPENED,
        now=now,
        notes={row.pk: row.message[:2000] for row in latest.values()},
        job=job,
        event=event,
    )
    return {key: issue for key, issue in missing.items() if key not in latest}


def _open(
    connection: Connection,
    data_type: str,
    missing: dict[tuple[str, str], RecordIssue],
    *,
    now: datetime,
    job: SyncJob | None,
    event: WebhookEvent | None,
) -> None:
    if db.vendor == "postgresql":  # one statement for the rows and their history (``sql.issues_open_insert``)
        issues_open_insert(
            connection_id=connection.pk,
            data_type=data_type,
            issues=[
                (issue.external_id[:255], issue.visible_id[:255], issue.platform_url[:500], issue.code[:64],
                 issue.message)
                for issue in missing.values()
            ],
            now=now,
            job_id=job.pk if job is not None else None,
            event_id=event.pk if event is not None else None,
        )  # fmt: skip
        return
    created = [
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
            last_job=job,
            last_event=event,
        )
        for issue in missing.values()
    ]
    # A concurrent run (webhook and full sync) may open the same issue: the constraint keeps one.
    SyncIssue.objects.bulk_create(created, ignore_conflicts=True)
    ours = SyncIssue.objects.filter(
        connection=connection,
        data_type=data_type,
        external_id__in={issue.external_id[:255] for issue in missing.values()},
        state=IssueState.OPEN,
        first_seen_at=now,
    ).values_list("pk", "message")
    rows = dict(ours)
    _changes(rows, IssueAction.OPENED, now=now, notes={pk: message[:2000] for pk, message in rows.items()}, job=job,
             event=event)  # fmt: skip


def issues_resolve(
    *,
    connection: Connection,
    data_type: str,
    current: Mapping[str, set[str]],
    job: SyncJob | None = None,
    event: WebhookEvent | None = None,
) -> list[str]:
    """Resolve open issues of the records in ``current`` whose code is not among their current codes.

    ``current`` maps each record handled now to the issue codes it still has (empty: it synced).
    Returns the external ids left with no open issue that had one before (for ``errors_resolved``).
    """
    if not current:
        return []
    if db.vendor == "postgresql":  # a fixed statement: every webhook event asks (``sync.engine.sql``)
        rows = issues_open_select(connection_id=connection.pk, data_type=data_type, external_ids=list(current))
    else:
        rows = list(
            SyncIssue.objects.filter(
                connection=connection, data_type=data_type, external_id__in=list(current), state=IssueState.OPEN
            ).values_list("pk", "external_id", "code")
        )
    to_resolve = [pk for pk, external_id, code in rows if code not in current[external_id]]
    if not to_resolve:
        return []
    now = timezone.now()
    with transaction.atomic(savepoint=False):  # the caller's transaction when it has one, else its own
        SyncIssue.objects.filter(pk__in=to_resolve).update(state=IssueState.RESOLVED, resolved_at=now, updated_at=now)
        _changes(to_resolve, IssueAction.RESOLVED, now=now, note="The record synced without this problem.", job=job,
                 event=event)  # fmt: skip
    resolved_records = {external_id for pk, external_id, _code in rows if pk in set(to_resolve)}
    still_open = {external_id for _pk, external_id, code in rows if code in current[external_id]}
    return sorted(resolved_records - still_open)


def issues_resolve_records(
    *, connection: Connection, data_type: str, external_ids: Iterable[str], note: str = "", by: str = ""
) -> int:
    """Resolve every open issue of these records (they were deleted: nothing left to fix)."""
    ids = list(external_ids)
    if not ids:
        return 0
    now = timezone.now()
    open_issues = SyncIssue.objects.filter(
        connection=connection, data_type=data_type, external_id__in=ids, state=IssueState.OPEN
    )
    pks = list(open_issues.values_list("pk", flat=True))
    count = SyncIssue.objects.filter(pk__in=pks, state=IssueState.OPEN).update(
        state=IssueState.RESOLVED, resolved_at=now, updated_at=now
    )
    _changes(pks, IssueAction.RESOLVED, now=now, note=note or "The record no longer exists on the store.", by=by)
    return count


def issues_set_state(*, issues: QuerySet[SyncIssue], state: IssueState, by: str = "") -> int:
    """Admin: resolve or mute the selected issues (muting an already muted one is a no-op); history kept."""
    now = timezone.now()
    if state == IssueState.RESOLVED:
        pks = list(issues.filter(state__in=LIVE_STATES).values_list("pk", flat=True))
        count = SyncIssue.objects.filter(pk__in=pks, state__in=LIVE_STATES).update(
            state=state, resolved_at=now, updated_at=now
        )
        _changes(pks, IssueAction.RESOLVED, now=now, by=by, note="Marked resolved in the console.")
        return count
    if state == IssueState.MUTED:
        # A resolved issue cannot be muted back into life: the constraint allows one live row per key.
        pks = list(issues.filter(state=IssueState.OPEN).values_list("pk", flat=True))
        count = SyncIssue.objects.filter(pk__in=pks, state=IssueState.OPEN).update(state=state, updated_at=now)
        _changes(pks, IssueAction.MUTED, now=now, by=by, note="Muted in the console: kept, not reported as open.")
        return count
    return 0


def issue_recheck_note(*, issue: SyncIssue, note: str, by: str = "") -> None:
    """Record the result of an operator's re-check in the issue's history."""
    _changes([issue.pk], IssueAction.RECHECKED, now=timezone.now(), note=note, by=by)


def open_issues_query(*, connection: Connection, data_type: str) -> QuerySet[SyncIssue]:
    """Open issues of a type, oldest first (the sync log keeps the first 5,000 by external id)."""
    return SyncIssue.objects.filter(connection=connection, data_type=data_type, state=IssueState.OPEN).order_by(
        "first_seen_at", "pk"
    )


__all__ = [
    "EMAIL_CONFLICT",
    "SETTINGS_REJECTED",
    "SPARKLAYER_REJECTED",
    "issue_recheck_note",
    "issues_record",
    "issues_resolve",
    "issues_resolve_records",
    "issues_set_state",
    "open_issues_query",
]
