"""Sync issues in the operator console: what cannot sync, with a link to the record on the store.

Filters by state, code, connection and data type; search on external id, visible id and message;
actions resolve and mute call the issue service. Scoped to the user's connections.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from connections.admin_scope import ConnectionScopedAdminMixin
from sync.models import IssueState, SyncIssue
from sync.services.issues import issues_set_state


@admin.register(SyncIssue)
class SyncIssueAdmin(ConnectionScopedAdminMixin, admin.ModelAdmin):
    list_display = ("external_id", "visible_id", "code", "state", "data_type", "connection", "record_link",
                    "occurrences", "last_seen_at")  # fmt: skip
    list_filter = ("state", "code", "connection", "data_type")
    search_fields = ("=external_id", "visible_id", "message")
    list_select_related = ("connection",)
    ordering = ("-last_seen_at",)
    actions = ("resolve", "mute")
    # counts next to each filter value: the code filter doubles as the "issues grouped by code" summary
    show_facets = admin.ShowFacets.ALWAYS
    readonly_fields = [f.name for f in SyncIssue._meta.fields]

    @admin.display(description="on the store")
    def record_link(self, obj: SyncIssue) -> str:
        if not obj.platform_url.startswith(("https://", "http://")):
            return "-"
        return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">open</a>', obj.platform_url)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Mark resolved", permissions=["operate"])
    def resolve(self, request: HttpRequest, queryset: QuerySet[SyncIssue]) -> None:
        count = issues_set_state(issues=queryset, state=IssueState.RESOLVED)
        self.message_user(request, f"{count} issue(s) resolved.", messages.SUCCESS)

    @admin.action(description="Mute (keep, but stop reporting as open)", permissions=["operate"])
    def mute(self, request: HttpRequest, queryset: QuerySet[SyncIssue]) -> None:
        count = issues_set_state(issues=queryset, state=IssueState.MUTED)
        self.message_user(request, f"{count} issue(s) muted.", messages.SUCCESS)
