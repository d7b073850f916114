"""``sync/engine/synclog.py`` on its own: the sync-log bodies sent to SparkLayer (``responses``) and what a
refusal leaves behind (docs/ignite-contract.md §2.7)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import responses

from connections.models import Connection
from platforms.types import DataType, RecordIssue
from sparklayer.client import SparkLayerClient
from sparklayer.token_cache import InMemoryTokenStore
from sync.engine.synclog import (
    iso,
    open_issue_errors,
    synclog_report_full,
    synclog_report_partial,
    synclog_report_start,
)
from sync.models import IssueState
from tests.factories import ConnectionFactory, SyncIssueFactory

pytestmark = pytest.mark.django_db

BASE = "https://sparklayer.test"
LOG = f"{BASE}/api/v1/sync-log/ignite-bridge/products"
STARTED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
FINISHED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def connection(settings: Any) -> Connection:
    settings.SPARKLAYER_INTEGRATION_SLUG = "ignite-bridge"
    return ConnectionFactory()


@pytest.fixture
def client() -> SparkLayerClient:
    return SparkLayerClient(
        BASE, "site-1", "client-1", "secret", token_store=InMemoryTokenStore(), sleep=lambda s: None, max_attempts=1
    )


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(f"{BASE}/api/auth/token", json={"access_token": "t", "expires_in": 3600})
        yield rsps


def sent(mocked: responses.RequestsMock, method: str) -> list[dict[str, Any]]:
    return [json.loads(c.request.body) for c in mocked.calls if c.request.method == method and c.request.url == LOG]


def test_iso_is_utc_with_a_z_and_none_stays_none() -> None:
    assert iso(datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1)))) == "2026-03-01T09:00:00Z"
    assert iso(None) is None


def test_open_issue_errors_are_the_open_issues_oldest_first_with_optional_fields_only_when_set(
    connection: Connection,
) -> None:
    SyncIssueFactory(
        connection=connection, external_id="2", message="x" * 1200, platform_url="https://shop.example.com/p/2",
        visible_id="SKU-2", first_seen_at=FINISHED,
    )  # fmt: skip
    SyncIssueFactory(connection=connection, external_id="1", message="No SKU.", first_seen_at=STARTED)
    SyncIssueFactory(connection=connection, external_id="3", state=IssueState.RESOLVED)
    SyncIssueFactory(connection=connection, external_id="4", data_type=DataType.CUSTOMERS)

    errors = list(open_issue_errors(connection=connection, data_type=DataType.PRODUCTS))

    assert errors == [
        {"external_id": "1", "message": "No SKU."},
        {
            "external_id": "2",
            "message": "x" * 1000,
            "external_url": "https://shop.example.com/p/2",
            "visible_id": "SKU-2",
        },
    ]


def test_start_keeps_the_previous_full_sync_and_its_outcome(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    SyncIssueFactory(connection=connection, external_id="7", message="Bad price.")
    mocked.get(LOG, json={"last_full_sync": "2026-02-01T00:00:00Z", "last_full_sync_succeeded": False})
    mocked.put(LOG, json={})

    result = synclog_report_start(connection=connection, data_type="products", started_at=STARTED, client=client)

    assert result == {}
    assert sent(mocked, "PUT") == [
        {
            "started_full_sync": "2026-03-01T09:00:00Z",
            "last_full_sync": "2026-02-01T00:00:00Z",
            "errors": [{"external_id": "7", "message": "Bad price."}],
            "last_full_sync_succeeded": False,
        }
    ]


def test_start_before_any_full_sync_sends_no_outcome(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(LOG, status=404, json={"title": "Not found"})
    mocked.put(LOG, json={})

    synclog_report_start(connection=connection, data_type="products", started_at=STARTED, client=client)

    assert sent(mocked, "PUT") == [{"started_full_sync": "2026-03-01T09:00:00Z", "last_full_sync": None, "errors": []}]


def test_a_refused_start_is_returned_for_the_jobs_result_not_raised(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(LOG, json={})
    mocked.put(LOG, status=400, json={"title": "Bad request"})

    result = synclog_report_start(connection=connection, data_type="products", started_at=STARTED, client=client)

    assert list(result) == ["sync_log_start_error"]


def test_full_reports_the_times_the_outcome_and_the_open_issues(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    SyncIssueFactory(connection=connection, external_id="9", message="No SKU.", visible_id="#9")
    mocked.put(LOG, json={})

    result = synclog_report_full(
        connection=connection, data_type="products", started_at=STARTED, finished_at=FINISHED, succeeded=True,
        client=client,
    )  # fmt: skip

    assert result == {}
    assert sent(mocked, "PUT") == [
        {
            "started_full_sync": "2026-03-01T09:00:00Z",
            "last_full_sync": "2026-03-01T09:30:00Z",
            "last_full_sync_succeeded": True,
            "errors": [{"external_id": "9", "message": "No SKU.", "visible_id": "#9"}],
        }
    ]


def test_a_refused_full_report_is_returned_not_raised(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.put(LOG, status=503, json={"title": "Unavailable"})

    result = synclog_report_full(
        connection=connection, data_type="products", started_at=None, finished_at=FINISHED, succeeded=False,
        client=client,
    )  # fmt: skip

    assert list(result) == ["sync_log_error"]


def issue(external_id: str) -> RecordIssue:
    return RecordIssue(external_id=external_id, code="missing_sku", message=f"#{external_id} has no SKU.")


def test_partial_adds_errors_and_resolves_only_ids_not_added_again(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.patch(LOG, json={})

    dropped = synclog_report_partial(
        connection=connection, data_type="products", issues_added=[issue("1")], issues_resolved=["1", "2"],
        client=client,
    )  # fmt: skip

    assert dropped == 0
    [body] = sent(mocked, "PATCH")
    assert body.pop("last_partial_sync").endswith("Z")
    assert body == {"errors_added": [{"external_id": "1", "message": "#1 has no SKU."}], "errors_resolved": ["2"]}


def test_partial_refused_with_its_new_errors_is_sent_again_without_them(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.patch(LOG, status=422, json={"title": "Too many errors"})
    mocked.patch(LOG, json={})

    dropped = synclog_report_partial(
        connection=connection, data_type="products", issues_added=[issue("1"), issue("2")], issues_resolved=["3"],
        client=client,
    )  # fmt: skip

    assert dropped == 2
    first, second = sent(mocked, "PATCH")
    assert len(first["errors_added"]) == 2
    assert "errors_added" not in second
    assert second["errors_resolved"] == ["3"]


def test_partial_refused_without_new_errors_is_not_retried(
    connection: Connection, client: SparkLayerClient, mocked: responses.RequestsMock
) -> None:
    mocked.patch(LOG, status=422, json={"title": "Refused"})

    dropped = synclog_report_partial(
        connection=connection, data_type="products", issues_added=[], issues_resolved=["3"], client=client
    )

    assert dropped == 0
    assert len(sent(mocked, "PATCH")) == 1
