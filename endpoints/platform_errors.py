"""One place that turns platform failures into answers for SparkLayer (docs/ignite-contract.md §1, §1.7).

* the store did not answer in time (read or connect timeout) → ``504`` problem;
* the store is down, answered 5xx/429, refused the bridge's keys, or answered something unexpected
  → ``502`` problem;
* documented customer-request failures raised by the adapter (``PlatformRequestError``) → their own
  status: ``401`` bad storefront credential, ``404`` unknown record, ``400`` otherwise, with the
  field named in ``errors[]``; ``EmailAlreadyTaken`` → exactly ``{"error_code": "email-already-taken"}``.

Nothing upstream ever becomes a 500, and no answer carries the store's raw body.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from rest_framework.response import Response

from ignite_bridge.core.errors import AuthenticationError, IntegrationError, TransientError
from ignite_bridge.core.problems import PROBLEM_CONTENT_TYPE, problem_body
from platforms.base import EmailAlreadyTaken, PlatformRequestError

logger = logging.getLogger(__name__)

#: adapter error code → the request field it is about (the ``property`` of the problem's error)
ERROR_PROPERTIES: dict[str, str] = {
    "parent_not_found": "parent_customer_external_id",
    "unknown_metafield": "key",
    "shipping_method_unavailable": "shipping_line",
    "unknown_sku": "line_items",
    "unknown_customer": "customer.external_id",
}


def is_timeout(error: TransientError) -> bool:
    return isinstance(error.__cause__, requests.Timeout)


def platform_error_response(exc: Exception) -> Response | None:
    """The answer for a platform failure; None when ``exc`` is not one (DRF handles it)."""
    if isinstance(exc, EmailAlreadyTaken):
        return Response({"error_code": EmailAlreadyTaken.code}, status=400)
    if isinstance(exc, PlatformRequestError):
        errors = None
        if exc.status == 400:
            errors = [{"code": exc.code, "message": exc.message, "property": ERROR_PROPERTIES.get(exc.code)}]
        return _problem(exc.status, exc.message, errors=errors)
    if isinstance(exc, TransientError) and is_timeout(exc):
        logger.warning("store timed out", extra={"error": exc.message})
        return _problem(504, "The store did not answer in time.")
    if isinstance(exc, AuthenticationError):
        logger.warning("store refused the bridge's API keys", extra={"status": exc.status})
        return _problem(502, "The store refused the bridge's API keys; reconnect the store.")
    if isinstance(exc, IntegrationError):
        logger.warning("store answered with an error", extra={"error": exc.message, "status": exc.status})
        detail = f"The store answered with an error: {exc.code}." if exc.status else "The store could not be reached."
        return _problem(502, detail)
    return None


def _problem(status: int, detail: str, errors: list[dict[str, Any]] | None = None) -> Response:
    return Response(
        problem_body(status, detail=detail, errors=errors), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
