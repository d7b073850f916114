"""Reporting to SparkLayer's sync log (docs/ignite-contract.md §2.7): full syncs with PUT, partial ones with PATCH.

Reporting is best effort: a sync that pushed its records does not fail because the report was
refused. Errors are our open issues of the data type, capped by the client (unique external id,
at most 5,000); the number dropped is returned for the job's result.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from connections.clients import connection_sparklayer_client
from connections.models import Connection
from ignite_bridge.core.errors import IntegrationError, PermanentError
from platforms.types import RecordIssue
from sparklayer.client import SparkLayerClient
from sparklayer.payloads import SYNC_LOG_ERROR_LIMIT, SyncLogError, SyncLogFull, SyncLogPartial
from sync.engine.issues import open_issues_query

logger = logging.getLogger(__name__)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _error(external_id: str, message: str, url: str, visible_id: str) -> SyncLogError:
    error: SyncLogError = {"external_id": external_id, "message": message[:1000]}
    if url:
        error["external_url"] = url
    if visible_id:
        error["visible_id"] = visible_id
    return error


def open_issue_errors(*, connection: Connection, data_type: str) -> Iterator[SyncLogError]:
    """One sync-log error per open issue (several issues of one record: the client keeps the first).

    Reads a little past the cap so the client can count what it drops, without loading every
    issue of a huge broken catalogue.
    """
    rows = open_issues_query(connection=connection, data_type=data_type).values_list(
        "external_id", "message", "platform_url", "visible_id"
    )
    for external_id, message, url, visible_id in rows.iterator(chunk_size=2000):
        yield _error(external_id, message, url, visible_id)


def _count_open(connection: Connection, data_type: str) -> int:
    return open_issues_query(connection=connection, data_type=data_type).values("external_id").distinct().count()


def synclog_report_start(
    *, connection: Connection, data_type: str, started_at: datetime, client: SparkLayerClient | None = None
) -> dict[str, Any]:
    """``started_full_sync`` = now, keeping the previous ``last_full_sync`` and its outcome."""
    client = client or connection_sparklayer_client(connection)
    integration = settings.SPARKLAYER_INTEGRATION_SLUG
    try:
        previous = client.get_sync_log(integration, data_type) or {}
        payload: SyncLogFull = {
            "started_full_sync": iso(started_at),
            "last_full_sync": previous.get("last_full_sync"),
            "errors": list(_bounded(open_issue_errors(connection=connection, data_type=data_type))),
        }
        if "last_full_sync_succeeded" in previous and previous["last_full_sync_succeeded"] is not None:
            payload["last_full_sync_succeeded"] = bool(previous["last_full_sync_succeeded"])
        dropped = client.put_sync_log(integration, data_type, payload)
    except IntegrationError as exc:
        logger.warning("sync log start not recorded", extra={"connection": connection.pk, "error": str(exc)})
        return {"sync_log_start_error": str(exc)[:500]}
    return {"sync_log_dropped_errors": dropped} if dropped else {}


def synclog_report_full(
    *,
    connection: Connection,
    data_type: str,
    started_at: datetime | None,
    finished_at: datetime,
    succeeded: bool,
    client: SparkLayerClient | None = None,
) -> dict[str, Any]:
    """The end of a full sync: timestamps, outcome and the open issues (capped)."""
    client = client or connection_sparklayer_client(connection)
    errors = open_issue_errors(connection=connection, data_type=data_type)
    payload: SyncLogFull = {
        "started_full_sync": iso(started_at),
        "last_full_sync": iso(finished_at),
        "last_full_sync_succeeded": succeeded,
        "errors": list(_bounded(errors)),
    }
    try:
        dropped = client.put_sync_log(settings.SPARKLAYER_INTEGRATION_SLUG, data_type, payload)
    except IntegrationError as exc:
        logger.warning("sync log not recorded", extra={"connection": connection.pk, "error": str(exc)})
        return {"sync_log_error": str(exc)[:500]}
    if dropped:  # the bounded read stopped early: count the records whose errors were left out
        dropped = max(dropped, _count_open(connection, data_type) - SYNC_LOG_ERROR_LIMIT)
    return {"sync_log_dropped_errors": dropped} if dropped else {}


def _bounded(errors: Iterator[SyncLogError]) -> Iterator[SyncLogError]:
    """Enough errors for the client's cap to see duplicates and overflow, not a million of them."""
    seen: set[str] = set()
    for error in errors:
        if len(seen) > SYNC_LOG_ERROR_LIMIT:
            return
        seen.add(error["external_id"])
        yield error


def synclog_report_partial(
    *,
    connection: Connection,
    data_type: str,
    issues_added: list[RecordIssue],
    issues_resolved: list[str],
    client: SparkLayerClient | None = None,
) -> int:
    """PATCH ``last_partial_sync`` with errors added/resolved; returns errors dropped by the cap."""
    client = client or connection_sparklayer_client(connection)
    payload: SyncLogPartial = {"last_partial_sync": iso(timezone.now()) or ""}
    if issues_added:
        payload["errors_added"] = [_error(i.external_id, i.message, i.platform_url, i.visible_id) for i in issues_added]
    added = {i.external_id for i in issues_added}
    resolved = [external_id for external_id in issues_resolved if external_id not in added]
    if resolved:
        payload["errors_resolved"] = resolved
    try:
        return client.patch_sync_log(settings.SPARKLAYER_INTEGRATION_SLUG, data_type, payload)
    except PermanentError as exc:
        if "errors_added" not in payload or exc.status not in (400, 409, 413, 422):
            logger.warning("partial sync log not recorded", extra={"connection": connection.pk, "error": str(exc)})
            return 0
        # Refused whole (e.g. the log is at its error cap): the time and the resolutions still count.
        dropped = len(payload.pop("errors_added"))
        logger.warning(
            "partial sync log refused with its new errors; recorded without them",
            extra={"connection": connection.pk, "dropped": dropped, "error": str(exc)},
        )
        try:
            client.patch_sync_log(settings.SPARKLAYER_INTEGRATION_SLUG, data_type, payload)
        except IntegrationError as again:
            logger.warning("partial sync log not recorded", extra={"connection": connection.pk, "error": str(again)})
            return 0
        return dropped
    except IntegrationError as exc:
        logger.warning("partial sync log not recorded", extra={"connection": connection.pk, "error": str(exc)})
        return 0
