"""Job page button: cancel a queued or running job (a running one stops at its next checkpoint)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from sync.admin.operations.base import back, button_view, guarded, report
from sync.jobs.jobs import sync_job_cancel
from sync.models import SyncJob


@button_view
def job_cancel_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = guarded(request, SyncJob, job_id)
    cancelled = sync_job_cancel(job=job, reason=f"cancelled by {request.user.get_username()}")
    if cancelled:
        report(request, f"Job #{job.pk} cancelled; a running job stops at its next checkpoint.", did_something=True)
    else:
        report(request, f"Job #{job.pk} was not active ({job.get_state_display().lower()}): nothing to cancel.",
               did_something=False)  # fmt: skip
    return back(request, reverse("admin:sync_syncjob_change", args=[job.pk]))
