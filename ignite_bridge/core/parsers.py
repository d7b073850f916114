"""DRF's JSON parser with the bridge's input limits (``DEFAULT_PARSER_CLASSES``).

It reads at most ``IGNITE_MAX_BODY_BYTES`` (more is a ``413`` problem, whatever the declared
length said; the middleware in ``ignite_bridge/core/body_limits.py`` has usually answered
already) and refuses JSON nested deeper than ``jsonlimits.MAX_JSON_DEPTH`` (a ``400`` problem).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

from ignite_bridge.core.jsonlimits import JsonTooDeep, json_loads_bounded


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, reading at most ``IGNITE_MAX_BODY_BYTES`` and refusing over-nested JSON."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        limit = int(settings.IGNITE_MAX_BODY_BYTES)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(f"The request body is larger than {limit} bytes.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json_loads_bounded(raw.decode(encoding))
        except JsonTooDeep as exc:
            raise exceptions.ParseError(str(exc)) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
