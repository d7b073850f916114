"""The dashboard's health block alone, as HTML: what ``sync/static/sync/admin/console_refresh.js`` fetches to
refresh it in place (an outage shows, and clears, without a reload)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from connections.admin_scope import connection_get_visible_or_404
from sync.admin.dashboard import health_block_context
from sync.selectors.health import connection_health


def connection_health_block_view(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = connection_get_visible_or_404(user=request.user, connection_id=connection_id)
    health = connection_health(connection=connection)
    context = health_block_context(request, connection, health)
    context["next"] = request.GET.get("next", "")
    response = TemplateResponse(request, "admin/sync/includes/health_block.html", context)
    response["Cache-Control"] = "no-store"
    return response
