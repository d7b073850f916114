"""Parallel test runs (pytest-xdist): every test process gets a Redis server of its own.

Loaded with ``-p tests.parallel`` (``pyproject.toml``), so it runs before pytest-django reads the
settings. Under ``pytest -n N`` each worker process (``PYTEST_XDIST_WORKER``) has its own test
database already (pytest-django suffixes its name); Redis is the one thing they would share: the
broker queues that a test's real Celery worker consumes, the cache, and the fixed databases a few
tests use (the beat test's 7, the budget tests' 15). So each worker starts a private
``redis-server`` on a free loopback port, keeps nothing on disk, and points ``CELERY_BROKER_URL``,
``CELERY_RESULT_BACKEND`` and ``CACHE_URL`` at it, same database numbers. Subprocesses the tests
start (workers, beat, demo) inherit those variables. Without xdist, or when the run's Redis is not
on loopback (or there is no ``redis-server`` here), nothing changes.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

URL_VARIABLES = ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _own_redis() -> int | None:
    """Start a private redis-server; its port, or None when there is none to start."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="test-redis-")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    atexit.register(stop)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _answers(port):
            return port
        if process.poll() is not None:
            return None
        time.sleep(0.02)
    stop()
    return None


def _on_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _isolate() -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    urls = {name: os.environ.get(name, "") for name in URL_VARIABLES}
    redis_urls = {name: url for name, url in urls.items() if url.startswith("redis://")}
    if not redis_urls or any(urlsplit(url).hostname not in LOOPBACK for url in redis_urls.values()):
        return
    port = _own_redis()
    if port is None:
        return
    for name, url in redis_urls.items():
        os.environ[name] = _on_port(url, port)


_isolate()
