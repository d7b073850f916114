"""Apply one webhook event to SparkLayer: fetch the record fresh, then the full sync's push path.

The delivery body is only a trigger ("record X changed"): the platform API is the truth, so a
replayed or late event never pushes stale data. Validation, mapping, hashing, pushing, issues and
deletes are the full sync's own services (``sync.services.push``); nothing here writes to
SparkLayer by another route.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field

from connections.clients import connection_platform_adapter, connection_sparklayer_client
from connections.models import Connection
from platforms.base import PlatformAdapter
from platforms.types import DataType, RecordIssue, SyncRecord
from sparklayer.client import SparkLayerClient
from sync.models import EventOutcome, IssueState, RecordState, SyncIssue, WebhookEvent
from sync.services.deletion import record_delete
from sync.services.push import sync_records_push
from sync.services.synclog import synclog_report_partial

logger = logging.getLogger(__name__)


@dataclass
class ApplyResult:
    outcome: EventOutcome
    writes: int = 0
    issues_opened: list[RecordIssue] = field(default_factory=list)
    issues_resolved: list[str] = field(default_factory=list)


def _is_older(candidate: object, applied: object) -> bool:
    """True only when both instants are known and ``candidate`` is strictly before ``applied``."""
    return candidate is not None and applied is not None and candidate < applied  # type: ignore[operator]


#: adapters kept per worker process, so the store's settings (currency, tax mode: 3 calls) are read
#: once per connection and TTL, not once per event; new credentials or store URL get a new adapter
ADAPTER_TTL_SECONDS = 300.0
_adapters: dict[tuple[int, str], tuple[float, PlatformAdapter]] = {}


def event_adapter(connection: Connection) -> PlatformAdapter:
    identity = json.dumps([connection.platform, connection.store_url, connection.platform_credentials], sort_keys=True)
    key = (connection.pk, hashlib.sha256(identity.encode()).hexdigest())
    now = time.monotonic()
    cached = _adapters.get(key)
    if cached is not None and now - cached[0] < ADAPTER_TTL_SECONDS:
        return cached[1]
    for stale in [k for k in _adapters if k[0] == connection.pk]:
        del _adapters[stale]
    adapter = connection_platform_adapter(connection)
    _adapters[key] = (now, adapter)
    return adapter


def record_state_of(*, connection: Connection, data_type: str, external_id: str) -> RecordState | None:
    return RecordState.objects.filter(connection=connection, data_type=data_type, external_id=external_id).first()


def webhook_event_apply(*, event: WebhookEvent, client: SparkLayerClient | None = None) -> ApplyResult:
    """Bring SparkLayer to the platform's current state of the event's record.

    Stale events change nothing: an event whose ``occurred_at`` is before the state already applied
    is not even fetched, and a fetched record older than what was applied is not pushed (a lagging
    read). Raises ``TransientError`` / ``AuthenticationError`` for the caller's retry policy."""
    connection = event.connection
    data_type = DataType(event.data_type)
    state = record_state_of(connection=connection, data_type=data_type, external_id=event.record_id)
    if state is not None and not state.deleted and _is_older(event.occurred_at, state.platform_updated_at):
        return ApplyResult(outcome=EventOutcome.STALE)

    record = event_adapter(connection).fetch_record(data_type, event.record_id)
    client = client or connection_sparklayer_client(connection)
    if record is None:
        return _apply_delete(connection=connection, data_type=data_type, external_id=event.record_id, event=event,
                             client=client)  # fmt: skip
    if record.external_id != event.record_id:
        state = record_state_of(connection=connection, data_type=data_type, external_id=record.external_id)
    if state is not None and not state.deleted and _is_older(record.updated_at, state.platform_updated_at):
        return ApplyResult(outcome=EventOutcome.STALE)
    return _apply_record(connection=connection, record=record, event=event, client=client)


def _apply_record(
    *, connection: Connection, record: SyncRecord, event: WebhookEvent, client: SparkLayerClient
) -> ApplyResult:
    pushed = sync_records_push(connection=connection, records=[record], event=event, client=client)
    if record.external_id in pushed.deleted:
        outcome = EventOutcome.DELETED
    elif record.external_id in pushed.pushed:
        outcome = EventOutcome.PUSHED
    elif record.external_id in pushed.unchanged:
        outcome = EventOutcome.UNCHANGED
    else:  # refused by SparkLayer or not pushable: the issue says why
        outcome = EventOutcome.ISSUE
    result = ApplyResult(
        outcome=outcome,
        writes=pushed.writes,
        issues_opened=list(pushed.issues_opened),
        issues_resolved=list(pushed.issues_resolved),
    )
    _report(connection=connection, data_type=record.data_type, result=result, client=client)
    return result


def _apply_delete(
    *, connection: Connection, data_type: DataType, external_id: str, event: WebhookEvent, client: SparkLayerClient
) -> ApplyResult:
    """The platform no longer has the record: discontinue/delete it through the full sync's path."""
    had_issues = SyncIssue.objects.filter(
        connection=connection, data_type=data_type, external_id=external_id, state=IssueState.OPEN
    ).exists()
    wrote = record_delete(connection=connection, data_type=data_type, external_id=external_id, event=event,
                          client=client)  # fmt: skip
    result = ApplyResult(
        outcome=EventOutcome.DELETED if wrote else EventOutcome.UNCHANGED,
        writes=1 if wrote else 0,
        issues_resolved=[external_id] if had_issues else [],
    )
    _report(connection=connection, data_type=data_type, result=result, client=client)
    return result


def _report(*, connection: Connection, data_type: str, result: ApplyResult, client: SparkLayerClient) -> None:
    """Partial sync-log report, only when something changed (an unchanged record costs no call).

    Best effort (the sync-log service logs failures): the data is already in SparkLayer, and a
    retry of the event would find nothing left to push."""
    if not (result.writes or result.issues_opened or result.issues_resolved):
        return
    synclog_report_partial(
        connection=connection,
        data_type=str(data_type),
        issues_added=result.issues_opened,
        issues_resolved=result.issues_resolved,
        client=client,
    )
