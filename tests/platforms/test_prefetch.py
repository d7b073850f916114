"""``prefetched``: same items, order and errors as the wrapped generator, one page ahead at most."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from platforms.prefetch import prefetched


def test_yields_every_item_in_order() -> None:
    assert list(prefetched(iter(range(50)), depth=2)) == list(range(50))
    assert list(prefetched(iter([]), depth=1)) == []
    assert list(prefetched(iter("abc"), depth=0)) == ["a", "b", "c"]  # 0: no thread at all


def test_reads_ahead_while_the_consumer_works_but_no_further_than_depth() -> None:
    produced: list[int] = []

    def pages() -> Iterator[int]:
        for i in range(10):
            produced.append(i)
            yield i

    it = prefetched(pages(), depth=1)
    assert next(it) == 0
    time.sleep(0.3)  # the consumer "works" on page 0
    # page 1 is ready in the hand-off, page 2 read and waiting to be handed over; no more
    assert produced == [0, 1, 2]
    assert list(it) == list(range(1, 10))


def test_an_error_reaches_the_consumer_after_the_pages_before_it() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("store answered 500 on page 3")

    it = prefetched(pages(), depth=1)
    assert [next(it), next(it)] == [1, 2]
    with pytest.raises(ValueError, match="page 3"):
        next(it)


def test_closing_the_consumer_stops_the_reader_and_closes_the_source() -> None:
    closed = threading.Event()
    produced: list[int] = []

    def pages() -> Iterator[int]:
        try:
            for i in range(1000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    it = prefetched(pages(), depth=1)
    assert next(it) == 0
    it.close()  # a cancelled or failed job
    assert closed.wait(2)
    assert len(produced) <= 3
    assert not [t for t in threading.enumerate() if t.name == "page-prefetch" and t.is_alive()]


def test_on_read_hears_of_each_item_as_it_is_read_before_the_consumer_takes_it() -> None:
    """Read ahead: the reader announces pages 1 and 2 while the consumer still holds page 0."""
    announced: list[tuple[int, str]] = []
    it = prefetched(iter(range(5)), depth=1, on_read=lambda i: announced.append((i, threading.current_thread().name)))
    assert next(it) == 0
    deadline = time.monotonic() + 5
    while len(announced) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert announced == [(0, "page-prefetch"), (1, "page-prefetch"), (2, "page-prefetch")]
    assert list(it) == [1, 2, 3, 4]
    assert [i for i, _thread in announced] == [0, 1, 2, 3, 4]


def test_on_read_without_a_thread_and_its_failure_reaching_the_consumer() -> None:
    announced: list[int] = []
    assert list(prefetched(iter("ab"), depth=0, on_read=announced.append)) == ["a", "b"]
    assert announced == ["a", "b"]

    def refuse(item: int) -> None:
        if item == 2:
            raise RuntimeError("no listing for you")

    it = prefetched(iter(range(5)), depth=1, on_read=refuse)
    assert [next(it), next(it)] == [0, 1]
    with pytest.raises(RuntimeError, match="no listing"):
        next(it)
