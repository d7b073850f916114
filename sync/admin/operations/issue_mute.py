"""Issue page button: mute the issue (kept and counted, no longer reported as open)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from sync.admin.operations.base import back, button_view, guarded, report
from sync.engine.issues import issues_set_state
from sync.models import IssueState, SyncIssue


@button_view
def issue_mute_view(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = guarded(request, SyncIssue, issue_id)
    count = issues_set_state(
        issues=SyncIssue.objects.filter(pk=issue.pk), state=IssueState.MUTED, by=request.user.get_username()
    )
    if count:
        report(request, "Issue muted: it is kept, but no longer reported as open.", did_something=True)
    else:
        report(request, f"Only an open issue can be muted; this one is {issue.state}.", did_something=False)
    return back(request, reverse("admin:sync_syncissue_change", args=[issue.pk]))
