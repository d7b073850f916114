"""Re-check an issue now: fetch its record from the store, validate, map and push it again, and write the
result into the issue's history.

The same write path a webhook takes (the record read fresh, then ``sync_records_push``, which takes
the record's lock and orders the write by when the read started), run by a task so the console never
waits on the store or SparkLayer. A fixed record resolves its issue (and the push writes it to
SparkLayer); a record still wrong refreshes the issue; a record gone from the store is removed from
SparkLayer like any gone record, and its issues are resolved.
"""

from __future__ import annotations

import logging

from django.db import transaction

from connections.clients import connection_sync_source
from ignite_bridge.core.errors import IntegrationError
from platforms.types import DataType
from sync.dispatch import issue_recheck_send
from sync.engine.clock import database_now
from sync.engine.deletion import record_read
from sync.engine.issues import issue_recheck_note, issues_resolve_records
from sync.engine.push import sync_records_push
from sync.models import IssueState, SyncIssue

logger = logging.getLogger(__name__)


def issue_recheck_queue(*, issue: SyncIssue, requested_by: str = "") -> None:
    """Send the re-check to a worker once the request's transaction commits."""
    transaction.on_commit(lambda: issue_recheck_send(issue_id=issue.pk, requested_by=requested_by[:150]))


def issue_recheck(*, issue_id: int, requested_by: str = "") -> str:
    """Re-check one issue (see the module docstring); returns the note written to its history."""
    issue = SyncIssue.objects.select_related("connection").filter(pk=issue_id).first()
    if issue is None:
        return ""
    connection = issue.connection
    try:
        data_type = DataType(issue.data_type)
    except ValueError:
        note = f"Not a record the store can be asked for ({issue.data_type}): the next reconcile checks it."
    else:
        if not connection.is_active:
            note = f"Not re-checked: the connection is {connection.get_state_display().lower()}."
        else:
            note = _recheck(issue, data_type, requested_by)
    issue_recheck_note(issue=issue, note=note, by=requested_by)
    logger.info("issue re-checked", extra={"issue": issue.pk, "note": note[:200]})
    return note


def _recheck(issue: SyncIssue, data_type: DataType, requested_by: str) -> str:
    connection = issue.connection
    adapter = connection_sync_source(connection)
    try:
        record = record_read(adapter=adapter, data_type=data_type, external_id=issue.external_id, clock=database_now)
        if record.deleted:
            issues_resolve_records(
                connection=connection, data_type=str(data_type), external_ids=[issue.external_id],
                note="Re-check: the record no longer exists on the store.", by=requested_by,
            )  # fmt: skip
            sync_records_push(connection=connection, records=[record], adapter=adapter)
            return "The record no longer exists on the store: it is removed from SparkLayer and its issues resolved."
        sync_records_push(connection=connection, records=[record], adapter=adapter)
    except IntegrationError as exc:
        return f"Could not re-check: {exc}"[:2000]
    issue.refresh_from_db()
    if issue.state == IssueState.RESOLVED:
        return "Fixed: the record validated and synced, so the issue is resolved."
    return f"Still failing: {issue.message}"[:2000]
