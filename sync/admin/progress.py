"""Live progress of sync jobs in the admin: a column/field whose numbers ``job_progress.js`` refreshes.

The SyncJob admin mixes in ``JobProgressAdminMixin`` and lists ``live_progress`` in ``list_display``
and ``readonly_fields``; the script polls ``sync_admin:job-progress`` (JSON) while a job runs, so the
page never reloads.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from sync.models import SyncJob
from sync.selectors_dashboard import sync_job_progress


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
        progress["state_display"],
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
