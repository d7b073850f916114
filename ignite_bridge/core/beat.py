"""Exactly one effective scheduler, however many ``celery beat`` processes run.

Several machines may each start beat (a deploy that scales every service, a second one started by
mistake, a new one starting before the old one stopped). Each would send every periodic task, so
the work would run once per beat. This scheduler asks Redis before it sends: the first beat to
claim an entry for the current interval sends it, the others skip it. The claim is a ``SET NX``
that lives for ``CLAIM_SHARE`` of the entry's interval on the Redis server's clock, so beats on
machines whose clocks differ still agree, and a beat that stops does not hold anything up: the next
due tick of any other beat sends the task. With one beat nothing changes (it claims each run).

It is the Celery app's default (``ignite_bridge/celery.py``). The periodic tasks are also safe to
run twice (claims on rows, advisory locks, conditional updates), so if Redis cannot be asked the
beat sends anyway: a duplicate costs work, never correctness. Without a Redis cache (the embedded
default, one process) every run is sent.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)

#: a claim lives this share of the interval: long enough that no other beat sends the same run, short
#: enough that the claiming beat's own next tick (one interval later, give or take its lateness) is free
CLAIM_SHARE = 0.8
#: entries whose schedule has no fixed interval (crontab) are claimed for this long
DEFAULT_CLAIM_SECONDS = 50.0


def entry_claim_seconds(entry: Any) -> float:
    run_every = getattr(entry.schedule, "run_every", None)
    if isinstance(run_every, timedelta) and run_every.total_seconds() > 0:
        return run_every.total_seconds() * CLAIM_SHARE
    return DEFAULT_CLAIM_SECONDS


def periodic_run_claim(*, name: str, seconds: float) -> bool:
    """True when this beat may send ``name`` now (no other beat did in the last ``seconds``)."""
    from ignite_bridge.core.shared_redis import cache_key, cache_redis

    try:
        client = cache_redis()
        if client is None:
            return True
        return bool(client.set(cache_key(f"beat-claim:{name}"), b"1", nx=True, px=max(1, int(seconds * 1000))))
    except Exception:  # noqa: BLE001 - periodic tasks are safe to run twice; not running them is worse
        logger.warning("beat claim unavailable; sending", extra={"entry": name}, exc_info=True)
        return True


class SingleRunScheduler(PersistentScheduler):
    """``PersistentScheduler`` that sends an entry only when it wins the entry's claim for this interval."""

    def apply_async(self, entry: Any, producer: Any = None, advance: bool = True, **kwargs: Any) -> Any:
        if not periodic_run_claim(name=entry.name, seconds=entry_claim_seconds(entry)):
            logger.info("periodic task sent by another beat", extra={"entry": entry.name})
            return None
        return super().apply_async(entry, producer, advance, **kwargs)  # type: ignore[misc]
