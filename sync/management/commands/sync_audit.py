"""``manage.py sync_audit <site_id> <data_type> [--sample N | --all] [--repair] [--env test|live]``.

Compares what SparkLayer holds with the store's records, here in the foreground with a progress bar,
then prints a summary table and the first differences. ``--repair`` pushes the differing records
again (forced, through the normal write path) and re-reads them. When SparkLayer answers 429 or 5xx
past the client's retries the audit pauses, says so, and resumes where it was. Ctrl-C cancels it.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections.selectors import connection_get_for_site
from ignite_bridge.core.errors import TransientError
from sync.jobs.job_runs import job_retry_delay
from sync.management.commands.sync_run import format_seconds
from sync.models import AuditFinding, AuditRun, AuditScope, AuditState, TriggerSource
from sync.scheduled.audit_check import AUDITED_DATA_TYPES
from sync.scheduled.audit_repair import RepairOutcome, audit_findings_repair
from sync.scheduled.audits import AuditRefused, audit_run_cancel, audit_run_execute, audit_run_queue

#: how wide a value is printed in the list of differences
VALUE_WIDTH = 48


class AuditProgressBar:
    """One terminal line: records checked of the total, rate, ETA and what differs so far."""

    def __init__(self, stream: Any, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.started = time.monotonic()

    def show(self, run: AuditRun) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        done = run.checked + run.unmappable
        total = run.total or 0
        rate = done / elapsed
        if total and run.phase != "gone":
            filled = min(self.width, int(self.width * done / total))
            eta = format_seconds((total - done) / rate) if rate and total > done else "0s"
            head = f"[{'#' * filled}{'-' * (self.width - filled)}] {done}/{total}  ETA {eta}"
        else:
            head = f"{done} records ({run.get_phase_display().lower()})"
        line = f"\r{head}  {rate:,.1f} rec/s  differ {run.differing}  missing {run.missing}  extra {run.extra}"
        self.stream.write(line.ljust(100))
        self.stream.flush()


def shown(value: Any) -> str:
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


class Command(BaseCommand):
    help = "Compare SparkLayer with the store for one data type of a connection; optionally repair what differs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("site_id")
        parser.add_argument("data_type", choices=[str(t) for t in AUDITED_DATA_TYPES])
        parser.add_argument("--env", choices=["test", "live"], default="test")
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument(
            "--sample", type=int, metavar="N", help=f"records picked at random (default {settings.AUDIT_SAMPLE_SIZE})"
        )
        scope.add_argument("--all", action="store_true", help="every record of the store")
        parser.add_argument("--repair", action="store_true", help="push what differs again (forced) and re-read it")
        parser.add_argument("--show", type=int, default=10, metavar="N", help="differences to print (default 10)")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connection_get_for_site(site_env=options["env"], site_id=options["site_id"])
        if connection is None:
            raise CommandError(f"no connection for {options['env']}/{options['site_id']}")
        if options["sample"] is not None and options["sample"] < 1:
            raise CommandError("--sample must be at least 1")
        try:
            run = audit_run_queue(
                connection=connection,
                data_type=options["data_type"],
                scope=AuditScope.ALL if options["all"] else AuditScope.SAMPLE,
                sample_size=options["sample"],
                trigger=TriggerSource.COMMAND,
                requested_by="manage.py sync_audit",
            )
        except AuditRefused as exc:
            raise CommandError(str(exc)) from exc
        what = "every record of the store" if options["all"] else f"a sample of {run.sample_size}"
        self.stdout.write(f"audit {run.pk}: {run.data_type} of {connection}, {what}")
        started = time.monotonic()
        try:
            self._run(run)
        except KeyboardInterrupt:
            audit_run_cancel(run=run, reason="interrupted (Ctrl-C)")
            raise CommandError(f"audit {run.pk} cancelled") from None
        run.refresh_from_db()
        self._summary(run, time.monotonic() - started)
        if run.state != AuditState.SUCCEEDED:
            raise CommandError(f"audit {run.pk} {run.state}: {run.error}")
        if options["repair"] and run.drifted:
            self._repair(run)
        self._differences(run, options["show"])

    def _run(self, run: AuditRun) -> None:
        bar = AuditProgressBar(sys.stderr)
        while True:
            outcome = audit_run_execute(run_id=run.pk, progress=bar.show)
            if outcome.state not in ("paused", "busy"):
                break
            self.stderr.write(f"\npaused: {outcome.detail}")
            time.sleep(outcome.countdown)  # a foreground command may wait; workers never do
        sys.stderr.write("\n")

    def _summary(self, run: AuditRun, seconds: float) -> None:
        rows = [
            ("checked", run.checked),
            ("equal", run.equal),
            ("differ", run.differing),
            ("missing in SparkLayer", run.missing),
            ("in SparkLayer, gone from the store", run.extra),
            ("not mappable (see issues)", run.unmappable),
            ("SparkLayer reads", run.reads),
            ("pauses", run.pauses),
        ]
        self.stdout.write("")
        for label, value in rows:
            self.stdout.write(f"  {label:<36} {value:>10}")
        self.stdout.write(f"  {'time':<36} {seconds:>9.1f}s")

    def _repair(self, run: AuditRun) -> None:
        findings = list(AuditFinding.objects.filter(run=run).order_by("pk"))
        self.stdout.write(f"\nrepairing {len(findings)} record(s) through the write path (forced)")
        outcome = RepairOutcome()
        for attempt in range(settings.SYNC_JOB_MAX_STALLED_RETRIES + 1):
            try:
                outcome = audit_findings_repair(findings=findings)
                break
            except TransientError as exc:
                if attempt == settings.SYNC_JOB_MAX_STALLED_RETRIES:
                    raise CommandError(f"repair gave up: {exc}") from exc
                delay = job_retry_delay(attempt=attempt, retry_after=exc.retry_after)
                self.stderr.write(f"repair paused: {exc}; resuming in {delay:.0f}s")
                time.sleep(delay)
                findings = [f for f in AuditFinding.objects.filter(run=run).order_by("pk") if f.state != "repaired"]
        style = self.style.SUCCESS if not outcome.still_differs else self.style.WARNING
        self.stdout.write(style(f"repair: {outcome.repaired} repaired, {outcome.still_differs} still differ"))

    def _differences(self, run: AuditRun, limit: int) -> None:
        findings = AuditFinding.objects.filter(run=run).order_by("pk")
        if not findings.exists():
            self.stdout.write(self.style.SUCCESS("\nno differences"))
            return
        self.stdout.write(f"\nfirst differences ({min(limit, findings.count())} of {findings.count()}):")
        for finding in findings[:limit]:
            label = f" ({finding.visible_id})" if finding.visible_id else ""
            state = "" if finding.state == "open" else f" [{finding.get_state_display().lower()}]"
            self.stdout.write(
                f"  {finding.data_type} {finding.external_id}{label}: {finding.get_kind_display()}{state}"
            )
            for diff in finding.fields[:8]:
                self.stdout.write(
                    f"      {diff['field']:<34} SparkLayer {shown(diff['sparklayer']):<{VALUE_WIDTH}}  "
                    f"store {shown(diff['store'])}"
                )
            if len(finding.fields) > 8:
                self.stdout.write(f"      … and {len(finding.fields) - 8} more field(s)")
