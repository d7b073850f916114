"""A removed connection connecting again starts from clean sync state.

While a connection is removed, SparkLayer's data for the site may be wiped, or the site handed to
another integration; the ``RecordState`` rows of the old connection would then say "SparkLayer holds
this" for records it no longer has, and the activation full sync, hash-gated, would push nothing.
So the rows go (the one edit of RecordState outside the write path, allowed because nothing can
write for a removed connection: its syncs were cancelled and its webhooks refused), and the
activation sync pushes every record. SparkLayer's answers make that safe when it did keep the
data: a product create of an existing external id becomes an update, a customer write is a full
replace, stock and price rows overwrite. Sync history (jobs, issues, push logs, audits) stays.
"""

from __future__ import annotations

import logging

from connections.models import Connection, ConnectionState
from sync.engine.price_lists import price_lists_forget
from sync.models import RecordState

logger = logging.getLogger(__name__)


class ConnectionNotRemoved(Exception):
    """Sync state is only reset for a connection that is removed (nothing writes for it)."""


def connection_sync_state_reset(*, connection: Connection) -> int:
    """Forget what the bridge believed SparkLayer held for a removed connection; returns the rows removed."""
    if connection.state != ConnectionState.REMOVED:
        raise ConnectionNotRemoved(f"{connection} is {connection.state}: its sync state stays")
    removed, _by_model = RecordState.objects.filter(connection=connection).delete()
    price_lists_forget(connection_id=connection.pk)
    logger.info("sync state reset for a reconnecting connection", extra={"connection": connection.pk, "rows": removed})
    return removed
