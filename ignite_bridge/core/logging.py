"""Structured logging that never prints a secret.

Every record goes through structlog's ``ProcessorFormatter`` (JSON in production, key=value on a
console), so the ``extra={...}`` fields of a log call become fields of the line. A redaction step
masks any field whose name says it holds a secret, wherever it sits, before rendering.
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import structlog
from django.core.exceptions import ImproperlyConfigured

from ignite_bridge.core.correlation import log_processor as correlation_processor

SECRET_FIELD = re.compile(r"(secret|token|password|passwd|authorization|api_key|consumer_key|credential|cookie)", re.I)
REDACTED = "***"


def redact(value: Any) -> Any:
    """Mask values under secret-looking keys, recursively."""
    if isinstance(value, dict):
        return {k: (REDACTED if SECRET_FIELD.search(str(k)) else redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def redact_processor(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key != "event" and SECRET_FIELD.search(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = redact(event_dict[key])
    return event_dict


def level_number(name: str, *, setting: str) -> int:
    """The ``logging`` level called ``name`` (``DEBUG``, ``info``...); a clear error naming ``setting`` for
    anything else, so a mistyped level stops the process at start instead of logging at a surprise level."""
    levels = logging.getLevelNamesMapping()
    level = levels.get(name.strip().upper())
    if level is None or level == logging.NOTSET:
        allowed = ", ".join(sorted((n for n, v in levels.items() if v), key=levels.__getitem__))
        raise ImproperlyConfigured(f"{setting}={name!r} is not a log level; use one of {allowed}")
    return level


_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"})


def extra_fields_processor(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Lift ``extra={...}`` attributes of a stdlib LogRecord into the event dict."""
    record = event_dict.get("_record")
    if record is not None:
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_") and key not in event_dict:
                event_dict[key] = value
    return event_dict


def build_logging(*, level: str = "INFO", fmt: str = "console") -> dict[str, Any]:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            # a plain traceback: the rich one prints every frame's locals, credentials included
            colors=False,
            exception_formatter=structlog.dev.plain_traceback,
        )
    )
    # JSON: the whole traceback as text (``exception``), before redaction turns the exc_info tuple
    # into a list that would render as "<traceback object>"; the console renderer formats its own
    traceback_processors: list[Any] = (
        [structlog.processors.format_exc_info, structlog.processors.StackInfoRenderer()] if fmt == "json" else []
    )
    pre_chain = [
        correlation_processor,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    extra_fields_processor,
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    *traceback_processors,
                    redact_processor,
                    renderer,
                ],
                "foreign_pre_chain": pre_chain,
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "urllib3": {"level": "WARNING"},
            "celery": {"level": level},
        },
    }
