"""Sync jobs in the operator console: progress and counters, rerun/cancel, and "start full sync"
actions added to the connections list (the connections admin cannot import ``sync``).

Read-only: a job is a record of work. Actions call the job services and report with
``message_user``. Querysets are scoped with ``ConnectionScopedAdminMixin`` (connections_visible_to).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from connections.admin_scope import ConnectionScopedAdminMixin
from connections.models import Connection
from ignite_bridge.core.display import when, when_short
from platforms.base import platform_adapter_class, platform_names
from platforms.types import TRIGGERABLE_DATA_TYPES
from sync.admin.permissions import user_may_start_syncs
from sync.admin.progress import JobProgressAdminMixin
from sync.jobs.jobs import (
    DataTypeNotSupported,
    SyncAlreadyActive,
    sync_job_cancel,
    sync_job_queue_full,
    sync_job_rerun,
    syncable_data_types,
)
from sync.models import PushLog, SyncJob, TriggerSource
from sync.selectors.health import job_is_retrying, sync_job_last_error


@admin.register(SyncJob)
class SyncJobAdmin(JobProgressAdminMixin, ConnectionScopedAdminMixin, admin.ModelAdmin):
    list_display = ("job_column", "connection", "data_type", "kind", "state_column", "live_progress", "error_column",
                    "created_column", "duration")  # fmt: skip
    list_display_links = ("job_column",)
    list_filter = ("connection", "data_type", "state", "kind", "trigger")
    search_fields = ("connection__site_id", "=id")
    ordering = ("-created_at",)
    list_select_related = ("connection",)
    actions = ("rerun", "cancel")
    # What a person needs first (state, progress, error, counts), then who and when; internals folded.
    fieldsets = (
        (None, {"fields": ("state_column", "live_progress", "error_text", "counts", "connection_link", "data_type",
                           "kind", "trigger_text", "rerun_of_link", "started", "finished", "duration")}),
        ("Internals", {"classes": ("collapse",), "fields": ("celery_task_id", "claim_token", "checkpoint_cursor",
                                                            "heartbeat", "resume", "attempts", "pages_done",
                                                            "total_estimate", "result_pretty", "created",
                                                            "updated")}),
    )  # fmt: skip
    readonly_fields = [name for _title, options in fieldsets for name in options["fields"]]  # type: ignore[misc]

    @admin.display(description="Job", ordering="pk")
    def job_column(self, obj: SyncJob) -> str:
        return f"#{obj.pk}"

    @admin.display(description="State", ordering="state")
    def state_column(self, obj: SyncJob) -> SafeString:
        if job_is_retrying(obj):
            due = format_html(", next try {}", when_short(obj.resume_at)) if obj.resume_at else ""
            return format_html('<span class="ib-warn ib-nowrap">Retrying</span>{}', due)
        css = {"failed": "ib-bad", "succeeded": "ib-job-succeeded"}.get(obj.state, "")
        return format_html('<span class="{}">{}</span>', css, obj.get_state_display())

    @admin.display(description="Error / reason")
    def error_column(self, obj: SyncJob) -> SafeString:
        error = sync_job_last_error(obj)
        if error:
            return format_html('<span class="ib-bad" title="{}">{}</span>', error, Truncator(error).chars(140))
        note = str((obj.result or {}).get("note") or "")
        return format_html('<span class="ib-quiet">{}</span>', note) if note else format_html("{}", "")

    @admin.display(description="Error")
    def error_text(self, obj: SyncJob) -> SafeString:
        error = sync_job_last_error(obj)
        if not error:
            note = str((obj.result or {}).get("note") or "")
            return format_html('<span class="ib-quiet">{}</span>', note or "none")
        prefix = "Retrying after: " if job_is_retrying(obj) else ""
        return format_html('<span class="ib-bad">{}{}</span>', prefix, error)

    @admin.display(description="Records")
    def counts(self, obj: SyncJob) -> SafeString:
        """The counters, each refreshed in place with the progress bar while the job runs (job_progress.js)."""
        issues_url = reverse("admin:sync_syncissue_changelist") + "?" + urlencode({"job": str(obj.pk), "state": "all"})

        def live(field: str, value: Any) -> SafeString:
            return format_html('<span class="ib-live" data-job="{}" data-field="{}">{}</span>', obj.pk, field, value)

        return format_html(
            '{} read{} · {} pushed · {} unchanged · <a href="{}">{} with issues</a> · {} deleted',
            live("seen", obj.seen),
            format_html(" of {}", live("total_estimate", obj.total_estimate)) if obj.total_estimate else "",
            live("pushed", obj.pushed),
            live("unchanged", obj.unchanged),
            issues_url,
            live("issues", obj.issues),
            live("deleted", obj.deleted),
        )

    @admin.display(description="Connection")
    def connection_link(self, obj: SyncJob) -> SafeString:
        return format_html('<a href="{}">{}</a> (<a href="{}">dashboard</a>)',
                           reverse("admin:connections_connection_change", args=[obj.connection_id]), obj.connection,
                           reverse("sync_admin:dashboard", args=[obj.connection_id]))  # fmt: skip

    @admin.display(description="Started by")
    def trigger_text(self, obj: SyncJob) -> str:
        by = f" ({obj.requested_by})" if obj.requested_by else ""
        return f"{obj.get_trigger_display()}{by}"

    @admin.display(description="Rerun of")
    def rerun_of_link(self, obj: SyncJob) -> SafeString:
        if not obj.rerun_of_id:
            return format_html("{}", "—")
        return format_html('<a href="{}">job #{}</a>', reverse("admin:sync_syncjob_change", args=[obj.rerun_of_id]),
                           obj.rerun_of_id)  # fmt: skip

    @admin.display(description="Created", ordering="created_at")
    def created_column(self, obj: SyncJob) -> SafeString:
        return when_short(obj.created_at)

    @admin.display(description="Started")
    def started(self, obj: SyncJob) -> SafeString:
        return when(obj.started_at, empty="not yet")

    @admin.display(description="Finished")
    def finished(self, obj: SyncJob) -> SafeString:
        return when(obj.finished_at, empty="not yet")

    @admin.display(description="Created")
    def created(self, obj: SyncJob) -> SafeString:
        return when(obj.created_at)

    @admin.display(description="Updated")
    def updated(self, obj: SyncJob) -> SafeString:
        return when(obj.updated_at)

    @admin.display(description="Heartbeat")
    def heartbeat(self, obj: SyncJob) -> SafeString:
        return when(obj.heartbeat_at)

    @admin.display(description="Resume at")
    def resume(self, obj: SyncJob) -> SafeString:
        return when(obj.resume_at)

    @admin.display(description="Result")
    def result_pretty(self, obj: SyncJob) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(obj.result or {}, indent=2, sort_keys=True, default=str))

    @admin.display(description="Duration")
    def duration(self, obj: SyncJob) -> str:
        if obj.started_at and obj.finished_at:
            return f"{(obj.finished_at - obj.started_at).total_seconds():.0f} s"
        return "-"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # history is not deleted from the console; retention does it

    @admin.action(
        description="Rerun the selected full syncs (unchanged records make no writes)", permissions=["operate"]
    )
    def rerun(self, request: HttpRequest, queryset: QuerySet[SyncJob]) -> None:
        started, busy, unsupported = 0, 0, 0
        for job in queryset.filter(kind="full").select_related("connection"):
            try:
                sync_job_rerun(job=job, requested_by=request.user.get_username())
                started += 1
            except SyncAlreadyActive:
                busy += 1
            except DataTypeNotSupported:
                unsupported += 1
        self.message_user(request, f"{started} full sync(s) queued.", messages.SUCCESS if started else messages.WARNING)
        if busy:
            self.message_user(request, f"{busy} skipped: a sync of that type is already active.", messages.WARNING)
        if unsupported:
            self.message_user(request, f"{unsupported} skipped: the platform cannot sync that type.", messages.WARNING)

    @admin.action(
        description="Cancel the selected jobs (a running one stops at its next checkpoint)", permissions=["operate"]
    )
    def cancel(self, request: HttpRequest, queryset: QuerySet[SyncJob]) -> None:
        count = sum(sync_job_cancel(job=job, reason=f"cancelled by {request.user.get_username()}") for job in queryset)
        self.message_user(request, f"{count} job(s) cancelled.", messages.SUCCESS if count else messages.WARNING)


@admin.register(PushLog)
class PushLogAdmin(ConnectionScopedAdminMixin, admin.ModelAdmin):
    """The per-record timeline: search an external id to see every write made for it."""

    list_display = ("at", "connection", "data_type", "external_id", "operation", "status", "job", "event")
    list_filter = ("connection", "data_type", "operation", "status")
    search_fields = ("=external_id",)
    list_select_related = ("connection",)
    readonly_fields = [f.name for f in PushLog._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # history is not deleted from the console; retention does it


def start_full_sync_action(data_type: str) -> Callable[[Any, HttpRequest, QuerySet[Connection]], None]:
    """A connections-list action queueing a full sync of ``data_type`` for each selected connection."""

    def action(model_admin: Any, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        queued, busy, inactive, unsupported = 0, 0, 0, 0
        for connection in queryset:
            if not connection.is_active:
                inactive += 1
                continue
            if data_type not in syncable_data_types(connection):
                unsupported += 1
                continue
            try:
                sync_job_queue_full(
                    connection=connection, data_type=data_type, trigger=TriggerSource.ADMIN,
                    requested_by=request.user.get_username(),
                )  # fmt: skip
                queued += 1
            except SyncAlreadyActive:
                busy += 1
            except DataTypeNotSupported:
                unsupported += 1
        level = messages.SUCCESS if queued else messages.WARNING  # a do-nothing action must not look green
        model_admin.message_user(request, f"{queued} {data_type} full sync(s) queued.", level)
        if busy or inactive or unsupported:
            model_admin.message_user(
                request,
                f"Skipped: {busy} already active, {inactive} not active, {unsupported} on a platform without "
                f"{data_type}.",
                messages.WARNING,
            )

    action.__name__ = f"start_full_sync_{data_type}"
    return action


def offered_data_types() -> list[str]:
    """The types any registered platform can sync (each connection is then checked with ``syncable_data_types``)."""
    supported = {t for name in platform_names() for t in platform_adapter_class(name).data_types}
    return [str(t) for t in TRIGGERABLE_DATA_TYPES if t in supported]


def extend_connection_admin(site: admin.AdminSite = admin.site) -> None:
    """Add one "Start full sync: <type>" action per data type to the registered connection admin.

    The action runs on the connection admin's own (scoped) queryset, so an operator can start
    syncs only for connections they can see, and only with the permission to change sync jobs."""
    connection_admin = site._registry.get(Connection)
    if connection_admin is None:
        return
    extra = tuple(
        admin.action(description=f"Start full sync: {data_type}", permissions=["start_sync"])(
            start_full_sync_action(str(data_type))
        )
        for data_type in offered_data_types()
    )
    # Django offers (and runs) an action only when has_<permission>_permission(request) allows it.
    connection_admin.has_start_sync_permission = user_may_start_syncs  # type: ignore[attr-defined]
    names = {getattr(a, "__name__", a) for a in connection_admin.actions or ()}
    connection_admin.actions = (*(connection_admin.actions or ()), *(a for a in extra if a.__name__ not in names))


extend_connection_admin()
