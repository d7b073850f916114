"""RFC 7807 problem responses, the only error shape the SparkLayer API documents (docs/ignite-contract.md §2.2).

Handlers raise ``ApiProblem``; the app turns it into ``application/problem+json`` in one place so
every error, including faults and auth failures, looks the same to the bridge's client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from werkzeug.wrappers import Response


@dataclass(frozen=True)
class FieldError:
    """One ``errors[]`` entry: which property failed and why."""

    code: str
    message: str
    property: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "property": self.property}


@dataclass
class ApiProblem(Exception):
    """An error answer; raised anywhere below the app, rendered by ``problem_response``."""

    status: int
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"


def problem_body(status: int, detail: str, errors: list[FieldError] | None = None) -> dict[str, Any]:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return {
        "type": f"https://httpstatuses.io/{status}",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [error.as_dict() for error in errors or []],
    }


def problem_response(problem: ApiProblem) -> Response:
    body = json.dumps(problem_body(problem.status, problem.detail, problem.errors))
    response = Response(body, status=problem.status, mimetype="application/problem+json")
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def invalid(errors: list[FieldError], detail: str = "The request body is invalid.") -> ApiProblem:
    """A 400 naming every bad property, so one round trip reports all of them."""
    return ApiProblem(400, detail, errors)


def conflict(status: int, code: str, prop: str, message: str) -> ApiProblem:
    """A clash with stored data (422 duplicates, 409 customer email), with one ``errors[]`` entry."""
    return ApiProblem(status, message, [FieldError(code, message, prop)])


def not_found(detail: str) -> ApiProblem:
    return ApiProblem(404, detail)
