"""Exactly one effective scheduler: two real ``celery beat`` processes send each periodic task once per interval."""

from __future__ import annotations

import base64
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from ignite_bridge.core.beat import CLAIM_SHARE
from tests.processes import ROOT
from tests.workers import worker_environment

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not isinstance(caches["default"], RedisCache), reason="beat claims live in the cache's Redis"),
    pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis://"), reason="counts messages in Redis"),
]

RUN_SECONDS = 7.0


def broker_url_db(url: str, db: int) -> str:
    base = url.rsplit("/", 1)[0] if url.count("/") > 2 else url
    return f"{base}/{db}"


def start_beat(env: dict[str, str], schedule: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.core.beat_app", "beat", "-l", "INFO", "-s", str(schedule),
         "--pidfile", ""],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def sent_messages(client: Any) -> dict[str, list[float]]:
    """Send times of the ping messages in the broker's ``realtime`` list, per argument."""
    sent: dict[str, list[float]] = {"one": [], "two": []}
    for raw in client.lrange("realtime", 0, -1):
        message = json.loads(raw)
        args = json.loads(base64.b64decode(message["body"]))[0]
        sent[args[0]].append(float(message["headers"]["ignite_sent_at"]))
    return {key: sorted(times) for key, times in sent.items()}


def test_two_beats_send_each_periodic_task_once_per_interval(tmp_path: Path) -> None:
    broker = broker_url_db(settings.CELERY_BROKER_URL, 7)  # a database of its own: nothing else publishes there
    client = redis.Redis.from_url(broker)
    client.flushdb()
    cache = caches["default"]
    for key in ("beat-claim:probe-every-second", "beat-claim:probe-every-two-seconds"):
        cache.delete(key)
    env = worker_environment(CELERY_BROKER_URL=broker)
    beats = [start_beat(env, tmp_path / f"schedule-{i}", tmp_path / f"beat-{i}.log") for i in range(2)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not sent_messages(client)["one"]:
            time.sleep(0.1)
        first = time.time()
        time.sleep(RUN_SECONDS)
        sent = sent_messages(client)
    finally:
        for beat in beats:
            os.killpg(beat.pid, signal.SIGTERM)
        for beat in beats:
            beat.wait(timeout=20)
        client.flushdb()
    logs = "\n".join((tmp_path / f"beat-{i}.log").read_text(errors="replace") for i in range(2))
    assert all(beat.returncode is not None for beat in beats)
    assert "sent by another beat" in logs, logs[-3000:]  # both were sending: the claim is what held them back
    for name, interval in (("one", 1.0), ("two", 2.0)):
        times = [t for t in sent[name] if t <= first + RUN_SECONDS]
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        # once per interval: never two sends closer than the claim, and about RUN_SECONDS / interval in all
        assert min(gaps) >= interval * CLAIM_SHARE - 0.05, (name, gaps)
        assert RUN_SECONDS / interval - 1 <= len(times) <= RUN_SECONDS / interval + 2, (name, times)
