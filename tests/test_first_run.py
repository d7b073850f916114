"""A first run on PostgreSQL, exactly as a new operator does it: a fresh database, ``manage.py migrate`` and
nothing else, the web server and a worker (no ``CACHE_URL``: the database cache), a store connected through
WooCommerce's install flow, and its data arriving in SparkLayer."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from django.db import connection as test_connection

from tests.processes import ROOT, answers, embedded_environment, free_port, processes, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SITE = "first-run-store"


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """An empty PostgreSQL database on this run's server; its URL. Dropped afterwards."""
    db = test_connection.settings_dict
    if test_connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    name = f"first_run_{uuid.uuid4().hex[:10]}"
    server = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"] or "postgres"}
    if db["PASSWORD"]:
        server["password"] = db["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    credentials = f"{server['user']}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}"
    try:
        yield f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def test_migrate_alone_then_web_and_worker_sync_a_store_connected_through_the_install_flow(
    fresh_database: str, tmp_path: Path
) -> None:
    web_port, spark_port, store_port = free_port(), free_port(), free_port()
    web, spark, store = (f"http://127.0.0.1:{port}" for port in (web_port, spark_port, store_port))
    env = embedded_environment(
        tmp_path / "var", DATABASE_URL=fresh_database, SPARKLAYER_URL_TEST=spark, IGNITE_PUBLIC_URL=web
    )
    assert "CACHE_URL" not in env  # the embedded default: the database cache

    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert migrate.returncode == 0, migrate.stdout[-2000:] + migrate.stderr[-2000:]
    assert _query(fresh_database, "SELECT to_regclass('ignite_bridge_cache') IS NOT NULL") == [(True,)]

    with processes(tmp_path / "logs") as started:
        started.spawn("sparklayer", ["-m", "sandbox.sparklayer", "--port", str(spark_port)], env)
        started.spawn(
            "woocommerce",
            ["-m", "sandbox.woocommerce", "--port", str(store_port), "--products", "20", "--customers", "10",
             "--orders", "5", "--seed", "3"],
            env,
        )  # fmt: skip
        started.spawn(
            "web",
            ["-m", "gunicorn", "ignite_bridge.wsgi:application", "--bind", f"127.0.0.1:{web_port}", "--workers", "1",
             "--threads", "4"],
            env,
        )  # fmt: skip
        started.spawn(
            "worker",
            ["-m", "celery", "-A", "ignite_bridge", "worker", "-Q", "realtime,webhooks,sync", "-c", "2", "-l", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            env,
        )  # fmt: skip
        for url, what in ((f"{spark}/_sandbox/stats", "SparkLayer"), (f"{store}/_sandbox/state", "the store"),
                          (f"{web}/healthz", "the web server")):  # fmt: skip
            wait_until(lambda url=url: answers(url), timeout=60, what=what)

        connect = requests.post(
            f"{web}/v1/test/{SITE}",
            json={
                "store_id": SITE,
                "spark_api_client_id": "cid",
                "spark_api_client_secret": "csecret",
                "extra_config": {"platform": "woocommerce", "store_url": store},
            },
            headers={"Authorization": "Bearer local-dev-token"},
            timeout=30,
        )
        assert connect.status_code == 201, connect.text  # no keys given: the install flow must run
        approval = requests.get(connect.json()["redirect_url"], allow_redirects=False, timeout=30)
        assert approval.status_code == 302, approval.text  # the store posted the keys to our callback

        def jobs() -> list[tuple[Any, ...]]:
            return _query(fresh_database, "SELECT data_type, state, error FROM sync_syncjob WHERE kind = 'full'")

        def finished() -> bool:
            rows = jobs()
            return bool(rows) and all(state in ("succeeded", "failed", "cancelled") for _t, state, _e in rows)

        try:
            wait_until(finished, timeout=120, what="the full syncs to finish")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {jobs()}\n{started.logs()}") from None
        assert {state for _t, state, _e in jobs()} == {"succeeded"}, (jobs(), started.logs())
        assert _query(fresh_database, "SELECT site_id, state FROM connections_connection") == [(SITE, "active")]

        counts = requests.get(f"{spark}/_sandbox/sites", timeout=10).json()[SITE]
        synced = dict(
            _query(
                fresh_database,
                "SELECT data_type, count(*) FROM sync_recordstate WHERE NOT deleted AND content_hash <> '' "
                "GROUP BY data_type",
            )
        )
        assert counts["products"] == synced["products"] > 0
        assert counts["customers"] == synced["customers"] > 0
        assert counts["purchases"] == synced["purchases"] > 0
        assert "does not exist" not in started.log("worker")
