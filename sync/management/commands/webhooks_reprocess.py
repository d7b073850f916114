"""``manage.py webhooks_reprocess --connection <site id or uuid> (--failed | --since <ISO datetime>)``.

Queues the selected events again (each fetches its record fresh) and prints what it queued.
"""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from connections.models import Connection
from sync.incremental.replay import webhook_events_reprocess, webhook_events_selection


def _connection(value: str) -> Connection:
    try:
        return Connection.objects.get(uuid=uuid.UUID(value))
    except (ValueError, Connection.DoesNotExist):
        pass
    matches = list(Connection.objects.filter(site_id=value))
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise CommandError(f"site id {value!r} exists in several environments: pass the connection uuid")
    raise CommandError(f"no connection with site id or uuid {value!r}")


class Command(BaseCommand):
    help = "Reprocess a connection's webhook events (failed ones, or all received since a time)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--connection", required=True, help="SparkLayer site id or connection uuid.")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--failed", action="store_true", help="Every failed event.")
        which.add_argument("--since", help="Every event received at or after this ISO 8601 datetime.")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = _connection(options["connection"])
        since = None
        if options.get("since"):
            since = parse_datetime(options["since"])
            if since is None:
                raise CommandError(f"--since {options['since']!r} is not an ISO 8601 datetime")
            if timezone.is_naive(since):
                since = timezone.make_aware(since, UTC)
        events = list(webhook_events_selection(connection=connection, failed=bool(options["failed"]), since=since))
        queued = set(webhook_events_reprocess(events=events, requested_by="manage.py webhooks_reprocess"))
        for event in events:
            if event.pk in queued:
                record = f"{event.data_type}:{event.record_id}"
                self.stdout.write(f"queued {event.pk} {event.topic} {record} (was {event.state})")
        skipped = len(events) - len(queued)
        summary = f"{len(queued)} event(s) queued for {connection}"
        self.stdout.write(summary + (f", {skipped} skipped (being processed)" if skipped else ""))
