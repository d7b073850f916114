"""Request metrics: one counter and one histogram update per request.

django-prometheus's request middleware records about fifteen series per request (by transport,
method, view, status, body size, latency before and after the middlewares, ...); measured on the
webhook intake that was ~10% of the view's CPU, the whole of the metrics' overhead
(``bench/metrics_overhead.py``). This one records what the dashboard reads: requests by URL name,
method and status, and the time to answer by URL name. (django-prometheus still measures the database.)
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ignite_bridge.core import metrics

UNRESOLVED = "<unresolved>"


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        metrics.http_request(
            view=(match.view_name if match is not None else UNRESOLVED),
            method=request.method or "",
            status=response.status_code,
            duration=time.perf_counter() - started,
        )
        return response
