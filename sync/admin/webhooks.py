"""Webhook events in the operator console: browse, read the evidence, replay.

Read-only (events are evidence): filters by connection, topic, state, data type and outcome; the
payload pretty-printed, headers as stored (credentials were never stored); the attempts as a
timeline; actions that call the replay service. Every queryset is scoped to the connections the
user may see (``connections_visible_to``).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from connections.admin_scope import ConnectionScopedAdminMixin
from connections.selectors import connections_visible_to
from ignite_bridge.core.ids import positive_id
from ignite_bridge.core.jsonlimits import json_loads_bounded
from sync.models import WebhookEvent, WebhookEventAttempt
from sync.webhooks.replay import webhook_events_reprocess, webhook_events_reprocess_failed

BODY_PREVIEW_LIMIT = 200_000


class VisibleConnectionFilter(admin.SimpleListFilter):
    """Only the connections the user may see (a plain FK filter would list them all)."""

    title = "connection"
    parameter_name = "connection"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(c.pk), str(c)) for c in connections_visible_to(request.user)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = positive_id(self.value())
        return queryset.filter(connection_id=value) if value is not None else queryset


class WebhookEventAttemptInline(admin.TabularInline):
    model = WebhookEventAttempt
    fields = ("number", "started_at", "finished_at", "outcome", "worker", "error", "traceback")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(ConnectionScopedAdminMixin, admin.ModelAdmin):
    list_display = ("id", "connection", "topic", "record_id", "state", "outcome", "attempts", "received_at",
                    "processed_at")  # fmt: skip
    list_filter = (VisibleConnectionFilter, "topic", "state", "data_type", "outcome")
    search_fields = ("record_id", "delivery_id", "dedupe_key")
    date_hierarchy = "received_at"
    list_select_related = ("connection",)
    inlines = [WebhookEventAttemptInline]
    actions = ["reprocess", "reprocess_all_failed_for_connection"]
    fields = (
        "connection", "platform", "topic", "data_type", "record_id", "action", "state", "outcome", "attempts",
        "received_at", "occurred_at", "queued_at", "next_attempt_at", "processing_started_at", "processed_at",
        "superseded_by", "delivery_id", "dedupe_key", "last_error", "traceback", "pretty_headers", "pretty_body",
    )  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEvent]:
        visible = connections_visible_to(request.user)
        return super().get_queryset(request).filter(connection__in=visible).defer("body")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Headers")
    def pretty_headers(self, obj: WebhookEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.headers or {}, indent=2, sort_keys=True))

    @admin.display(description="Body (as received; processing always re-reads the record)")
    def pretty_body(self, obj: WebhookEvent) -> str:
        raw = bytes(obj.body or b"")[:BODY_PREVIEW_LIMIT]
        text = raw.decode("utf-8", errors="replace")
        with contextlib.suppress(ValueError):  # not JSON (or cut at the preview limit): shown as received
            text = json.dumps(json_loads_bounded(text), indent=2, ensure_ascii=False, sort_keys=True)
        return format_html("<pre>{}</pre>", text)

    @admin.action(description="Reprocess (fetches the record fresh from the store)", permissions=["operate"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        queued = webhook_events_reprocess(events=queryset, requested_by=request.user.get_username())
        skipped = queryset.count() - len(queued)
        message = f"Queued {len(queued)} event(s) for processing."
        if skipped:
            message += f" {skipped} skipped (being processed right now)."
        self.message_user(request, message, messages.SUCCESS)

    @admin.action(
        description="Reprocess all failed events of the selected events' connections", permissions=["operate"]
    )
    def reprocess_all_failed_for_connection(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        connection_ids = set(queryset.values_list("connection_id", flat=True))
        for connection in connections_visible_to(request.user).filter(pk__in=connection_ids):
            queued = webhook_events_reprocess_failed(connection=connection, requested_by=request.user.get_username())
            self.message_user(request, f"{connection}: queued {len(queued)} failed event(s).", messages.SUCCESS)
