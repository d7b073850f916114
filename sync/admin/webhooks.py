"""Webhook events in the operator console, modelled on Stripe's event views: what happened to each delivery
(state, attempts, the last error, when it retries), the record it is about, the evidence, and a button to
reprocess it.

Read-only (events are evidence, never deleted from here): filters by connection, waiting/retrying, topic,
state, data type and outcome; the payload pretty-printed, headers as stored (credentials were never
stored); the attempts as a timeline; actions and the page's button call the replay service. Every
queryset is scoped to the connections the user may see (``connections_visible_to``).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from connections.admin_scope import ConnectionScopedAdminMixin
from connections.selectors import connections_visible_to
from ignite_bridge.core.display import when, when_short
from ignite_bridge.core.ids import positive_id
from ignite_bridge.core.jsonlimits import json_loads_bounded
from sync.incremental.replay import webhook_events_reprocess, webhook_events_reprocess_failed
from sync.models import EventState, WebhookEvent, WebhookEventAttempt
from sync.selectors.health import PENDING_STATES

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


class WaitingFilter(admin.SimpleListFilter):
    """Events not done yet: all that wait, or only those retrying after an error."""

    title = "waiting"
    parameter_name = "pending"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1", "Waiting (received, queued, processing)"), ("retrying", "Retrying after an error")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value not in ("1", "retrying"):
            return queryset
        waiting = queryset.filter(state__in=PENDING_STATES)
        return waiting.exclude(last_error="") if value == "retrying" else waiting


def timeline_url(event: WebhookEvent) -> str:
    query = {"connection": str(event.connection_id), "data_type": event.data_type, "external_id": event.record_id,
             "q": event.record_id}  # fmt: skip
    return f"{reverse('sync_admin:timeline')}?{urlencode(query)}"


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
    class Media:
        css = {"all": ["sync/admin/console.css"]}

    list_display = ("event_column", "topic", "record_column", "state_column", "attempts", "last_error_column",
                    "received_column", "processed_column", "connection")  # fmt: skip
    list_display_links = ("event_column",)
    list_filter = (VisibleConnectionFilter, WaitingFilter, "topic", "state", "data_type", "outcome")
    search_fields = ("record_id", "delivery_id", "dedupe_key")
    date_hierarchy = "received_at"
    list_select_related = ("connection",)
    inlines = [WebhookEventAttemptInline]
    actions = ["reprocess", "reprocess_all_failed_for_connection"]
    fieldsets = (
        (None, {"fields": ("state_column", "outcome", "attempts", "last_error", "record_link", "topic", "received",
                           "occurred", "processed", "next_try", "superseded_by", "connection")}),
        ("Evidence: headers, body, traceback", {"classes": ("collapse",),
                                                "fields": ("pretty_headers", "pretty_body", "traceback")}),
        ("Internals", {"classes": ("collapse",), "fields": ("platform", "data_type", "record_id", "action",
                                                            "delivery_id", "dedupe_key", "queued", "started")}),
    )  # fmt: skip
    readonly_fields = [name for _title, options in fieldsets for name in options["fields"]]  # type: ignore[misc]

    @admin.display(description="Event", ordering="pk")
    def event_column(self, obj: WebhookEvent) -> str:
        return f"#{obj.pk}"

    @admin.display(description="Record", ordering="record_id")
    def record_column(self, obj: WebhookEvent) -> SafeString:
        return format_html('<a href="{}" title="Record timeline">{} {}</a>', timeline_url(obj), obj.data_type,
                           obj.record_id)  # fmt: skip

    @admin.display(description="Record")
    def record_link(self, obj: WebhookEvent) -> SafeString:
        return format_html('{} {} (<a href="{}">record timeline</a>)', obj.data_type, obj.record_id,
                           timeline_url(obj))  # fmt: skip

    @admin.display(description="State", ordering="state")
    def state_column(self, obj: WebhookEvent) -> SafeString:
        if obj.state in PENDING_STATES and obj.last_error:
            due = obj.next_attempt_at or (obj.queued_at if obj.queued_at and obj.queued_at > timezone.now() else None)
            next_try = format_html(", next try {}", when_short(due)) if due else ""
            return format_html('<span class="ib-warn ib-nowrap">Retrying</span> (attempt {}){}', obj.attempts, next_try)
        css = {EventState.FAILED: "ib-bad", EventState.SUCCEEDED: "ib-job-succeeded"}.get(obj.state, "")  # type: ignore[call-overload]
        outcome = f" · {obj.outcome}" if obj.outcome else ""
        return format_html('<span class="{}">{}</span>{}', css, obj.state, outcome)

    @admin.display(description="Last error")
    def last_error_column(self, obj: WebhookEvent) -> SafeString:
        if not obj.last_error:
            return format_html("{}", "")
        return format_html('<span class="ib-bad" title="{}">{}</span>', obj.last_error,
                           Truncator(obj.last_error).chars(120))  # fmt: skip

    @admin.display(description="Received", ordering="received_at")
    def received_column(self, obj: WebhookEvent) -> SafeString:
        return when_short(obj.received_at)

    @admin.display(description="Processed", ordering="processed_at")
    def processed_column(self, obj: WebhookEvent) -> SafeString:
        return when_short(obj.processed_at, empty="not yet")

    @admin.display(description="Received")
    def received(self, obj: WebhookEvent) -> SafeString:
        return when(obj.received_at)

    @admin.display(description="Changed on the store")
    def occurred(self, obj: WebhookEvent) -> SafeString:
        return when(obj.occurred_at, empty="not said")

    @admin.display(description="Processed")
    def processed(self, obj: WebhookEvent) -> SafeString:
        return when(obj.processed_at, empty="not yet")

    @admin.display(description="Next try")
    def next_try(self, obj: WebhookEvent) -> SafeString:
        due = obj.next_attempt_at or (obj.queued_at if obj.queued_at and obj.queued_at > timezone.now() else None)
        return when(due if obj.state in PENDING_STATES else None, empty="none planned")

    @admin.display(description="Last sent to a worker")
    def queued(self, obj: WebhookEvent) -> SafeString:
        return when(obj.queued_at)

    @admin.display(description="Processing started")
    def started(self, obj: WebhookEvent) -> SafeString:
        return when(obj.processing_started_at)

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEvent]:
        visible = connections_visible_to(request.user)
        return super().get_queryset(request).filter(connection__in=visible).defer("body")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # events are evidence: retention removes them, not the console

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
        self.message_user(request, message, messages.SUCCESS if queued else messages.WARNING)

    @admin.action(
        description="Reprocess all failed events of the selected events' connections", permissions=["operate"]
    )
    def reprocess_all_failed_for_connection(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        connection_ids = set(queryset.values_list("connection_id", flat=True))
        for connection in connections_visible_to(request.user).filter(pk__in=connection_ids):
            queued = webhook_events_reprocess_failed(connection=connection, requested_by=request.user.get_username())
            level = messages.SUCCESS if queued else messages.WARNING
            self.message_user(request, f"{connection}: queued {len(queued)} failed event(s).", level)
