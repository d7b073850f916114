"""The PostgreSQL health check: no round trip while a connection is quiet, Django's ``SELECT 1``
whenever anything could be wrong (``ignite_bridge/core/db/health.py``)."""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest
import requests
from django.db import connection, connections

from ignite_bridge.core.db.health import QuietHealthCheck, connection_quiet
from tests.core.settings_support import PRODUCTION_ENV, run_settings
from tests.processes import Processes, free_port, wait_until
from tests.workers import worker_environment

pytestmark = [
    pytest.mark.django_db(transaction=True),  # autocommit: a connection idle outside a transaction
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL backend"),
]


def _other_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def _last_statement(pid: int) -> str:
    """What the backend ``pid`` last ran, as PostgreSQL itself reports it."""
    with _other_connection() as other:
        row = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert row is not None
    return str(row[0])


def _marked_connection() -> int:
    """Django's connection, open, with a statement of its own as its last; returns its backend pid."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), 'health-check marker'")
        return int(cursor.fetchone()[0])


def _wait_until_not_quiet(seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while connection_quiet(connection.connection):
        assert time.monotonic() < deadline, "the connection never had anything to read"
        time.sleep(0.01)


def test_the_project_runs_on_the_backend_with_the_quiet_check():
    assert isinstance(connections["default"], QuietHealthCheck)


def test_a_quiet_connection_is_usable_without_a_statement():
    pid = _marked_connection()
    assert connection.is_usable()
    assert _last_statement(pid) == "SELECT pg_backend_pid(), 'health-check marker'"


def test_a_connection_the_server_ended_is_not_usable_and_the_next_query_reconnects():
    pid = _marked_connection()
    with _other_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    _wait_until_not_quiet()
    assert not connection.is_usable()

    connection.health_check_enabled, connection.health_check_done = True, False
    connection.close_if_health_check_failed()  # what Django does before a request's first query
    assert connection.connection is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_connection_with_something_to_read_is_checked_with_a_statement():
    pid = _marked_connection()
    with connection.cursor() as cursor:
        cursor.execute("LISTEN health_check_test")
    with _other_connection() as other:
        other.execute("NOTIFY health_check_test")
    _wait_until_not_quiet()
    assert connection.is_usable()
    assert _last_statement(pid) == "SELECT 1"


def test_a_connection_inside_a_transaction_is_checked_with_a_statement():
    pid = _marked_connection()
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 'in a transaction'")
        assert not connection_quiet(connection.connection)
        assert connection.is_usable()
        assert _last_statement(pid) == "SELECT 1"
    finally:
        connection.rollback()
        connection.set_autocommit(True)


def test_a_closed_connection_is_not_quiet():
    _marked_connection()
    raw = connection.connection
    connection.close()
    assert not connection_quiet(raw)


@pytest.mark.parametrize(("metrics", "engine"), [
    ("true", "ignite_bridge.core.db.metrics.postgresql"),
    ("false", "ignite_bridge.core.db.postgresql"),
])  # fmt: skip
def test_production_runs_postgresql_on_the_bridges_backend(metrics, engine, tmp_path):
    result = run_settings("ignite_bridge.settings.production", {**PRODUCTION_ENV, "METRICS_ENABLED": metrics}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert f'"engine": "{engine}"' in result.stdout


@pytest.mark.integration
def test_gunicorn_on_production_settings_answers_after_its_database_connections_were_ended(tmp_path):
    """The production layout end to end: connections kept between requests and checked before reuse.
    PostgreSQL ends every connection the server holds (as a restart does); the next requests get
    their answer, not a 500 from a dead connection."""
    name = f"health-check-{uuid.uuid4().hex[:8]}"
    port = free_port()
    env = {
        **worker_environment(),
        **PRODUCTION_ENV,
        "DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.production",
        "DATABASE_URL": f"{worker_environment()['DATABASE_URL']}?application_name={name}",
        "CELERY_BROKER_URL": worker_environment()["CELERY_BROKER_URL"],
        "DATABASE_CONN_MAX_AGE": "600",
        "METRICS_ENABLED": "false",
        "SECURE_SSL_REDIRECT": "false",
        "IGNITE_VAR_DIR": str(tmp_path),
    }
    processes = Processes(tmp_path / "logs")
    processes.spawn("web", ["-m", "gunicorn", "-c", "python:ignite_bridge.gunicorn_conf", "ignite_bridge.wsgi",
                            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"], env)  # fmt: skip
    delivery = f"http://127.0.0.1:{port}/webhooks/woocommerce/{uuid.uuid4()}/"  # no such connection: a lookup, a 404

    def statuses(count: int) -> list[int]:
        with requests.Session() as session:  # keep-alive: the same threads, their kept connections
            return [session.post(delivery, data=b"{}", timeout=10).status_code for _ in range(count)]

    try:
        wait_until(lambda: _answers(delivery), timeout=60, what=f"gunicorn\n{processes.logs()}")
        assert set(statuses(10)) == {404}
        with _other_connection() as other:
            ended = other.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s", [name]
            ).fetchone()
            assert ended is not None
            assert ended[0] >= 1  # the two threads' kept connections, or the one that served both
            wait_until(
                lambda: other.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [name])
                .fetchone() == (0,),
                timeout=10, what="the ended connections gone",
            )  # fmt: skip
        assert statuses(10) == [404] * 10, processes.logs()
    finally:
        processes.stop()


def _answers(url: str) -> bool:
    try:
        return requests.post(url, data=b"{}", timeout=2).status_code == 404
    except requests.RequestException:
        return False
