"""The connections list, status first (Airbyte's connection list): light and health line, last full and partial
sync, open issues, waiting and failed webhook events, and the way into the dashboard.

The connections admin cannot import ``sync``, so these columns are added through its hooks
(``connections/admin.py``): ``LIST_PAGE_HOOKS`` reads the health of the whole page at once
(``connections_health``: a fixed number of queries), and each column reads it back from the row.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from connections.admin import EXTRA_LIST_COLUMNS, LEADING_LIST_COLUMNS, LIST_PAGE_HOOKS
from connections.models import Connection
from sync.admin.health import health_line_html, last_syncs_html
from sync.selectors.health import ConnectionHealth, connection_health, connections_health

HEALTH_ATTRIBUTE = "_console_health"


def prepare_page_health(request: HttpRequest, connections: list[Connection]) -> None:
    for health in connections_health(connections=connections):
        setattr(health.connection, HEALTH_ATTRIBUTE, health)


def health_of(connection: Connection) -> ConnectionHealth:
    health = getattr(connection, HEALTH_ATTRIBUTE, None)
    if health is None:  # a row the page hook did not see (another list): read it alone
        health = connection_health(connection=connection)
        setattr(connection, HEALTH_ATTRIBUTE, health)
    return health


def _changelist(name: str, query: dict[str, Any]) -> str:
    return f"{reverse(f'admin:{name}')}?{urlencode(query)}"


@admin.display(description="Status")
def health_column(connection: Connection) -> SafeString:
    return health_line_html(health_of(connection))


@admin.display(description="Last sync")
def last_sync_column(connection: Connection) -> SafeString:
    return last_syncs_html(health_of(connection))


@admin.display(description="Open issues")
def issues_column(connection: Connection) -> SafeString:
    count = health_of(connection).open_issues
    url = _changelist("sync_syncissue_changelist", {"connection__id__exact": connection.pk, "state": "open"})
    return format_html('<a href="{}" class="ib-count{}">{}</a>', url, " ib-bad" if count else "", count)


@admin.display(description="Webhook events")
def events_column(connection: Connection) -> SafeString:
    health = health_of(connection)
    waiting_url = _changelist("sync_webhookevent_changelist", {"connection": connection.pk, "pending": "1"})
    failed_url = _changelist("sync_webhookevent_changelist", {"connection": connection.pk, "state__exact": "failed"})
    retrying = health.outage.retrying_events if health.outage else 0
    waiting = format_html(
        '<a href="{}" class="ib-nowrap{}">{} waiting{}</a>',
        waiting_url,
        " ib-warn" if retrying else "",
        health.waiting_events,
        format_html(" ({} retrying)", retrying) if retrying else "",
    )
    failed = format_html(
        '<a href="{}" class="ib-nowrap{}">{} failed (24 h)</a>',
        failed_url,
        " ib-bad" if health.failed_events_24h else "",
        health.failed_events_24h,
    )
    return format_html("{}<br>{}", waiting, failed)


@admin.display(description="Dashboard")
def dashboard_column(connection: Connection) -> SafeString:
    return format_html('<a href="{}">Dashboard</a>', reverse("sync_admin:dashboard", args=[connection.pk]))


def install() -> None:
    """Add the columns and the page hook once (the module may be imported again by tests)."""
    if prepare_page_health not in LIST_PAGE_HOOKS:
        LIST_PAGE_HOOKS.append(prepare_page_health)
    if health_column not in LEADING_LIST_COLUMNS:
        LEADING_LIST_COLUMNS.insert(0, health_column)
    for column in (last_sync_column, issues_column, events_column, dashboard_column):
        if column not in EXTRA_LIST_COLUMNS:
            EXTRA_LIST_COLUMNS.append(column)


install()
