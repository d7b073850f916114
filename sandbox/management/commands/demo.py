"""The whole product on one machine: sandboxes, web server, a real worker, a connected demo store.

Starts the SparkLayer sandbox and a store sandbox (WooCommerce, or with ``--platform standard`` a
store implementing the Platform API), gunicorn and a Celery worker (with beat) on the embedded
default, connects a demo store through the real Ignite connect endpoint (and WooCommerce's
app-authorisation flow), shows the full sync's progress, changes a few store records so webhooks
flow, prints a summary and keeps running until Ctrl-C (or stops after the summary with
``--exit-after-sync``). Everything it started is stopped on the way out.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from connections.models import Connection
from sandbox.management.processes import (
    Children,
    Port,
    PortTaken,
    ensure_ports_free,
    is_bridge_health,
    is_sparklayer_sandbox_stats,
    is_standard_sandbox_state,
    is_woocommerce_sandbox_state,
    json_answer,
)
from sync.models import EventState, IssueState, JobState, RecordState, SyncIssue, SyncJob, WebhookEvent

DEMO_SITE = "demo-store"
DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"
PLATFORM_NAMES = {"woocommerce": "WooCommerce", "standard": "Platform API"}
#: how each store sandbox's control state is told from another program on its port
STORE_READY = {"woocommerce": is_woocommerce_sandbox_state, "standard": is_standard_sandbox_state}
#: the standard platform sandbox's default API token (``python -m sandbox.standard --api-token``)
STANDARD_SANDBOX_TOKEN = "sandbox-token"


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM stops the demo like Ctrl-C does, so the children are stopped too."""
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the whole bridge against local sandboxes with a connected demo store."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--products", type=int, default=300, help="catalogue size of the demo store")
        parser.add_argument("--customers", type=int, default=None, help="default: half the products")
        parser.add_argument("--orders", type=int, default=None, help="default: a quarter of the products")
        parser.add_argument("--port", type=int, default=8000, help="the bridge's web port (default 8000)")
        parser.add_argument("--sparklayer-port", type=int, default=8801, help="the SparkLayer sandbox's port")
        parser.add_argument("--woocommerce-port", type=int, default=8802, help="the WooCommerce sandbox's port")
        parser.add_argument(
            "--platform",
            choices=("woocommerce", "standard"),
            default="woocommerce",
            help="the demo store: WooCommerce, or a store implementing the Platform API (docs/platform-api.md)",
        )
        parser.add_argument("--standard-port", type=int, default=8803, help="the Platform API store's port")
        parser.add_argument("--changes", type=int, default=5, help="store records changed after the sync")
        parser.add_argument("--timeout", type=int, default=600, help="seconds to wait for the sync")
        parser.add_argument("--exit-after-sync", action="store_true", help="stop after the summary")
        parser.add_argument("--summary-json", help="also write the summary to this file")
        parser.add_argument("--state-dump", help="write the SparkLayer sandbox's state here before stopping")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            ensure_ports_free(
                [
                    Port(options["port"], "--port", "the bridge's web server"),
                    Port(options["sparklayer_port"], "--sparklayer-port", "the SparkLayer sandbox"),
                    Port(options["woocommerce_port"], "--woocommerce-port", "the WooCommerce sandbox"),
                ]
            )
        except PortTaken as exc:
            raise CommandError(str(exc)) from None
        self.log_dir = Path(settings.VAR_DIR) / "demo-logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.children = Children(self.log_dir)
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            self.run(options, started)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            stopping = time.monotonic()
            self.children.stop()
            self.stdout.write(f"Stopped everything the demo started ({time.monotonic() - stopping:.1f} s).")

    # -- the story ---------------------------------------------------------------------------

    def run(self, options: dict[str, Any], started: float) -> None:
        products = options["products"]
        web = f"http://127.0.0.1:{options['port']}"
        sparklayer = f"http://127.0.0.1:{options['sparklayer_port']}"
        platform = options["platform"]
        store_port = options["standard_port"] if platform == "standard" else options["woocommerce_port"]
        store = f"http://127.0.0.1:{store_port}"
        env = {
            **os.environ,
            "SPARKLAYER_URL_TEST": sparklayer,
            "SPARKLAYER_URL_LIVE": sparklayer,
            "IGNITE_PUBLIC_URL": web,
            "IGNITE_ALLOWED_PLATFORM_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
        }
        self.step("Preparing the embedded database")
        call_command("migrate", interactive=False, verbosity=0)
        self.reset_demo_data()
        self.ensure_demo_user()

        self.step(f"Starting the SparkLayer sandbox on {sparklayer}")
        self.spawn("sparklayer", ["-m", "sandbox.sparklayer", "--port", str(options["sparklayer_port"])], env)
        self.step(f"Starting the {PLATFORM_NAMES[platform]} sandbox on {store} ({products} products)")
        self.spawn(
            platform,
            [
                "-m", f"sandbox.{platform}", "--port", str(store_port), "--products", str(products),
                "--customers", str(options["customers"] or max(1, products // 2)),
                "--orders", str(options["orders"] or max(1, products // 4)), "--seed", "1",
            ],
            env,
        )  # fmt: skip
        self.step(f"Starting the web server on {web} and a Celery worker")
        self.spawn(
            "web",
            [
                "-m", "gunicorn", "ignite_bridge.wsgi:application", "--bind", f"127.0.0.1:{options['port']}",
                "--workers", "2", "--threads", "4", "--timeout", "60", "--graceful-timeout", "2",
            ],
            env,
        )  # fmt: skip
        self.spawn(
            "worker",
            ["-m", "celery", "-A", "ignite_bridge", "worker", "-B", "-Q", "realtime,webhooks,sync", "-c", "2",
             "-l", "INFO", "--schedule", str(self.log_dir / "celerybeat-schedule")],
            env,
        )  # fmt: skip
        self.wait_for(f"{sparklayer}/_sandbox/stats", is_sparklayer_sandbox_stats, "the SparkLayer sandbox")
        self.wait_for(f"{store}/_sandbox/state", STORE_READY[platform], f"the {PLATFORM_NAMES[platform]} sandbox")
        self.wait_for(f"{web}/healthz", is_bridge_health, "the web server")
        self.write_demo_env(env)

        self.step("Connecting the demo store through POST /v1/test/demo-store")
        connection = self.connect(web, store, platform)
        self.step("Full sync")
        self.follow_sync(connection, options["timeout"])

        if options["changes"]:
            self.step(f"Changing {options['changes']} records in the store; webhooks flow to the bridge")
            self.change_store(store, connection, options["changes"])

        summary = self.summary(connection, sparklayer, time.monotonic() - started)
        self.print_summary(summary, web)
        if options["summary_json"]:
            Path(options["summary_json"]).write_text(json.dumps(summary, indent=2, default=str))
        if options["state_dump"]:
            state = requests.get(f"{sparklayer}/_sandbox/state", params={"site_id": DEMO_SITE}, timeout=30).json()
            Path(options["state_dump"]).write_text(json.dumps(state, default=str))
        if options["exit_after_sync"]:
            return
        self.stdout.write("Running. Press Ctrl-C to stop everything.")
        while self.children.all_running():
            time.sleep(1)
        raise CommandError("a demo process stopped unexpectedly; logs are in " + str(self.log_dir))

    # -- steps -------------------------------------------------------------------------------

    def reset_demo_data(self) -> None:
        """A fresh demo each run: the sandboxes start empty, so forget the old demo connection."""
        Connection.objects.filter(site_env="test", site_id=DEMO_SITE).delete()

    def write_demo_env(self, env: dict[str, str]) -> None:
        """Leave the URLs of this demo where ``manage.py`` commands run later find them (``local`` settings read
        ``var/demo.env``), so ``manage.py sync_run demo-store products`` talks to these sandboxes."""
        names = ("SPARKLAYER_URL_TEST", "SPARKLAYER_URL_LIVE", "IGNITE_PUBLIC_URL")
        lines = ["# Written by manage.py demo: the URLs of its sandboxes and web server (removed on the next run)."]
        lines += [f"{name}={env[name]}" for name in names]
        (Path(settings.VAR_DIR) / "demo.env").write_text("\n".join(lines) + "\n")

    def ensure_demo_user(self) -> None:
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(username=DEMO_USER, defaults={"email": "demo@example.com"})
        user.is_staff = user.is_superuser = True
        user.set_password(DEMO_PASSWORD)
        user.save()

    def connect(self, web: str, store: str, platform: str) -> Connection:
        token = settings.IGNITE_API_TOKENS[0]
        extra_config = {"platform": platform, "store_url": store}
        if platform == "standard":  # no app-authorisation flow: the platform team hands over a token
            extra_config["api_token"] = STANDARD_SANDBOX_TOKEN
        body = {
            "store_id": DEMO_SITE,
            "spark_api_client_id": "demo-client",
            "spark_api_client_secret": "demo-client-secret",
            "extra_config": extra_config,
        }
        response = requests.post(
            f"{web}/v1/test/{DEMO_SITE}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        if response.status_code == 201:
            redirect_url = response.json()["redirect_url"]
            self.stdout.write(f"  pending: the merchant approves the app at {redirect_url[:80]}…")
            # The merchant's browser: the store posts the new keys to our callback, then redirects.
            approval = requests.get(redirect_url, allow_redirects=False, timeout=60)
            self.stdout.write(f"  store answered {approval.status_code} → {approval.headers.get('Location', '')[:80]}")
        elif response.status_code != 204:
            raise CommandError(f"connect failed: {response.status_code} {response.text[:500]}")
        connection = self.poll(
            lambda: Connection.objects.filter(site_env="test", site_id=DEMO_SITE, state="active").first(),
            timeout=60,
            what="the connection to turn active",
        )
        self.stdout.write(self.style.SUCCESS(f"  connected: {connection}"))
        return connection

    def follow_sync(self, connection: Connection, timeout: int) -> None:
        self.poll(lambda: SyncJob.objects.filter(connection=connection).exists(), timeout=30, what="full syncs")
        deadline = time.monotonic() + timeout
        sync_started = time.monotonic()
        while time.monotonic() < deadline:
            jobs = list(SyncJob.objects.filter(connection=connection, kind="full"))
            seen = sum(j.seen for j in jobs)
            total = sum(j.total_estimate or 0 for j in jobs) or 1
            active = [j for j in jobs if j.state in (JobState.QUEUED, JobState.RUNNING)]
            rate = seen / max(0.001, time.monotonic() - sync_started)
            self.progress(min(seen, total), total, f"{rate:,.0f} records/s, {len(active)} job(s) running")
            if not active:
                break
            time.sleep(0.5)
        self.stdout.write("")
        for job in SyncJob.objects.filter(connection=connection, kind="full").order_by("data_type"):
            style = self.style.SUCCESS if job.state == JobState.SUCCEEDED else self.style.ERROR
            self.stdout.write(
                style(
                    f"  {job.data_type:<16} {job.state:<10} seen {job.seen:>6}  pushed {job.pushed:>6}  "
                    f"unchanged {job.unchanged:>6}  issues {job.issues:>4}  deleted {job.deleted:>4}"
                )
            )

    def change_store(self, store: str, connection: Connection, count: int) -> None:
        before = WebhookEvent.objects.filter(connection=connection).count()
        # What a merchant does all day: edits, stock moves, new orders. (Deletes are shown by the
        # reconcile, not here, so the summary's counts stay comparable with SparkLayer's.)
        kinds = ["product_update", "product_stock", "customer_update", "order_create", "order_update"]
        response = requests.post(
            f"{store}/_sandbox/mutate", json={"count": count, "seed": 2, "kinds": kinds}, timeout=60
        )
        response.raise_for_status()
        requests.post(f"{store}/_sandbox/webhooks/flush", timeout=120)
        done_states = (EventState.SUCCEEDED, EventState.FAILED, EventState.SUPERSEDED, EventState.IGNORED)

        def settled() -> bool:
            events = WebhookEvent.objects.filter(connection=connection)
            return events.count() > before and not events.exclude(state__in=done_states).exists()

        try:
            self.poll(settled, timeout=90, what="webhook events to be processed")
        except CommandError as exc:
            self.stdout.write(self.style.WARNING(f"  {exc}"))
        counts = dict(WebhookEvent.objects.filter(connection=connection).values_list("state").annotate(n=Count("id")))
        self.stdout.write(f"  webhook events: {counts}")

    def summary(self, connection: Connection, sparklayer: str, elapsed: float) -> dict[str, Any]:
        synced = dict(
            RecordState.objects.filter(connection=connection, deleted=False)
            .exclude(content_hash="")
            .values_list("data_type")
            .annotate(n=Count("id"))
        )
        issues = SyncIssue.objects.filter(connection=connection, state=IssueState.OPEN)
        examples = [
            {"code": i.code, "record": i.external_id, "message": i.message, "link": i.platform_url}
            for i in issues.order_by("code", "external_id")[:2]
        ]
        events = WebhookEvent.objects.filter(connection=connection)
        return {
            "records_synced": synced,
            "records_synced_total": sum(synced.values()),
            "open_issues": issues.count(),
            "issues_by_code": dict(issues.values_list("code").annotate(n=Count("id"))),
            "issue_examples": examples,
            "webhook_events": events.count(),
            "webhook_events_failed": events.filter(Q(state=EventState.FAILED)).count(),
            "jobs": {
                j.data_type: {"state": j.state, "pushed": j.pushed, "unchanged": j.unchanged, "issues": j.issues}
                for j in SyncJob.objects.filter(connection=connection, kind="full")
            },
            "seconds": round(elapsed, 1),
        }

    def print_summary(self, summary: dict[str, Any], web: str) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Summary"))
        for data_type, n in sorted(summary["records_synced"].items()):
            self.stdout.write(f"  {data_type:<16} {n:>6} records in SparkLayer")
        self.stdout.write(f"  open issues: {summary['open_issues']} {summary['issues_by_code']}")
        for example in summary["issue_examples"]:
            self.stdout.write(f"    - [{example['code']}] {example['message']}  {example['link']}")
        self.stdout.write(f"  webhook events: {summary['webhook_events']} ({summary['webhook_events_failed']} failed)")
        self.stdout.write(f"  time taken: {summary['seconds']} s")
        self.stdout.write(self.style.SUCCESS(f"Admin: {web}/admin/  user {DEMO_USER!r}, password {DEMO_PASSWORD!r}"))
        self.stdout.write(f"API docs: {web}/api/docs/   logs: {self.log_dir}")

    # -- plumbing ----------------------------------------------------------------------------

    def step(self, text: str) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(f"» {text}"))

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.children.spawn(name, args, env, cwd=Path(settings.BASE_DIR))

    def wait_for(self, url: str, recognise: Callable[[Any], bool], what: str, timeout: float = 60) -> None:
        """Wait until ``url`` answers as ``what`` does (another program on the port is not taken for it)."""
        self.poll(lambda: json_answer(url, recognise), timeout=timeout, what=what)

    def poll(self, check: Callable[[], Any], *, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            exited = self.children.exited()
            if exited:
                raise CommandError(
                    f"the demo's {', '.join(exited)} process exited early; see {self.log_dir / (exited[0] + '.log')}"
                )
            value = check()
            if value:
                return value
            time.sleep(0.3)
        raise CommandError(f"timed out waiting for {what}; see the logs in {self.log_dir}")

    def progress(self, done: int, total: int, note: str) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        bar = "█" * filled + "·" * (width - filled)
        self.stdout.write(f"\r  [{bar}] {done:>7,}/{total:<7,} {note}   ", ending="")
        self.stdout.flush()
