"""The sweeper: nothing committed is ever stranded.

Runs every 30 s (beat). It sends a processing task for every event no worker is working on:

* ``received`` longer than ``WEBHOOK_SWEEP_GRACE_SECONDS``: the after-commit send never happened
  (the web process died between commit and send, or the broker refused it);
* ``queued`` with its message presumably lost (a killed worker held it): ``queued_at`` older than
  the grace period;
* ``queued`` with a long retry wait whose ``next_attempt_at`` is due;
* ``processing`` for longer than ``WEBHOOK_PROCESSING_TIMEOUT_SECONDS``: its worker was killed.

It sends one task per connection with due events (the oldest): a processing task goes on with its
connection's waiting events, so a store with a long backlog gets one message, not thousands in front
of every other store's. A message sent twice is harmless: processing claims the row first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from sync.intake.enqueue import webhook_event_send
from sync.models import EventState, WebhookEvent, WebhookEventAttempt
from sync.models.webhooks import PENDING_EVENT_STATES

logger = logging.getLogger(__name__)

SWEEP_BATCH = 2000


@dataclass(frozen=True)
class SweepResult:
    recovered: int  # "processing" events whose worker was lost, put back in the queue
    sent: int  # processing tasks sent


def webhook_events_sweep(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> SweepResult:
    """Re-send what is due or stranded (see the module docstring); returns the counts."""
    now = now or timezone.now()
    grace = now - timedelta(seconds=settings.WEBHOOK_SWEEP_GRACE_SECONDS)
    lost_before = now - timedelta(seconds=settings.WEBHOOK_PROCESSING_TIMEOUT_SECONDS)

    lost = list(
        WebhookEvent.objects.filter(state=EventState.PROCESSING, processing_started_at__lt=lost_before).values_list(
            "pk", flat=True
        )[:limit]
    )
    if lost:
        WebhookEventAttempt.objects.filter(event_id__in=lost, finished_at__isnull=True).update(
            finished_at=now, outcome="lost", error="The worker stopped before finishing (killed or timed out)."
        )
        WebhookEvent.objects.filter(pk__in=lost, state=EventState.PROCESSING).update(
            state=EventState.QUEUED, queued_at=None, next_attempt_at=None, updated_at=now
        )

    due = (
        Q(state=EventState.RECEIVED, received_at__lt=grace)
        | Q(state=EventState.QUEUED, next_attempt_at__isnull=True, queued_at__isnull=True)
        | Q(state=EventState.QUEUED, next_attempt_at__isnull=True, queued_at__lt=grace)
        | Q(state=EventState.QUEUED, next_attempt_at__lte=now)
    )
    ids = list(WebhookEvent.objects.filter(due).order_by("received_at").values_list("pk", flat=True)[:limit])
    # Mark before sending: a worker may claim the event the moment the message lands, and a
    # send that fails leaves a stale "queued" row the next sweep picks up again.
    if ids:
        WebhookEvent.objects.filter(pk__in=ids, state__in=PENDING_EVENT_STATES).update(
            state=EventState.QUEUED, queued_at=now, next_attempt_at=None, updated_at=now
        )
    # One task per connection is enough: it goes on with the connection's other waiting events
    # (``webhook_events_follow_on``). A task per event would put a long backlog's thousands of
    # messages in front of every other store's (fair scheduling).
    first_per_connection = dict(
        WebhookEvent.objects.filter(pk__in=ids).order_by("-received_at").values_list("connection_id", "pk")
    )
    sent = [
        event_id
        for connection_id, event_id in first_per_connection.items()
        if webhook_event_send(event_id=event_id, connection_id=connection_id)
    ]
    if lost or sent:
        logger.info("webhook sweep", extra={"recovered": len(lost), "sent": len(sent)})
    return SweepResult(recovered=len(lost), sent=len(sent))
