"""Turn Django's own HTML error pages into problem JSON on API paths."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ignite_bridge.core.problems import PROBLEM_CONTENT_TYPE, problem_response

logger = logging.getLogger(__name__)

#: paths whose callers are programs, never browsers: they get problem JSON, never HTML
API_PREFIXES = ("/v1/", "/webhooks/", "/api/", "/install/", "/healthz", "/readyz")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


class ProblemJsonMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_api_path(request.path) or response.status_code < 400:
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith((PROBLEM_CONTENT_TYPE, "application/json")):
            return response
        if request.path.startswith("/api/docs") or request.path.startswith("/api/schema"):
            return response if response.status_code < 400 else problem_response(response.status_code)
        return problem_response(response.status_code, headers=_keep_headers(response))

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request.path):
            return None
        logger.exception("unhandled error", extra={"path": request.path, "method": request.method})
        return problem_response(500, detail="The bridge hit an unexpected error. It has been logged.")


def _keep_headers(response: HttpResponse) -> dict[str, str]:
    return {name: response[name] for name in ("Allow", "Retry-After", "WWW-Authenticate") if response.has_header(name)}
