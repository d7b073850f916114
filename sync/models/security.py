"""Webhook deliveries that failed signature verification, counted per connection and hour.

A failed signature stores nothing of the delivery (it may be forged), but a merchant whose store
still signs with a rotated secret would otherwise lose every change without a trace beyond a log
line. One counter row per (connection, hour) keeps the evidence bounded however many forged
deliveries arrive: the dashboard shows the count of the last 24 hours and the last reason.
"""

from __future__ import annotations

from django.db import models


class WebhookVerificationFailure(models.Model):
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.CASCADE, related_name="webhook_verification_failures"
    )
    hour = models.DateTimeField(help_text="Start of the hour (UTC) the failures fell in.")
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()
    last_reason = models.CharField(max_length=200, blank=True, help_text="Why the last one failed.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "hour"], name="unique_webhook_verification_failure_hour")
        ]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.hour:%Y-%m-%d %H}:00 ({self.count})"
