"""What a long-running process does to the garbage collector once it has loaded the app.

CPython's cyclic collector holds the GIL while it walks objects, and a full sync gave it plenty to
walk: in ``bench/full_sync.py`` a 20,000-product sync spent ~4 s of its CPU in collections
(``bench/RESULTS.md``), while its write and page threads waited. Two causes, two settings:

* **Start-up objects.** By its first task a worker holds a few hundred thousand objects that live as
  long as it does (Django, the apps, settings, every imported module), and every full (oldest
  generation) collection walked them all. ``gc.freeze()`` moves every object tracked so far into the
  permanent generation, which collections skip. Frozen objects are only left out of cycle detection
  (reference counting still frees them): a cycle among start-up objects that later becomes garbage is
  kept, which costs nothing for objects that live as long as the process; what start-up already left
  as garbage is collected first.
* **Pages alive at once.** A full sync keeps two pages of store JSON and their mapped records alive
  (tens of thousands of container objects). With the default young-generation threshold (700 net
  allocations) a collection ran every few hundred objects and walked those live pages each time,
  promoting them to older generations to be walked again. ``YOUNG_THRESHOLD`` puts the first
  collection above what a sync holds at once: garbage cycles still go, at a collection every
  ``YOUNG_THRESHOLD`` net allocations, and nothing that reference counting frees waits for one.

Where it runs: in each prefork (or solo) pool process after the fork (``worker_process_init``), so
its collections also stop writing to the pages it shares with the parent; in the worker's main
process when it is ready (where a threads pool runs tasks); in each gunicorn worker once the app is
loaded (``ignite_bridge/gunicorn_conf.py``), which freezes but keeps the default young threshold:
a request keeps little alive, and a young collection of 50,000 objects is a pause every thread of
that worker waits out, which showed in the webhook intake's p99 (``bench/RESULTS.md``).
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)

#: net allocations of container objects before a young collection (CPython's default: 700)
YOUNG_THRESHOLD = 50_000


def gc_tune(process: str, *, raise_young_threshold: bool = True) -> int:
    """Collect start-up garbage, freeze what is left and (unless told not to) raise the young
    threshold; returns how many objects are frozen (logged with ``process``, the role of this process)."""
    gc.collect()
    gc.freeze()
    if raise_young_threshold:
        _young, *older = gc.get_threshold()
        gc.set_threshold(YOUNG_THRESHOLD, *older)
    frozen = gc.get_freeze_count()
    logger.info(
        "startup objects frozen",
        extra={"role": process, "frozen_objects": frozen, "young_threshold": gc.get_threshold()[0]},
    )
    return frozen
