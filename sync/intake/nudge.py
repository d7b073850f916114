"""Rate-limiting the intake's processing tasks per connection ("nudges").

Publishing a Celery task costs about a millisecond of CPU, most of a webhook's intake budget. The
event row is the work item and a message is only a nudge, so under a burst one message per
connection every ``WEBHOOK_NUDGE_WINDOW_MS`` is enough: each processing task, after its own event,
goes on with the connection's other waiting events (``webhook_events_follow_on``). At a trickle
(deliveries further apart than the window) every event still gets its own message at once.

The window is a Redis ``SET NX PX`` on the cache server. A task that runs out of waiting events
deletes the flag and looks once more, so an event whose nudge was suppressed is either seen by
that last look or, committed after it, finds the flag gone and sends its own message. Whatever
still slips through (Redis down, a worker killed mid-drain) is a stale ``queued`` row, which the
sweeper sends. Without a Redis cache (the local runtime) every event sends its own message.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache

from ignite_bridge.core.shared_redis import cache_redis as _redis_client

logger = logging.getLogger(__name__)


def _key(connection_id: int) -> str:
    return cache.make_key(f"webhook-nudge:{connection_id}")


def webhook_nudge_claim(*, connection_id: int) -> bool:
    """True when this event must send its own processing task (no nudge in the current window)."""
    window = settings.WEBHOOK_NUDGE_WINDOW_MS
    if window <= 0:
        return True
    try:
        client = _redis_client()
        if client is None:
            return True
        return bool(client.set(_key(connection_id), b"1", nx=True, px=int(window)))
    except Exception:  # noqa: BLE001 - Redis trouble must never cost a delivery its nudge
        logger.warning("webhook nudge window unavailable; sending", exc_info=True)
        return True


def webhook_nudge_release(*, connection_id: int) -> None:
    """Open the window again: the next delivery for the connection sends its own task."""
    if settings.WEBHOOK_NUDGE_WINDOW_MS <= 0:
        return
    try:
        client = _redis_client()
        if client is not None:
            client.delete(_key(connection_id))
    except Exception:  # noqa: BLE001 - worst case the window expires by itself
        logger.warning("webhook nudge window not released", exc_info=True)
