"""Make sure the platform's price lists exist in SparkLayer before pricing refers to them.

Checked once per full product sync, and for incremental pushes once per process, connection and set
of lists wanted: listing price lists is a read, creating one is a write made only when it is missing.
"""

from __future__ import annotations

import logging
import threading

from ignite_bridge.core.errors import PermanentError
from platforms.base import PlatformAdapter
from sparklayer.client import SparkLayerClient

logger = logging.getLogger(__name__)

#: connection → the price-list slugs known to exist in SparkLayer (this process)
_ready: dict[int, frozenset[str]] = {}
_lock = threading.Lock()


def price_lists_ensure(
    *, connection_id: int, client: SparkLayerClient, adapter: PlatformAdapter, force: bool = False
) -> int:
    """Create the adapter's price lists SparkLayer lacks; returns how many were created.

    Checked again whenever the lists the adapter wants are not the ones known to exist (the store's
    currency changed), so no process keeps writing prices into a list SparkLayer does not have."""
    wanted = adapter.price_lists()
    slugs = frozenset(str(payload["slug"]) for payload in wanted)
    with _lock:
        if not force and slugs <= _ready.get(connection_id, frozenset()):
            return 0
    existing = {row.get("slug") for row in client.iter_price_lists()}
    created = 0
    for payload in wanted:
        if payload["slug"] in existing:
            continue
        try:
            client.create_price_list(payload)  # type: ignore[arg-type]
        except PermanentError as exc:
            if exc.status != 422:  # 422 already_exists: a concurrent run created it
                raise
        created += 1
        logger.info("price list created", extra={"connection": connection_id, "slug": payload["slug"]})
    with _lock:
        _ready[connection_id] = slugs
    return created


def price_lists_forget(*, connection_id: int) -> None:
    """Next push checks again (a pricing write was refused for an unknown list)."""
    with _lock:
        _ready.pop(connection_id, None)
