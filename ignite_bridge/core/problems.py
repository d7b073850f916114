"""RFC 7807 problem JSON: one shape for every error any API path answers.

``problem_response`` builds one; ``problem_exception_handler`` is DRF's exception handler; the
``ProblemJsonMiddleware`` covers what happens outside DRF (Django 404/405/500 on API paths).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://ignite-bridge.dev/problems/"


def problem_body(
    status_code: int,
    *,
    detail: str = "",
    title: str | None = None,
    problem_type: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    title = title or HTTPStatus(status_code).phrase
    body: dict[str, Any] = {
        "type": problem_type or f"{PROBLEM_TYPE_BASE}{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status_code,
        "detail": detail or title,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_response(status_code: int, **kwargs: Any) -> JsonResponse:
    """A plain Django response carrying a problem (for views outside DRF)."""
    headers = kwargs.pop("headers", None)
    return JsonResponse(
        problem_body(status_code, **kwargs), status=status_code, content_type=PROBLEM_CONTENT_TYPE, headers=headers
    )


def flatten_validation_errors(detail: Any, prefix: str = "") -> list[dict[str, Any]]:
    """DRF's nested ``ValidationError.detail`` → one ``{code, message, property}`` per bad field."""
    errors: list[dict[str, Any]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                name = prefix
            errors.extend(flatten_validation_errors(value, name))
    elif isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            for item in detail:
                errors.append(
                    {"code": getattr(item, "code", "invalid"), "message": str(item), "property": prefix or None}
                )
        else:
            for index, item in enumerate(detail):
                errors.extend(flatten_validation_errors(item, f"{prefix}[{index}]"))
    else:
        errors.append({"code": getattr(detail, "code", "invalid"), "message": str(detail), "property": prefix or None})
    return errors


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: every error becomes problem JSON; unexpected ones a bare 500."""
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in API view", extra={"view": type(context.get("view")).__name__})
        body = problem_body(500, detail="The bridge hit an unexpected error. It has been logged.")
        return Response(body, status=500, content_type=PROBLEM_CONTENT_TYPE)

    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_validation_errors(exc.detail)
        body = problem_body(
            status.HTTP_400_BAD_REQUEST, title="Validation failed", detail="The request body is invalid.", errors=errors
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(detail, dict | list):
            errors = flatten_validation_errors(detail)
            body = problem_body(response.status_code, errors=errors)
        else:
            body = problem_body(response.status_code, detail=str(detail))
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
