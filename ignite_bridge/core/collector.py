"""The garbage collector in long-running processes: start-up objects frozen, and a full sync's pages
left alone while it runs.

CPython's cyclic collector holds the GIL while it walks objects, and a full sync gave it plenty to
walk: in ``bench/full_sync.py`` a 20,000-product sync spent ~4 s of its CPU in collections
(``bench/RESULTS.md``), while its write and page threads waited. Two causes, two remedies:

* **Start-up objects** (``gc_tune``, once per process). By its first task a worker holds a few hundred
  thousand objects that live as long as it does (Django, the apps, settings, every imported module),
  and every full (oldest generation) collection walked them all. ``gc.freeze()`` moves every object
  tracked so far into the permanent generation, which collections skip. Frozen objects are only left
  out of cycle detection (reference counting still frees them): a cycle among start-up objects that
  later becomes garbage is kept, which costs nothing for objects that live as long as the process;
  what start-up already left as garbage is collected first. It runs in each prefork (or solo) pool
  process after the fork (``worker_process_init``), so its collections also stop writing to the pages
  it shares with the parent; in the worker's main process when it is ready (where a threads pool runs
  tasks); in each gunicorn worker once the app is loaded (``ignite_bridge/gunicorn_conf.py``).
* **Pages alive at once** (``full_sync_collections``, while a full sync runs). A full sync keeps two
  pages of store JSON and their mapped records alive (tens of thousands of container objects). With
  the default young-generation threshold (700 net allocations) a collection ran every few hundred
  objects and walked those live pages each time, promoting them to older generations to be walked
  again. During a sync the threshold is ``YOUNG_THRESHOLD``, above what the sync holds at once:
  garbage cycles still go, at a collection every ``YOUNG_THRESHOLD`` net allocations, and nothing that
  reference counting frees waits for one. Only during a sync: a young collection of that size is a
  pause of tens of milliseconds, which a sync does not mind and a request or a webhook event would.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)

#: net allocations of container objects before a young collection while a full sync runs (CPython: 700)
YOUNG_THRESHOLD = 50_000

_lock = threading.Lock()
_syncs = 0  # full syncs running in this process (a threads pool can run several)
_threshold_before = 0
_tuned_pid = 0  # the process that already froze its start-up objects (a fork has a pid of its own)


def gc_tune(process: str) -> int:
    """Collect start-up garbage and freeze what is left; returns how many objects are frozen (logged
    with ``process``, the role of this process). Once per process: a solo pool's worker gets both the
    pool's and the worker's signal, and a second full collection at start-up would buy nothing."""
    global _tuned_pid
    if _tuned_pid == os.getpid():
        return gc.get_freeze_count()
    _tuned_pid = os.getpid()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.info("startup objects frozen", extra={"role": process, "frozen_objects": frozen})
    return frozen


@contextmanager
def full_sync_collections() -> Iterator[None]:
    """The young threshold at ``YOUNG_THRESHOLD`` while the block runs, then back to what it was (when
    several syncs overlap in one process: once the last one ends)."""
    global _syncs, _threshold_before
    with _lock:
        _syncs += 1
        if _syncs == 1:
            young, *older = gc.get_threshold()
            _threshold_before = young
            gc.set_threshold(max(young, YOUNG_THRESHOLD), *older)
    try:
        yield
    finally:
        with _lock:
            _syncs -= 1
            if _syncs == 0:
                _young, *older = gc.get_threshold()
                gc.set_threshold(_threshold_before, *older)
