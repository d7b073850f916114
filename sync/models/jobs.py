"""Sync jobs: one row per run of a data type for a connection, with progress and a checkpoint."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from ignite_bridge.core.models import TimestampedModel


class JobKind(models.TextChoices):
    FULL = "full", "Full"
    INCREMENTAL = "incremental", "Incremental"
    CATCH_UP = "catch_up", "Catch-up (missed webhooks)"
    RECONCILE = "reconcile", "Reconcile (deletions)"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING)
FINAL_JOB_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class JobPhase(models.TextChoices):
    """The phases of a full sync, in order."""

    PAGES = "pages", "Reading pages"
    COMPLETENESS = "completeness", "Completeness and deletions"
    REPORT = "report", "Reporting"


class TriggerSource(models.TextChoices):
    CONNECT = "connect", "Connection activated"
    SPARKLAYER = "sparklayer", "SparkLayer trigger endpoint"
    ADMIN = "admin", "Admin"
    COMMAND = "command", "Management command"
    SCHEDULE = "schedule", "Schedule"
    RERUN = "rerun", "Rerun"


class SyncJob(TimestampedModel):
    connection = models.ForeignKey("connections.Connection", on_delete=models.CASCADE, related_name="sync_jobs")
    data_type = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=JobKind.choices, default=JobKind.FULL)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED, db_index=True)
    trigger = models.CharField(max_length=16, choices=TriggerSource.choices, default=TriggerSource.ADMIN)
    requested_by = models.CharField(max_length=150, blank=True)
    rerun_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns")

    seen = models.PositiveIntegerField(default=0, help_text="Platform records read.")
    pushed = models.PositiveIntegerField(default=0, help_text="Records SparkLayer accepted a write for.")
    unchanged = models.PositiveIntegerField(default=0, help_text="Records skipped: same content as last pushed.")
    issues = models.PositiveIntegerField(default=0, help_text="Records that could not be synced.")
    deleted = models.PositiveIntegerField(default=0, help_text="Records discontinued/deleted in SparkLayer.")
    total_estimate = models.PositiveIntegerField(null=True, blank=True, help_text="Platform's record count.")
    pages_done = models.PositiveIntegerField(default=0)
    checkpoint_cursor = models.TextField(blank=True, help_text="Platform cursor of the next page to read.")
    phase = models.CharField(
        max_length=16,
        choices=JobPhase.choices,
        default=JobPhase.PAGES,
        help_text="Where a full sync is: a resumed job continues in this phase, never back at page 1.",
    )

    celery_task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(
        max_length=64, blank=True, help_text="Which run holds the job; a checkpoint by any other run is refused."
    )
    resume_at = models.DateTimeField(
        null=True, blank=True, help_text="A rescheduled job is due then; the sweeper leaves it alone until."
    )
    attempts = models.PositiveIntegerField(default=0)
    force = models.BooleanField(
        default=False, help_text="A forced re-push: every record is written, whatever SparkLayer is believed to hold."
    )
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One queued or running full sync per (connection, data type), enforced by the database.
            models.UniqueConstraint(
                fields=["connection", "data_type"],
                condition=Q(kind="full", state__in=["queued", "running"]),
                name="one_active_full_sync",
            )
        ]
        indexes = [models.Index(fields=["connection", "data_type", "state"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.data_type} #{self.pk} ({self.state})"
