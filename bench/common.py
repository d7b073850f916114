"""What several benchmark scripts need: their scratch database, a server that is up, and the
environment of a bridge running on the production settings, and the CPU a run used."""

from __future__ import annotations

import os
import time
from pathlib import Path

import requests


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database ``url`` names if it does not exist (other URLs: nothing)."""
    if not url.startswith("postgres"):
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as pg:
        if not pg.execute("SELECT 1 FROM pg_database WHERE datname=%s", [name]).fetchone():
            pg.execute(f'CREATE DATABASE "{name}"')


def connections_truncated() -> None:
    """Every connection and every row that hangs off one gone, with no dead rows left behind (PostgreSQL:
    ``TRUNCATE ... CASCADE``). Deleting them left ~1.7 million dead push-log and record-state rows in a
    benchmark database after a few 20,000-product runs (1.3 GB), for every later run to work around."""
    from django.db import connection as db

    from connections.models import Connection

    if db.vendor != "postgresql":
        Connection.objects.all().delete()
        return
    with db.cursor() as cursor:
        cursor.execute(f"TRUNCATE {db.ops.quote_name(Connection._meta.db_table)} CASCADE")


def wait_up(url: str, *, auth: tuple[str, str] | None = None, tries: int = 150) -> None:
    """Poll ``url`` (as through a TLS proxy) until it answers below 500; exit the script if it never does."""
    for _ in range(tries):
        try:
            if requests.get(url, auth=auth, timeout=1, headers={"X-Forwarded-Proto": "https"}).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def production_server_env(env: dict[str, str], *, port: int, api_token: str) -> dict[str, str]:
    """``env`` for a bridge on the production settings, as deployed behind a TLS proxy (requests
    carry X-Forwarded-Proto), INFO logs as JSON. The encryption keys are the test settings' own,
    because the benchmark wrote its connection row with them (call after ``django.setup()``)."""
    from django.conf import settings

    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.production",
        "SECRET_KEY": "bench-only-secret-key-bench-only-secret-key",
        "IGNITE_API_TOKENS": api_token,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "IGNITE_PUBLIC_URL": f"https://127.0.0.1:{port}",
        "IGNITE_ALLOWED_PLATFORM_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "INFO",
        "WHITENOISE_USE_FINDERS": "true",
    }


def metrics_dir(*, prefix: str) -> str:
    """A fresh ``PROMETHEUS_MULTIPROC_DIR`` on a RAM disk when the machine has one, as deployed
    (``docker-compose.yml`` mounts a tmpfs there: ``docs/operations.md``)."""
    import tempfile

    ram_disk = "/dev/shm"  # noqa: S108 - mkdtemp makes a private directory with a random name
    return tempfile.mkdtemp(prefix=prefix, dir=ram_disk if os.path.isdir(ram_disk) else None)


def _stat(pid: int | str) -> tuple[int, float]:
    """(process group, CPU seconds so far: user and system) of process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # fields after the name: state, ppid, pgrp, ..., utime (12), stime (13)
    return int(fields[2]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) process ``pid`` has used so far."""
    return _stat(pid)[1]


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds (user and system) used so far by the live processes of process group ``pgid``."""
    total = 0.0
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            group, seconds = _stat(entry.name)
        except OSError:  # ended meanwhile
            continue
        if group == pgid:
            total += seconds
    return total


def machine_busy_seconds() -> float:
    """CPU seconds every core of this machine has spent not idle since boot (Linux /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")
