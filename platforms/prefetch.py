"""Reading the next page while the current one is processed.

A full sync alternates between waiting on the store (a page, then its variable products'
variations) and its own work on that page (hashing, comparing, pushing, saving). Both are mostly
waits on other processes, so overlapping them is nearly free: ``prefetched`` runs a page generator
in a background thread at most ``depth`` pages ahead. Order, values and exceptions are exactly
those of the wrapped generator; closing the consumer (a finished, failed or cancelled job) stops
the reader at its next page. Memory stays flat: at most ``depth`` + 1 pages exist at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetched(pages: Iterator[T], *, depth: int = 1, on_read: Callable[[T], None] | None = None) -> Iterator[T]:
    """Yield what ``pages`` yields, reading up to ``depth`` items ahead in a daemon thread.

    ``on_read`` is called with each item as soon as it is read, in the reading thread, before it
    waits for its turn to be handed on (a full sync starts its id listing once the last page is read:
    ``SyncSource.on_page_read``); what it raises is raised to the consumer, as a read failure is."""
    if depth <= 0:
        yield from _announced(pages, on_read)
        return
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for page in _announced(pages, on_read):
                if not put(page):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put(_Failure(exc))
            return
        finally:
            if stop.is_set():
                close = getattr(pages, "close", None)
                if close is not None:
                    close()
        put(_DONE)

    reader = threading.Thread(target=read, name="page-prefetch", daemon=True)
    reader.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        reader.join(timeout=5)


def _announced(pages: Iterator[T], on_read: Callable[[T], None] | None) -> Iterator[T]:
    for page in pages:
        if on_read is not None:
            on_read(page)
        yield page
