"""Start-up objects leave the collector's full collections; garbage does not get frozen with them."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from ignite_bridge.core.startup import freeze_startup_objects


class Node:
    """An object the collector tracks, which can hold a reference cycle."""

    other: object = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process's objects go back to the collector


def tracked(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_objects_alive_at_start_up_are_frozen_out_of_collections(unfrozen):
    kept = Node()
    assert tracked(kept)

    frozen = freeze_startup_objects("test")

    assert frozen == gc.get_freeze_count() > 0
    assert not tracked(kept)  # in the permanent generation: no collection walks it
    later = Node()
    assert tracked(later)  # objects made afterwards are collected as before


def test_garbage_cycles_left_by_start_up_are_freed_not_frozen(unfrozen):
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle only the collector can free
    gone = weakref.ref(a)
    del a, b

    freeze_startup_objects("test")

    assert gone() is None


def test_a_cycle_made_after_the_freeze_is_still_collected(unfrozen):
    freeze_startup_objects("test")
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b

    gc.collect()

    assert gone() is None


def test_gunicorn_workers_freeze_once_the_app_is_loaded(unfrozen):
    from ignite_bridge import gunicorn_conf

    gunicorn_conf.post_worker_init(worker=None)

    assert gc.get_freeze_count() > 0
