"""Issue page button: mark the issue resolved (it reopens, same row, if the problem comes back)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from sync.admin.operations.base import back, button_view, guarded, report
from sync.engine.issues import issues_set_state
from sync.models import IssueState, SyncIssue


@button_view
def issue_resolve_view(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = guarded(request, SyncIssue, issue_id)
    count = issues_set_state(
        issues=SyncIssue.objects.filter(pk=issue.pk), state=IssueState.RESOLVED, by=request.user.get_username()
    )
    if count:
        report(request, "Issue resolved. If the problem comes back, this issue reopens.", did_something=True)
    else:
        report(request, "The issue was already resolved.", did_something=False)
    return back(request, reverse("admin:sync_syncissue_change", args=[issue.pk]))
