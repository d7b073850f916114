"""Job page button: rerun this full sync (a new job; unchanged records make no writes)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from sync.admin.operations.base import back, button_view, guarded, report
from sync.jobs.jobs import SyncAlreadyActive, sync_job_rerun
from sync.models import JobKind, SyncJob


@button_view
def job_rerun_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = guarded(request, SyncJob, job_id)
    here = reverse("admin:sync_syncjob_change", args=[job.pk])
    if job.kind != JobKind.FULL:
        report(request, f"Job #{job.pk} is a {job.get_kind_display().lower()} job: only full syncs are rerun.",
               did_something=False)  # fmt: skip
        return back(request, here)
    try:
        new_job = sync_job_rerun(job=job, requested_by=request.user.get_username())
    except SyncAlreadyActive as exc:
        active = f" (job #{exc.job.pk})" if exc.job else ""
        report(request, f"Not queued: a {job.data_type} full sync is already active{active}.", did_something=False)
        return back(request, here)
    report(request, f"Full sync of {job.data_type} queued as job #{new_job.pk}.", did_something=True)
    if request.POST.get("next", "").startswith(reverse("admin:sync_syncjob_change", args=[job.pk])):
        return HttpResponseRedirect(reverse("admin:sync_syncjob_change", args=[new_job.pk]))  # follow the new job
    return back(request, reverse("admin:sync_syncjob_change", args=[new_job.pk]))
