"""What every REST handler shares: the request context, the reply, pagination headers and batch."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request

from sandbox.woocommerce.common import WooError, only_fields, truthy
from sandbox.woocommerce.listing import ListQuery
from sandbox.woocommerce.store import WooStore

BATCH_LIMIT = 100


@dataclass
class Reply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    """One API request: the store, the werkzeug request, the decoded body and the merged parameters."""

    store: WooStore
    request: Request
    body: Any
    path: str

    @property
    def args(self) -> dict[str, str]:
        """Query parameters, then scalar body parameters, as WordPress merges them."""
        merged = {key: str(value) for key, value in self.data.items() if isinstance(value, str | int | float | bool)}
        merged.update({key: value for key, value in self.request.args.items() if key not in merged})
        for key in self.request.args:
            if key.endswith("[]"):
                merged[key[:-2]] = ",".join(self.request.args.getlist(key))
        return merged

    @property
    def data(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}

    @property
    def force(self) -> bool:
        return truthy(self.args.get("force"))


def paginate(ctx: Ctx, query: ListQuery, ids: list[int], render: Callable[[int], dict[str, Any]]) -> Reply:
    """One page plus ``X-WP-Total``, ``X-WP-TotalPages`` and a ``Link`` header with prev/next."""
    total = len(ids)
    pages = math.ceil(total / query.per_page) if total else 0
    if query.fields and set(query.fields) == {"id"}:  # the id-reconcile listing: no need to build records
        items = [{"id": record_id} for record_id in query.window(ids)]
    else:
        items = [only_fields(render(record_id), query.fields) for record_id in query.window(ids)]
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
    base = f"{ctx.store.base_url}/wp-json{ctx.path}"
    params = {k: v for k, v in ctx.request.args.items() if k != "page"}
    links = []
    if query.page > 1 and pages:
        links.append(f'<{base}?{urlencode({**params, "page": min(query.page - 1, pages)})}>; rel="prev"')
    if query.page < pages:
        links.append(f'<{base}?{urlencode({**params, "page": query.page + 1})}>; rel="next"')
    if links:
        headers["Link"] = ", ".join(links)
    return Reply(items, 200, headers)


def batch(
    ctx: Ctx,
    *,
    create: Callable[[dict[str, Any]], dict[str, Any]],
    update: Callable[[int, dict[str, Any]], dict[str, Any]],
    delete: Callable[[int], dict[str, Any]],
) -> Reply:
    """``{"create","update","delete"}`` with at most 100 items in all; a failed item is reported in place."""
    data = ctx.data
    total = sum(len(data.get(part) or []) for part in ("create", "update", "delete"))
    if total > BATCH_LIMIT:
        raise WooError(413, "woocommerce_rest_request_entity_too_large",
                       f"Unable to accept more than {BATCH_LIMIT} items for this request.")  # fmt: skip
    result: dict[str, list[dict[str, Any]]] = {}

    def attempt(record_id: int, action: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        try:
            return action(*args)
        except WooError as error:
            return {"id": record_id, "error": error.as_json()}

    if data.get("create"):
        result["create"] = [attempt(0, create, item) for item in data["create"]]
    if data.get("update"):
        result["update"] = [
            attempt(int(item.get("id") or 0), update, int(item.get("id") or 0), item) for item in data["update"]
        ]
    if data.get("delete"):
        result["delete"] = [attempt(int(rid), delete, int(rid)) for rid in data["delete"]]
    return Reply(result)
