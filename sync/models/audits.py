"""Drift audits: SparkLayer read back and compared with the store, record by record (``docs/drift-audit.md``).

An ``AuditRun`` checks one data type of one connection, a random sample of the records the bridge
knows or every record of the store. Records that SparkLayer holds as the store's mapping says are
only counted; every other one is an ``AuditFinding`` with the differing fields side by side.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from ignite_bridge.core.models import TimestampedModel
from sync.models.jobs import TriggerSource


class AuditScope(models.TextChoices):
    SAMPLE = "sample", "Random sample of the records the bridge pushed"
    ALL = "all", "Every record of the store"


class AuditState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused (SparkLayer busy or failing; resumes by itself)"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_AUDIT_STATES = (AuditState.QUEUED, AuditState.RUNNING, AuditState.PAUSED)


class AuditPhase(models.TextChoices):
    """The phases of an audit, in order (a resumed audit continues in its phase)."""

    RECORDS = "records", "Checking records"
    GONE = "gone", "Checking records gone from the store"
    DONE = "done", "Done"


class AuditRun(TimestampedModel):
    connection = models.ForeignKey("connections.Connection", on_delete=models.CASCADE, related_name="audit_runs")
    data_type = models.CharField(max_length=32)
    scope = models.CharField(max_length=8, choices=AuditScope.choices, default=AuditScope.SAMPLE)
    sample_size = models.PositiveIntegerField(null=True, blank=True, help_text="Records asked for (sample audits).")
    repair = models.BooleanField(default=False, help_text="Repair what differs once the audit ends.")
    state = models.CharField(max_length=16, choices=AuditState.choices, default=AuditState.QUEUED, db_index=True)
    trigger = models.CharField(max_length=16, choices=TriggerSource.choices, default=TriggerSource.COMMAND)
    requested_by = models.CharField(max_length=150, blank=True)

    phase = models.CharField(max_length=16, choices=AuditPhase.choices, default=AuditPhase.RECORDS)
    cursor = models.TextField(blank=True, help_text="Where a resumed audit continues in its phase.")
    sample_ids = models.JSONField(default=list, blank=True, help_text="The records a sample audit checks, in order.")

    total = models.PositiveIntegerField(null=True, blank=True, help_text="Records to check (as far as known).")
    checked = models.PositiveIntegerField(default=0, help_text="Records compared with SparkLayer.")
    equal = models.PositiveIntegerField(default=0, help_text="Records SparkLayer holds as the store maps them.")
    differing = models.PositiveIntegerField(default=0, help_text="Records with differing fields.")
    missing = models.PositiveIntegerField(default=0, help_text="Records the store has and SparkLayer lacks.")
    extra = models.PositiveIntegerField(default=0, help_text="Records SparkLayer holds that are gone from the store.")
    unmappable = models.PositiveIntegerField(
        default=0, help_text="Records that cannot be mapped today: reported as issues, not compared."
    )
    reads = models.PositiveIntegerField(default=0, help_text="SparkLayer read calls made.")
    pauses = models.PositiveIntegerField(default=0, help_text="Times the audit paused for SparkLayer (429, 5xx).")

    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    resume_at = models.DateTimeField(null=True, blank=True, help_text="A paused audit is due again then.")
    claim_token = models.CharField(max_length=64, blank=True, help_text="Which run of the task holds the audit.")
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "data_type"],
                condition=Q(state__in=["queued", "running", "paused"]),
                name="one_active_audit",
            )
        ]
        indexes = [models.Index(fields=["connection", "data_type", "state"])]

    def __str__(self) -> str:
        return f"audit {self.data_type} #{self.pk} ({self.state})"

    @property
    def drifted(self) -> int:
        return self.differing + self.missing + self.extra


class FindingKind(models.TextChoices):
    DIFFERS = "differs", "Differs"
    MISSING = "missing", "Missing in SparkLayer"
    EXTRA = "extra", "In SparkLayer, gone from the store"


class FindingState(models.TextChoices):
    OPEN = "open", "Open"
    REPAIRING = "repairing", "Repair queued"
    REPAIRED = "repaired", "Repaired (a re-read confirmed it)"
    STILL_DIFFERS = "still_differs", "Still differs after repair"


class Belief(models.TextChoices):
    """What the bridge's RecordState said about the record when the difference was found."""

    PUSHED = "pushed", "The bridge believed SparkLayer held this"
    NOT_PUSHED = "not_pushed", "Not pushed yet: the store changed since the last push"
    IN_DOUBT = "in_doubt", "The outcome of the last write is unknown"
    UNKNOWN = "unknown", "The bridge has no record of pushing it"


class AuditFinding(models.Model):
    """One record SparkLayer does not hold as the store's mapping says, with the differing fields."""

    run = models.ForeignKey(AuditRun, on_delete=models.CASCADE, related_name="findings")
    connection = models.ForeignKey("connections.Connection", on_delete=models.CASCADE, related_name="audit_findings")
    data_type = models.CharField(max_length=32)
    external_id = models.CharField(max_length=255)
    visible_id = models.CharField(max_length=255, blank=True)
    platform_url = models.URLField(max_length=500, blank=True)
    kind = models.CharField(max_length=16, choices=FindingKind.choices)
    fields = models.JSONField(
        default=list, blank=True, help_text="[{field, sparklayer, store}]: each differing field, both values."
    )
    belief = models.CharField(max_length=16, choices=Belief.choices, default=Belief.UNKNOWN)
    state = models.CharField(max_length=16, choices=FindingState.choices, default=FindingState.OPEN)
    repaired_at = models.DateTimeField(null=True, blank=True)
    repair_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "external_id"], name="one_finding_per_record_and_run")]
        indexes = [models.Index(fields=["connection", "state"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.data_type}:{self.external_id}"
