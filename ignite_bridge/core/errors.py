"""Error types shared by every outbound integration (SparkLayer, platforms).

The split that matters is whether waiting can help:

* ``TransientError``: timeouts, connection errors, 5xx, 429 and other "try again later" answers.
  Celery tasks retry these (``autoretry_for=(TransientError,)``) with backoff.
* ``PermanentError``: any other 4xx or bad data. Retrying cannot help; the record becomes a sync
  issue and the run goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ProblemDetail:
    """A parsed RFC 7807 problem (or the best we could make of a non-problem body)."""

    status: int | None = None
    title: str = ""
    detail: str = ""
    type: str = "about:blank"
    errors: list[dict[str, Any]] = field(default_factory=list)
    code: str = ""

    def summary(self) -> str:
        parts = [p for p in (self.title, self.detail) if p]
        for error in self.errors[:5]:
            prop = error.get("property") or error.get("field") or ""
            msg = error.get("message") or error.get("code") or ""
            parts.append(f"{prop}: {msg}" if prop else str(msg))
        return "; ".join(parts) or (f"HTTP {self.status}" if self.status else "error")


class IntegrationError(Exception):
    """Base for errors raised by outbound API clients."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        problem: ProblemDetail | None = None,
        method: str = "",
        url: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.problem = problem or ProblemDetail(status=status, detail=message)
        self.method = method
        self.url = url

    @property
    def code(self) -> str:
        return self.problem.code or (f"http_{self.status}" if self.status else "error")


class TransientError(IntegrationError):
    """A failure that may go away by itself; ``retry_after`` (seconds) says when to try again."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class PermanentError(IntegrationError):
    """A failure that retrying cannot fix (4xx other than 401/409/429, invalid data)."""


class AuthenticationError(PermanentError):
    """Credentials were refused (after the one allowed token refresh)."""
