"""How many reads a store gets at once: additive increase, multiplicative decrease (AIMD).

A big store answers several reads at once as fast as one; a small one slows down or refuses
(429/503, timeouts; a proxy in front of it 502/504). ``AIMDLimiter`` finds the concurrency a store takes: it starts at
``min(2, maximum)``, and after every window of calls (as many as the current limit, at least
``MIN_WINDOW``) it compares the window's latency with the best seen for the same kind of call
(a listing page and a variations read differ): flat (at most ``FLAT`` times the best) adds one, up
to ``maximum``, but only when the window used the whole limit (as many calls at once as allowed):
a limit the sync never filled says nothing about whether the store takes more, so it is not
raised (the limit stays what the store was shown to take); rising past ``RISING`` times the best
halves it.

Latency a cut does not relieve is not ours: when the window after a latency cut (leaving out the
calls still running at the old limit) is not at least ``RELIEF`` better than the one that caused
it, the store is slower for every caller, or for the pages read now (deeper in its listing): the
cut is undone and the baseline moves to the new pace (each kind's best times the window's mean),
instead of halving again, all the way down to 1, while the store answers as fast at 4 as at 1.
That holds whether that window is still past ``RISING`` or only between flat and rising: a cut
kept there held the limit against a baseline the store no longer reaches, and the next rise cut
it again, one step at a time down to 1.

A refusal or a timeout halves it at once (at most once per window, so one burst of refusals is one
cut) and remembers how many calls were running when it came: growth stops one below that (the
ceiling), and only after ``PROBE_WINDOWS`` flat windows there does it try one more, so a store
that refuses a fifth call settles at four instead of climbing back into refusals every few
windows. Never below 1.

``judge_latency=False`` (SparkLayer writes, ``sync/jobs/full_sync.py``): only refusals and timeouts
cut, and every other call counts as flat. A write's latency says little about SparkLayer's load (a
batch of 100 stock rows takes longer than one product; on one machine the sandbox shares the cores),
while a 429 or a 503 is SparkLayer saying so; the rate itself is the site budget's (``sparklayer/budget.py``).

Pure bookkeeping and a condition variable: no clock of its own (callers pass each call's
latency), so it is tested deterministically.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

#: a window's mean latency at most this many times the best counts as flat
FLAT = 1.5
#: past this many times the best, the store is struggling: halve
RISING = 2.0
MIN_WINDOW = 4
#: after a latency cut, the next window counts as relieved when its mean is at most this share of
#: the mean that caused the cut
RELIEF = 0.75
#: flat, filled windows at the ceiling a refusal left before one more at once is tried
PROBE_WINDOWS = 20


@dataclass
class Call:
    """One call in a slot: set ``overloaded`` when the store refused or timed out."""

    kind: str
    overloaded: bool = False


@dataclass
class AIMDLimiter:
    maximum: int
    limit: int = 0
    judge_latency: bool = True  # False: only refusals and timeouts cut; other calls count as flat
    in_flight: int = 0
    best: dict[str, float] = field(default_factory=dict)
    window: list[float] = field(default_factory=list)
    cut_in_window: bool = False
    latency_cut_mean: float = 0.0  # the window mean that caused the last latency cut (0: the last window did not)
    latency_cut_from: int = 0  # the limit before that cut
    stale: int = 0  # calls still running at the old limit when it was cut: their latencies judge nothing
    filled_in_window: bool = False  # as many calls ran at once as the limit allowed
    ceiling: int = 0  # one below the limit a refusal came at (0: none yet, the maximum bounds)
    flat_at_ceiling: int = 0
    peak: int = 0  # highest limit reached (reports)
    changes: list[int] = field(default_factory=list)  # limits in the order they were set (reports)

    def __post_init__(self) -> None:
        self.maximum = max(1, self.maximum)
        self.limit = min(2, self.maximum) if self.limit <= 0 else min(self.limit, self.maximum)
        self.peak = self.limit
        self._cond = threading.Condition()

    # -- slots -------------------------------------------------------------------------------

    def acquire(self) -> None:
        with self._cond:
            while self.in_flight >= self.limit:
                self._cond.wait()
            self.in_flight += 1
            if self.in_flight >= self.limit:
                self.filled_in_window = True

    def release(self, kind: str, latency: float | None, *, overloaded: bool = False) -> None:
        """A call ended: ``latency`` seconds (None: it failed otherwise), ``overloaded``: refused or timed out."""
        with self._cond:
            self.in_flight -= 1
            if overloaded:
                self._cut()
            elif latency is not None:
                self._observe(kind, latency)
            self._cond.notify_all()

    @contextmanager
    def slot(self, kind: str, clock: Callable[[], float] = time.monotonic) -> Iterator[Call]:
        """``with limiter.slot("listing") as call:``; the caller sets ``call.overloaded`` on a refusal.
        A call that raises otherwise counts for nothing (neither latency nor overload)."""
        now = clock
        self.acquire()
        call = Call(kind)
        started = now()
        ok = False
        try:
            yield call
            ok = True
        finally:
            self.release(kind, now() - started if ok and not call.overloaded else None, overloaded=call.overloaded)

    # -- the rule ----------------------------------------------------------------------------

    def _observe(self, kind: str, latency: float) -> None:
        if not self.judge_latency:
            kind, latency = "", 1.0
        best = self.best.get(kind)
        if best is None or latency < best:
            self.best[kind] = best = max(latency, 1e-6)
        if self.stale:
            self.stale -= 1
            return
        self.window.append(latency / best)
        if len(self.window) < max(MIN_WINDOW, self.limit):
            return
        mean = sum(self.window) / len(self.window)
        cut_already, filled = self.cut_in_window, self.filled_in_window
        self.window, self.cut_in_window = [], False
        self.filled_in_window = self.in_flight >= self.limit
        after_cut, self.latency_cut_mean = self.latency_cut_mean, 0.0
        if after_cut and not cut_already and mean > RELIEF * after_cut:
            # the cut did not relieve it (still rising, or only no longer past ``RISING``): the latency
            # is not ours; undone, and the baseline moves to the new pace
            self.best = {k: v * mean for k, v in self.best.items()}
            self._set(min(self.latency_cut_from, self.ceiling or self.maximum))
            return
        if mean > RISING:
            if cut_already:
                return
            self.latency_cut_from = self.limit
            self._set(max(1, self.limit // 2))
            self.latency_cut_mean, self.stale = mean, self.in_flight
        elif mean <= FLAT and not cut_already and filled:
            self._grow()

    def _grow(self) -> None:
        if self.ceiling and self.limit >= self.ceiling:
            self.flat_at_ceiling += 1
            if self.flat_at_ceiling < PROBE_WINDOWS:
                return
            self.ceiling, self.flat_at_ceiling = min(self.maximum, self.ceiling + 1), 0
        self._set(min(self.maximum, self.limit + 1))

    def _cut(self) -> None:
        if not self.cut_in_window:
            # the store refused with this call and ``in_flight`` others at once: it takes that many
            self.ceiling, self.flat_at_ceiling = max(1, min(self.limit - 1, self.in_flight)), 0
            self._set(max(1, self.limit // 2))
            self.cut_in_window = True
        self.window = []

    def _set(self, limit: int) -> None:
        if limit != self.limit:
            self.limit = limit
            self.changes.append(limit)
            self.peak = max(self.peak, limit)
