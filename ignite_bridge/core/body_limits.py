"""Request body limits, enforced before anything parses a body.

``RequestBodyLimitMiddleware`` runs first on the paths programs call:

* ``/v1/`` (the Ignite endpoints) and ``/install/`` (the platform's install callback) are limited
  to ``IGNITE_MAX_BODY_BYTES``, ``/webhooks/`` to ``WEBHOOK_MAX_BODY_BYTES``;
* a declared ``Content-Length`` above the limit is a ``413`` problem at once, nothing read;
* a body sent without a length (``Transfer-Encoding: chunked``, which gunicorn de-chunks and
  marks with ``wsgi.input_terminated``) is read here up to the limit and one byte more: above the
  limit it is a ``413`` too, otherwise the view reads it from memory like any other body. (Django
  alone would read such a body as empty.)

``BoundedJSONParser`` (``ignite_bridge/core/parsers.py``) is DRF's JSON parser with the same
limit on the bytes it reads and ``jsonlimits.MAX_JSON_DEPTH`` on nesting.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse

from ignite_bridge.core.problems import problem_response


def body_limit_for(path: str) -> int | None:
    """The largest body accepted on ``path`` (bytes), or None where this middleware does not apply."""
    if path.startswith(("/v1/", "/install/")):
        return int(settings.IGNITE_MAX_BODY_BYTES)
    if path.startswith("/webhooks/"):
        return int(settings.WEBHOOK_MAX_BODY_BYTES)
    return None


def too_large(limit: int) -> HttpResponse:
    return problem_response(413, detail=f"The request body is larger than {limit} bytes.")


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit_for(request.path)
        if limit is None:
            return self.get_response(request)
        declared = request.META.get("CONTENT_LENGTH")
        if declared:
            try:
                length = int(declared)
            except ValueError:
                return problem_response(400, detail="The Content-Length header is not a number.")
            if length > limit:
                return too_large(limit)
        elif _streamed(request):
            body = request.META["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return too_large(limit)
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))  # type: ignore[assignment]
        return self.get_response(request)


def _streamed(request: HttpRequest) -> bool:
    """A body without a length: chunked transfer the server de-chunks and terminates."""
    meta = request.META
    chunked = "chunked" in str(meta.get("HTTP_TRANSFER_ENCODING", "")).lower()
    return chunked and bool(meta.get("wsgi.input_terminated")) and "wsgi.input" in meta
