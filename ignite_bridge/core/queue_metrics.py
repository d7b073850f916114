"""Scrape-time gauges of the Celery queues: how many messages wait, and how long the oldest has waited.

Read straight from the broker's Redis (kombu keeps a queue as a list, newest pushed on the left, so
the oldest message is the last element; priority levels live in sibling lists). The age comes from the
``ignite_sent_at`` header every message gets when published (``ignite_bridge/core/celery_signals.py``).
Brokers other than Redis (the embedded filesystem one) report nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from ignite_bridge.core.celery_signals import SENT_AT_HEADER

#: kombu's Redis transport keeps priorities 3, 6 and 9 in lists named "<queue>\x06\x16<priority>"
PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")

_client: Any = None


def _broker() -> Any | None:
    global _client
    url = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    if not url.startswith(("redis://", "rediss://")):
        return None
    if _client is None:
        import redis

        _client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _client


def queue_gauges() -> Iterable[Any]:
    from prometheus_client.core import GaugeMetricFamily

    client = _broker()
    if client is None:
        return []
    from ignite_bridge.celery import app

    length = GaugeMetricFamily("ignite_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"])
    age = GaugeMetricFamily(
        "ignite_celery_queue_oldest_age_seconds",
        "How long the oldest message of a Celery queue has waited (0 when empty).",
        labels=["queue"],
    )
    now = time.time()
    for queue in sorted(q.name for q in app.conf.task_queues or ()):
        total, oldest = 0, 0.0
        for suffix in PRIORITY_SUFFIXES:
            key = f"{queue}{suffix}"
            count = int(client.llen(key))
            total += count
            if count:
                oldest = max(oldest, _age(client.lindex(key, -1), now))
        length.add_metric([queue], total)
        age.add_metric([queue], oldest)
    return [length, age]


def _age(raw: bytes | None, now: float) -> float:
    try:
        sent_at = float(json.loads(raw or b"{}").get("headers", {}).get(SENT_AT_HEADER))
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, now - sent_at)
