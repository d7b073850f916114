"""Connection page and dashboard button: reprocess every failed webhook event of the connection (after an
outage or a credentials fix); each record is fetched fresh from the store."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from connections.models import Connection
from sync.admin.operations.base import back, button_view, guarded, report
from sync.incremental.replay import webhook_events_reprocess_failed
from sync.models import WebhookEvent


@button_view
def connection_reprocess_failed_view(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = guarded(request, Connection, connection_id, operate_as=WebhookEvent)
    queued = webhook_events_reprocess_failed(connection=connection, requested_by=request.user.get_username())
    if queued:
        report(request, f"{len(queued)} failed event(s) queued for processing.", did_something=True)
    else:
        report(request, "No failed events to reprocess.", did_something=False)
    return back(request, reverse("sync_admin:dashboard", args=[connection.pk]))
