"""A connection's lifecycle as the sync sees it: what happens to syncs when a connection activates,
reconnects or is removed.

``connections`` knows nothing of syncs, so this lives in ``sync``, the lowest layer that sees both.
The connect and install views pass ``connection_activated`` as the connection service's
``on_activated`` hook, the connect view ``connection_reconnected`` as its ``on_reconnect`` hook; the
disconnect view calls ``connection_remove``."""

from __future__ import annotations

import logging

from connections.models import Connection
from connections.services import connection_disconnect
from sync.jobs.jobs import sync_jobs_cancel, sync_jobs_queue_full_all
from sync.jobs.sync_reset import connection_sync_state_reset
from sync.models import TriggerSource

logger = logging.getLogger(__name__)


def connection_activated(connection: Connection) -> None:
    """After an activation commits (webhooks already registered): queue a full sync of every data type.

    Types with a full sync already queued or running are skipped, so a repeat never doubles one."""
    jobs = sync_jobs_queue_full_all(connection=connection, trigger=TriggerSource.CONNECT)
    logger.info("full syncs queued on activation", extra={"connection": connection.pk, "jobs": len(jobs)})


def connection_reconnected(connection: Connection) -> None:
    """A removed connection connects again: its activation sync starts from clean sync state, so it pushes
    everything (SparkLayer may have been wiped meanwhile; ``sync/jobs/sync_reset.py``)."""
    connection_sync_state_reset(connection=connection)


def connection_remove(connection: Connection) -> bool:
    """Disconnect: cancel queued/running syncs first (so none uses the credentials), then erase them."""
    cancelled = sync_jobs_cancel(connection=connection)
    removed = connection_disconnect(connection=connection)
    logger.info("connection disconnect", extra={"connection": connection.pk, "jobs_cancelled": cancelled})
    return removed
