"""What a long-running process does once it has loaded the app: leave its start-up objects out of
the garbage collector's full collections.

By the time a worker process takes its first task it holds a few hundred thousand objects that live
as long as it does (Django, the apps, settings, every imported module). CPython's full (oldest
generation) collection walks all of them each time it runs, and it runs several times during a full
sync, holding the GIL while the sync's write and page threads wait: in ``bench/full_sync.py`` those
collections took ~0.9 s of a 5,000-product sync (``bench/RESULTS.md``). ``gc.freeze()`` moves every
object tracked so far into the permanent generation, which collections skip; objects created later
(the sync's own pages and records) are collected as before, and reference counting still frees
anything whose count drops to zero. Frozen objects are only left out of cycle detection: a cycle
among start-up objects that later becomes garbage is kept, which costs nothing for objects that
live as long as the process.

In a prefork pool the freeze runs in each pool process after the fork (``worker_process_init``), so
its collections also stop writing to the pages it shares with the parent. Where tasks run in the
worker's own process (``--pool solo`` or ``threads``), it runs when the worker is ready; gunicorn
workers freeze once the app is loaded (``ignite_bridge/gunicorn_conf.py``).
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)


def freeze_startup_objects(process: str) -> int:
    """Freeze every object the collector tracks now; returns how many are frozen (logged)."""
    gc.collect()  # what start-up left as garbage is freed now, not kept frozen
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.info("startup objects frozen", extra={"role": process, "frozen_objects": frozen})
    return frozen
