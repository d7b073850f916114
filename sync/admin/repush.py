"""The "Force full re-push" action of the connections list: after a confirmation page, queue full syncs that
write every record whatever SparkLayer is believed to hold (``SyncJob.force``).

For when SparkLayer lost or changed data the bridge cannot see; a drift audit (``sync_audit``) shows
whether it did. The connections admin cannot import ``sync``, so the action is added from here, on the
connection admin's own (scoped) queryset, like the "Start full sync" actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from connections.models import Connection
from platforms.types import TRIGGERABLE_DATA_TYPES
from sync.admin.permissions import user_may_start_syncs
from sync.jobs.jobs import SyncAlreadyActive, sync_job_queue_full, syncable_data_types
from sync.models import TriggerSource

ACTION_NAME = "force_full_repush"


def force_full_repush(
    model_admin: Any, request: HttpRequest, queryset: QuerySet[Connection]
) -> TemplateResponse | None:
    """Confirmation page first (with the data types to re-push); on confirm, queue forced full syncs."""
    active = [connection for connection in queryset if connection.is_active]
    inactive = [connection for connection in queryset if not connection.is_active]
    offered = [str(data_type) for data_type in TRIGGERABLE_DATA_TYPES]
    if request.POST.get("confirm") == "yes":
        chosen = [data_type for data_type in request.POST.getlist("data_types") if data_type in offered]
        if not chosen:
            model_admin.message_user(request, "Choose at least one data type to re-push.", messages.ERROR)
            return None
        queued, busy = 0, 0
        for connection in active:
            for data_type in syncable_data_types(connection):
                if str(data_type) not in chosen:
                    continue
                try:
                    sync_job_queue_full(
                        connection=connection, data_type=data_type, trigger=TriggerSource.ADMIN,
                        requested_by=request.user.get_username(), force=True,
                    )  # fmt: skip
                    queued += 1
                except SyncAlreadyActive:
                    busy += 1
        model_admin.message_user(request, f"{queued} forced full sync(s) queued: every record is written.")
        if busy or inactive:
            model_admin.message_user(
                request, f"Skipped: {busy} already active, {len(inactive)} connection(s) not active.", messages.WARNING
            )
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Force a full re-push?",
        "opts": model_admin.model._meta,
        "connections": active,
        "inactive": inactive,
        "data_types": offered,
        "action_name": ACTION_NAME,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "selected": [connection.pk for connection in queryset],
    }
    return TemplateResponse(request, "admin/sync/force_repush_confirm.html", context)


force_full_repush.__name__ = ACTION_NAME


def extend_connection_admin_with_repush(site: admin.AdminSite = admin.site) -> None:
    connection_admin = site._registry.get(Connection)
    if connection_admin is None:
        return
    action = admin.action(description="Force full re-push (writes every record)", permissions=["start_sync"])(
        force_full_repush
    )
    # it queues sync jobs: the permission "Start full sync" needs (``sync/admin/permissions.py``)
    connection_admin.has_start_sync_permission = user_may_start_syncs  # type: ignore[attr-defined]
    names = {getattr(a, "__name__", a) for a in connection_admin.actions or ()}
    if ACTION_NAME not in names:
        connection_admin.actions = (*(connection_admin.actions or ()), action)


extend_connection_admin_with_repush()
