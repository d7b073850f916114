"""The per-connection dashboard and the live job-progress endpoint of the operator console.

Both are custom admin views (mounted by ``sync/admin/urls.py`` behind ``admin.site.admin_view``);
the numbers come from ``sync.selectors_dashboard``, the guard from ``connection_get_visible_or_404``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from connections.admin import EXTRA_LIST_COLUMNS
from connections.admin_scope import connection_get_visible_or_404
from connections.models import Connection
from connections.selectors import connections_visible_to
from sync.admin.charts import intake_chart_svg, jobs_chart_svg
from sync.admin.permissions import user_may_view
from sync.models import AuditRun, SyncJob
from sync.selectors_audit import dashboard_drift
from sync.selectors_dashboard import (
    dashboard_data_type_statuses,
    dashboard_open_issues_by_code,
    dashboard_recent_jobs,
    dashboard_webhook_intake,
    sync_job_progress,
)
from sync.selectors_security import webhook_verification_failures_recent


def admin_url(name: str, *args: Any, query: dict[str, Any] | None = None) -> str:
    """An admin URL, or "" when that page is not registered (the console degrades, it does not break)."""
    try:
        url = reverse(f"admin:{name}", args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url


def connection_dashboard_view(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = connection_get_visible_or_404(user=request.user, connection_id=connection_id)
    statuses = dashboard_data_type_statuses(connection=connection)
    intake = dashboard_webhook_intake(connection=connection)
    points = dashboard_recent_jobs(connection=connection)
    issues_url = admin_url("sync_syncissue_changelist")
    issue_groups = [
        {
            **group,
            "url": issues_url
            and admin_url(
                "sync_syncissue_changelist",
                query={
                    "connection__id__exact": connection.pk,
                    "data_type": group["data_type"],
                    "code": group["code"],
                    "state__exact": "open",
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
        "title": f"Dashboard: {connection}",
        "connection": connection,
        "rows": rows,
        "issue_groups": issue_groups,
        "intake": intake,
        "intake_svg": intake_chart_svg(intake.per_hour),
        "verification_failures": webhook_verification_failures_recent(connection=connection),
        "jobs_svg": jobs_chart_svg(points),
        "recent_jobs": [(point, admin_url("sync_syncjob_change", point.job_id)) for point in reversed(points)][:10],
        "connection_url": admin_url("connections_connection_change", connection.pk),
        "jobs_url": admin_url("sync_syncjob_changelist", query={"connection__id__exact": connection.pk}),
        "failed_events_url": admin_url(
            "sync_webhookevent_changelist", query={"connection": connection.pk, "state__exact": "failed"}
        ),
        "timeline_url": reverse("sync_admin:timeline"),
        "other_connections": connections_visible_to(request.user).exclude(pk=connection.pk)[:50],
        "drift": dashboard_drift(connection=connection) if user_may_view(request.user, (AuditRun,)) else [],
    }
    return TemplateResponse(request, "admin/sync/dashboard.html", context)


def sync_job_progress_view(request: HttpRequest, job_id: int) -> HttpResponse:
    """JSON polled by ``sync/static/sync/admin/job_progress.js`` while a job runs (404 outside the user's scope)."""
    job = (
        SyncJob.objects.filter(pk=job_id, connection__in=connections_visible_to(request.user).values("pk"))
        .only(*PROGRESS_FIELDS)
        .first()
    )
    if job is None:
        raise Http404("No such job among the connections assigned to you.")
    response = JsonResponse(sync_job_progress(job=job))
    response["Cache-Control"] = "no-store"
    return response


PROGRESS_FIELDS = (
    "pk", "state", "seen", "total_estimate", "pushed", "unchanged", "issues", "deleted", "pages_done",
    "started_at", "finished_at", "error", "connection_id",
)  # fmt: skip


@admin.display(description="Dashboard")
def connection_dashboard_link(connection: Connection) -> SafeString:
    """Connections list column (via ``EXTRA_LIST_COLUMNS``): the way into a connection's dashboard."""
    return format_html('<a href="{}">Dashboard</a>', reverse("sync_admin:dashboard", args=[connection.pk]))


if connection_dashboard_link not in EXTRA_LIST_COLUMNS:
    EXTRA_LIST_COLUMNS.append(connection_dashboard_link)
