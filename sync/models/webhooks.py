"""Inbound platform webhooks: stored before they are acknowledged, processed after, replayable."""

from __future__ import annotations

from django.db import models

from ignite_bridge.core.models import TimestampedModel


class EventState(models.TextChoices):
    RECEIVED = "received", "Received"
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SUPERSEDED = "superseded", "Superseded (coalesced into a later event)"
    IGNORED = "ignored", "Ignored"


class WebhookEvent(TimestampedModel):
    connection = models.ForeignKey("connections.Connection", on_delete=models.CASCADE, related_name="webhook_events")
    platform = models.CharField(max_length=32)
    topic = models.CharField(max_length=64, db_index=True)
    data_type = models.CharField(max_length=32)
    record_id = models.CharField(max_length=255)
    action = models.CharField(max_length=16)
    dedupe_key = models.CharField(max_length=64, help_text="Derived by the platform adapter from the delivery.")
    delivery_id = models.CharField(max_length=128, blank=True)
    headers = models.JSONField(default=dict)
    body = models.BinaryField()
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=16, choices=EventState.choices, default=EventState.RECEIVED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["connection", "dedupe_key"], name="unique_webhook_delivery")]
        indexes = [
            models.Index(fields=["connection", "data_type", "record_id", "state"]),
            models.Index(fields=["state", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.record_id} ({self.state})"


class WebhookEventAttempt(models.Model):
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at"]
