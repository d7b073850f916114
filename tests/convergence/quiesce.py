"""Quiescence: faults off, every queued delivery in, the product's periodic work triggered as beat
would, and nothing left to do (no pending webhook event, no active sync job, no task in the broker
or in the worker) before anything is compared."""

from __future__ import annotations

import time
from typing import Any

from connections.models import Connection
from sync.models import SyncJob, WebhookEvent
from tests.convergence import semantics
from tests.convergence.actionlog import ActionLog
from tests.convergence.environment import Worker

QUEUES = ("realtime", "webhooks", "sync")
#: seconds between the sweeper tasks while waiting (beat: every 30 s for webhooks, 60 s for jobs)
SWEEP_EVERY = 2.0
#: how long quiet may take to come before the seed fails with what is stuck
QUIET_TIMEOUT = 120.0


class NotQuiet(Exception):
    """Work never ended: the message says what was still pending."""


def pending_events(connection: Connection) -> list[WebhookEvent]:
    return list(WebhookEvent.objects.filter(connection=connection).exclude(state__in=semantics.FINAL_EVENT_STATES))


def active_jobs(connection: Connection) -> list[SyncJob]:
    return list(SyncJob.objects.filter(connection=connection, state__in=semantics.ACTIVE_JOB_STATES))


def broker_backlog() -> int | None:
    """Messages waiting in the Redis broker's queues (None for another broker)."""
    from ignite_bridge.celery import app

    with app.connection_for_read() as connection:
        client: Any = getattr(connection.default_channel, "client", None)
        if client is None or not hasattr(client, "llen"):
            return None
        keys = [queue + suffix for queue in QUEUES for suffix in ("", "\x06\x163", "\x06\x166", "\x06\x169")]
        return sum(int(client.llen(key)) for key in keys)


def worker_tasks(worker: Worker) -> dict[str, int] | None:
    """Active, reserved and scheduled (countdown) tasks in the worker; None while it does not answer."""
    from ignite_bridge.celery import app

    inspect = app.control.inspect(destination=[worker.name], timeout=1.0, limit=1)
    counts: dict[str, int] = {}
    for name in ("active", "reserved", "scheduled"):
        replies = getattr(inspect, name)()
        if not replies or worker.name not in replies:
            return None
        counts[name] = len(replies[worker.name])
    return counts


def send_sweeps() -> None:
    from sync.tasks import sync_job_sweep_task, webhook_sweep_task

    webhook_sweep_task.delay()
    sync_job_sweep_task.delay()


def wait_quiet(connection: Connection, worker: Worker, *, timeout: float = QUIET_TIMEOUT) -> None:
    """Send the sweepers every ``SWEEP_EVERY`` seconds until two checks in a row find nothing to do."""
    deadline = time.monotonic() + timeout
    last_sweep = 0.0
    calm = 0
    while time.monotonic() < deadline:
        if not worker.alive():
            worker.start()
        if time.monotonic() - last_sweep >= SWEEP_EVERY:
            send_sweeps()
            last_sweep = time.monotonic()
            calm = 0
        quiet = not pending_events(connection) and not active_jobs(connection)
        if quiet:
            backlog, tasks = broker_backlog(), worker_tasks(worker)
            quiet = not backlog and tasks is not None and not any(tasks.values())
        calm = calm + 1 if quiet else 0
        if calm >= 2:
            return
        time.sleep(0.3)
    raise NotQuiet(describe_pending(connection, worker, timeout))


def describe_pending(connection: Connection, worker: Worker, timeout: float) -> str:
    lines = [f"not quiet after {timeout:.0f} s:"]
    for event in pending_events(connection)[:20]:
        lines.append(
            f"  webhook event {event.pk} {event.topic} record {event.record_id}: {event.state}, "
            f"{event.attempts} attempts, next {event.next_attempt_at}, error {event.last_error[:200]!r}"
        )
    for job in active_jobs(connection):
        lines.append(
            f"  sync job {job.pk} {job.kind} {job.data_type}: {job.state}, heartbeat {job.heartbeat_at}, "
            f"attempts {job.attempts}, pages {job.pages_done}, error {job.error[:200]!r}"
        )
    lines.append(f"  broker backlog {broker_backlog()}, worker tasks {worker_tasks(worker)}")
    return "\n".join(lines)


def periodic_round(connection: Connection, worker: Worker, log: ActionLog) -> None:
    """The catch-up and the reconcile of the connection, each waited for (beat sends them on its own)."""
    from sync.tasks import catch_up_connection_task, reconcile_connection_task

    catch_up_connection_task.delay(connection.pk)
    log.add("beat.catch_up")
    wait_quiet(connection, worker)
    reconcile_connection_task.delay(connection.pk)
    log.add("beat.reconcile")
    wait_quiet(connection, worker)
