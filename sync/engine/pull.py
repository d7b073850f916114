"""SparkLayer pulls a full sync page by page (docs/ignite-contract.md §1.4): one live platform page per call.

The ``next_page`` handed to SparkLayer wraps the platform cursor in a signed token
(``django.core.signing``, own salt) that also names the connection and the data type, so a cursor
cannot be forged, edited, or replayed against another connection or type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing

from connections.clients import connection_sync_source
from connections.models import Connection
from connections.selectors import connection_syncs
from platforms.types import DataType

SALT = "ignite-bridge.sync.pull-cursor"


class PullCursorInvalid(Exception):
    """The ``page`` token is forged, edited, expired, or belongs to another connection or type."""


@dataclass(frozen=True)
class PulledPage:
    data: list[dict[str, Any]]
    next_page: str | None


def pull_cursor_sign(*, connection: Connection, data_type: str, cursor: str) -> str:
    return signing.dumps({"c": connection.pk, "t": str(data_type), "p": cursor}, salt=SALT, compress=True)


def pull_cursor_read(*, connection: Connection, data_type: str, token: str) -> str:
    """The platform cursor inside ``token``; raises ``PullCursorInvalid``."""
    try:
        value = signing.loads(token, salt=SALT, max_age=settings.SYNC_PULL_CURSOR_MAX_AGE_SECONDS)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise PullCursorInvalid("The page cursor is not valid.") from exc
    if not isinstance(value, dict) or value.get("c") != connection.pk or value.get("t") != str(data_type):
        raise PullCursorInvalid("The page cursor belongs to another site or data type.")
    cursor = value.get("p")
    if not isinstance(cursor, str) or not cursor:
        raise PullCursorInvalid("The page cursor is not valid.")
    return cursor


def sync_page_pull(*, connection: Connection, data_type: DataType, page: str | None) -> PulledPage:
    """Read one platform page from ``page`` (None: the start); items are the payloads a push sends.

    Records that cannot be pushed (payload None) are left out, as a push would leave them out; a
    data type outside the connection's scope (``customer_sync_scope=none``) answers an empty page.
    Raises ``PullCursorInvalid``, and the adapter's ``TransientError``/``PermanentError``.
    """
    cursor = pull_cursor_read(connection=connection, data_type=data_type, token=page) if page else None
    if not connection_syncs(connection, data_type):
        return PulledPage(data=[], next_page=None)  # out of the connection's scope: nothing is served
    adapter = connection_sync_source(connection)
    pages = adapter.iter_pages(data_type, cursor=cursor)
    try:
        first = next(pages)
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()
    data = [record.payload for record in first.records if record.payload is not None and not record.deleted]
    next_page = (
        pull_cursor_sign(connection=connection, data_type=data_type, cursor=first.next_cursor)
        if first.next_cursor
        else None
    )
    return PulledPage(data=data, next_page=next_page)
