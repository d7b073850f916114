"""A real Celery worker as a subprocess, on this test run's database and broker (the ``celery_worker_process``
fixture in ``tests/conftest.py`` and the tests that start their own workers)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from django.db import connection

from tests.processes import ROOT


def worker_environment(**extra: str) -> dict[str, str]:
    """Environment for a worker subprocess that shares this test run's database and broker."""
    db = connection.settings_dict
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "ignite_bridge.settings.test"
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{db['USER'] or ''}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}@"
            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    env.update(extra)
    return env


class WorkerProcess:
    """A real ``celery worker`` subprocess; ``kill()`` sends SIGKILL, ``restart()`` starts a new one."""

    def __init__(self, env: dict[str, str], queues: str = "realtime,webhooks,sync", concurrency: int = 2) -> None:
        self.env = env
        self.queues = queues
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = ROOT / "var" / f"test-worker-{os.getpid()}.log"

    def start(self) -> WorkerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "ignite_bridge", "worker",
                "-Q", self.queues, "-c", str(self.concurrency), "-l", "INFO", "--without-gossip",
                "--without-mingle", "--without-heartbeat", "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> WorkerProcess:
        self.kill()
        return self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
