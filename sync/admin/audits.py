"""Drift audits in the operator console: the runs, their findings, the findings page, and repair.

The findings page (``/admin/sync/audits/<id>/``) lists each record that differs with its fields side by
side (SparkLayer's value, the store's), a link to the record's timeline and to the record on the store,
and a button that queues the repair of the open findings. Repair (here and as list actions) never runs
in the request: it is queued (``audit_repair_task``), since it writes to SparkLayer. Everything is
scoped to the user's connections like the rest of the console.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.views.decorators.http import require_http_methods

from connections.admin_scope import ConnectionScopedAdminMixin
from connections.models import Connection
from connections.selectors import connections_visible_to
from sync.admin.dashboard import admin_url
from sync.dispatch import audit_repair_send
from sync.models import AuditFinding, AuditRun, FindingKind
from sync.scheduled.audit_repair import audit_findings_mark_repairing
from sync.scheduled.audits import audit_run_cancel
from sync.selectors.audit import OPEN_FINDING_STATES, audit_findings, shown_value

#: what the findings page shows (its view permission is required, ``sync/admin/permissions.py``)
AUDIT_MODELS: tuple[type[Model], ...] = (Connection, AuditRun, AuditFinding)
#: permission that lets a user queue repairs (the findings themselves are read-only)
REPAIR_PERMISSION = "sync.change_auditfinding"


def repair_queue(findings: QuerySet[AuditFinding]) -> int:
    """Mark the open findings as queued for repair and send them to the workers; returns how many."""
    ids = audit_findings_mark_repairing(findings=findings)
    if ids:
        audit_repair_send(finding_ids=ids)
    return len(ids)


@admin.register(AuditRun)
class AuditRunAdmin(ConnectionScopedAdminMixin, admin.ModelAdmin):
    list_display = ("id", "connection", "data_type", "scope", "state", "checked", "equal", "differing", "missing",
                    "extra", "unmappable", "reads", "findings_link", "created_at", "duration")  # fmt: skip
    list_filter = ("connection", "data_type", "state", "scope", "trigger")
    search_fields = ("connection__site_id", "=id")
    list_select_related = ("connection",)
    ordering = ("-created_at",)
    actions = ("repair", "cancel")
    readonly_fields = ["findings_link", *(f.name for f in AuditRun._meta.fields if f.name != "sample_ids")]
    exclude = ("sample_ids",)

    @admin.display(description="findings")
    def findings_link(self, obj: AuditRun) -> SafeString:
        return format_html('<a href="{}">{} finding(s)</a>', reverse("sync_admin:audit", args=[obj.pk]), obj.drifted)

    @admin.display(description="duration")
    def duration(self, obj: AuditRun) -> str:
        if obj.started_at and obj.finished_at:
            return f"{(obj.finished_at - obj.started_at).total_seconds():.0f}s"
        return "-"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(
        description="Repair what the selected audits found (forced push, then re-read)", permissions=["operate"]
    )
    def repair(self, request: HttpRequest, queryset: QuerySet[AuditRun]) -> None:
        count = repair_queue(AuditFinding.objects.filter(run__in=queryset))
        self.message_user(request, f"Repair of {count} finding(s) queued.", messages.SUCCESS)

    @admin.action(description="Cancel the selected audits", permissions=["operate"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[AuditRun]) -> None:
        count = sum(audit_run_cancel(run=run, reason=f"cancelled by {request.user.get_username()}") for run in queryset)
        self.message_user(request, f"{count} audit(s) cancelled.", messages.SUCCESS)


@admin.register(AuditFinding)
class AuditFindingAdmin(ConnectionScopedAdminMixin, admin.ModelAdmin):
    list_display = ("external_id", "visible_id", "kind", "state", "belief", "data_type", "connection", "run_link",
                    "created_at")  # fmt: skip
    list_filter = ("state", "kind", "belief", "connection", "data_type")
    search_fields = ("=external_id", "visible_id")
    list_select_related = ("connection",)
    ordering = ("-created_at",)
    actions = ("repair",)
    readonly_fields = [f.name for f in AuditFinding._meta.fields]

    @admin.display(description="audit")
    def run_link(self, obj: AuditFinding) -> SafeString:
        return format_html('<a href="{}">#{}</a>', reverse("sync_admin:audit", args=[obj.run_id]), obj.run_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Repair the selected findings (forced push, then re-read)", permissions=["operate"])
    def repair(self, request: HttpRequest, queryset: QuerySet[AuditFinding]) -> None:
        count = repair_queue(queryset)
        self.message_user(request, f"Repair of {count} finding(s) queued.", messages.SUCCESS)


def _rows(run: AuditRun, findings: QuerySet[AuditFinding]) -> list[dict[str, Any]]:
    timeline = reverse("sync_admin:timeline")
    rows = []
    for finding in findings:
        query: dict[str, str] = {
            "connection": str(run.connection_id),
            "data_type": finding.data_type,
            "external_id": finding.external_id,
        }
        rows.append(
            {
                "finding": finding,
                "timeline_url": f"{timeline}?{urlencode(query)}",
                "store_url": finding.platform_url if finding.platform_url.startswith(("https://", "http://")) else "",
                "fields": [
                    {
                        "field": diff.get("field", ""),
                        "sparklayer": shown_value(diff.get("sparklayer")),
                        "store": shown_value(diff.get("store")),
                    }
                    for diff in finding.fields
                ],
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
def audit_run_view(request: HttpRequest, run_id: int) -> HttpResponse:
    """The findings of one audit, side by side; POST queues the repair of its open findings."""
    run = (
        AuditRun.objects.select_related("connection")
        .filter(pk=run_id, connection__in=connections_visible_to(request.user).values("pk"))
        .first()
    )
    if run is None:
        raise Http404("No such audit among the connections assigned to you.")
    may_repair = request.user.has_perm(REPAIR_PERMISSION)
    if request.method == "POST":
        if not may_repair:
            raise Http404("You may not repair findings.")
        count = repair_queue(AuditFinding.objects.filter(run=run))
        messages.success(request, f"Repair of {count} finding(s) queued: each record is pushed again, then re-read.")
        return HttpResponseRedirect(request.path)
    kind = request.GET.get("kind", "")
    if kind not in FindingKind.values:
        kind = ""
    findings = audit_findings(run=run, kind=kind)
    context = {
        **admin.site.each_context(request),
        "title": f"Audit #{run.pk}: {run.data_type} of {run.connection}",
        "run": run,
        "connection": run.connection,
        "rows": _rows(run, findings),
        "kind": kind,
        "kinds": FindingKind.choices,
        "repairable": AuditFinding.objects.filter(run=run, state__in=OPEN_FINDING_STATES).count(),
        "may_repair": may_repair,
        "dashboard_url": reverse("sync_admin:dashboard", args=[run.connection_id]),
        "runs_url": admin_url("sync_auditrun_changelist", query={"connection__id__exact": run.connection_id}),
    }
    return TemplateResponse(request, "admin/sync/audit_run.html", context)
