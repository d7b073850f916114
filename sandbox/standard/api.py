"""Request plumbing of the standard platform sandbox: problems, JSON answers, paging, time parsing."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.standard.schemas import request_errors


class ApiError(Exception):
    """Answered as RFC 7807 problem JSON."""

    def __init__(self, status: int, detail: str, *, code: str = "", errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.errors = errors or []

    def response(self) -> Response:
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": _TITLES.get(self.status, "Error"),
            "status": self.status,
        }
        body["detail"] = self.detail
        if self.code:
            body["code"] = self.code
        if self.errors:
            body["errors"] = self.errors
        return Response(json.dumps(body), status=self.status, content_type="application/problem+json")


_TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Content"}


@dataclass
class Reply:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        if self.body is None:
            return Response(status=self.status, headers=self.headers)
        return Response(
            json.dumps(self.body), status=self.status, content_type="application/json", headers=self.headers
        )


def json_body(request: Request, definition: str | None = None) -> Any:
    raw = request.get_data()
    if not raw.strip():
        body: Any = {}
    else:
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError(400, "The body is not JSON.", code="invalid_json") from None
    if definition is not None:
        errors = request_errors(definition, body)
        if errors:
            raise ApiError(
                400, f"The body does not match requests.json#/$defs/{definition}.", code="invalid_body", errors=errors
            )
    return body


def int_arg(request: Request, name: str, *, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer.", code="invalid_parameter") from None
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be between {low} and {high}.", code="invalid_parameter")
    return value


def time_arg(request: Request, name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    text = raw.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, f"{name} is not an RFC 3339 date-time.", code="invalid_parameter") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def encode_cursor(kind: str, number: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{number}".encode()).decode().rstrip("=")


def decode_cursor(value: str | None, kind: str) -> int:
    """0 for no cursor; ``ApiError`` 400 for anything this sandbox did not hand out."""
    if not value:
        return 0
    try:
        found_kind, _, number = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode().partition(":")
        if found_kind != kind:
            raise ValueError(found_kind)
        return int(number)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The cursor is not one this store handed out.", code="invalid_cursor") from None
