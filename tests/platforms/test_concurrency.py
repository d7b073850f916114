"""The AIMD limiter of store reads (``platforms/concurrency.py``), driven with chosen latencies."""

from __future__ import annotations

import contextlib
import threading

from platforms.concurrency import MIN_WINDOW, PROBE_WINDOWS, AIMDLimiter


def calls(limiter: AIMDLimiter, n: int, latency: float, kind: str = "listing") -> None:
    """``n`` calls of ``latency``, as many at once as the limit allows (the sync has work queued)."""
    while n > 0:
        batch = min(n, limiter.limit)
        for _ in range(batch):
            limiter.acquire()
        for _ in range(batch):
            limiter.release(kind, latency)
        n -= batch


def one_at_a_time(limiter: AIMDLimiter, n: int, latency: float, kind: str = "listing") -> None:
    for _ in range(n):
        limiter.acquire()
        limiter.release(kind, latency)


def test_it_starts_at_two_or_the_maximum_if_lower() -> None:
    assert AIMDLimiter(maximum=4).limit == 2
    assert AIMDLimiter(maximum=1).limit == 1
    assert AIMDLimiter(maximum=0).limit == 1  # never below one


def test_flat_latency_adds_one_per_window_up_to_the_maximum() -> None:
    limiter = AIMDLimiter(maximum=4)
    calls(limiter, MIN_WINDOW, 0.010)
    assert limiter.limit == 3
    calls(limiter, MIN_WINDOW, 0.011)
    assert limiter.limit == 4
    calls(limiter, 5 * MIN_WINDOW, 0.010)
    assert limiter.limit == 4  # never above the maximum
    assert limiter.changes == [3, 4]


def test_a_limit_the_calls_never_fill_is_not_raised() -> None:
    limiter = AIMDLimiter(maximum=8)
    one_at_a_time(limiter, 10 * MIN_WINDOW, 0.010)  # flat, but never two at once
    assert limiter.limit == 2
    calls(limiter, MIN_WINDOW, 0.010)  # now the work fills it
    assert limiter.limit == 3


def test_after_a_refusal_it_settles_below_the_limit_refused_and_probes_above_it_rarely() -> None:
    limiter = AIMDLimiter(maximum=8, limit=5)
    for _ in range(5):
        limiter.acquire()
    limiter.release("listing", None, overloaded=True)  # the store refused the fifth call at once
    for _ in range(4):
        limiter.release("listing", 0.010)
    assert limiter.limit == 2
    calls(limiter, 10 * MIN_WINDOW, 0.010)  # flat: back up, but not past 4
    assert limiter.limit == 4
    calls(limiter, PROBE_WINDOWS * 4, 0.010)  # a long flat stretch at 4: one probe above
    assert limiter.limit == 5


def test_latency_rising_past_twice_the_best_halves_until_a_cut_no_longer_relieves_it() -> None:
    limiter = AIMDLimiter(maximum=8, limit=8)
    calls(limiter, 8, 0.010)  # best 10 ms, flat: stays at the maximum
    calls(limiter, 8, 0.040)  # 4x the best
    assert limiter.limit == 4
    calls(limiter, 4, 0.025)  # 2.5x: the cut relieved it (at most RELIEF of 4x), but still rising
    assert limiter.limit == 2
    calls(limiter, 4, 0.024)  # 2.4x: halving again did not relieve it, the store is just slower now
    assert limiter.limit == 4  # that cut is undone
    assert limiter.best["listing"] > 0.020  # and the baseline moved to the store's new pace
    calls(limiter, 4, 0.024)  # flat against it: growth resumes
    assert limiter.limit == 5
    assert limiter.changes == [4, 2, 4, 5]


def test_latency_a_cut_does_not_relieve_undoes_the_cut_and_moves_the_baseline() -> None:
    """A store that is three times slower for everyone (or deeper in its listing) is not cut to 1:
    the first cut does not bring the latency down, so it is undone and the new pace is the baseline."""
    limiter = AIMDLimiter(maximum=8, limit=8)
    calls(limiter, 8, 0.010)
    calls(limiter, 8, 0.030)
    assert limiter.limit == 4
    calls(limiter, 4, 0.030)  # no better at 4: the cut is undone
    assert limiter.limit == 8
    calls(limiter, 40, 0.030)
    assert limiter.limit == 8  # flat at the new pace
    calls(limiter, 16, 0.090)  # latency that rises again from there is cut again, and undone when no better
    assert limiter.changes[-2:] == [4, 8]
    assert limiter.limit == 8


def test_a_cut_that_leaves_the_latency_between_flat_and_rising_no_better_is_undone_too() -> None:
    """A store whose pace steps from 2.2x to 1.8x its best and stays there: the cut brought nothing, so
    it is undone, and the limit does not step down to 1 with every rise after it."""
    limiter = AIMDLimiter(maximum=4, limit=4)
    calls(limiter, 4, 0.010)
    calls(limiter, 4, 0.022)  # 2.2x: cut
    assert limiter.limit == 2
    calls(limiter, 4, 0.018)  # 1.8x: not past RISING, but not RELIEF better than 2.2x either
    assert limiter.limit == 4
    assert limiter.best["listing"] > 0.017  # the new pace is the baseline
    calls(limiter, 40, 0.022)  # the same 2.2x again is now flat: no cut
    assert limiter.limit == 4
    assert limiter.changes == [2, 4]


def test_a_cut_that_brings_the_latency_down_between_flat_and_rising_holds() -> None:
    limiter = AIMDLimiter(maximum=4, limit=4)
    calls(limiter, 4, 0.010)
    calls(limiter, 4, 0.030)  # 3x: cut
    calls(limiter, 4, 0.016)  # 1.6x: relieved (at most RELIEF of 3x), not yet flat: the cut stands
    assert limiter.limit == 2
    assert limiter.best["listing"] == 0.010


def test_a_refusal_after_a_latency_cut_is_not_undone() -> None:
    limiter = AIMDLimiter(maximum=8, limit=8)
    calls(limiter, 8, 0.010)
    calls(limiter, 8, 0.030)
    assert limiter.limit == 4
    for _ in range(4):
        limiter.acquire()
    limiter.release("listing", None, overloaded=True)  # the store refused a fourth call at once
    for _ in range(3):
        limiter.release("listing", 0.030)
    assert (limiter.limit, limiter.ceiling) == (2, 3)
    calls(limiter, 8, 0.030)  # still 3x: the refusal's cut is not undone (to 8), the latency halves again
    assert limiter.changes == [4, 2, 1]
    calls(limiter, 4, 0.030)  # that latency cut did not relieve it: undone, to 2
    assert limiter.changes == [4, 2, 1, 2]


def test_calls_running_at_the_old_limit_do_not_judge_the_cut() -> None:
    limiter = AIMDLimiter(maximum=8, limit=8)
    for _ in range(8):
        limiter.acquire()
    for _ in range(4):
        limiter.release("listing", 0.010)
        limiter.acquire()
    for _ in range(4):
        limiter.release("listing", 0.040)  # the window's mean is 2.5x: cut, with four calls still running
    assert limiter.limit == 4
    for _ in range(4):
        limiter.release("listing", 0.040)  # started at 8: they say nothing about 4
    calls(limiter, 4, 0.012)  # at 4 the store is fast again: the cut relieved it
    assert limiter.best["listing"] == 0.010  # no baseline move
    assert limiter.limit == 5


def test_latency_between_flat_and_rising_holds() -> None:
    limiter = AIMDLimiter(maximum=8)
    calls(limiter, MIN_WINDOW, 0.010)
    assert limiter.limit == 3
    calls(limiter, MIN_WINDOW, 0.018)  # 1.8x the best: neither flat nor rising
    assert limiter.limit == 3


def test_each_kind_of_call_is_compared_with_its_own_best() -> None:
    limiter = AIMDLimiter(maximum=8)
    calls(limiter, 1, 0.001, kind="variations")
    calls(limiter, MIN_WINDOW - 1, 0.015, kind="listing")  # slower, but flat for a listing
    assert limiter.limit == 3


def test_a_refusal_halves_at_once_and_a_burst_of_them_cuts_once() -> None:
    limiter = AIMDLimiter(maximum=8, limit=8)
    for _ in range(4):  # four calls in flight all answered 503
        limiter.acquire()
    for _ in range(4):
        limiter.release("listing", None, overloaded=True)
    assert limiter.limit == 4
    calls(limiter, 4, 0.010)  # the window after the cut: no increase yet
    assert limiter.limit == 4
    calls(limiter, 4, 0.010)
    assert limiter.limit == 4  # the refusals came with four at once: no growth past that soon
    limiter.acquire()
    limiter.release("listing", None, overloaded=True)
    assert limiter.limit == 2


def test_a_failure_that_is_no_overload_counts_for_nothing() -> None:
    limiter = AIMDLimiter(maximum=8)
    for _ in range(3 * MIN_WINDOW):
        limiter.acquire()
        limiter.release("listing", None)
    assert limiter.limit == 2


def test_slot_measures_the_call_and_marks_an_overload() -> None:
    limiter = AIMDLimiter(maximum=4)
    for _ in range(MIN_WINDOW // 2):  # two at once (the whole limit), each call 10 ms
        with (
            limiter.slot("listing", clock=iter([0.0, 0.010]).__next__),
            limiter.slot("listing", clock=iter([0.0, 0.010]).__next__),
        ):
            pass
    assert limiter.limit == 3
    with limiter.slot("listing", clock=iter([1.0, 1.5]).__next__) as call:
        call.overloaded = True
    assert limiter.limit == 1


def test_no_more_calls_run_at_once_than_the_limit() -> None:
    limiter = AIMDLimiter(maximum=4)  # starts at 2
    running, peak, lock = 0, 0, threading.Lock()
    gate = threading.Barrier(2)

    def call() -> None:
        nonlocal running, peak
        limiter.acquire()
        with lock:
            running += 1
            peak = max(peak, running)
        with contextlib.suppress(threading.BrokenBarrierError):
            gate.wait(timeout=0.2)  # the two admitted calls meet here
        with lock:
            running -= 1
        limiter.release("listing", None)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert peak == 2


def test_without_judging_latency_only_refusals_cut_and_it_climbs_back_by_one_a_window() -> None:
    limiter = AIMDLimiter(maximum=6, limit=6, judge_latency=False)  # SparkLayer writes start at the maximum
    calls(limiter, 2 * MIN_WINDOW, 0.010)
    calls(limiter, 4 * MIN_WINDOW, 0.500)  # fifty times slower: a big batch, a busy machine; no cut
    assert limiter.limit == 6
    for _ in range(6):
        limiter.acquire()
    limiter.release("write", None, overloaded=True)  # a 503 with five others in flight
    for _ in range(5):
        limiter.release("write", 0.010)
    assert limiter.limit == 3
    calls(limiter, 6, 0.900)
    assert limiter.limit == 4  # a window without a refusal adds one, however slow it was
    calls(limiter, 6 * MIN_WINDOW, 0.010)
    assert limiter.limit == 5  # and no further than one below where the refusal came, for a while
