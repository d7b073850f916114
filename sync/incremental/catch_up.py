"""Gap repair for missed webhooks: read what changed since the last catch-up and push it.

WooCommerce never retries a failed delivery, disables a webhook after repeated failures and may
not deliver at all when WP-Cron does not run; so every ``CATCH_UP_INTERVAL_SECONDS`` each active
connection reads the records modified since its last successful catch-up (minus
``CATCH_UP_OVERLAP_SECONDS``, for clock skew and writes in flight) and feeds them through the full
sync's push path. Unchanged records cost no write (content hash).

Customers have no modified filter in WooCommerce: the adapter reads every customer page and keeps
those whose ``date_modified`` is newer, and the hash skips the rest. ``last_catch_up_at`` moves to
the start of a run only when every data type of the run succeeded.

The store settings (the merchant record) are read on every run: a change (currency, weight unit,
tax mode) queues the full syncs it affects (``sync.jobs.settings_changes``). Changes that do not
move ``date_modified`` (stock reduced by an order, order line edits) are not found by a catch-up:
the periodic reconcile's full syncs read everything (``sync.incremental.reconcile``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.utils import timezone

from connections.clients import connection_sparklayer_client, connection_sync_source
from connections.models import Connection
from connections.selectors import active_connections_due, connection_syncs
from ignite_bridge.core.errors import IntegrationError
from platforms.types import DataType
from sync.engine.clock import ReadClock
from sync.engine.push import sync_records_push
from sync.engine.synclog import synclog_report_partial
from sync.incremental.locks import advisory_lock
from sync.jobs.job_runs import sync_job_heartbeat
from sync.jobs.partial_jobs import (
    sync_job_end,
    sync_job_page_pushed,
    sync_job_page_read,
    sync_job_result_add,
    sync_job_start_partial,
)
from sync.jobs.settings_changes import merchant_hash, settings_followups
from sync.models import JobKind, JobState, SyncJob

logger = logging.getLogger(__name__)

#: the webhook-driven types, in the full sync's order
CATCH_UP_DATA_TYPES = (DataType.CUSTOMERS, DataType.PRODUCTS, DataType.PURCHASES)


def connections_due_for_catch_up(*, now: datetime | None = None) -> list[int]:
    """Active connections whose last catch-up is older than ``CATCH_UP_INTERVAL_SECONDS``."""
    return active_connections_due(
        last_run_field="last_catch_up_at",
        interval_seconds=settings.CATCH_UP_INTERVAL_SECONDS,
        now=now or timezone.now(),
    )


def catch_up_data_types(connection: Connection) -> list[DataType]:
    supported = set(connection_sync_source(connection).data_types)
    return [t for t in CATCH_UP_DATA_TYPES if t in supported and connection_syncs(connection, t)]


def connection_catch_up(*, connection: Connection, now: datetime | None = None) -> list[SyncJob]:
    """Run one catch-up of the connection (one ``SyncJob`` of kind ``catch_up`` per data type).

    The window starts at the last successful catch-up (first time: the activation, whose full sync
    covered what came before) minus the overlap. Skipped (empty list) when another catch-up of the
    connection is running. Errors end the job ``failed`` and leave ``last_catch_up_at`` alone, so
    the next beat tick tries the same window again."""
    started = now or timezone.now()
    with advisory_lock(f"catch-up:{connection.pk}", wait_seconds=0) as held:
        if not held:
            logger.info("catch-up already running", extra={"connection": connection.pk})
            return []
        return _run(connection=connection, started=started)


def _run(*, connection: Connection, started: datetime) -> list[SyncJob]:
    since = connection.last_catch_up_at or connection.activated_at or started
    window_start = since - timedelta(seconds=settings.CATCH_UP_OVERLAP_SECONDS)
    adapter = connection_sync_source(connection)
    client = connection_sparklayer_client(connection)
    clock = ReadClock()
    jobs, ok = [], True
    types = catch_up_data_types(connection)
    if DataType.MERCHANT in adapter.data_types:
        types = [DataType.MERCHANT, *types]  # settings first: a change re-syncs what depends on them
    for data_type in types:
        job = sync_job_start_partial(
            connection=connection,
            data_type=data_type,
            kind=JobKind.CATCH_UP,
            result={"modified_after": window_start.isoformat()},
        )
        jobs.append(job)
        before = merchant_hash(connection=connection) if data_type == DataType.MERCHANT else None
        try:
            pages = adapter.iter_pages(
                data_type, modified_after=None if data_type == DataType.MERCHANT else window_start, clock=clock
            )
            for page in pages:
                sync_job_page_read(job=job, records=len(page.records))
                outcome = None
                if page.records:
                    outcome = sync_records_push(
                        connection=connection,
                        records=page.records,
                        job=job,
                        client=client,
                        read_at=page.read_at,
                        adapter=adapter,
                        heartbeat=partial(sync_job_heartbeat, job_id=job.pk),
                    )
                    if outcome.writes or outcome.issues_opened or outcome.issues_resolved:
                        synclog_report_partial(
                            connection=connection,
                            data_type=str(data_type),
                            issues_added=outcome.issues_opened,
                            issues_resolved=outcome.issues_resolved,
                            client=client,
                        )
                sync_job_page_pushed(job=job, outcome=outcome)
        except IntegrationError as exc:
            ok = False
            sync_job_end(job=job, state=JobState.FAILED, error=f"{type(exc).__name__}: {exc}")
            logger.warning("catch-up failed", extra={"connection": connection.pk, "data_type": str(data_type)})
            continue
        if before is not None:
            sync_job_result_add(job=job, settings_followups=settings_followups(connection=connection, before=before))
        sync_job_end(job=job, state=JobState.SUCCEEDED)
    if ok:
        Connection.objects.filter(pk=connection.pk).update(last_catch_up_at=started)
    return jobs
