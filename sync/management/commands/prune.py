"""``manage.py prune [--dry-run]``: apply the retention settings now (``sync/scheduled/retention.py``)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sync.scheduled.retention import retention_cutoffs, retention_prune


class Command(BaseCommand):
    help = (
        "Empty old webhook event bodies and delete old finished events, push logs and sync jobs, in small "
        "batches (RETENTION_* settings). Pending events and the timelines of records with open issues are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count what would be pruned; change nothing")
        parser.add_argument("--max-seconds", type=float, default=None, help="stop between batches after this long")

    def handle(self, *args: Any, **options: Any) -> None:
        cutoffs = retention_cutoffs()
        self.stdout.write(
            f"bodies received before {cutoffs.bodies:%Y-%m-%d %H:%M}, events before {cutoffs.events:%Y-%m-%d %H:%M}, "
            f"push logs before {cutoffs.push_logs:%Y-%m-%d %H:%M}"
        )
        result = retention_prune(dry_run=options["dry_run"], max_seconds=options["max_seconds"])
        self.stdout.write(json.dumps(result.as_dict()))
