"""HTTP client for one store's Platform API (``{base}`` = the connection's ``store_url``).

The API is this project's own (``docs/platform-api.md``): bearer-token auth, RFC 7807 problem
bodies with a ``code`` for the documented errors, ``{"data", "next_cursor"}`` pages. Everything
HTTP-generic (timeouts, retries, ``Retry-After``, logging, error mapping) comes from
``HttpClientBase``; this adds the token, refuses to send it over plain HTTP, and says which answers
are worth retrying.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from ignite_bridge.core.errors import AuthenticationError, PermanentError
from ignite_bridge.core.http import HttpClientBase

#: largest ``limit`` the API promises to accept on record listings (ids listings take 1000)
MAX_LIMIT = 250
IDS_LIMIT = 1000


class InsecureStoreUrlError(PermanentError):
    """The base URL is plain ``http://`` and insecure transport was not explicitly allowed."""


def ensure_base_url(base_url: str, *, allow_insecure_http: bool) -> str:
    """The normalised base URL, or a refusal before any request (the token must not travel in clear)."""
    url = (base_url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PermanentError(f"Platform API URL {base_url!r} is not an absolute http(s) URL", status=None)
    if parts.scheme == "http" and not allow_insecure_http:
        raise InsecureStoreUrlError(
            f"Platform API URL {url} uses plain HTTP; the API token would travel unencrypted. "
            "Use https:// (plain http is only allowed for hosts in IGNITE_ALLOWED_PLATFORM_HOSTS)."
        )
    return url


def path_id(record_id: str) -> str:
    """A record id as one path segment (ids are URL-safe by the schema; a bad one must not escape)."""
    return quote(str(record_id), safe="")


@dataclass(frozen=True)
class Listing:
    """One page of a listing: its items and the platform's cursor for the next (None: last page)."""

    items: list[Any]
    next_cursor: str | None
    total: int | None = None


class StandardClient(HttpClientBase):
    service_name = "platform-api"

    def __init__(self, base_url: str, *, api_token: str, allow_insecure_http: bool = False, **kwargs: Any) -> None:
        self.api_token = api_token
        super().__init__(ensure_base_url(base_url, allow_insecure_http=allow_insecure_http), **kwargs)

    # -- HttpClientBase hooks ----------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_token}"}

    def is_retryable_status(self, response: requests.Response) -> bool:
        # 501 means "not implemented": waiting does not implement it.
        status = response.status_code
        return status == 429 or (status >= 500 and status != 501)

    def handle_response(
        self,
        response: requests.Response,
        *,
        attempt: int,
        attempts: int,
        method: str,
        path: str,
        retry_statuses: Collection[int] | None = None,
    ) -> float | None:
        """A refused token becomes ``AuthenticationError`` so callers can tell it apart."""
        if response.status_code in (401, 403):
            problem = self.parse_problem(response)
            raise AuthenticationError(
                f"{self.service_name} {method} {path}: {response.status_code} {problem.summary()}",
                status=response.status_code,
                problem=problem,
                method=method,
                url=path,
            )
        return super().handle_response(
            response, attempt=attempt, attempts=attempts, method=method, path=path, retry_statuses=retry_statuses
        )

    # -- convenience -------------------------------------------------------------------------

    def get_json(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return self._json(self.request("GET", path, params=params), "GET", path)

    def get_or_none(self, path: str) -> Any:
        """GET one record; None when the platform answers 404 (the record is gone)."""
        try:
            return self.get_json(path)
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise

    def send_json(self, method: str, path: str, *, body: Any = None, headers: Mapping[str, str] | None = None) -> Any:
        """POST/PUT/PATCH/DELETE; the decoded body, or None when the answer has none (204)."""
        response = self.request(method, path, json_body=body, headers=headers)
        return self._json(response, method, path) if response.content else None

    def list_page(
        self, path: str, *, cursor: str | None, limit: int, params: Mapping[str, Any] | None = None
    ) -> Listing:
        query = {**(params or {}), "limit": limit}
        if cursor:
            query["cursor"] = cursor
        body = self.get_json(path, params=query)
        if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
            raise PermanentError(f"{self.service_name} GET {path}: expected {{data: [...], next_cursor}}")
        following = body.get("next_cursor")
        if following is not None and not isinstance(following, str):
            raise PermanentError(f"{self.service_name} GET {path}: next_cursor is not a string or null")
        total = body.get("total")
        return Listing(
            items=list(body["data"]),
            next_cursor=following or None,
            total=total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else None,
        )

    def iter_listing(self, path: str, *, limit: int, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a listing, one page in memory at a time."""
        cursor: str | None = None
        while True:
            page = self.list_page(path, cursor=cursor, limit=limit, params=params)
            yield from page.items
            if page.next_cursor is None:
                return
            if page.next_cursor == cursor:
                raise PermanentError(f"{self.service_name} GET {path}: next_cursor repeats the cursor asked for")
            cursor = page.next_cursor

    def _json(self, response: requests.Response, method: str, path: str) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise PermanentError(f"{self.service_name} {method} {path}: the answer is not JSON") from exc
