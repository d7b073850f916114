"""The reading half of the sandbox's Platform API: discovery, settings, listings, ids, single records."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

from sandbox.standard.api import ApiError, Reply, decode_cursor, encode_cursor, int_arg, time_arg

if TYPE_CHECKING:
    from sandbox.standard.app import StandardSandbox


def discovery(app: StandardSandbox, request: Request) -> Reply:
    return Reply({"api_version": "1", "name": app.name, "capabilities": list(app.store.capabilities)})


def settings(app: StandardSandbox, request: Request) -> Reply:
    return Reply(
        {
            "name": app.name,
            "currency": app.store.currency,
            "prices_include_tax": app.prices_include_tax,
            "weight_unit": "kg",
        }
    )


def listing(app: StandardSandbox, request: Request, resource: str) -> Reply:
    """Keyset paging on the creation sequence: the cursor names the last record handed out, so
    records added or removed before it cannot shift what comes next. With the ``cursor`` fault
    (``broken``) it is an offset instead, the classic unstable cursor."""
    limit = int_arg(request, "limit", default=100, low=1, high=250)
    after = time_arg(request, "updated_after")
    table = app.store.tables[resource]
    offset_paging = "cursor" in app.broken
    position = decode_cursor(request.args.get("cursor"), "offset" if offset_paging else "after")
    ids: Iterator[str] = table.after(0 if offset_paging else position)
    if after is not None:
        ids = (record_id for record_id in ids if table.updated[record_id] >= after)
    if offset_paging:
        ids = itertools.islice(ids, position, None)
    page = list(itertools.islice(ids, limit + 1))
    more, page = len(page) > limit, page[:limit]
    data = [render(app, resource, record_id) for record_id in page]
    if not more:
        following = None
    elif offset_paging:
        following = encode_cursor("offset", position + len(page))
    else:
        following = encode_cursor("after", table.seq[page[-1]])
    return Reply({"data": data, "next_cursor": following, "total": total(app, resource, after)})


def total(app: StandardSandbox, resource: str, after: Any) -> int:
    """How many records the listing holds now (with its ``updated_after`` filter)."""
    table = app.store.tables[resource]
    if after is None:
        return len(table.records)
    return sum(1 for when in table.updated.values() if when >= after)


def render(app: StandardSandbox, resource: str, record_id: str) -> dict[str, Any]:
    record = app.store.render(resource, record_id)
    if "schema" in app.broken and resource == "products":  # a platform that drifted from the schema
        record.pop("updated_at", None)
        for variant in record["variants"]:
            if variant.get("price") is not None:
                variant["price"] = float(variant["price"])
    return record


def ids(app: StandardSandbox, request: Request, resource: str) -> Reply:
    limit = int_arg(request, "limit", default=1000, low=1, high=1000)
    table = app.store.tables[resource]
    position = decode_cursor(request.args.get("cursor"), "ids")
    page = list(itertools.islice(table.after(position), limit + 1))
    more, page = len(page) > limit, page[:limit]
    if "ids" in app.broken and not more and page:  # a platform whose id listing forgets the newest record
        page = page[:-1]
    return Reply({"data": page, "next_cursor": encode_cursor("ids", table.seq[page[-1]]) if more else None})


def record(app: StandardSandbox, request: Request, resource: str, record_id: str) -> Reply:
    if app.store.get(resource, record_id) is None:
        raise ApiError(404, f"No {resource[:-1]} {record_id}.", code="not_found")
    return Reply(render(app, resource, record_id))
