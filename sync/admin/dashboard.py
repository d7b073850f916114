"""The per-connection dashboard: health first (the outage line, what waits, what failed, what to do), then
per data type status with "Sync now", open issues by code, webhook intake and recent jobs.

A custom admin view (mounted by ``sync/admin/urls.py`` behind ``admin.site.admin_view``); the numbers come
from ``sync.selectors.health`` and ``sync.selectors.dashboard``, the guard from
``connection_get_visible_or_404``. Its health block refreshes itself (``dashboard_health.py``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from connections.admin_scope import connection_get_visible_or_404
from connections.models import Connection
from connections.selectors import connections_visible_to
from sync.admin.charts import intake_chart_svg, jobs_chart_svg
from sync.admin.operations.base import may_operate
from sync.admin.permissions import user_may_view
from sync.models import AuditRun, SyncJob, WebhookEvent
from sync.selectors.audit import dashboard_drift
from sync.selectors.dashboard import (
    dashboard_data_type_statuses,
    dashboard_open_issues_by_code,
    dashboard_recent_jobs,
    dashboard_webhook_intake,
)
from sync.selectors.health import ConnectionHealth, connection_health
from sync.selectors.security import webhook_verification_failures_recent


def admin_url(name: str, *args: Any, query: dict[str, Any] | None = None) -> str:
    """An admin URL, or "" when that page is not registered (the console degrades, it does not break)."""
    try:
        url = reverse(f"admin:{name}", args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url


def health_block_context(request: HttpRequest, connection: Connection, health: ConnectionHealth) -> dict[str, Any]:
    """What ``admin/sync/includes/health_block.html`` shows (the page and its refresh share it)."""
    return {
        "connection": connection,
        "health": health,
        "can_reprocess": may_operate(request, WebhookEvent),
        "waiting_url": admin_url("sync_webhookevent_changelist", query={"connection": connection.pk, "pending": "1"}),
        "failed_events_url": admin_url(
            "sync_webhookevent_changelist", query={"connection": connection.pk, "state__exact": "failed"}
        ),
        "issues_url": admin_url(
            "sync_syncissue_changelist", query={"connection__id__exact": connection.pk, "state": "open"}
        ),
        "jobs_url": admin_url("sync_syncjob_changelist", query={"connection__id__exact": connection.pk}),
        "reprocess_url": reverse("sync_admin:connection-reprocess-failed", args=[connection.pk]),
        "refresh_url": reverse("sync_admin:dashboard-health", args=[connection.pk]),
        "next": request.get_full_path(),
    }


def connection_dashboard_view(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = connection_get_visible_or_404(user=request.user, connection_id=connection_id)
    health = connection_health(connection=connection)
    statuses = dashboard_data_type_statuses(connection=connection, health=health)
    intake = dashboard_webhook_intake(connection=connection)
    points = dashboard_recent_jobs(connection=connection)
    issue_groups = [
        {
            **group,
            "url": admin_url(
                "sync_syncissue_changelist",
                query={
                    "connection__id__exact": connection.pk,
                    "data_type": group["data_type"],
                    "code": group["code"],
                    "state": "open",
                },
            ),
        }
        for group in dashboard_open_issues_by_code(connection=connection)
    ]
    rows = [
        {
            "status": status,
            "last_full_job_url": status.last_full_job and admin_url("sync_syncjob_change", status.last_full_job.pk),
            "active_job_url": status.active_job and admin_url("sync_syncjob_change", status.active_job.pk),
        }
        for status in statuses
    ]
    context = {
        **admin.site.each_context(request),
        **health_block_context(request, connection, health),
        "title": f"Dashboard: {connection}",
        "rows": rows,
        "can_sync": may_operate(request, SyncJob) and connection.is_active,
        "sync_now_url": reverse("sync_admin:connection-sync-now", args=[connection.pk]),
        "issue_groups": issue_groups,
        "intake": intake,
        "intake_svg": intake_chart_svg(intake.per_hour),
        "verification_failures": webhook_verification_failures_recent(connection=connection),
        "jobs_svg": jobs_chart_svg(points),
        "recent_jobs": [(point, admin_url("sync_syncjob_change", point.job_id)) for point in reversed(points)][:10],
        "connection_url": admin_url("connections_connection_change", connection.pk),
        "timeline_url": reverse("sync_admin:timeline"),
        "other_connections": connections_visible_to(request.user).exclude(pk=connection.pk)[:50],
        "drift": dashboard_drift(connection=connection) if user_may_view(request.user, (AuditRun,)) else [],
    }
    return TemplateResponse(request, "admin/sync/dashboard.html", context)
