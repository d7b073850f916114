"""Inbound platform webhooks: stored before they are acknowledged, processed after, replayable.

State machine of an event::

    received ──enqueue──▶ queued ──claim──▶ processing ──▶ succeeded
        │                   ▲  ▲                 │   └──▶ failed (retries exhausted / refused)
        │                   │  └──retry (short: broker countdown; long: next_attempt_at)
        └──coalesced into a later event of the same record──▶ superseded

``received`` and stale ``queued`` events, due retries and ``processing`` events whose worker died
are picked up again by the sweeper, so an event committed before the 2xx is never stranded.
"""

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


#: states a processing task may claim
PENDING_EVENT_STATES = (EventState.RECEIVED, EventState.QUEUED)


class EventOutcome(models.TextChoices):
    """What processing did for the record (set when the event ends)."""

    PUSHED = "pushed", "Pushed to SparkLayer"
    UNCHANGED = "unchanged", "Unchanged (same content as last pushed)"
    DELETED = "deleted", "Deleted / discontinued in SparkLayer"
    STALE = "stale", "Stale (SparkLayer already holds data read later)"
    ISSUE = "issue", "Not synced: a record issue was opened"
    IGNORED = "ignored", "Ignored: the connection does not sync this data type"
    ERROR = "error", "Error"


class WebhookEvent(TimestampedModel):
    # Every index is paid on each delivery's INSERT (the intake's hot path), so none is doubled:
    # ``connection`` leads the unique (connection, dedupe_key) index, ``state`` leads (state,
    # received_at), ``received_at`` orders events where ``created_at`` would, and ``topic`` has a
    # plain index without the LIKE one ``db_index`` adds for text.
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="webhook_events", db_index=False
    )
    platform = models.CharField(max_length=32)
    topic = models.CharField(max_length=64)
    data_type = models.CharField(max_length=32)
    record_id = models.CharField(max_length=255)
    action = models.CharField(max_length=16)
    dedupe_key = models.CharField(max_length=64, help_text="Derived by the platform adapter from the delivery.")
    delivery_id = models.CharField(max_length=128, blank=True, help_text="The platform's delivery id (not unique).")
    headers = models.JSONField(default=dict, help_text="Request headers, without credentials or cookies.")
    body = models.BinaryField(help_text="The raw body exactly as signed.")
    occurred_at = models.DateTimeField(null=True, blank=True, help_text="When the platform says the record changed.")
    received_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=16, choices=EventState.choices, default=EventState.RECEIVED)
    outcome = models.CharField(max_length=16, choices=EventOutcome.choices, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True, help_text="Last time a processing task was sent.")
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="A long retry wait: the sweeper sends it when due."
    )
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="coalesced_events"
    )
    last_error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["connection", "dedupe_key"], name="unique_webhook_delivery")]
        indexes = [
            models.Index(fields=["connection", "data_type", "record_id", "state"]),
            models.Index(fields=["state", "received_at"]),
            models.Index(fields=["topic"], name="sync_webhookevent_topic"),  # admin filter; no LIKE index
            # the events still to work on, by connection in arrival order: what a processing task looks
            # up after every event (its connection's next, whether others wait) stays a walk over the
            # few pending rows however many finished ones the table keeps (90 days by default)
            models.Index(
                fields=["connection", "id"],
                condition=models.Q(state__in=["received", "queued"]),
                name="webhook_event_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.record_id} ({self.state})"


class WebhookEventAttempt(models.Model):
    """One processing attempt of an event: the admin's timeline."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, help_text="succeeded, retry, failed or a processing outcome.")
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    worker = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"attempt {self.number} of event {self.event_id}: {self.outcome}"
