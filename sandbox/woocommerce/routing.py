"""The route table type REST modules export and the app turns into a werkzeug ``Map``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.woocommerce.rest import Ctx, Reply

Handler = Callable[..., Reply]


@dataclass(frozen=True)
class Route:
    path: str  # after /wc/v3, werkzeug syntax
    methods: tuple[str, ...]
    action: str  # list | view | create | edit | delete | batch: picks the "cannot ..." auth error
    handler: Handler


def call(route: Route, ctx: Ctx, params: Mapping[str, Any]) -> Reply:
    return route.handler(ctx, **params)
