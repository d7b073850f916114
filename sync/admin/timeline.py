"""Per-record timeline page: search a connection's records by external id or SKU, then show their history: the
record's name with links to the store and SparkLayer, then every receipt, write (with the fields it changed)
and issue change in the order they happened."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from connections.admin_scope import connection_get_visible_or_404
from connections.selectors import connections_visible_to
from sync.admin.dashboard import admin_url
from sync.selectors.timeline import (
    ISSUE_MUTED,
    ISSUE_OPENED,
    ISSUE_RECHECKED,
    ISSUE_REOPENED,
    ISSUE_RESOLVED,
    PUSH,
    RECEIPT,
    record_header,
    record_search,
    record_timeline,
)

#: admin change page of the row behind each kind of entry
ENTRY_ADMIN = {
    RECEIPT: "sync_webhookevent_change",
    PUSH: "sync_pushlog_change",
    ISSUE_OPENED: "sync_syncissue_change",
    ISSUE_REOPENED: "sync_syncissue_change",
    ISSUE_RESOLVED: "sync_syncissue_change",
    ISSUE_MUTED: "sync_syncissue_change",
    ISSUE_RECHECKED: "sync_syncissue_change",
}


def record_timeline_view(request: HttpRequest) -> HttpResponse:
    visible = connections_visible_to(request.user)
    connection_id = request.GET.get("connection", "")
    query = request.GET.get("q", "").strip()[:255]
    data_type = request.GET.get("data_type", "")[:32]
    external_id = request.GET.get("external_id", "")[:255]
    connection = None
    if connection_id:
        connection = connection_get_visible_or_404(user=request.user, connection_id=connection_id)
    else:  # the form's select shows the first connection as chosen: search that one
        connection = visible.first()
    matches = record_search(connection=connection, query=query) if connection and query else []
    if connection and len(matches) == 1 and not external_id:
        data_type, external_id = matches[0].data_type, matches[0].external_id
    entries = []
    header = None
    if connection and data_type and external_id:
        header = record_header(connection=connection, data_type=data_type, external_id=external_id)
        for entry in record_timeline(connection=connection, data_type=data_type, external_id=external_id):
            name = ENTRY_ADMIN[entry.kind]
            entries.append({"entry": entry, "url": name and entry.object_id and admin_url(name, entry.object_id)})
    context = {
        **admin.site.each_context(request),
        "title": "Record timeline",
        "connections": visible,
        "connection": connection,
        "query": query,
        "matches": matches,
        "data_type": data_type,
        "external_id": external_id,
        "entries": entries,
        "header": header,
        "searched": bool(query),
    }
    return TemplateResponse(request, "admin/sync/timeline.html", context)
