"""Connection page and dashboard button: sync one data type now (a full sync; unchanged records cost nothing).

Only the data types the platform can sync are offered (``syncable_data_types``); another is refused here too.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from connections.models import Connection
from sync.admin.operations.base import back, button_view, guarded, report
from sync.jobs.jobs import SyncAlreadyActive, sync_job_queue_full, syncable_data_types
from sync.models import SyncJob, TriggerSource


@button_view
def connection_sync_now_view(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = guarded(request, Connection, connection_id, operate_as=SyncJob)
    here = reverse("sync_admin:dashboard", args=[connection.pk])
    data_type = request.POST.get("data_type", "")
    offered = [str(t) for t in syncable_data_types(connection)]
    if data_type not in offered:
        report(request, f"{connection.platform} cannot sync {data_type or 'that'}: choose one of {', '.join(offered)}.",
               did_something=False)  # fmt: skip
        return back(request, here)
    if not connection.is_active:
        report(request, f"The connection is {connection.get_state_display().lower()}: nothing queued.",
               did_something=False)  # fmt: skip
        return back(request, here)
    try:
        job = sync_job_queue_full(
            connection=connection, data_type=data_type, trigger=TriggerSource.ADMIN,
            requested_by=request.user.get_username(),
        )  # fmt: skip
    except SyncAlreadyActive as exc:
        active = f" (job #{exc.job.pk})" if exc.job else ""
        report(request, f"Not queued: a {data_type} full sync is already active{active}.", did_something=False)
        return back(request, here)
    report(request, f"Full sync of {data_type} queued as job #{job.pk}.", did_something=True)
    return back(request, here)
