"""Event page button: reprocess this webhook event (the record is fetched fresh from the store)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from sync.admin.operations.base import back, button_view, guarded, report
from sync.incremental.replay import webhook_events_reprocess
from sync.models import WebhookEvent


@button_view
def event_reprocess_view(request: HttpRequest, event_id: int) -> HttpResponse:
    event = guarded(request, WebhookEvent, event_id)
    queued = webhook_events_reprocess(events=[event], requested_by=request.user.get_username())
    if queued:
        report(request, f"Event #{event.pk} queued for processing; the record is read fresh from the store.",
               did_something=True)  # fmt: skip
    else:
        report(request, f"Event #{event.pk} is being processed right now: not queued again.", did_something=False)
    return back(request, reverse("admin:sync_webhookevent_change", args=[event.pk]))
