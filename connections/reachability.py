"""Can this process reach a connection's SparkLayer API and store at all? Asked before a command starts work
that would otherwise retry for minutes against an address nothing listens on.

One GET per address, one attempt, short timeouts, through the shared client base. Any HTTP answer means
"reachable" (a 404 for ``/`` is fine); no answer (refused, timed out, unknown host) does not. The report
says which URL was used and where that URL came from, so a wrong setting is visible at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings

from connections.clients import sparklayer_base_url
from connections.models import Connection
from ignite_bridge.core.errors import IntegrationError, TransientError
from ignite_bridge.core.http import HttpClientBase

PROBE_CONNECT_TIMEOUT, PROBE_READ_TIMEOUT = 3.0, 5.0


@dataclass(frozen=True)
class Reachability:
    what: str  # "SparkLayer (test sites)", "the store"
    url: str
    source: str  # where the URL came from, in words
    problem: str = ""  # "" when it answered; else why it cannot be reached
    answered_status: int | None = None

    @property
    def reachable(self) -> bool:
        return not self.problem

    def describe(self) -> str:
        head = f"{self.what} at {self.url} ({self.source})"
        return f"{head}: {self.problem}" if self.problem else f"{head}: answers"


class _Probe(HttpClientBase):
    service_name = "probe"


def url_source(setting: str) -> str:
    """Where a URL setting's value came from: the demo's file, the environment or the default."""
    if setting in getattr(settings, "DEMO_ENV_NAMES", ()):
        return f"{setting}, set by manage.py demo in {getattr(settings, 'DEMO_ENV_FILE', 'var/demo.env')}"
    if setting in os.environ:
        return f"{setting} from the environment"
    return f"{setting} is not set: its default"


def probe(url: str) -> tuple[str, int | None]:
    """("", status) when ``url`` answers anything; (why not, None) when nothing answers."""
    client = _Probe(url, connect_timeout=PROBE_CONNECT_TIMEOUT, read_timeout=PROBE_READ_TIMEOUT, max_attempts=1)
    try:
        response = client.request("GET", "/", max_attempts=1)
    except TransientError as exc:
        if exc.status is None:
            cause = exc.__cause__
            detail = f"{type(cause).__name__}: {cause}" if cause else exc.message
            return f"cannot be reached ({detail[:300]})", None
        return "", exc.status
    except IntegrationError as exc:  # a 4xx: something answered
        return "", exc.status
    return "", response.status_code


def connection_reachability(*, connection: Connection) -> list[Reachability]:
    """The connection's SparkLayer API and store, each probed once."""
    setting = "SPARKLAYER_URL_LIVE" if connection.site_env == "live" else "SPARKLAYER_URL_TEST"
    sparklayer = sparklayer_base_url(connection.site_env)
    checks = [(f"SparkLayer ({connection.site_env} sites)", sparklayer, url_source(setting))]
    if connection.store_url:
        checks.append(("the store", connection.store_url, "the connection's store URL"))
    found = []
    for what, url, source in checks:
        problem, status = probe(url)
        found.append(Reachability(what=what, url=url, source=source, problem=problem, answered_status=status))
    return found
