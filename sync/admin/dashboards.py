"""Where "View site" leads: every connection the user may see, worst first, each with its health line and
the way into its dashboard (straight into it when there is only one)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from connections.selectors import connections_visible_to
from sync.selectors.health import health_summary


def dashboards_view(request: HttpRequest) -> HttpResponse:
    connections = list(connections_visible_to(request.user)[:500])
    if len(connections) == 1:
        return HttpResponseRedirect(reverse("sync_admin:dashboard", args=[connections[0].pk]))
    summary = health_summary(connections=connections)
    context = {
        **admin.site.each_context(request),
        "title": "Connections at a glance",
        "counts": summary["counts"],
        "healths": summary["healths"],
        "total": len(connections),
        "more": 0,
    }
    return TemplateResponse(request, "admin/sync/dashboards.html", context)
