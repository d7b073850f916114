"""``manage.py platform_check --url https://shop.example/ignite --token ...``: is a Platform API conformant?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from platforms.standard.conformance.context import Options
from platforms.standard.conformance.runner import run_checks


class Command(BaseCommand):
    help = (
        "Check a platform's implementation of the Platform API (docs/platform-api.md) and print a report. "
        "Run it against a TEST store: unless --read-only, it creates customers, orders, webhook subscriptions "
        "and (with the 'conformance' capability) fixture records. Exit status 1 when a check fails."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", required=True, help="the Platform API base URL ({base})")
        parser.add_argument("--token", required=True, help="the bearer token the bridge would use")
        parser.add_argument("--json", action="store_true", help="print the report as JSON (for CI)")
        parser.add_argument("--read-only", action="store_true", help="skip every check that writes to the store")
        parser.add_argument("--page-size", type=int, default=50, help="listing page size used by the checks")
        parser.add_argument("--max-records", type=int, default=5000, help="stop walking a listing after this many")
        parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for one answer")
        parser.add_argument("--webhook-timeout", type=float, default=15.0, help="seconds to wait for a delivery")
        parser.add_argument("--listen", default="127.0.0.1:0", help="host:port the test-webhook receiver binds")
        parser.add_argument("--receiver-url", default="", help="URL the platform is given for the receiver")
        parser.add_argument("--webhook-public-key", default="", help="whpk_... to verify v1a signatures with")
        parser.add_argument(
            "--signature-vector",
            type=Path,
            help="JSON file {headers, body, secret|public_key}: verify this recorded delivery, ask for none",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, _, port = str(options["listen"]).rpartition(":")
        vector = None
        if options["signature_vector"]:
            try:
                vector = json.loads(options["signature_vector"].read_text())
            except (OSError, ValueError) as exc:
                raise CommandError(f"--signature-vector: {exc}") from exc
        report = run_checks(
            options["url"],
            options["token"],
            timeout=options["timeout"],
            options=Options(
                page_size=options["page_size"],
                max_records=options["max_records"],
                webhook_timeout=options["webhook_timeout"],
                listen_host=host or "127.0.0.1",
                listen_port=int(port or 0),
                receiver_url=options["receiver_url"],
                webhook_public_key=options["webhook_public_key"],
                signature_vector=vector,
                inline_timeout=settings.PLATFORM_INLINE_CONNECT_TIMEOUT + settings.PLATFORM_INLINE_READ_TIMEOUT,
                read_only=options["read_only"],
            ),
        )
        self.stdout.write(json.dumps(report.as_dict(), indent=2) if options["json"] else report.as_text())
        if not report.ok:
            raise SystemExit(1)
