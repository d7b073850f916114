"""Fixtures for the SparkLayer client tests: a client on a fake base URL with recorded sleeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from sparklayer.client import SparkLayerClient
from sparklayer.token_cache import InMemoryTokenStore
from tests.sparklayer.helpers import BASE, SECRET, TOKEN_URL, SleepRecorder


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def token_endpoint(mocked: responses.RequestsMock) -> responses.RequestsMock:
    """Issue tokens tok-1, tok-2, ... in order, so a test can see which token a call used."""
    issued = {"count": 0}

    def issue(request: object) -> tuple[int, dict[str, str], str]:
        issued["count"] += 1
        return 200, {}, f'{{"access_token": "tok-{issued["count"]}", "expires_in": 3600}}'

    mocked.add_callback(responses.POST, TOKEN_URL, callback=issue, content_type="application/json")
    return mocked


@pytest.fixture
def client(sleeps: SleepRecorder) -> SparkLayerClient:
    return SparkLayerClient(
        BASE, "site-1", "client-1", SECRET, token_store=InMemoryTokenStore(), batch_size=2, sleep=sleeps
    )
