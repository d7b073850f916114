"""Convergence: whatever order webhooks arrive in, whatever is lost, duplicated, delayed, killed or
retried, once things are quiet SparkLayer holds the mapping of the store, field for field, and
``RecordState`` agrees with it. A fixed set of seeds of the random walk (``walk.py``) with a real
worker, PostgreSQL, Redis and both sandboxes; ``bench/convergence.py`` runs many more.

A failing seed prints its differences and its action log; replay it with
``bench/convergence.py --start SEED --seeds 1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches

from tests.convergence.environment import Environment
from tests.convergence.report import full_report
from tests.convergence.walk import DEFAULT_STEPS, run_seed
from tests.processes import ROOT
from tests.workers import worker_environment

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: together these seeds make every change kind and every fault at least once (see their action logs)
SEEDS = (1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def environment(django_db_setup: None, django_db_blocker: Any) -> Iterator[Environment]:
    """Both sandboxes and one worker for every seed of the module (startup is paid once)."""
    with django_db_blocker.unblock():
        env = Environment(base_env=worker_environment(), log_dir=ROOT / "var").start()
    yield env
    env.stop()


@pytest.mark.timeout(600)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("seed", SEEDS)
def test_sparklayer_converges_to_the_store(seed: int, environment: Environment, settings: Any) -> None:
    for name, value in environment.process_settings().items():
        setattr(settings, name, value)
    caches["default"].clear()  # SparkLayer tokens of an earlier sandbox are unknown to this one
    result = run_seed(environment, seed, steps=DEFAULT_STEPS)
    if not result.converged:
        pytest.fail(full_report(result, environment), pytrace=False)
