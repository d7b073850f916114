"""What was pushed for each record (content hash), what could not be, and the push history."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from ignite_bridge.core.models import TimestampedModel


class RecordState(models.Model):
    """What SparkLayer holds for one record, as far as the bridge knows: hashes, SKUs, and the read it came from.

    Every writer (full sync, webhook, catch-up, deletion) changes a row only while holding the
    record's lock, and only with data read no earlier than ``read_version`` (``docs/sync-design.md``).
    """

    connection = models.ForeignKey("connections.Connection", on_delete=models.CASCADE, related_name="record_states")
    data_type = models.CharField(max_length=32)
    external_id = models.CharField(max_length=255)
    content_hash = models.CharField(max_length=64, blank=True)
    stock_hash = models.CharField(max_length=64, blank=True)
    pricing_hash = models.CharField(max_length=64, blank=True)
    skus = models.JSONField(default=list, blank=True, help_text="SKUs the record owns in SparkLayer.")
    variants = models.JSONField(
        default=dict, blank=True, help_text="Variant external id → SKU as last pushed (products only)."
    )
    platform_updated_at = models.DateTimeField(null=True, blank=True)
    last_pushed_at = models.DateTimeField(null=True, blank=True)
    last_seen_job_id = models.BigIntegerField(null=True, blank=True, help_text="Last full sync that saw it.")
    deleted = models.BooleanField(default=False, help_text="Discontinued/deleted in SparkLayer.")
    read_version = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the platform read behind what SparkLayer holds started (the bridge's clock); "
        "a write of data read earlier than this is dropped.",
    )
    in_doubt = models.BooleanField(
        default=False,
        help_text="A write was started and its outcome is not known (crash, timeout): the next push sends everything.",
    )
    raw_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="Hash of everything the mapping of the record read (its store payload, the store settings, the "
        "connection's mapping configuration, the mapper's version) at its last push accepted in full without issues; "
        "blank otherwise. A full sync skips mapping a record whose raw hash is unchanged.",
    )
    stock_keys = models.JSONField(
        default=list, blank=True, help_text="[sku, location] pairs of the stock rows pushed (products only)."
    )
    pricing_keys = models.JSONField(
        default=list, blank=True, help_text="[sku, price list slug] pairs of the pricing items pushed (products only)."
    )
    retired_variants = models.JSONField(
        default=dict,
        blank=True,
        help_text="Variant external id → SKU of variants the bridge discontinued; SparkLayer still holds their SKU.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "data_type", "external_id"], name="unique_record_state")
        ]
        indexes = [models.Index(fields=["connection", "data_type", "last_seen_job_id"])]

    def __str__(self) -> str:
        return f"{self.data_type}:{self.external_id}"


class IssueState(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    MUTED = "muted", "Muted"


class SyncIssue(TimestampedModel):
    """A record that cannot be synced; shown in admin and sent to SparkLayer's sync log."""

    connection = models.ForeignKey("connections.Connection", on_delete=models.CASCADE, related_name="sync_issues")
    data_type = models.CharField(max_length=32)
    external_id = models.CharField(max_length=255)
    visible_id = models.CharField(max_length=255, blank=True)
    platform_url = models.URLField(max_length=500, blank=True)
    code = models.CharField(max_length=64)
    message = models.TextField()
    state = models.CharField(max_length=16, choices=IssueState.choices, default=IssueState.OPEN, db_index=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    # The run that last saw the problem (the console links to it); history: sync/models/issue_history.py.
    last_job = models.ForeignKey("sync.SyncJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_event = models.ForeignKey(
        "sync.WebhookEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "data_type", "external_id", "code"],
                condition=Q(state__in=["open", "muted"]),
                name="one_live_issue_per_record_code",
            )
        ]
        indexes = [
            models.Index(fields=["connection", "state", "code"]),
            # A page's issues are looked up by record and code in every state: the live ones to refresh,
            # the resolved ones to reopen (the unique index above only holds the live ones).
            models.Index(fields=["connection", "data_type", "external_id", "code"], name="issue_record_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} on {self.data_type}:{self.external_id}"


class PushLog(models.Model):
    """One write to SparkLayer for one record: for the per-record timeline."""

    connection = models.ForeignKey("connections.Connection", on_delete=models.CASCADE, related_name="push_logs")
    data_type = models.CharField(max_length=32)
    external_id = models.CharField(max_length=255)
    operation = models.CharField(max_length=32, help_text="upsert, stock, pricing, delete, discontinue")
    content_hash = models.CharField(max_length=64, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="SparkLayer's HTTP status.")
    error = models.TextField(blank=True)
    job = models.ForeignKey("sync.SyncJob", null=True, blank=True, on_delete=models.SET_NULL)
    event = models.ForeignKey("sync.WebhookEvent", null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    payload = models.JSONField(
        null=True, blank=True, help_text="What was sent, kept whole or flattened (sync/engine/push_payloads.py)."
    )

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["connection", "data_type", "external_id"])]

    def __str__(self) -> str:
        return f"{self.operation} {self.data_type}:{self.external_id} ({self.status})"
