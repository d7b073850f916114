"""Make sure the platform's price lists exist in SparkLayer before pricing refers to them.

Checked once per full product sync, and for incremental pushes once per process, connection and set
of lists wanted: listing price lists is a read, creating one is a write made only when it is missing.

A list whose slug exists with a ``source`` other than the one the bridge creates (``custom``:
made in SparkLayer's dashboard; ``integration``: another integration's) is SparkLayer's: it is
never created, renamed, deleted or written to. The pricing meant for it is left out of every push
(``pricing_without_lists_not_ours``) and one issue on the products type says why, resolved once
the list is ours again (deleted in SparkLayer, so the next sync creates it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from connections.models import Connection
from ignite_bridge.core.errors import PermanentError
from platforms.base import SyncSource
from platforms.types import DataType, RecordIssue, SyncRecord
from sparklayer.client import SparkLayerClient
from sync.engine.issues import issues_record, issues_resolve

logger = logging.getLogger(__name__)

#: the issue opened (on the products type, external id ``price-list:<slug>``) for a list owned elsewhere
PRICE_LIST_NOT_OURS = "price_list_not_ours"
#: the ``source`` the bridge creates lists with when the adapter's payload names none
DEFAULT_SOURCE = "platform"

#: connection → the price-list slugs checked in SparkLayer (this process): created, or found
_ready: dict[int, frozenset[str]] = {}
_not_ours: dict[int, dict[str, str]] = {}  # connection id -> slug -> the source SparkLayer has for it
_lock = threading.Lock()


def price_lists_ensure(
    *, connection_id: int, client: SparkLayerClient, adapter: SyncSource, force: bool = False
) -> int:
    """Create the adapter's price lists SparkLayer lacks; returns how many were created.

    Checked again whenever the lists the adapter wants are not the ones known to exist (the store's
    currency changed), so no process keeps writing prices into a list SparkLayer does not have. A
    slug that exists with another ``source`` is left alone and remembered (see the module
    docstring); a listing row without ``source`` is taken as ours (SparkLayer always sends it)."""
    wanted = adapter.price_lists()
    slugs = frozenset(str(payload["slug"]) for payload in wanted)
    with _lock:
        if not force and slugs <= _ready.get(connection_id, frozenset()):
            return 0
    existing = {row.get("slug"): row for row in client.iter_price_lists()}
    created = 0
    not_ours: dict[str, str] = {}
    for payload in wanted:
        row = existing.get(payload["slug"])
        if row is not None:
            source = row.get("source")
            if source and source != payload.get("source", DEFAULT_SOURCE):
                not_ours[payload["slug"]] = str(source)
            continue
        try:
            client.create_price_list(payload)
        except PermanentError as exc:
            if exc.status != 422:  # 422 already_exists: a concurrent run created it
                raise
        created += 1
        logger.info("price list created", extra={"connection": connection_id, "slug": payload["slug"]})
    _report_lists_not_ours(connection_id, [payload["slug"] for payload in wanted], not_ours)
    with _lock:
        _not_ours[connection_id] = not_ours
        _ready[connection_id] = slugs
    return created


def price_lists_forget(*, connection_id: int) -> None:
    """Next push checks again (a pricing write was refused for an unknown list)."""
    with _lock:
        _ready.pop(connection_id, None)


def price_lists_not_ours(*, connection_id: int) -> dict[str, str]:
    """Slug → source of the adapter's lists SparkLayer owns, as the last ensure found them."""
    with _lock:
        return dict(_not_ours.get(connection_id, {}))


def pricing_without_lists_not_ours(
    *, connection_id: int, client: SparkLayerClient, adapter: SyncSource, records: Sequence[SyncRecord]
) -> int:
    """Drop from ``records`` the pricing items for lists SparkLayer owns; returns how many were dropped.

    Runs before the records are hashed, so the pricing the bridge never sends is not recorded as
    sent either: once the list is the bridge's again, the prices differ from the stored hash and go."""
    if not any(record.pricing for record in records):
        return 0
    price_lists_ensure(connection_id=connection_id, client=client, adapter=adapter)
    not_ours = price_lists_not_ours(connection_id=connection_id)
    if not not_ours:
        return 0
    dropped = 0
    for record in records:
        kept = [item for item in record.pricing if item.get("price_list_slug") not in not_ours]
        dropped += len(record.pricing) - len(kept)
        record.pricing = kept
    return dropped


def price_list_issue_id(slug: str) -> str:
    return f"price-list:{slug}"


def _report_lists_not_ours(connection_id: int, slugs: list[str], not_ours: dict[str, str]) -> None:
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return
    issues = [
        RecordIssue(
            external_id=price_list_issue_id(slug),
            code=PRICE_LIST_NOT_OURS,
            message=(
                f"SparkLayer already has a price list {slug!r} with source {source!r}: it is managed in "
                "SparkLayer's dashboard, so the bridge never writes to it and the store's prices are not sent. "
                "Delete that list in SparkLayer and the next product sync creates the store's own."
            ),
            visible_id=slug,
        )
        for slug, source in not_ours.items()
    ]
    issues_record(connection=connection, data_type=DataType.PRODUCTS, issues=issues)
    current = {price_list_issue_id(slug): ({PRICE_LIST_NOT_OURS} if slug in not_ours else set()) for slug in slugs}
    issues_resolve(connection=connection, data_type=DataType.PRODUCTS, current=current)
