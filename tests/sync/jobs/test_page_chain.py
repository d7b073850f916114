"""Pages pushed side by side (``sync/jobs/page_chain.py``): commits stay in page order, nothing commits
after a page that did not, errors reach the caller, and no page thread outlives the chain."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.jobs.page_chain import PageAbandoned, PageChain


class Boom(Exception):
    pass


#: one page: how long its head/writes take before it asks for its turn (ms), how long its final
#: transaction takes (ms), and how it ends
pages_strategy = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 3), st.sampled_from(["ok", "ok", "ok", "ok", "error", "not ours"])),
    min_size=1,
    max_size=12,
)


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.commits: list[int] = []
        self.started: list[int] = []
        self.running = 0
        self.most_running = 0
        self.threads: set[str] = set()

    def push(self, index: int, head_ms: int, final_ms: int, end: str) -> Callable[[Callable[[], None]], bool]:
        def run(wait_turn: Callable[[], None]) -> bool:
            with self.lock:
                self.started.append(index)
                self.running += 1
                self.most_running = max(self.most_running, self.running)
                self.threads.add(threading.current_thread().name)
            try:
                time.sleep(head_ms / 1000)  # head and writes: no turn needed
                if end == "error":
                    raise Boom(index)
                wait_turn()
                time.sleep(final_ms / 1000)  # the final transaction
                if end == "not ours":
                    return False  # its checkpoint matched no row: the job was taken over
                with self.lock:
                    self.commits.append(index)
                return True
            finally:
                with self.lock:
                    self.running -= 1

        return run


def drive(depth: int, pages: list[tuple[int, int, str]], recorder: Recorder) -> tuple[list[bool], BaseException | None]:
    """What ``_push_pages`` does: submit in order, stop at the first page not committed or failed."""
    seen: list[bool] = []
    try:
        with PageChain[bool](depth, committed=bool) as chain:
            for index, (head_ms, final_ms, end) in enumerate(pages):
                seen.extend(chain.submit(recorder.push(index, head_ms, final_ms, end)))
                if seen and not seen[-1]:
                    return seen, None
            seen.extend(chain.drain())
    except (Boom, PageAbandoned) as exc:
        return seen, exc
    return seen, None


def check(depth: int, pages: list[tuple[int, int, str]], recorder: Recorder, seen: list[bool], error: Any) -> None:
    first_bad = next((i for i, (_h, _f, end) in enumerate(pages) if end != "ok"), len(pages))
    # Every page before the first bad one committed, in page order; none after it.
    assert recorder.commits == list(range(first_bad))
    # The caller saw the results in page order, and learned of the first bad page, never a later one.
    if first_bad < len(pages) and pages[first_bad][2] == "error":
        assert isinstance(error, Boom)
        assert error.args == (first_bad,)
        assert seen == [True] * len(seen)
        assert len(seen) <= first_bad
    elif first_bad < len(pages):
        assert error is None
        assert seen == [True] * first_bad + [False]
    else:
        assert error is None
        assert seen == [True] * len(pages)
    # Never more pages at once than the depth; nothing started once the caller knew of a bad page.
    assert recorder.most_running <= depth
    assert max(recorder.started) <= first_bad + depth - 1
    assert not [t for t in threading.enumerate() if t.name.startswith("page-")]


@pytest.mark.django_db(transaction=True)  # outside a transaction: the pages run in threads of their own
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=st.integers(1, 3), pages=pages_strategy)
def test_pages_commit_in_order_and_stop_at_the_first_that_did_not(depth: int, pages: list[Any]) -> None:
    recorder = Recorder()
    seen, error = drive(depth, pages, recorder)
    check(depth, pages, recorder, seen, error)
    if depth > 1 and len(pages) > 1:
        assert recorder.threads <= {f"page-{n}" for n in range(depth)}


@pytest.mark.django_db(transaction=True)
def test_a_later_page_finishing_first_waits_for_the_earlier_ones_commit() -> None:
    recorder = Recorder()
    pages = [(60, 0, "ok"), (0, 0, "ok"), (0, 0, "ok")]
    seen, error = drive(2, pages, recorder)
    assert error is None
    assert seen == [True, True, True]
    assert recorder.commits == [0, 1, 2]
    assert recorder.most_running == 2  # page 1 ran (and waited) while page 0 was still writing


@pytest.mark.django_db  # inside the test's transaction: another thread could not see its rows
def test_inside_a_transaction_pages_run_one_at_a_time_on_the_callers_thread() -> None:
    recorder = Recorder()
    seen, error = drive(2, [(1, 0, "ok"), (0, 0, "ok"), (0, 0, "error"), (0, 0, "ok")], recorder)
    assert isinstance(error, Boom)
    assert seen == [True, True]
    assert recorder.commits == [0, 1]
    assert recorder.started == [0, 1, 2]
    assert recorder.threads == {threading.current_thread().name}
    assert recorder.most_running == 1


@pytest.mark.django_db(transaction=True)
def test_an_error_in_the_callers_thread_still_waits_for_the_pages_in_flight() -> None:
    recorder = Recorder()

    def read_two_pages_then_fail() -> None:
        with PageChain[bool](2, committed=bool) as chain:
            chain.submit(recorder.push(0, 30, 0, "ok"))
            chain.submit(recorder.push(1, 0, 0, "ok"))
            raise RuntimeError("the listing could not be read")

    with pytest.raises(RuntimeError, match="could not be read"):
        read_two_pages_then_fail()
    assert recorder.commits == [0, 1]
    assert recorder.running == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("page-")]
