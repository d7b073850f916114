"""Scrape-time gauges of the sync: webhook backlog and open issues (``ignite_bridge/core/metrics.py``).

Computed from the database when Prometheus scrapes the web's ``/metrics``. Per platform and data type;
the backlog per connection only for the ``METRICS_TOP_CONNECTIONS`` connections with the most waiting
events (the cardinality rule: a scrape stays the same size whatever the number of stores).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from sync.models import IssueState, SyncIssue, WebhookEvent
from sync.models.webhooks import PENDING_EVENT_STATES


def sync_gauges() -> Iterable[Any]:
    from prometheus_client.core import GaugeMetricFamily

    now = timezone.now()
    waiting = GaugeMetricFamily(
        "ignite_webhook_events_waiting",
        "Stored webhook events not processed yet (received or queued, retries included).",
        labels=["platform", "data_type"],
    )
    oldest = GaugeMetricFamily(
        "ignite_webhook_events_oldest_waiting_seconds",
        "Age of the oldest webhook event not processed yet.",
        labels=["platform", "data_type"],
    )
    pending = WebhookEvent.objects.filter(state__in=PENDING_EVENT_STATES)
    for row in pending.values("platform", "data_type").annotate(count=Count("id"), first=Min("received_at")):
        labels = [row["platform"], row["data_type"]]
        waiting.add_metric(labels, row["count"])
        oldest.add_metric(labels, max(0.0, (now - row["first"]).total_seconds()))
    top = GaugeMetricFamily(
        "ignite_connection_webhook_backlog",
        f"Waiting webhook events of the {settings.METRICS_TOP_CONNECTIONS} connections with the most.",
        labels=["site_env", "site_id"],
    )
    busiest = (
        pending.values("connection__site_env", "connection__site_id")
        .annotate(count=Count("id"))
        .order_by("-count")[: settings.METRICS_TOP_CONNECTIONS]
    )
    for row in busiest:
        top.add_metric([row["connection__site_env"], row["connection__site_id"]], row["count"])
    issues = GaugeMetricFamily(
        "ignite_sync_open_issues",
        "Open record issues (records that could not be synced).",
        labels=["platform", "data_type"],
    )
    open_issues = SyncIssue.objects.filter(state=IssueState.OPEN)
    for row in open_issues.values("connection__platform", "data_type").annotate(count=Count("id")):
        issues.add_metric([row["connection__platform"], row["data_type"]], row["count"])
    return [waiting, oldest, top, issues]
