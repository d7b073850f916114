"""Split a stream into fixed-size lists, for SparkLayer's batch endpoints.

``itertools.batched`` arrives in Python 3.12; the bridge runs on 3.11. Lists (not tuples) because
each batch goes straight into a JSON body.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def batched(iterable: Iterable[T], size: int) -> Iterator[list[T]]:
    """Yield lists of ``size`` items (the last may be shorter) without reading ahead of the consumer."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch
