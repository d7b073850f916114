"""Template helpers of the operator console: moments with seconds, time zone and "x ago"; health lines; the
admin index's health summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils.safestring import SafeString

from connections.selectors import connections_visible_to
from ignite_bridge.core.display import when, when_short
from sync.admin.health import health_line_html, light_html, outage_html
from sync.selectors.health import ConnectionHealth, Outage, health_summary

register = template.Library()


@register.filter(name="when")
def when_filter(value: datetime | None) -> SafeString:
    """``{{ job.started_at|when }}`` → "2026-12-02 10:02:13 UTC (3 min ago)"."""
    return when(value)


@register.filter(name="ago")
def ago_filter(value: datetime | None) -> SafeString:
    """``{{ job.started_at|ago }}`` → "3 min ago" with the full moment in the tooltip."""
    return when_short(value)


@register.filter
def light(value: str, reason: str = "") -> SafeString:
    return light_html(value, reason)


@register.filter
def health_line(health: ConnectionHealth) -> SafeString:
    return health_line_html(health)


@register.filter
def outage_line(outage: Outage) -> SafeString:
    return outage_html(outage)


@register.inclusion_tag("admin/sync/includes/health_summary.html", takes_context=True)
def connections_health_summary(context: dict[str, Any], limit: int = 10) -> dict[str, Any]:
    """The admin index's summary: connections per light, the worst ``limit`` listed with their line."""
    request = context.get("request")
    user = getattr(request, "user", None)
    connections = list(connections_visible_to(user)[:500])
    summary = health_summary(connections=connections)
    return {"counts": summary["counts"], "healths": summary["healths"][:limit], "total": len(connections),
            "more": max(len(connections) - limit, 0)}  # fmt: skip
