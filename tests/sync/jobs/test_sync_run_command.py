"""``manage.py sync_run`` as an operator runs it, in its own process: it names an address it cannot reach before
queueing anything, gives up (and cancels its job) when no worker starts it, and Ctrl-C cancels the job without a
traceback, so a second run is not refused as "already active"."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from connections.models import Connection
from sync.management.commands.sync_run import Command
from sync.models import JobState, SyncJob
from tests.processes import ROOT, free_port, wait_until
from tests.sync.helpers import make_connection
from tests.workers import WorkerProcess, worker_environment

pytestmark = [pytest.mark.django_db(transaction=True)]


def _command(*args: str) -> list[str]:
    return [sys.executable, "manage.py", "sync_run", *args]


def _env(spark_url: str) -> dict[str, str]:
    # memory://: a job queued by the command vanishes with it (no worker of another test may take it)
    return worker_environment(SPARKLAYER_URL_TEST=spark_url, CELERY_BROKER_URL="memory://")


def _run(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_command(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def store_connection(spark: Any, woo_store: Any) -> Connection:
    return make_connection(woo_store, site_id="cli-store")


def test_unreachable_sparklayer_is_named_with_its_setting_and_nothing_is_queued(store_connection: Connection) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    result = _run(["cli-store", "products"], _env(closed))
    assert result.returncode == 1
    assert (
        f"SparkLayer (test sites) at {closed} (SPARKLAYER_URL_TEST from the environment): cannot be reached "
        "(ConnectionError" in result.stderr
    )
    assert "Nothing was queued." in result.stderr
    assert "Traceback" not in result.stderr
    assert not SyncJob.objects.filter(connection=store_connection).exists()


def test_without_a_worker_it_gives_up_and_cancels_its_job(spark: Any, store_connection: Connection) -> None:
    result = _run(["cli-store", "products", "--start-timeout", "2"], _env(spark.url))
    assert result.returncode == 1
    assert "gave up: no worker started the job within 2 s and none answers on this broker" in result.stderr
    assert "--inline" in result.stderr
    job = SyncJob.objects.get(connection=store_connection)
    assert job.state == JobState.CANCELLED
    assert job.error.startswith("cancelled: manage.py sync_run gave up")


def test_ctrl_c_cancels_the_job_without_a_traceback_and_a_new_run_is_accepted(
    spark: Any, store_connection: Connection
) -> None:
    env = _env(spark.url)
    process = subprocess.Popen(
        _command("cli-store", "products"), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_until(lambda: SyncJob.objects.filter(connection=store_connection).exists(), timeout=30, what="the job")
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    job = SyncJob.objects.get(connection=store_connection)
    assert process.returncode == 130, err[-3000:]
    assert f"interrupted: job {job.pk} cancelled" in err
    assert "Traceback" not in err
    assert job.state == JobState.CANCELLED

    again = _run(["cli-store", "products", "--inline"], env, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "succeeded: seen 60" in again.stdout


@pytest.mark.integration
def test_with_workers_busy_elsewhere_it_waits_then_gives_up_at_its_timeout(
    spark: Any, store_connection: Connection
) -> None:
    env = worker_environment(SPARKLAYER_URL_TEST=spark.url)
    worker = WorkerProcess(env, queues="webhooks", concurrency=1).start()  # answers pings, never takes sync jobs
    try:
        wait_until(lambda: "ready" in worker.log(), timeout=60, what="the worker")
        result = _run(["cli-store", "products", "--start-timeout", "2", "--timeout", "10"], env, timeout=60)
    finally:
        worker.stop()
    assert result.returncode == 1
    assert "the job waits in the queue: 1 worker(s) answer but are busy" in result.stderr
    assert "gave up: not finished after 10 s (--timeout)" in result.stderr
    assert SyncJob.objects.get(connection=store_connection).state == JobState.CANCELLED


def test_an_error_the_interrupt_caused_elsewhere_still_cancels_as_an_interrupt(
    db: None, store_connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while a library call is under way may surface as that library's own error (a cancelled
    query, a broken broker call): the command still reads it as the interrupt, with no traceback."""

    def run(self: Command, options: dict[str, Any]) -> None:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:
            raise RuntimeError("the call was cancelled") from None

    monkeypatch.setattr(Command, "run", run)
    with pytest.raises(CommandError) as raised:
        call_command("sync_run", "cli-store", "products")
    assert (str(raised.value), raised.value.returncode) == ("interrupted: nothing was queued", 130)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C handling given back


def test_an_error_without_an_interrupt_is_raised_as_it_is(
    db: None, store_connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(self: Command, options: dict[str, Any]) -> None:
        raise RuntimeError("a real failure")

    monkeypatch.setattr(Command, "run", run)
    with pytest.raises(RuntimeError, match="a real failure"):
        call_command("sync_run", "cli-store", "products")
