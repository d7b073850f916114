"""Custom pages of the operator console, mounted under /admin/sync/ before the admin site's own URLs.

Each view is wrapped in ``admin.site.admin_view`` (staff login, CSRF, no caching), requires the
view permission of every model it shows (``sync/admin/permissions.py``) and checks the user's
connections itself (``connection_get_visible_or_404``).
"""

from django.contrib import admin
from django.urls import path

from sync.admin.audits import AUDIT_MODELS, audit_run_view
from sync.admin.dashboard import connection_dashboard_view, sync_job_progress_view
from sync.admin.permissions import DASHBOARD_MODELS, PROGRESS_MODELS, TIMELINE_MODELS, requires_view_permissions
from sync.admin.timeline import record_timeline_view

app_name = "sync_admin"

urlpatterns = [
    path(
        "dashboard/<int:connection_id>/",
        admin.site.admin_view(requires_view_permissions(*DASHBOARD_MODELS)(connection_dashboard_view)),
        name="dashboard",
    ),
    path(
        "jobs/<int:job_id>/progress/",
        admin.site.admin_view(requires_view_permissions(*PROGRESS_MODELS)(sync_job_progress_view)),
        name="job-progress",
    ),
    path(
        "timeline/",
        admin.site.admin_view(requires_view_permissions(*TIMELINE_MODELS)(record_timeline_view)),
        name="timeline",
    ),
    path(
        "audits/<int:run_id>/",
        admin.site.admin_view(requires_view_permissions(*AUDIT_MODELS)(audit_run_view)),
        name="audit",
    ),
]
