"""What happened to an issue over its life: opened, resolved, reopened, muted, re-checked, and by whom.

An issue is one row per (connection, data type, record, code) for good: when a resolved problem comes
back, the same row is reopened and its occurrence count goes on (``sync/engine/issues.py``), so this
history is the issue's story. Only changes of state are written here (not every sighting of an open
issue, which ``occurrences`` and ``last_seen_at`` count).
"""

from __future__ import annotations

from django.db import models


class IssueAction(models.TextChoices):
    OPENED = "opened", "Opened"
    REOPENED = "reopened", "Reopened (the problem came back)"
    RESOLVED = "resolved", "Resolved"
    MUTED = "muted", "Muted"
    RECHECKED = "rechecked", "Re-checked"


class SyncIssueChange(models.Model):
    issue = models.ForeignKey("sync.SyncIssue", on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField()
    action = models.CharField(max_length=16, choices=IssueAction.choices)
    by = models.CharField(max_length=150, blank=True, help_text="The operator; empty when a sync did it.")
    note = models.TextField(blank=True, help_text="Why, in words (the message at the time, the re-check's result).")
    job = models.ForeignKey("sync.SyncJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    event = models.ForeignKey("sync.WebhookEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} issue {self.issue_id} at {self.at:%Y-%m-%d %H:%M:%S}"
