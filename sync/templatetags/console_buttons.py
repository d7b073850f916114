"""The buttons of the console's pages (job, event, issue, connection), each a small POST form to one of the
views in ``sync/admin/operations/``. Shown only to users who may use them, and only when they can do
something (no "Cancel" on a finished job, no "Mute" on a resolved issue)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from connections.models import Connection
from sync.admin.health import health_line_html
from sync.admin.operations.base import may_operate
from sync.jobs.jobs import syncable_data_types
from sync.models import EventState, IssueState, JobKind, SyncIssue, SyncJob, WebhookEvent
from sync.models.jobs import ACTIVE_JOB_STATES
from sync.selectors.health import connection_health

register = template.Library()
TEMPLATE = "admin/sync/includes/buttons.html"


@dataclass(frozen=True)
class Button:
    label: str
    url: str
    name: str  # the element id suffix tests and people refer to
    fields: dict[str, str] = field(default_factory=dict)
    title: str = ""
    danger: bool = False


def _context(context: Any, buttons: list[Button], heading: str = "") -> dict[str, Any]:
    request = context.get("request")
    return {"buttons": buttons, "next": request.get_full_path() if request else "", "heading": heading,
            "csrf_token": context.get("csrf_token")}  # fmt: skip


@register.inclusion_tag(TEMPLATE, takes_context=True)
def job_buttons(context: Any, job: SyncJob) -> dict[str, Any]:
    buttons = []
    if may_operate(context["request"], SyncJob):
        if job.state in ACTIVE_JOB_STATES:
            buttons.append(Button("Cancel job", reverse("sync_admin:job-cancel", args=[job.pk]), "cancel",
                                  title="A running job stops at its next checkpoint.", danger=True))  # fmt: skip
        elif job.kind == JobKind.FULL:
            url = reverse("sync_admin:job-rerun", args=[job.pk])
            title = "A new full sync of the same type; unchanged records make no writes."
            buttons.append(Button("Rerun this sync", url, "rerun", title=title))
    return _context(context, buttons)


@register.inclusion_tag(TEMPLATE, takes_context=True)
def event_buttons(context: Any, event: WebhookEvent) -> dict[str, Any]:
    buttons = []
    if may_operate(context["request"], WebhookEvent) and event.state != EventState.PROCESSING:
        url = reverse("sync_admin:event-reprocess", args=[event.pk])
        title = "The record is fetched fresh from the store and pushed if it changed."
        buttons.append(Button("Reprocess event", url, "reprocess", title=title))
    return _context(context, buttons)


@register.inclusion_tag(TEMPLATE, takes_context=True)
def issue_buttons(context: Any, issue: SyncIssue) -> dict[str, Any]:
    buttons = []
    if may_operate(context["request"], SyncIssue):
        if issue.state in (IssueState.OPEN, IssueState.MUTED):
            buttons.append(Button("Resolve", reverse("sync_admin:issue-resolve", args=[issue.pk]), "resolve",
                                  title="It reopens (same issue) if the problem comes back."))  # fmt: skip
        if issue.state == IssueState.OPEN:
            buttons.append(Button("Mute", reverse("sync_admin:issue-mute", args=[issue.pk]), "mute",
                                  title="Kept and counted, no longer reported as open."))  # fmt: skip
        buttons.append(Button("Re-check now", reverse("sync_admin:issue-recheck", args=[issue.pk]), "recheck",
                              title="Fetch the record from the store and validate it again."))  # fmt: skip
    return _context(context, buttons)


@register.simple_tag
def connection_health_line(connection: Connection) -> SafeString:
    """The connection page's first line: its light and what is wrong, as on the dashboard."""
    return format_html('<p class="ib-health-line ib-health-{}">{}</p>', *_health(connection))


def _health(connection: Connection) -> tuple[str, SafeString]:
    health = connection_health(connection=connection)
    return health.light, health_line_html(health)


@register.inclusion_tag(TEMPLATE, takes_context=True)
def connection_buttons(context: Any, connection: Connection) -> dict[str, Any]:
    request = context["request"]
    buttons = []
    if connection.is_active and may_operate(request, SyncJob):
        url = reverse("sync_admin:connection-sync-now", args=[connection.pk])
        for data_type in syncable_data_types(connection):
            buttons.append(Button(f"Sync {data_type} now", url, f"sync-{data_type}", {"data_type": str(data_type)}))
    if may_operate(request, WebhookEvent):
        failed = WebhookEvent.objects.filter(connection=connection, state=EventState.FAILED).count()
        if failed:
            buttons.append(Button(f"Reprocess {failed} failed event{'s' if failed != 1 else ''}",
                                  reverse("sync_admin:connection-reprocess-failed", args=[connection.pk]),
                                  "reprocess-failed"))  # fmt: skip
    return _context(context, buttons, heading="Actions")
