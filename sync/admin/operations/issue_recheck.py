"""Issue page button: re-check now, i.e. fetch the record from the store and validate and push it again.

Queued (the page does not wait on the store or SparkLayer); the result lands in the issue's history.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from sync.admin.operations.base import back, button_view, guarded, report
from sync.models import SyncIssue
from sync.scheduled.issue_recheck import issue_recheck_queue


@button_view
def issue_recheck_view(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = guarded(request, SyncIssue, issue_id)
    issue_recheck_queue(issue=issue, requested_by=request.user.get_username())
    report(request, "Re-check queued: the record is fetched from the store and validated again; the result "
                    "appears in the history below.", did_something=True)  # fmt: skip
    return back(request, reverse("admin:sync_syncissue_change", args=[issue.pk]))
