"""Sync-log services per (integration, data_type): full record (PUT), partial (PATCH), status (GET).

Semantics follow docs/ignite-contract.md §2.7: a full record replaces timestamps (omitted ones are cleared) and the
error list; a partial record bumps ``last_partial_sync`` and adds or resolves single errors; the
error total is capped (5,000) and a request that would pass it is refused whole.
"""

from __future__ import annotations

from typing import Any

from sandbox.sparklayer.problems import ApiProblem, FieldError, not_found
from sandbox.sparklayer.state import SiteState, SyncLog


def _log(state: SiteState, integration: str, data_type: str) -> SyncLog:
    log = state.sync_logs.get((integration, data_type))
    if log is None:
        raise not_found(f"No full sync has been recorded for {integration}/{data_type}.")
    return log


def sync_log_full(state: SiteState, integration: str, data_type: str, record: dict[str, Any]) -> dict[str, Any]:
    """Replace the log; ``last_partial_sync`` is not part of a full record and is kept."""
    previous = state.sync_logs.get((integration, data_type))
    log = SyncLog(
        started_full_sync=record["started_full_sync"],
        last_full_sync=record["last_full_sync"],
        last_full_sync_succeeded=record["last_full_sync_succeeded"],
        last_partial_sync=previous.last_partial_sync if previous else None,
        errors=record["errors"],
    )
    state.sync_logs[(integration, data_type)] = log
    return log.status(integration, data_type)


def sync_log_partial(
    state: SiteState, integration: str, data_type: str, change: dict[str, Any], *, limit: int
) -> dict[str, Any]:
    log = _log(state, integration, data_type)
    errors = dict(log.errors)
    for external_id in change["errors_resolved"]:
        errors.pop(external_id, None)
    errors.update(change["errors_added"])
    if len(errors) > limit:
        message = f"The sync log would hold {len(errors)} errors; at most {limit} are allowed."
        raise ApiProblem(400, message, [FieldError("too_many_errors", message, "errors_added")])
    log.errors = errors
    if change["has_last_partial_sync"]:
        log.last_partial_sync = change["last_partial_sync"]
    return log.status(integration, data_type)


def sync_log_get(state: SiteState, integration: str, data_type: str, *, with_errors: bool) -> dict[str, Any]:
    log = _log(state, integration, data_type)
    status = log.status(integration, data_type)
    if with_errors:
        status["errors"] = list(log.errors.values())
    return status


def sync_log_delete_all(state: SiteState) -> None:
    state.sync_logs.clear()
