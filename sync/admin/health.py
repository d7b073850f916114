"""The health of a connection as the console shows it: a light, a headline, and the outage line.

Everything here formats what ``sync.selectors.health`` computed (no rule of its own) as escaped HTML:
times to the second with their time zone and "x ago", so every page words an outage the same way.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ignite_bridge.core.display import ago, stamp, when_short
from sync.selectors.health import NONE, ConnectionHealth, Outage

LIGHT_LABELS = {"red": "Failing", "amber": "Needs attention", "green": "Healthy", NONE: "Not synced"}


def light_html(light: str, reason: str = "") -> SafeString:
    return format_html(
        '<span class="ib-light ib-light-{}" title="{}" role="img" aria-label="{}"></span>',
        light,
        reason or LIGHT_LABELS.get(light, light),
        LIGHT_LABELS.get(light, light),
    )


def outage_html(outage: Outage) -> SafeString:
    """ "SparkLayer unreachable since 10:02:13 UTC (2 min ago) (503 on PUT /api/...), 6 changes waiting, retrying
    every 30 s, next retry in 12 s"; the full last error in the tooltip."""
    parts = [
        format_html(
            '<strong class="ib-outage-who">{} {}</strong> since <time datetime="{}">{}</time> '
            '<span class="ib-ago">({})</span> (<span class="ib-outage-detail" title="{}">{}</span>)',
            outage.who,
            outage.verb,
            outage.since.isoformat(),
            stamp(outage.since),
            ago(outage.since),
            outage.error,
            outage.detail,
        ),
        format_html(
            '<span class="ib-waiting">{} change{} waiting</span>', outage.waiting, "s" if outage.waiting != 1 else ""
        ),
    ]
    if outage.retrying_jobs:
        plural = "s" if outage.retrying_jobs > 1 else ""
        parts.append(format_html("{} full sync{} waiting to retry", outage.retrying_jobs, plural))
    parts.append(retrying_html(outage))
    return format_html_join(", ", "{}", ((part,) for part in parts))


def retrying_html(outage: Outage) -> SafeString:
    """ "retrying every 30 s, next in 12 s" (or "retrying now" when the next try is due)."""
    every = format_html(" every {} s", f"{outage.retry_every_seconds:.0f}") if outage.retry_every_seconds else ""
    if outage.next_retry_at is None or outage.next_retry_at <= timezone.now():
        return format_html('<span class="ib-retrying">retrying{}, next try now</span>', every)
    return format_html('<span class="ib-retrying">retrying{}, next try <span title="{}">{}</span></span>', every,
                       stamp(outage.next_retry_at), ago(outage.next_retry_at))  # fmt: skip


def health_line_html(health: ConnectionHealth) -> SafeString:
    """The connection's one line: light, then the outage (when writes fail) or the headline."""
    body = outage_html(health.outage) if health.outage else format_html("{}", health.headline)
    return format_html(
        '<span class="ib-health ib-health-{}" data-light="{}">{} <span class="ib-health-text">{}</span></span>',
        health.light,
        health.light,
        light_html(health.light, health.headline),
        body,
    )


def last_syncs_html(health: ConnectionHealth) -> SafeString:
    """ "full 3 min ago / partial 20 s ago", each with its full moment in the tooltip."""
    return format_html(
        '<span class="ib-nowrap">full {}</span><br><span class="ib-nowrap">partial {}</span>',
        when_short(health.last_full_sync_at),
        when_short(health.last_partial_sync_at),
    )
