"""Make sure the stock locations a connection's stock rows name exist in SparkLayer.

SparkLayer answers 400 to a ``batch-update-stock`` naming a location it does not have, so before
the first stock write of a connection (per process), at the start of every full product sync
(``force``), and once after a stock write refused for its location, the adapter's locations are
checked: ``GET /api/v1/stock-locations`` (a read), ``POST`` for a missing one (409: another worker
created it, fine), ``PATCH`` when the store renamed it. Nothing is ever deleted: a location
SparkLayer holds stock at is the merchant's to remove.
"""

from __future__ import annotations

import logging
import threading

from ignite_bridge.core.errors import AuthenticationError, IntegrationError, PermanentError
from platforms.base import SyncSource
from sparklayer.client import SparkLayerClient
from sparklayer.payloads import StockLocation

logger = logging.getLogger(__name__)

_ready: set[int] = set()
_lock = threading.Lock()


def stock_locations_ensure(
    *, connection_id: int, client: SparkLayerClient, adapter: SyncSource, force: bool = False
) -> int:
    """Create the adapter's locations SparkLayer lacks and rename changed ones; returns how many were written.

    Checked once per process and connection unless ``force``. Transient and authentication errors
    are raised; any other refusal is logged and left to the stock writes, whose 400s become
    per-record issues, rather than failing every write of the sync."""
    with _lock:
        if connection_id in _ready and not force:
            return 0
    try:
        written = _ensure(connection_id, client, adapter)
    except AuthenticationError:
        raise
    except PermanentError as exc:
        logger.warning(
            "stock locations could not be ensured", extra={"connection": connection_id, "status": exc.status}
        )
        written = 0
    with _lock:
        _ready.add(connection_id)
    return written


def _ensure(connection_id: int, client: SparkLayerClient, adapter: SyncSource) -> int:
    existing = {str(row.get("external_id")): row for row in client.list_stock_locations()}
    written = 0
    for location in adapter.stock_locations():
        payload: StockLocation = {"external_id": str(location["external_id"]), "name": str(location["name"])}
        extra = {"connection": connection_id, "location": payload["external_id"]}
        found = existing.get(payload["external_id"])
        if found is None:
            if client.create_stock_location(payload):
                written += 1
                logger.info("stock location created", extra=extra)
        elif found.get("name") != payload["name"]:
            client.update_stock_location(str(found.get("id") or payload["external_id"]), payload)
            written += 1
            logger.info("stock location renamed", extra=extra)
    return written


def stock_locations_forget(*, connection_id: int) -> None:
    """The next stock write checks again (SparkLayer refused a row for its location)."""
    with _lock:
        _ready.discard(connection_id)


def refused_for_stock_location(error: IntegrationError) -> bool:
    """A 400 to a stock write that names the location (SparkLayer: unknown ``stock_location_external_id``)."""
    if error.status != 400:
        return False
    problem = error.problem
    properties = [str(e.get("property") or e.get("field") or "") for e in problem.errors]
    if any("stock_location" in prop for prop in properties):
        return True
    return "location" in f"{problem.title} {problem.detail}".lower()
