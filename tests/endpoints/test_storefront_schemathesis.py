"""Property-based check of every Ignite endpoint against the OpenAPI schema the bridge serves.

Schemathesis reads ``/api/schema/`` as served (fetched once at collection through Django's test
client: the schema view touches no database), generates requests with a fixed seed and at most
20 examples per operation, positive and negative, and sends them to the bridge in-process (WSGI);
the bridge talks to a WooCommerce sandbox over loopback. Path parameters are pinned to a real,
active connection so requests reach the handlers instead of stopping at "unknown site" (that
answer is covered by the endpoint tests). Checks: no 5xx, and every response matches the schema
documented for its status.

The coverage phase (every boundary of every field) is off: on these bodies it takes minutes, and
a bounded run is what the normal test command can afford.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.endpoints.storefront_helpers import STOREFRONT_SECRET
from tests.factories import ConnectionFactory

SEED = 20261127
EXAMPLES_PER_OPERATION = 20
SITE = {"site_env": "test", "site_id": "schema-site"}

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {"max-examples": EXAMPLES_PER_OPERATION},
    }
)
schema = schemathesis.openapi.from_dict(Client().get("/api/schema/", {"format": "json"}).json(), config=CONFIG)


@pytest.fixture
def bridge_app(db: None, woocommerce_sandbox: Any, sparklayer_sandbox: Any, settings: Any) -> Iterator[WSGIHandler]:
    """The bridge as a WSGI app inside the test's transaction, with one active connection.

    A WSGI request starts and ends by closing "old" database connections, which would end the
    test's transaction; Django's test client disconnects that handler for the same reason."""
    # The connect endpoint checks SparkLayer credentials: point it at the sandbox, never the internet.
    settings.SPARKLAYER_URL_TEST = sparklayer_sandbox.url
    settings.SPARKLAYER_URL_LIVE = sparklayer_sandbox.url
    ConnectionFactory(**SITE, store_url=woocommerce_sandbox.url, storefront_secret=STOREFRONT_SECRET)
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield WSGIHandler()
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@seed(SEED)
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_ignite_endpoints_conform_to_their_schema(case: Any, bridge_app: WSGIHandler, ignite_token: str) -> None:
    if case.path_parameters is not None:
        case.path_parameters.update(SITE)
    case.call_and_validate(
        app=bridge_app,
        headers={"Authorization": f"Bearer {ignite_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
