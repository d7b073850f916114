"""JSON from callers the bridge does not control, parsed with a bound on nesting.

``json.loads`` of a document nested a few thousand levels deep raises ``RecursionError`` (a 500),
and one nested a few hundred levels deep parses but breaks whatever walks it recursively later
(serializers, ``plain()``, hashing). No payload of the Ignite contract, of WooCommerce's install
callback or of a webhook is nested more than a handful of levels, so anything deeper than
``MAX_JSON_DEPTH`` is refused as malformed input: a 400 problem, never a 500.
"""

from __future__ import annotations

import json
from typing import Any

#: deepest nesting of arrays/objects accepted in a request body (contract payloads use < 10)
MAX_JSON_DEPTH = 64


class JsonTooDeep(ValueError):
    """The document nests arrays/objects deeper than the bridge accepts."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(f"The JSON document is nested more than {max_depth} levels deep.")
        self.max_depth = max_depth


def json_depth_exceeds(value: Any, max_depth: int) -> bool:
    """True when ``value`` nests lists/dicts more than ``max_depth`` levels (iterative, no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def json_loads_bounded(data: str | bytes | bytearray, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that raises ``JsonTooDeep`` (a ``ValueError``) for over-nested documents."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise JsonTooDeep(max_depth) from None
    if json_depth_exceeds(value, max_depth):
        raise JsonTooDeep(max_depth)
    return value
