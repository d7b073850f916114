"""Is a connection healthy? One answer for every place of the console that shows it (dashboard, connections
list, admin index), read from jobs and webhook events only.

The question a support engineer asks first is "are writes failing right now?". Writes are failing when
webhook events wait for a retry with an error (``last_error`` on a pending event) or a full sync was given
back to the queue to retry later (queued with a ``resume_at``, its error in ``error`` or, from older runs,
in ``result["last_transient_error"]``). That becomes an ``Outage``: who is failing (SparkLayer or the store,
from the error's "<service> <METHOD> <path>: <status>" form), since when (the first attempt of the oldest
retrying event), the last error, how many changes wait, how often and when the next retry comes. Writes
failing for longer than ``IGNITE_HEALTH_RED_AFTER_SECONDS`` turn the light red.

The light of each data type, worst first:

* red: the connection is not active; writes have failed longer than the threshold; its latest
  finished full sync failed; the type never completed a full sync (amber while the first one runs);
* amber: writes are failing (retrying, under the threshold); records have open issues; webhook events
  failed in the last 24 hours;
* green: synced, nothing open;
* none: the platform has no such data type (nothing is synced, so nothing can be green).

Everything is read for many connections at once with a fixed number of queries (the connections list).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from connections.models import Connection, ConnectionState
from sync.jobs.jobs import syncable_data_types
from sync.models import (
    EventState,
    IssueState,
    JobKind,
    JobState,
    SyncIssue,
    SyncJob,
    WebhookEvent,
    WebhookEventAttempt,
)
from sync.models.jobs import ACTIVE_JOB_STATES

GREEN, AMBER, RED, NONE = "green", "amber", "red", "none"
#: worst first: the order of the admin index summary and of ``worst``
LIGHT_ORDER = (RED, AMBER, GREEN, NONE)
PENDING_STATES = (EventState.RECEIVED, EventState.QUEUED, EventState.PROCESSING)
PARTIAL_JOB_KINDS = (JobKind.INCREMENTAL, JobKind.CATCH_UP, JobKind.RECONCILE)
#: how far back a succeeded webhook event counts as the type's "last partial sync"
PARTIAL_LOOKBACK = timedelta(days=7)

#: "[Error: ]<service> <METHOD> <path>: <status or exception name>[ rest]", as ``HttpClientBase`` words it
_CALL_ERROR = re.compile(
    r"(?:\w+: )?(?P<service>[a-z][\w-]*) (?P<method>GET|POST|PUT|PATCH|DELETE) (?P<path>\S+): "
    r"(?P<status>\d{3}|[A-Za-z]+)(?P<rest>.*)",
    re.DOTALL,
)


def red_after_seconds() -> float:
    return float(getattr(settings, "IGNITE_HEALTH_RED_AFTER_SECONDS", 60))


def worst(lights: Iterable[str]) -> str:
    found = set(lights)
    return next((light for light in LIGHT_ORDER if light in found), NONE)


@dataclass(frozen=True)
class CallFailure:
    """A failed outbound call, read back from its error text."""

    service: str  # "SparkLayer", "the store (woocommerce)" or "" when the text is not a call error
    method: str
    path: str
    status: str  # "503", "ConnectionError", ...

    @property
    def verb(self) -> str:
        if self.status.isdigit():
            code = int(self.status)
            if code == 429:
                return "rate-limiting writes"
            if code in (401, 403):
                return "refusing the credentials"
            if code >= 500:
                return "unreachable"
            return "refusing writes"
        return "unreachable"

    @property
    def summary(self) -> str:
        """ "503 on PUT /api/v2/customers/platform/12"."""
        return f"{self.status} on {self.method} {self.path}"


def call_failure(error: str) -> CallFailure | None:
    match = _CALL_ERROR.search(error or "")
    if match is None:
        return None
    service = match["service"]
    name = "SparkLayer" if service == "sparklayer" else f"the store ({service})"
    return CallFailure(service=name, method=match["method"], path=match["path"], status=match["status"])


def sync_job_last_error(job: SyncJob) -> str:
    """The error a job is retrying after (or failed with); "" when it has none."""
    if job.error:
        return job.error
    if job.state == JobState.QUEUED and job.resume_at is not None:
        return str((job.result or {}).get("last_transient_error") or "")
    return ""


def job_is_retrying(job: SyncJob) -> bool:
    """Queued again after a failure, waiting for its retry (``resume_at``), or active with an error on it."""
    if job.state not in ACTIVE_JOB_STATES:
        return False
    return (job.state == JobState.QUEUED and job.resume_at is not None) or bool(job.error)


@dataclass(frozen=True)
class Outage:
    """Writes of one connection failing right now (see the module docstring)."""

    since: datetime
    error: str  # the latest error, as recorded
    failure: CallFailure | None
    waiting: int  # changes (webhook events) waiting to be written
    retrying_events: int
    retrying_jobs: int
    retry_every_seconds: float | None
    next_retry_at: datetime | None
    data_types: frozenset[str]
    red: bool  # failing for longer than the threshold

    @property
    def who(self) -> str:
        return self.failure.service if self.failure else "Writes"

    @property
    def verb(self) -> str:
        return self.failure.verb if self.failure else "failing"

    @property
    def detail(self) -> str:
        return self.failure.summary if self.failure else self.error[:200]

    def sentence(self, *, when: str) -> str:
        """Plain text: "SparkLayer unreachable since 10:02:13 UTC (503 on PUT /api/...), 6 changes waiting, ..."."""
        parts = [f"{self.who} {self.verb} since {when} ({self.detail})"]
        parts.append(f"{self.waiting} change{'s' if self.waiting != 1 else ''} waiting")
        if self.retrying_jobs:
            parts.append(f"{self.retrying_jobs} full sync{'s' if self.retrying_jobs != 1 else ''} waiting to retry")
        parts.append(f"retrying every {self.retry_every_seconds:.0f} s" if self.retry_every_seconds else "retrying")
        return ", ".join(parts)


@dataclass(frozen=True)
class TypeHealth:
    data_type: str
    light: str
    reason: str
    last_full_sync_at: datetime | None
    last_partial_sync_at: datetime | None
    open_issues: int
    failed_events_24h: int
    syncable: bool


@dataclass(frozen=True)
class ConnectionHealth:
    connection: Connection
    light: str
    headline: str  # why the light has its colour, one line
    outage: Outage | None
    types: list[TypeHealth] = field(default_factory=list)
    waiting_events: int = 0
    failed_events_24h: int = 0
    last_failed_event_error: str = ""
    open_issues: int = 0
    active_jobs: int = 0
    last_full_sync_at: datetime | None = None
    last_partial_sync_at: datetime | None = None

    @property
    def light_rank(self) -> int:
        return LIGHT_ORDER.index(self.light)


def _grouped(rows: Iterable[dict[str, Any]], value: str) -> dict[tuple[int, str], Any]:
    return {(row["connection_id"], row["data_type"]): row[value] for row in rows}


def connections_health(*, connections: Sequence[Connection], now: datetime | None = None) -> list[ConnectionHealth]:
    """The health of each connection, in the order given (a fixed number of queries for all of them)."""
    now = now or timezone.now()
    ids = [c.pk for c in connections]
    if not ids:
        return []
    day_ago = now - timedelta(hours=24)
    jobs = SyncJob.objects.filter(connection_id__in=ids)
    full_ok = _grouped(
        jobs.filter(kind=JobKind.FULL, state=JobState.SUCCEEDED)
        .values("connection_id", "data_type")
        .annotate(at=Max("finished_at")),
        "at",
    )
    full_failed = _grouped(
        jobs.filter(kind=JobKind.FULL, state=JobState.FAILED)
        .values("connection_id", "data_type")
        .annotate(at=Max("finished_at")),
        "at",
    )
    partial_jobs = _grouped(
        jobs.filter(kind__in=PARTIAL_JOB_KINDS, state=JobState.SUCCEEDED)
        .values("connection_id", "data_type")
        .annotate(at=Max("finished_at")),
        "at",
    )
    events = WebhookEvent.objects.filter(connection_id__in=ids)
    partial_events = _grouped(
        events.filter(state=EventState.SUCCEEDED, received_at__gte=now - PARTIAL_LOOKBACK)
        .values("connection_id", "data_type")
        .annotate(at=Max("processed_at")),
        "at",
    )
    failed_24h = _grouped(
        events.filter(state=EventState.FAILED, received_at__gte=day_ago)
        .values("connection_id", "data_type")
        .annotate(n=Count("pk")),
        "n",
    )
    pending = list(
        events.filter(state__in=PENDING_STATES)
        .values("connection_id", "data_type")
        .annotate(
            n=Count("pk"),
            retrying=Count("pk", filter=~Q(last_error="")),
            next_at=Min("next_attempt_at"),
            next_queued=Min("queued_at", filter=Q(queued_at__gt=now)),
        )
    )
    issues = _grouped(
        SyncIssue.objects.filter(connection_id__in=ids, state=IssueState.OPEN)
        .values("connection_id", "data_type")
        .annotate(n=Count("pk")),
        "n",
    )
    active = list(
        jobs.filter(state__in=ACTIVE_JOB_STATES).only(
            "pk", "connection_id", "data_type", "kind", "state", "resume_at", "error", "result", "updated_at"
        )
    )
    return [
        _health(
            connection,
            now=now,
            full_ok=full_ok,
            full_failed=full_failed,
            partial=(partial_jobs, partial_events),
            failed_24h=failed_24h,
            pending=[row for row in pending if row["connection_id"] == connection.pk],
            issues=issues,
            active=[job for job in active if job.connection_id == connection.pk],
        )
        for connection in connections
    ]


def connection_health(*, connection: Connection, now: datetime | None = None) -> ConnectionHealth:
    return connections_health(connections=[connection], now=now)[0]


def _outage(connection: Connection, pending: list[dict[str, Any]], retrying_jobs: list[SyncJob], now: datetime) -> (
    Outage | None
):  # fmt: skip
    retrying_events = sum(row["retrying"] for row in pending)
    if not retrying_events and not retrying_jobs:
        return None
    waiting = sum(row["n"] for row in pending)
    types = {row["data_type"] for row in pending if row["retrying"]} | {job.data_type for job in retrying_jobs}
    latest_error, latest_at, since = "", None, None
    retry_every: float | None = None
    if retrying_events:
        latest = (
            WebhookEvent.objects.filter(connection=connection, state__in=PENDING_STATES)
            .exclude(last_error="")
            .order_by("-updated_at")
            .only("pk", "last_error", "updated_at")
            .first()
        )
        if latest is not None:
            latest_error, latest_at = latest.last_error, latest.updated_at
            starts = list(
                WebhookEventAttempt.objects.filter(event_id=latest.pk)
                .order_by("-started_at")
                .values_list("started_at", flat=True)[:2]
            )
            if len(starts) == 2:
                retry_every = max((starts[0] - starts[1]).total_seconds(), 1.0)
        since = (
            WebhookEventAttempt.objects.filter(
                event__connection=connection,
                event__state__in=PENDING_STATES,
                number=1,
                started_at__gte=now - timedelta(hours=24),
            )
            .exclude(event__last_error="")
            .aggregate(first=Min("started_at"))["first"]
        )
    for job in retrying_jobs:
        if latest_at is None or job.updated_at > latest_at:
            latest_error, latest_at = sync_job_last_error(job) or latest_error, job.updated_at
        since = min(since, job.updated_at) if since else job.updated_at
    since = since or latest_at or now
    next_times = [t for row in pending for t in (row["next_at"], row["next_queued"]) if t]
    next_times += [job.resume_at for job in retrying_jobs if job.resume_at]
    next_retry = min(next_times) if next_times else None
    return Outage(
        since=since,
        error=latest_error,
        failure=call_failure(latest_error),
        waiting=waiting,
        retrying_events=retrying_events,
        retrying_jobs=len(retrying_jobs),
        retry_every_seconds=retry_every,
        next_retry_at=next_retry,
        data_types=frozenset(types),
        red=(now - since).total_seconds() > red_after_seconds(),
    )


def _health(
    connection: Connection,
    *,
    now: datetime,
    full_ok: dict[tuple[int, str], Any],
    full_failed: dict[tuple[int, str], Any],
    partial: tuple[dict[tuple[int, str], Any], dict[tuple[int, str], Any]],
    failed_24h: dict[tuple[int, str], Any],
    pending: list[dict[str, Any]],
    issues: dict[tuple[int, str], Any],
    active: list[SyncJob],
) -> ConnectionHealth:
    retrying_jobs = [job for job in active if job_is_retrying(job)]
    outage = _outage(connection, pending, retrying_jobs, now)
    try:
        syncable = [str(t) for t in syncable_data_types(connection)]
    except KeyError:  # an unknown platform must not break the page that diagnoses it
        syncable = []
    seen_types = {key[1] for source in (full_ok, full_failed, issues) for key in source if key[0] == connection.pk}
    data_types = syncable + sorted(seen_types - set(syncable))
    types = []
    for data_type in data_types:
        key = (connection.pk, data_type)
        last_ok, last_failed = full_ok.get(key), full_failed.get(key)
        partial_times = [t for t in (partial[0].get(key), partial[1].get(key)) if t]
        first_running = any(job.data_type == data_type and job.kind == JobKind.FULL for job in active)
        last_full_failed = bool(last_failed and (last_ok is None or last_failed > last_ok))
        last_full_error = ""
        if last_full_failed:
            last_full_error = (
                SyncJob.objects.filter(connection=connection, data_type=data_type, kind=JobKind.FULL,
                                       state=JobState.FAILED)
                .order_by("-finished_at")
                .values_list("error", flat=True)
                .first()
                or ""
            )  # fmt: skip
        light, reason = type_light(
            connection=connection,
            data_type=data_type,
            syncable=data_type in syncable,
            last_success=last_ok,
            last_full_failed=last_full_failed,
            last_full_error=last_full_error,
            first_sync_running=first_running,
            open_issues=issues.get(key, 0),
            failed_events=failed_24h.get(key, 0),
            outage=outage if outage and data_type in outage.data_types else None,
        )
        types.append(
            TypeHealth(
                data_type=data_type,
                light=light,
                reason=reason,
                last_full_sync_at=last_ok,
                last_partial_sync_at=max(partial_times) if partial_times else None,
                open_issues=issues.get(key, 0),
                failed_events_24h=failed_24h.get(key, 0),
                syncable=data_type in syncable,
            )
        )
    light = worst([t.light for t in types] + ([RED if outage.red else AMBER] if outage else []))
    if connection.state != ConnectionState.ACTIVE:
        light = RED
    failed_total = sum(t.failed_events_24h for t in types)
    last_failed_error = ""
    if failed_total:
        last_failed_error = (
            WebhookEvent.objects.filter(
                connection=connection, state=EventState.FAILED, received_at__gte=now - timedelta(hours=24)
            )
            .order_by("-updated_at")
            .values_list("last_error", flat=True)
            .first()
            or ""
        )
    fulls = [t.last_full_sync_at for t in types if t.last_full_sync_at]
    partials = [t.last_partial_sync_at for t in types if t.last_partial_sync_at]
    health = ConnectionHealth(
        connection=connection,
        light=light,
        headline="",
        outage=outage,
        types=types,
        waiting_events=sum(row["n"] for row in pending),
        failed_events_24h=failed_total,
        last_failed_event_error=last_failed_error,
        open_issues=sum(t.open_issues for t in types),
        active_jobs=len(active),
        last_full_sync_at=max(fulls) if fulls else None,
        last_partial_sync_at=max(partials) if partials else None,
    )
    return _with_headline(health)


def _with_headline(health: ConnectionHealth) -> ConnectionHealth:
    """The one line shown beside the light: the worst thing first."""
    connection = health.connection
    if connection.state != ConnectionState.ACTIVE:
        headline = f"Connection is {connection.get_state_display().lower()}." + (
            f" {connection.state_reason[:200]}" if connection.state_reason else ""
        )
    elif health.outage is not None:
        headline = f"{health.outage.who} {health.outage.verb} ({health.outage.detail})."
    elif health.light == RED:
        worst_type = next(t for t in health.types if t.light == RED)
        headline = f"{worst_type.data_type}: {worst_type.reason}"
    elif health.light == AMBER:
        parts = []
        running = [t.data_type for t in health.types if t.light == AMBER and t.last_full_sync_at is None]
        if running:
            parts.append(f"first full sync running ({', '.join(running)})")
        by_type = [f"{t.data_type} {t.open_issues}" for t in health.types if t.open_issues]
        if health.open_issues:
            parts.append(f"{health.open_issues} record issue(s) open ({', '.join(by_type)})")
        if health.failed_events_24h:
            parts.append(f"{health.failed_events_24h} webhook event(s) failed in 24 h")
        headline = "; ".join(parts).capitalize() + "." if parts else "Needs attention."
    else:
        headline = "Synced, nothing open."
    return ConnectionHealth(**{**health.__dict__, "headline": headline})


def type_light(
    *,
    connection: Connection,
    data_type: str,
    syncable: bool,
    last_success: datetime | None,
    last_full_failed: bool,
    first_sync_running: bool,
    open_issues: int,
    failed_events: int,
    outage: Outage | None,
    last_full_error: str = "",
) -> tuple[str, str]:
    """The light and reason of one data type (rules in the module docstring)."""
    if not syncable:
        return NONE, f"{connection.platform} has no {data_type}: nothing is synced."
    if connection.state != ConnectionState.ACTIVE:
        return RED, f"Connection is {connection.get_state_display().lower()}."
    if outage is not None and outage.red:
        return RED, f"Writes failing: {outage.who} {outage.verb} ({outage.detail})."
    if last_full_failed:
        return RED, f"The last full sync failed: {last_full_error[:200] or 'see the job'}"
    if last_success is None:
        if first_sync_running:
            return AMBER, "The first full sync is running."
        return RED, "No full sync has completed yet."
    if outage is not None:
        return AMBER, f"Retrying: {outage.who} {outage.verb} ({outage.detail})."
    if open_issues:
        return AMBER, f"{open_issues} record issue(s) open."
    if failed_events:
        return AMBER, f"{failed_events} webhook event(s) failed in the last 24 h."
    return GREEN, "Synced, no open issues."


def health_summary(*, connections: Sequence[Connection], now: datetime | None = None) -> dict[str, Any]:
    """For the admin index: how many connections per light, and the connections sorted worst first."""
    healths = sorted(
        connections_health(connections=connections, now=now), key=lambda h: (h.light_rank, str(h.connection))
    )
    counts: dict[str, int] = defaultdict(int)
    for health in healths:
        counts[health.light] += 1
    return {"counts": [(light, counts[light]) for light in LIGHT_ORDER if counts[light]], "healths": healths}
