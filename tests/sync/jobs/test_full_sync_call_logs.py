"""A full sync logs its successful store and SparkLayer calls at ``FULL_SYNC_CALL_LOG_LEVEL`` (DEBUG by
default) and its failed ones at INFO; outside a full sync every call logs at INFO
(``tests/sparklayer/test_client_calls.py``)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from connections.models import Connection
from platforms.types import DataType
from sandbox.faults import FaultConfig
from sync.models import JobState
from tests.sync.helpers import run_full

pytestmark = pytest.mark.django_db(transaction=True)

HTTP_LOGGER = "ignite_bridge.core.http"


def call_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == HTTP_LOGGER and r.getMessage().endswith(" request")]


def test_a_full_sync_logs_its_successful_calls_at_debug_and_its_failures_at_info(
    connection: Connection, spark: Any, woo_store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # one product write in four answered 500 first (then retried): failed calls to log
    spark.app.faults.configure(FaultConfig(error_500_rate=0.25, path_prefix="/api/v1/products", seed=7))
    caplog.set_level(logging.DEBUG, logger=HTTP_LOGGER)

    job = run_full(connection, DataType.PRODUCTS)

    assert job.state == JobState.SUCCEEDED
    lines = call_lines(caplog)
    ok = [r for r in lines if r.status is not None and r.status < 400]  # type: ignore[attr-defined]
    failed = [r for r in lines if r.status is None or r.status >= 400]  # type: ignore[attr-defined]
    assert {r.service for r in ok} == {"sparklayer", "woocommerce"}  # type: ignore[attr-defined]
    assert {r.levelno for r in ok} == {logging.DEBUG}
    assert any(r.status == 500 for r in failed)  # type: ignore[attr-defined]
    assert {r.levelno for r in failed} == {logging.INFO}


def test_info_logs_every_call_of_a_full_sync_again(
    connection: Connection, spark: Any, woo_store: Any, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    settings.FULL_SYNC_CALL_LOG_LEVEL = logging.INFO
    caplog.set_level(logging.INFO, logger=HTTP_LOGGER)

    run_full(connection, DataType.PRODUCTS)

    lines = call_lines(caplog)
    assert {r.service for r in lines} == {"sparklayer", "woocommerce"}  # type: ignore[attr-defined]
    assert {r.levelno for r in lines} == {logging.INFO}
    assert sum(r.service == "sparklayer" for r in lines) > 60  # type: ignore[attr-defined] - every write, not a sample
