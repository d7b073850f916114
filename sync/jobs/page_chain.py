"""Pages of a full sync pushed side by side, committed in page order.

A page's push has a head (load the rows, plan, claim), its SparkLayer writes, and a tail (the last
writes' rows, issues, the checkpoint); head and tail keep no write in flight. With
``SYNC_PAGES_IN_FLIGHT`` above 1 the next page's head and writes run while a page's tail completes,
each page in a thread of its own, with its own database connection. What stays exact:

- **Checkpoints in page order.** A page's final transaction (the one that stores its checkpoint)
  starts only once the page before it has committed: ``wait_turn`` is called before that
  transaction opens, never inside it, so no page holds rows while it waits for another (no lock
  cycle across the two database connections). A page after one that did not commit never commits:
  its writes are saved (their ``RecordState`` rows), its checkpoint is not, so a resumed job reads
  it again and skips what SparkLayer already accepted.
- **Per-record order** is the write path's own, as between a full sync and webhooks: record locks
  (one writer at a time) and read versions (the later read wins) order a record listed on two pages.
- **The caller's thread** reads and resolves pages in order (the SKU map for duplicate detection is
  filled there), waits for a free place before handing on the next page (at most ``depth`` pages in
  memory), and sees each page's result in page order (``submit`` returns those that finished).
- **Nothing outlives the chain**: leaving it, with or without an error, waits for every page thread;
  a page's error is raised in the caller's thread after the pages before it finished.

Inside a transaction (a test's ``db`` fixture) another thread could not see the caller's uncommitted
rows, and SQLite takes one writer at a time: there, and with a depth of 1, pages run one after the
other on the caller's thread.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import connection as db
from django.db import connections

from ignite_bridge.core.threads import in_submitter_context

T = TypeVar("T")

#: a page's push: called with ``wait_turn`` (call it just before the final transaction)
PagePush = Callable[[Callable[[], None]], T]


class PageAbandoned(Exception):
    """The page before this one did not commit, so this one must not store its checkpoint."""


@dataclass(eq=False)
class _Slot(Generic[T]):
    push: PagePush[T]
    previous: _Slot[T] | None
    done: threading.Event = field(default_factory=threading.Event)
    result: T | None = None
    error: BaseException | None = None
    committed: Callable[[T], bool] = field(default=lambda _result: True)

    def wait_turn(self) -> None:
        previous = self.previous
        if previous is None:
            return
        previous.done.wait()
        if previous.error is not None or not previous.committed(previous.result):  # type: ignore[arg-type]
            raise PageAbandoned("the page before this one did not commit")


def _pushed(_wait_turn: Callable[[], None]) -> Any:
    raise RuntimeError("a page is pushed once")


def pages_threaded(depth: int) -> bool:
    """Whether pages can run in threads of their own here (see the module docstring)."""
    return depth > 1 and db.vendor == "postgresql" and not db.in_atomic_block


class PageChain(Generic[T]):
    """Run page pushes ``depth`` at a time, in threads, committing in order (module docstring).

    ``committed(result)`` says whether a page's result let the next page commit after it (a job
    that is no longer ours stops the chain)."""

    def __init__(self, depth: int, *, committed: Callable[[T], bool] = lambda _result: True) -> None:
        self.threaded = pages_threaded(depth)
        self.depth = depth if self.threaded else 1
        self.committed = committed
        self.in_flight: deque[_Slot[T]] = deque()
        self.last: _Slot[T] | None = None
        self.todo: queue.SimpleQueue[_Slot[T] | None] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> PageChain[T]:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            for slot in self.in_flight:
                slot.done.wait()
        finally:
            for _ in self.threads:
                self.todo.put(None)
            for thread in self.threads:
                thread.join()

    def submit(self, push: PagePush[T]) -> list[T]:
        """Start ``push`` once there is room; returns the results of the pages that finished before it
        (in page order). Raises the first page error, after the pages in flight have finished."""
        finished = []
        while len(self.in_flight) >= self.depth:
            finished.append(self._oldest())
            if not self.committed(finished[-1]):
                return finished  # the chain stops here: ``push`` is not started
        slot: _Slot[T] = _Slot(push=push, previous=self.last, committed=self.committed)
        self.last = slot
        if not self.threaded:
            self._run(slot)
            self.in_flight.append(slot)
            finished.append(self._oldest())
            return finished
        if len(self.threads) < self.depth:
            thread = threading.Thread(target=self._work, name=f"page-{len(self.threads)}", daemon=True)
            thread.start()
            self.threads.append(thread)
        self.in_flight.append(slot)
        slot.push = in_submitter_context(push)
        self.todo.put(slot)
        return finished

    def drain(self) -> list[T]:
        """Wait for every page in flight; their results in page order (raises as ``submit`` does)."""
        finished = []
        while self.in_flight:
            finished.append(self._oldest())
        return finished

    def _oldest(self) -> T:
        slot = self.in_flight[0]
        slot.done.wait()
        self.in_flight.popleft()
        if slot.error is not None or not self.committed(slot.result):  # type: ignore[arg-type]
            for later in self.in_flight:  # they cannot commit now; let them end first
                later.done.wait()
            self.in_flight.clear()
            if slot.error is not None:
                raise slot.error
        return slot.result  # type: ignore[return-value]

    def _work(self) -> None:
        try:
            while (slot := self.todo.get()) is not None:
                self._run(slot)
        finally:
            connections.close_all()  # this thread's connections only

    @staticmethod
    def _run(slot: _Slot[T]) -> None:
        try:
            slot.result = slot.push(slot.wait_turn)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            slot.error = exc
        finally:
            # let the page (held by ``push``) and the slots before it go: only one page's worth each
            slot.push, slot.previous = _pushed, None
            slot.done.set()
