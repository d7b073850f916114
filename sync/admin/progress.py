"""Live progress of sync jobs in the admin: a column/field whose numbers ``job_progress.js`` refreshes.

The SyncJob admin mixes in ``JobProgressAdminMixin`` and lists ``live_progress`` in ``list_display``
and ``readonly_fields``; the script polls ``sync_admin:job-progress`` (JSON) while a job runs, so the
page never reloads.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from connections.selectors import connections_visible_to
from sync.models import SyncJob
from sync.selectors.dashboard import sync_job_progress

PROGRESS_FIELDS = (
    "pk", "state", "seen", "total_estimate", "pushed", "unchanged", "issues", "deleted", "pages_done",
    "started_at", "finished_at", "error", "connection_id", "resume_at", "result",
)  # fmt: skip


def sync_job_progress_view(request: HttpRequest, job_id: int) -> HttpResponse:
    """JSON polled by ``sync/static/sync/admin/job_progress.js`` while a job runs (404 outside the user's scope)."""
    job = (
        SyncJob.objects.filter(pk=job_id, connection__in=connections_visible_to(request.user).values("pk"))
        .only(*PROGRESS_FIELDS)
        .first()
    )
    if job is None:
        raise Http404("No such job among the connections assigned to you.")
    response = JsonResponse(sync_job_progress(job=job))
    response["Cache-Control"] = "no-store"
    return response


def progress_text(progress: dict[str, Any]) -> str:
    """The one-line summary; ``job_progress.js`` writes the same words when it refreshes."""
    parts = []
    if progress["percent"] is not None:
        parts.append(f"{progress['percent']:.1f}%")
    seen = (
        f"{progress['seen']} of {progress['total_estimate']}" if progress["total_estimate"] else str(progress["seen"])
    )
    parts.append(f"{seen} read")
    if progress["running"]:
        parts.append(f"{progress['records_per_second']:.1f} records/s")
    parts.append(f"{progress['pushed']} pushed, {progress['unchanged']} unchanged, {progress['issues']} issues")
    return " · ".join(parts)


def live_progress_html(job: SyncJob) -> SafeString:
    progress = sync_job_progress(job=job)
    width = progress["percent"] if progress["percent"] is not None else 0
    return format_html(
        '<div class="ib-progress" data-progress-url="{}" data-running="{}" data-job="{}">'
        '<div class="ib-progress-bar"><div class="ib-progress-fill" style="width: {}%"></div></div>'
        '<span class="ib-progress-text">{}</span> · <span class="ib-progress-state">{}</span></div>',
        reverse("sync_admin:job-progress", args=[job.pk]),
        "true" if progress["running"] else "false",
        job.pk,
        f"{width:.1f}",
        progress_text(progress),
        f"Retrying: {progress['error']}" if progress["retrying"] else progress["state_display"],
    )


class JobProgressAdminMixin:
    """Adds ``live_progress`` (list column and detail field) and the polling script to a SyncJob admin."""

    @admin.display(description="Progress")
    def live_progress(self, obj: SyncJob) -> SafeString:
        return live_progress_html(obj)

    @property
    def media(self) -> forms.Media:
        base: forms.Media = super().media  # type: ignore[misc]
        return base + forms.Media(js=["sync/admin/job_progress.js"], css={"all": ["sync/admin/console.css"]})
