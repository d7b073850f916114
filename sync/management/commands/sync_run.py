"""``manage.py sync_run <site_id> <data_type> [--env test|live] [--inline] [--force]``: a full sync for operators.

``--inline`` runs the job in this process with a progress bar (records/s, ETA); without it the job
is queued for the workers and the command follows its progress from the database. ``--force`` writes
every record whatever SparkLayer is believed to hold (after SparkLayer lost or changed data).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections.selectors import connection_get_for_site
from platforms.types import TRIGGERABLE_DATA_TYPES
from sync.models import JobState, SyncJob, TriggerSource
from sync.services.full_sync import sync_job_run
from sync.services.jobs import SyncAlreadyActive, sync_job_queue_full

FINISHED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


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
    help = "Run a full sync of one data type for a connection (foreground with --inline)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("site_id")
        parser.add_argument("data_type", choices=[str(t) for t in TRIGGERABLE_DATA_TYPES])
        parser.add_argument("--env", choices=["test", "live"], default="test")
        parser.add_argument("--inline", action="store_true", help="run here instead of on the workers")
        parser.add_argument(
            "--force", action="store_true", help="write every record, ignoring what SparkLayer is believed to hold"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connection_get_for_site(site_env=options["env"], site_id=options["site_id"])
        if connection is None or not connection.is_active:
            raise CommandError(f"no active connection for {options['env']}/{options['site_id']}")
        try:
            job = sync_job_queue_full(
                connection=connection, data_type=options["data_type"], trigger=TriggerSource.COMMAND,
                requested_by="manage.py sync_run", force=options["force"],
            )  # fmt: skip
        except SyncAlreadyActive as exc:
            raise CommandError(
                f"a {options['data_type']} sync is already active (job {exc.job and exc.job.pk})"
            ) from exc
        bar = ProgressBar(sys.stderr)
        forced = " (forced: every record is written)" if job.force else ""
        self.stdout.write(f"job {job.pk}: full sync of {job.data_type} for {connection}{forced}")
        if options["inline"]:
            while True:
                result = sync_job_run(job_id=job.pk, progress=bar.show)
                if result.state != "rescheduled":
                    break
                self.stderr.write(f"\nretrying in {result.countdown:.0f}s: {result.detail}")
                time.sleep(result.countdown)  # a foreground command may wait; workers never do
        else:
            while job.state not in FINISHED:
                time.sleep(1)
                job.refresh_from_db()
                bar.show(job)
        job.refresh_from_db()
        sys.stderr.write("\n")
        summary = (
            f"job {job.pk} {job.state}: seen {job.seen}, pushed {job.pushed}, unchanged {job.unchanged}, "
            f"issues {job.issues}, deleted {job.deleted}"
        )
        if job.state != JobState.SUCCEEDED:
            raise CommandError(f"{summary}: {job.error}")
        self.stdout.write(self.style.SUCCESS(summary))
