"""Apply one webhook event to SparkLayer: fetch the record fresh, then the full sync's push path.

The delivery body is only a trigger ("record X changed"): the platform API is the truth, so a
replayed or late event never pushes stale data. Validation, mapping, hashing, pushing, issues and
deletes are the full sync's own services (``sync.engine.push``); nothing here writes to
SparkLayer by another route. A ``bridge.refresh`` event (``sync.engine.refresh``) is a request of
the bridge itself and is written in full (``force``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field

from connections.clients import connection_sparklayer_client, connection_sync_source
from connections.models import Connection
from connections.selectors import connection_syncs
from ignite_bridge.core.process_cache import ProcessCache
from platforms.base import SyncSource
from platforms.types import DataType, RecordIssue
from sparklayer.client import SparkLayerClient
from sync.engine.clock import database_now
from sync.engine.plans import gone_record
from sync.engine.push import sync_records_push
from sync.engine.refresh import REFRESH_TOPIC
from sync.engine.synclog import synclog_report_partial
from sync.jobs.settings_changes import merchant_hash
from sync.models import EventOutcome, WebhookEvent

logger = logging.getLogger(__name__)


@dataclass
class ApplyResult:
    outcome: EventOutcome
    writes: int = 0
    issues_opened: list[RecordIssue] = field(default_factory=list)
    issues_resolved: list[str] = field(default_factory=list)


#: adapters kept per worker process, so the store's settings (currency, tax mode: 3 calls) are read
#: once per connection and TTL, not once per event; new credentials or store URL get a new adapter,
#: and so do store settings SparkLayer was told have changed (the merchant record's hash), so a
#: currency change seen by a catch-up reaches every worker's next event
ADAPTER_TTL_SECONDS = 300.0
_adapters: ProcessCache[tuple[int, str], SyncSource] = ProcessCache(
    name="webhook adapters", ttl=lambda: ADAPTER_TTL_SECONDS, max_entries=10_000
)


def event_adapter(connection: Connection) -> SyncSource:
    identity = json.dumps(
        [
            connection.platform,
            connection.store_url,
            connection.platform_credentials,
            merchant_hash(connection=connection),
        ],
        sort_keys=True,
    )
    key = (connection.pk, hashlib.sha256(identity.encode()).hexdigest())
    cached = _adapters.get(key)
    if cached is not None:
        return cached
    _adapters.discard_where(lambda k: k[0] == connection.pk)  # the connection's older identities
    adapter = connection_sync_source(connection)
    _adapters.set(key, adapter)
    return adapter


def webhook_event_apply(*, event: WebhookEvent, client: SparkLayerClient | None = None) -> ApplyResult:
    """Bring SparkLayer to the platform's current state of the event's record.

    The event is only a trigger: the record is read fresh (its read version is taken just before
    the read) and goes through the one write path, which writes only what changed and never
    writes it over data read later. No timestamp of the platform decides anything here: WooCommerce
    does not move ``date_modified`` for stock changes. Raises ``TransientError`` /
    ``AuthenticationError`` for the caller's retry policy."""
    connection = event.connection
    data_type = DataType(event.data_type)
    if not connection_syncs(connection, data_type):
        return ApplyResult(outcome=EventOutcome.IGNORED)
    read_at = database_now()
    adapter = event_adapter(connection)
    record = adapter.fetch_record(data_type, event.record_id)
    if record is None:
        record = gone_record(data_type, event.record_id, read_at=read_at)
    else:
        record.read_at = read_at
    client = client or connection_sparklayer_client(connection)
    pushed = sync_records_push(
        connection=connection,
        records=[record],
        event=event,
        client=client,
        force=event.topic == REFRESH_TOPIC,
        adapter=adapter,
    )
    if record.external_id in pushed.deleted:
        outcome = EventOutcome.DELETED
    elif record.external_id in pushed.stale:
        outcome = EventOutcome.STALE
    elif record.external_id in pushed.pushed:
        outcome = EventOutcome.PUSHED
    elif record.external_id in pushed.unchanged or (record.external_id in pushed.skipped and not record.issues):
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
