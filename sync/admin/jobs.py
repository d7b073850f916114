"""Sync jobs in the operator console: progress and counters, rerun/cancel, and "start full sync"
actions added to the connections list (the connections admin cannot import ``sync``).

Read-only: a job is a record of work. Actions call the job services and report with
``message_user``. Querysets are scoped with ``ConnectionScopedAdminMixin`` (connections_visible_to).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from connections.admin_scope import ConnectionScopedAdminMixin
from connections.models import Connection
from platforms.base import platform_adapter_class, platform_names
from platforms.types import TRIGGERABLE_DATA_TYPES, DataType
from sync.admin.permissions import user_may_start_syncs
from sync.admin.progress import JobProgressAdminMixin
from sync.models import PushLog, SyncJob, TriggerSource
from sync.services.jobs import (
    DataTypeNotSupported,
    SyncAlreadyActive,
    sync_job_cancel,
    sync_job_queue_full,
    sync_job_rerun,
)


@admin.register(SyncJob)
class SyncJobAdmin(JobProgressAdminMixin, ConnectionScopedAdminMixin, admin.ModelAdmin):
    list_display = ("id", "connection", "data_type", "kind", "state", "live_progress", "seen", "pushed", "unchanged",
                    "issues", "deleted", "trigger", "created_at", "duration")  # fmt: skip
    list_filter = ("connection", "data_type", "state", "kind", "trigger")
    search_fields = ("connection__site_id", "=id")
    ordering = ("-created_at",)
    list_select_related = ("connection",)
    actions = ("rerun", "cancel")
    # live_progress (sync/admin/progress.py) first: it refreshes itself while the job runs
    readonly_fields = ["live_progress", *(f.name for f in SyncJob._meta.fields)]

    @admin.display(description="progress")
    def progress(self, obj: SyncJob) -> str:
        if obj.total_estimate:
            percent = min(100, round(100 * obj.seen / obj.total_estimate))
            return format_html('<progress max="100" value="{}"></progress> {}%', percent, percent)
        return f"{obj.seen} read"

    @admin.display(description="duration")
    def duration(self, obj: SyncJob) -> str:
        if obj.started_at and obj.finished_at:
            return f"{(obj.finished_at - obj.started_at).total_seconds():.0f}s"
        return "-"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

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
        self.message_user(request, f"{started} full sync(s) queued.", messages.SUCCESS)
        if busy:
            self.message_user(request, f"{busy} skipped: a sync of that type is already active.", messages.WARNING)
        if unsupported:
            self.message_user(request, f"{unsupported} skipped: the platform cannot sync that type.", messages.WARNING)

    @admin.action(
        description="Cancel the selected jobs (a running one stops at its next checkpoint)", permissions=["operate"]
    )
    def cancel(self, request: HttpRequest, queryset: QuerySet[SyncJob]) -> None:
        count = sum(sync_job_cancel(job=job, reason=f"cancelled by {request.user.get_username()}") for job in queryset)
        self.message_user(request, f"{count} job(s) cancelled.", messages.SUCCESS)


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


def start_full_sync_action(data_type: str) -> Callable[[Any, HttpRequest, QuerySet[Connection]], None]:
    """A connections-list action queueing a full sync of ``data_type`` for each selected connection."""

    def action(model_admin: Any, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        queued, busy, inactive, unsupported = 0, 0, 0, 0
        for connection in queryset:
            if not connection.is_active:
                inactive += 1
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
        model_admin.message_user(request, f"{queued} {data_type} full sync(s) queued.", messages.SUCCESS)
        if unsupported:
            model_admin.message_user(
                request, f"Skipped: {unsupported} on a platform that cannot sync {data_type}.", messages.WARNING
            )
        if busy or inactive:
            model_admin.message_user(
                request, f"Skipped: {busy} already active, {inactive} not active.", messages.WARNING
            )

    action.__name__ = f"start_full_sync_{data_type}"
    return action


def offered_data_types() -> list[DataType]:
    """The triggerable types some registered platform can sync: a type none can sync is not offered."""
    supported = {t for name in platform_names() for t in platform_adapter_class(name).data_types}
    return [t for t in TRIGGERABLE_DATA_TYPES if t in supported]


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
