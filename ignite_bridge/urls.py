"""Top-level routes: Ignite endpoints, platform webhooks and install callbacks, admin, probes, schema."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from ignite_bridge.core import health
from ignite_bridge.core.api_docs import ApiDocsView
from ignite_bridge.core.favicon import favicon
from ignite_bridge.core.metrics_server import metrics_view

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="schema"), name="api-docs"),
    # the operator console's custom pages (dashboard, timeline, job progress) before the admin's own
    path("admin/sync/", include("sync.admin.urls")),
    path("admin/", admin.site.urls),
    path("", include("endpoints.urls")),
    path("", include("sync.urls")),
]
