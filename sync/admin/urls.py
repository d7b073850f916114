"""Custom pages of the operator console, mounted under /admin/sync/ before the admin site's own URLs.

Each view is wrapped in ``admin.site.admin_view`` (staff login, CSRF, no caching), requires the
view permission of every model it shows (``sync/admin/permissions.py``) and checks the user's
connections itself (``connection_get_visible_or_404``, or ``operations.base.guarded`` for the
buttons, which also checks the permission to act).
"""

from django.contrib import admin
from django.urls import path

from sync.admin.audits import AUDIT_MODELS, audit_run_view
from sync.admin.dashboard import connection_dashboard_view
from sync.admin.dashboard_health import connection_health_block_view
from sync.admin.dashboards import dashboards_view
from sync.admin.operations.connection_reprocess_failed import connection_reprocess_failed_view
from sync.admin.operations.connection_sync_now import connection_sync_now_view
from sync.admin.operations.event_reprocess import event_reprocess_view
from sync.admin.operations.issue_mute import issue_mute_view
from sync.admin.operations.issue_recheck import issue_recheck_view
from sync.admin.operations.issue_resolve import issue_resolve_view
from sync.admin.operations.job_cancel import job_cancel_view
from sync.admin.operations.job_rerun import job_rerun_view
from sync.admin.permissions import DASHBOARD_MODELS, PROGRESS_MODELS, TIMELINE_MODELS, requires_view_permissions
from sync.admin.progress import sync_job_progress_view
from sync.admin.timeline import record_timeline_view

app_name = "sync_admin"


def _view(view):  # type: ignore[no-untyped-def]
    return admin.site.admin_view(view)


urlpatterns = [
    path("dashboard/", _view(requires_view_permissions(*DASHBOARD_MODELS)(dashboards_view)), name="dashboards"),
    path(
        "dashboard/<int:connection_id>/",
        _view(requires_view_permissions(*DASHBOARD_MODELS)(connection_dashboard_view)),
        name="dashboard",
    ),
    path(
        "dashboard/<int:connection_id>/health/",
        _view(requires_view_permissions(*DASHBOARD_MODELS)(connection_health_block_view)),
        name="dashboard-health",
    ),
    path(
        "jobs/<int:job_id>/progress/",
        _view(requires_view_permissions(*PROGRESS_MODELS)(sync_job_progress_view)),
        name="job-progress",
    ),
    path("timeline/", _view(requires_view_permissions(*TIMELINE_MODELS)(record_timeline_view)), name="timeline"),
    # buttons (POST)
    path("jobs/<int:job_id>/rerun/", _view(job_rerun_view), name="job-rerun"),
    path("jobs/<int:job_id>/cancel/", _view(job_cancel_view), name="job-cancel"),
    path("events/<int:event_id>/reprocess/", _view(event_reprocess_view), name="event-reprocess"),
    path("issues/<int:issue_id>/resolve/", _view(issue_resolve_view), name="issue-resolve"),
    path("issues/<int:issue_id>/mute/", _view(issue_mute_view), name="issue-mute"),
    path("issues/<int:issue_id>/recheck/", _view(issue_recheck_view), name="issue-recheck"),
    path("connections/<int:connection_id>/sync-now/", _view(connection_sync_now_view), name="connection-sync-now"),
    path(
        "connections/<int:connection_id>/reprocess-failed/",
        _view(connection_reprocess_failed_view),
        name="connection-reprocess-failed",
    ),
    path(
        "audits/<int:run_id>/",
        admin.site.admin_view(requires_view_permissions(*AUDIT_MODELS)(audit_run_view)),
        name="audit",
    ),
]
