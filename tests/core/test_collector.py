"""The garbage collector: start-up objects frozen out of collections (garbage is not frozen with them,
cycles made afterwards still collected); the young threshold raised only while a full sync runs."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from ignite_bridge.core import collector
from ignite_bridge.core.collector import YOUNG_THRESHOLD, full_sync_collections, gc_tune


class Node:
    """An object the collector tracks, which can hold a reference cycle."""

    other: object = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    threshold = gc.get_threshold()
    gc.unfreeze()
    collector._tuned_pid = 0  # each test starts as a process that has not frozen yet
    yield
    gc.unfreeze()  # the test process's objects go back to the collector
    gc.set_threshold(*threshold)


def tracked(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_objects_alive_at_start_up_are_frozen_out_of_collections(unfrozen):
    kept = Node()
    assert tracked(kept)

    frozen = gc_tune("test")

    assert frozen == gc.get_freeze_count() > 0
    assert not tracked(kept)  # in the permanent generation: no collection walks it
    later = Node()
    assert tracked(later)  # objects made afterwards are collected as before


def test_start_up_leaves_the_thresholds_alone(unfrozen):
    gc.set_threshold(700, 11, 12)

    gc_tune("test")

    assert gc.get_threshold() == (700, 11, 12)


def test_the_young_threshold_is_raised_while_a_full_sync_runs_and_restored_after(unfrozen):
    gc.set_threshold(700, 11, 12)

    with full_sync_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 11, 12)

    assert gc.get_threshold() == (700, 11, 12)


def test_overlapping_syncs_restore_the_threshold_when_the_last_one_ends(unfrozen):
    gc.set_threshold(700, 10, 10)
    first, second = full_sync_collections(), full_sync_collections()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD  # the second sync still runs

    second.__exit__(None, None, None)

    assert gc.get_threshold()[0] == 700


def test_a_sync_that_fails_restores_the_threshold(unfrozen):
    gc.set_threshold(700, 10, 10)

    try:
        with full_sync_collections():
            raise RuntimeError("store gone")
    except RuntimeError:
        pass

    assert gc.get_threshold()[0] == 700


def test_garbage_cycles_left_by_start_up_are_freed_not_frozen(unfrozen):
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle only the collector can free
    gone = weakref.ref(a)
    del a, b

    gc_tune("test")

    assert gone() is None


def test_a_cycle_made_after_the_freeze_is_still_collected(unfrozen):
    gc_tune("test")
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b

    gc.collect()

    assert gone() is None


def test_gunicorn_workers_freeze_once_the_app_is_loaded(unfrozen):
    from ignite_bridge import gunicorn_conf

    gc.set_threshold(700, 10, 10)
    gunicorn_conf.post_worker_init(worker=None)

    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (700, 10, 10)


def test_a_process_freezes_once_however_many_signals_ask(unfrozen):
    full = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    gc_tune("worker pool process")
    made_since = Node()
    gc.callbacks.append(count)
    try:
        frozen = gc_tune("worker")  # a solo pool's worker: the same process, signalled again
    finally:
        gc.callbacks.remove(count)

    # The count is not compared with a later one: refcounting can free a frozen object in between.
    assert frozen > 0
    assert tracked(made_since)  # not frozen by the second signal
    assert not full  # no second full collection
