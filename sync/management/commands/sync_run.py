"""``manage.py sync_run <site_id> <data_type> [--env test|live] [--inline] [--force]``: a full sync for operators.

``--inline`` runs the job in this process with a progress bar (records/s, ETA); without it the job
is queued for the workers and the command follows its progress from the database.

Before anything is queued, the connection's SparkLayer API and store are probed once: an address
nothing answers on is reported with the URL and the setting it came from. The command never waits
without bound: no worker starting the job within ``--start-timeout``, or the job not done within
``--timeout``, cancels the job and says why; so does Ctrl-C (no traceback, no active job left behind).
``--force`` writes every record whatever SparkLayer is believed to hold (after SparkLayer lost or
changed data).
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from types import FrameType
from typing import Any, NoReturn

from django import db
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from connections.reachability import connection_reachability
from connections.selectors import connection_get_for_site
from platforms.types import TRIGGERABLE_DATA_TYPES
from sync.jobs.full_sync import sync_job_run
from sync.jobs.jobs import DataTypeNotSupported, SyncAlreadyActive, sync_job_cancel, sync_job_queue_full
from sync.models import JobState, SyncJob, TriggerSource
from sync.models.jobs import ACTIVE_JOB_STATES
from sync.selectors.health import sync_job_last_error

FINISHED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)
REQUESTED_BY = "manage.py sync_run"
INTERRUPTED = "cancelled: manage.py sync_run was interrupted (Ctrl-C)"


class ProgressBar:
    """A one-line progress bar on a terminal (tqdm is not a dependency): done/total, rate, ETA."""

    def __init__(self, stream: Any, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.started = time.monotonic()

    def show(self, job: SyncJob) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        done, total = job.seen, job.total_estimate or 0
        rate = done / elapsed
        if total:
            filled = min(self.width, int(self.width * done / total))
            bar = "#" * filled + "-" * (self.width - filled)
            eta = f"ETA {format_seconds((total - done) / rate)}" if rate and total > done else "ETA 0s"
            head = f"[{bar}] {done}/{total}"
        else:
            head, eta = f"{done} records", ""
        line = (
            f"\r{head}  {rate:,.1f} rec/s  {eta}  pushed {job.pushed}  unchanged {job.unchanged}  issues {job.issues}"
        )
        self.stream.write(line.ljust(110))
        self.stream.flush()


def format_seconds(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Command(BaseCommand):
    help = (
        "Run a full sync of one data type for a connection: queued for the workers (or run here with --inline) "
        "and followed with a progress bar. Ctrl-C cancels the job."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("site_id")
        parser.add_argument("data_type", choices=[str(t) for t in TRIGGERABLE_DATA_TYPES])
        parser.add_argument("--env", choices=["test", "live"], default="test")
        parser.add_argument("--inline", action="store_true", help="run here instead of on the workers")
        parser.add_argument(
            "--timeout", type=float, default=3600, help="give up (and cancel the job) after this many seconds"
        )
        parser.add_argument(
            "--start-timeout",
            type=float,
            default=30,
            help="give up when no worker has started the job within this many seconds",
        )
        parser.add_argument(
            "--force", action="store_true", help="write every record, ignoring what SparkLayer is believed to hold"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = timezone.now()
        with _interrupts() as interrupted:
            try:
                self.run(options)
            except BaseException as exc:
                # Ctrl-C may come at any point, even while the job is being queued or a query or a broker
                # call is under way (which may then fail otherwise): cancel what this run queued.
                if not (interrupted() or isinstance(exc, KeyboardInterrupt)):
                    raise
                self.cancel_interrupted(options, started)

    def cancel_interrupted(self, options: dict[str, Any], started: datetime) -> NoReturn:
        if not db.connection.in_atomic_block:
            db.close_old_connections()  # a query the interrupt cut short may have left it unusable
        jobs = SyncJob.objects.filter(
            trigger=TriggerSource.COMMAND, requested_by=REQUESTED_BY, created_at__gte=started,
            connection__site_env=options["env"], connection__site_id=options["site_id"],
            data_type=options["data_type"], state__in=ACTIVE_JOB_STATES,
        )  # fmt: skip
        cancelled = [job.pk for job in jobs if sync_job_cancel(job=job, reason=INTERRUPTED)]
        sys.stderr.write("\n")
        what = f"job {', '.join(map(str, cancelled))} cancelled" if cancelled else "nothing was queued"
        raise CommandError(f"interrupted: {what}", returncode=130) from None

    def run(self, options: dict[str, Any]) -> None:
        connection = connection_get_for_site(site_env=options["env"], site_id=options["site_id"])
        if connection is None or not connection.is_active:
            raise CommandError(f"no active connection for {options['env']}/{options['site_id']}")
        for check in connection_reachability(connection=connection):
            if not check.reachable:
                raise CommandError(f"{check.describe()}. Nothing was queued.{_hint(check.source)}")
            if check.answered_status and check.answered_status >= 500:
                self.stderr.write(f"warning: {check.what} at {check.url} answers {check.answered_status}")
        try:
            job = sync_job_queue_full(
                connection=connection, data_type=options["data_type"], trigger=TriggerSource.COMMAND,
                requested_by=REQUESTED_BY, force=options["force"],
            )  # fmt: skip
        except SyncAlreadyActive as exc:
            active = exc.job
            where = ""
            if active is not None:
                where = f" (job {active.pk}, {active.state} since {active.updated_at:%Y-%m-%d %H:%M:%S %Z})"
            raise CommandError(
                f"a {options['data_type']} full sync is already active{where}; cancel it on its admin page "
                f"(/admin/sync/syncjob/{active.pk if active else ''}) or wait for it"
            ) from exc
        except DataTypeNotSupported as exc:
            raise CommandError(str(exc)) from exc
        forced = " (forced: every record is written)" if job.force else ""
        self.stdout.write(f"job {job.pk}: full sync of {job.data_type} for {connection}{forced}")
        try:
            if options["inline"]:
                self.run_inline(job, deadline=time.monotonic() + options["timeout"])
            else:
                self.follow(job, timeout=options["timeout"], start_timeout=options["start_timeout"])
        except GaveUp as exc:
            sync_job_cancel(job=job, reason=f"cancelled: manage.py sync_run gave up ({exc})")
            sys.stderr.write("\n")
            raise CommandError(f"gave up: {exc}; job {job.pk} cancelled") from None
        job.refresh_from_db()
        sys.stderr.write("\n")
        summary = (
            f"job {job.pk} {job.state}: seen {job.seen}, pushed {job.pushed}, unchanged {job.unchanged}, "
            f"issues {job.issues}, deleted {job.deleted}"
        )
        if job.state != JobState.SUCCEEDED:
            raise CommandError(f"{summary}: {job.error}")
        self.stdout.write(self.style.SUCCESS(summary))

    def run_inline(self, job: SyncJob, *, deadline: float) -> None:
        bar = ProgressBar(sys.stderr)
        while True:
            result = sync_job_run(job_id=job.pk, progress=bar.show)
            if result.state != "rescheduled":
                return
            if time.monotonic() + result.countdown > deadline:
                raise GaveUp(f"still failing when the time ran out: {result.detail}")
            self.stderr.write(f"\nretrying in {result.countdown:.0f}s: {result.detail}")
            time.sleep(result.countdown)  # a foreground command may wait; workers never do

    def follow(self, job: SyncJob, *, timeout: float, start_timeout: float) -> None:
        """Follow a job the workers run; give up when none starts it, or when ``timeout`` passes."""
        bar = ProgressBar(sys.stderr)
        started = time.monotonic()
        last_error = ""
        workers_busy = False
        while job.state not in FINISHED:
            time.sleep(1)
            job.refresh_from_db()
            elapsed = time.monotonic() - started
            if job.started_at is None and elapsed > start_timeout and not workers_busy:
                answering = workers_answering()
                if not answering:
                    raise GaveUp(
                        f"no worker started the job within {start_timeout:.0f} s and none answers on this broker. "
                        f"Start one (celery -A ignite_bridge worker -Q realtime,webhooks,sync) or run the sync "
                        f"here with --inline"
                    )
                workers_busy = True  # they are there, just busy: wait in the queue, up to --timeout
                self.stderr.write(f"\nthe job waits in the queue: {len(answering)} worker(s) answer but are busy")
            if elapsed > timeout:
                raise GaveUp(f"not finished after {timeout:.0f} s (--timeout)")
            error = sync_job_last_error(job)
            if error and error != last_error:
                self.stderr.write(f"\nretrying: {error}")
            last_error = error
            bar.show(job)


def workers_answering() -> list[Any]:
    """The Celery workers that answer a ping on this broker within a second (none when it cannot ask)."""
    from ignite_bridge.celery import app

    try:
        return list(app.control.ping(timeout=1.0) or [])
    except Exception:  # noqa: BLE001 - a broker that cannot broadcast is treated as "no worker answers"
        return []


@contextmanager
def _interrupts() -> Iterator[Callable[[], bool]]:
    """While the command runs, remember that Ctrl-C came (it still raises ``KeyboardInterrupt``), so an
    error it caused elsewhere (a cancelled query, a broken broker call) is still read as the interrupt."""
    came = threading.Event()

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        came.set()
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield came.is_set
        return
    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield came.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


class GaveUp(Exception):
    """The command stops waiting; the message says why."""


def _hint(source: str) -> str:
    if "manage.py demo" in source:
        return " Is the demo still running? Its sandboxes stop with it: start scripts/demo again."
    return " Check the URL setting, or that the service is up."
