"""Sync issues in the operator console, modelled on Sentry's issue stream: the message first, counts, first and
last seen, one click to resolve; the record's timeline, its page on the store ("Edit in store") and the job or
event that last saw it one click away. Open issues by default.

An issue that comes back after it was resolved is the same row reopened, with its history (opened, resolved,
reopened, muted, re-checked) on its page. Filters by state, code, connection, data type and job; search on
external id, visible id and message; actions and buttons call the issue services. Scoped to the user's
connections; nothing is deleted from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from connections.admin_scope import ConnectionScopedAdminMixin
from ignite_bridge.core.display import when, when_short
from sync.engine.issues import issues_set_state
from sync.models import IssueState, SyncIssue, SyncIssueChange


class IssueStateFilter(admin.SimpleListFilter):
    """State, open by default (what needs doing); "All" is a choice of its own."""

    title = "state"
    parameter_name = "state"
    ALL = "all"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(IssueState.OPEN, "Open"), (IssueState.MUTED, "Muted"), (IssueState.RESOLVED, "Resolved"),
                (self.ALL, "All")]  # fmt: skip

    def value(self) -> str:
        return str(super().value() or IssueState.OPEN)

    def choices(self, changelist: ChangeList) -> Iterator[Any]:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset if value == self.ALL else queryset.filter(state=value)


class RaisedByJobFilter(admin.SimpleListFilter):
    """``?job=<id>``: the issues a job saw (linked from the job page's counts); shown only while in use."""

    title = "seen in job"
    parameter_name = "job"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        return [(value, f"job #{value}")] if value and value.isdigit() else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        return queryset.filter(Q(last_job_id=int(value)) | Q(changes__job_id=int(value))).distinct()


def timeline_url(issue: SyncIssue) -> str:
    query = {"connection": str(issue.connection_id), "data_type": issue.data_type, "external_id": issue.external_id,
             "q": issue.visible_id or issue.external_id}  # fmt: skip
    return f"{reverse('sync_admin:timeline')}?{urlencode(query)}"


def store_link(issue: SyncIssue) -> SafeString:
    if not issue.platform_url.startswith(("https://", "http://")):
        return format_html('<span class="ib-quiet">{}</span>', "no store page")
    return format_html('<a href="{}" target="_blank" rel="noopener noreferrer" class="ib-nowrap">Edit in store</a>',
                       issue.platform_url)  # fmt: skip


def seen_in_link(issue: SyncIssue) -> SafeString:
    if issue.last_job_id:
        url = reverse("admin:sync_syncjob_change", args=[issue.last_job_id])
        return format_html('<a href="{}" class="ib-nowrap">job #{}</a>', url, issue.last_job_id)
    if issue.last_event_id:
        url = reverse("admin:sync_webhookevent_change", args=[issue.last_event_id])
        return format_html('<a href="{}" class="ib-nowrap">event #{}</a>', url, issue.last_event_id)
    return format_html('<span class="ib-quiet">{}</span>', "—")


class SyncIssueChangeInline(admin.TabularInline):
    """The issue's history, oldest first."""

    model = SyncIssueChange
    fields = ("moment", "action", "by_text", "note", "run")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "change"
    verbose_name_plural = "History"

    @admin.display(description="When")
    def moment(self, obj: SyncIssueChange) -> SafeString:
        return when(obj.at)

    @admin.display(description="By")
    def by_text(self, obj: SyncIssueChange) -> str:
        return obj.by or "the sync"

    @admin.display(description="Job / event")
    def run(self, obj: SyncIssueChange) -> SafeString:
        if obj.job_id:
            return format_html('<a href="{}">job #{}</a>', reverse("admin:sync_syncjob_change", args=[obj.job_id]),
                               obj.job_id)  # fmt: skip
        if obj.event_id:
            url = reverse("admin:sync_webhookevent_change", args=[obj.event_id])
            return format_html('<a href="{}">event #{}</a>', url, obj.event_id)
        return format_html("{}", "—")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SyncIssue)
class SyncIssueAdmin(ConnectionScopedAdminMixin, admin.ModelAdmin):
    class Media:
        css = {"all": ["sync/admin/console.css"]}

    list_display = ("message_column", "record_column", "store_column", "seen_in_column", "occurrences",
                    "seen_column", "state")  # fmt: skip
    list_display_links = ("message_column",)
    list_filter = (IssueStateFilter, "code", "connection", "data_type", RaisedByJobFilter)
    search_fields = ("=external_id", "visible_id", "message")
    list_select_related = ("connection",)
    ordering = ("-last_seen_at",)
    actions = ("resolve", "mute")
    # counts next to each filter value: the code filter doubles as the "issues grouped by code" summary
    show_facets = admin.ShowFacets.ALWAYS
    inlines = [SyncIssueChangeInline]
    fieldsets = (
        (None, {"fields": ("message", "code", "state", "record", "links", "seen_in", "occurrences", "first_seen",
                           "last_seen", "resolved")}),
        ("Record", {"classes": ("collapse",), "fields": ("connection", "data_type", "external_id", "visible_id",
                                                         "platform_url")}),
    )  # fmt: skip
    readonly_fields = [name for _title, options in fieldsets for name in options["fields"]]  # type: ignore[misc]

    @admin.display(description="Issue", ordering="code")
    def message_column(self, obj: SyncIssue) -> SafeString:
        return format_html('<span class="ib-issue-message">{}</span><br><code class="ib-quiet">{}</code>',
                           Truncator(obj.message).chars(180), obj.code)  # fmt: skip

    @admin.display(description="Record", ordering="external_id")
    def record_column(self, obj: SyncIssue) -> SafeString:
        return format_html('{} <a href="{}" title="Record timeline">{}</a><br><span class="ib-quiet">{}</span>',
                           obj.data_type, timeline_url(obj), obj.visible_id or obj.external_id,
                           obj.connection.site_id)  # fmt: skip

    @admin.display(description="Store")
    def store_column(self, obj: SyncIssue) -> SafeString:
        return store_link(obj)

    @admin.display(description="Seen in")
    def seen_in_column(self, obj: SyncIssue) -> SafeString:
        return seen_in_link(obj)

    @admin.display(description="Seen", ordering="last_seen_at")
    def seen_column(self, obj: SyncIssue) -> SafeString:
        return format_html('<span class="ib-nowrap">last {}</span><br><span class="ib-nowrap ib-quiet">first {}</span>',
                           when_short(obj.last_seen_at), when_short(obj.first_seen_at))  # fmt: skip

    @admin.display(description="Record")
    def record(self, obj: SyncIssue) -> SafeString:
        return format_html("{} {} (external id {})", obj.data_type, obj.visible_id or obj.external_id, obj.external_id)

    @admin.display(description="Go to")
    def links(self, obj: SyncIssue) -> SafeString:
        return format_html('<a href="{}">Record timeline</a> · {}', timeline_url(obj), store_link(obj))

    @admin.display(description="Last seen in")
    def seen_in(self, obj: SyncIssue) -> SafeString:
        return seen_in_link(obj)

    @admin.display(description="First seen")
    def first_seen(self, obj: SyncIssue) -> SafeString:
        return when(obj.first_seen_at)

    @admin.display(description="Last seen")
    def last_seen(self, obj: SyncIssue) -> SafeString:
        return when(obj.last_seen_at)

    @admin.display(description="Resolved")
    def resolved(self, obj: SyncIssue) -> SafeString:
        return when(obj.resolved_at, empty="not resolved")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an issue's history is kept; retention removes old rows, not the console

    @admin.action(description="Mark resolved", permissions=["operate"])
    def resolve(self, request: HttpRequest, queryset: QuerySet[SyncIssue]) -> None:
        count = issues_set_state(issues=queryset, state=IssueState.RESOLVED, by=request.user.get_username())
        self.message_user(request, f"{count} issue(s) resolved.", messages.SUCCESS if count else messages.WARNING)

    @admin.action(description="Mute (keep, but stop reporting as open)", permissions=["operate"])
    def mute(self, request: HttpRequest, queryset: QuerySet[SyncIssue]) -> None:
        count = issues_set_state(issues=queryset, state=IssueState.MUTED, by=request.user.get_username())
        self.message_user(request, f"{count} issue(s) muted.", messages.SUCCESS if count else messages.WARNING)
