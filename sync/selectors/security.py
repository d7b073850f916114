"""Reads for the security facts the operator console shows (webhook signature failures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Sum
from django.utils import timezone

from connections.models import Connection
from sync.models import WebhookVerificationFailure


@dataclass(frozen=True)
class VerificationFailures:
    """Deliveries refused for a bad or missing signature in a recent window."""

    count: int
    last_at: datetime | None
    last_reason: str


def webhook_verification_failures_recent(*, connection: Connection, hours: int = 24) -> VerificationFailures:
    since = (timezone.now() - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    rows = WebhookVerificationFailure.objects.filter(connection=connection, hour__gte=since)
    totals = rows.aggregate(count=Sum("count"), last_at=Max("last_at"))
    last = rows.order_by("-last_at").values_list("last_reason", flat=True).first()
    return VerificationFailures(count=int(totals["count"] or 0), last_at=totals["last_at"], last_reason=last or "")
