"""One seed: a fresh store and SparkLayer site, a connection made through the Ignite connect endpoint,
a seeded random walk of store changes and faults, quiescence, and the comparison.

Per step: one store change; sometimes SparkLayer faults switched on or off, a full sync started, or
the worker killed; then whatever deliveries are due are delivered (or lost), and a short pause lets
the worker interleave with the next step.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from connections.models import Connection
from tests.convergence import semantics
from tests.convergence.actionlog import ActionLog
from tests.convergence.catalogue import Names, build_store
from tests.convergence.changes import StoreChanges
from tests.convergence.compare import compare
from tests.convergence.deliveries import WebhookQueue
from tests.convergence.difference import Difference
from tests.convergence.environment import Environment
from tests.convergence.faults import Faults, ignite_client
from tests.convergence.quiesce import NotQuiet, periodic_round, wait_quiet
from tests.convergence.semantics import InvisibleChanges, expected_from_store

DEFAULT_STEPS = 25
#: chance per step of each fault besides webhook delivery
SPARKLAYER_TOGGLE_RATE = 0.10
FULL_SYNC_RATE = 0.07
WORKER_KILL_RATE = 0.05
MAX_KILLS = 2


@dataclass
class SeedResult:
    seed: int
    site_id: str
    steps: int
    log: ActionLog
    seconds: float = 0.0
    differences: list[Difference] = field(default_factory=list)  # after the catch-up and reconcile
    left_out: dict[str, str] = field(default_factory=dict)  # products left out of that comparison, and why
    second_round: list[Difference] | None = None  # the same comparison after one more round, when it differed
    after_full_sync: list[Difference] | None = None  # everything, after the full sync for invisible changes
    not_quiet: str | None = None
    notes: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)
    connection_id: int | None = None
    worker_log_offset: int = 0

    @property
    def converged(self) -> bool:
        return self.not_quiet is None and not self.differences and not self.after_full_sync


def spark_state(env: Environment, site_id: str) -> dict[str, Any]:
    assert env.spark is not None
    response = requests.get(f"{env.spark.url}/_sandbox/state", params={"site_id": site_id}, timeout=30)
    response.raise_for_status()
    return dict(response.json())


def connect(env: Environment, site_id: str) -> Connection:
    """``POST /v1/test/<site>`` as SparkLayer calls it: the connection turns active, registers its
    webhooks on the store and queues a full sync of every data type."""
    assert env.woo is not None
    Connection.objects.filter(site_env="test", site_id=site_id).delete()  # the harness's own rows only
    body = {
        "store_id": site_id, "spark_api_client_id": "convergence", "spark_api_client_secret": "convergence-secret",
        "extra_config": {"store_url": env.woo.url, "woocommerce_api_key": env.woo.app.consumer_key,
                         "woocommerce_api_secret": env.woo.app.consumer_secret},
    }  # fmt: skip
    response = ignite_client().post(f"/v1/test/{site_id}", data=json.dumps(body), content_type="application/json")
    if response.status_code != 204:
        raise RuntimeError(f"connect answered {response.status_code}: {response.content[:500]!r}")
    return Connection.objects.get(site_env="test", site_id=site_id)


def older_store(seed: int) -> bool:
    """Whether the seed's store is older than WooCommerce 10.3 (half the seeds): no cross-product
    ``GET /variations``, so full syncs read each variable product's variations on their own. Drawn
    from a generator of its own, so the walk's own draws stay those of ``random.Random(seed)``."""
    return random.Random(f"store-version-{seed}").random() < 0.5


def fresh_store(env: Environment, names: Names, *, older: bool = False) -> dict[str, int]:
    assert env.woo is not None
    env.woo.app.reset()
    env.woo.app.variations_listing = not older
    requests.get(f"{env.woo.url}/_sandbox/stats", timeout=10).raise_for_status()  # the store learns its URL
    with env.woo.app.store.lock:
        return build_store(env.woo.app.store, names)


def run_seed(env: Environment, seed: int, *, steps: int = DEFAULT_STEPS) -> SeedResult:
    assert env.spark is not None
    assert env.woo is not None
    assert env.worker is not None
    rng = random.Random(seed)
    site_id = f"convergence-{seed}"
    log = ActionLog(seed)
    result = SeedResult(seed=seed, site_id=site_id, steps=steps, log=log, worker_log_offset=env.worker.log_size())
    started = time.monotonic()
    names = Names(seed, rng)
    older = older_store(seed)
    sizes = fresh_store(env, names, older=older)
    version = "before WooCommerce 10.3 (variations read per product)" if older else "WooCommerce 10.3+"
    log.add("store.built", ", ".join(f"{count} {kind}" for kind, count in sizes.items()) + f"; {version}")
    requests.post(f"{env.spark.url}/_sandbox/reset", json={"site_id": site_id}, timeout=10)
    requests.put(f"{env.spark.url}/_sandbox/faults", json={}, timeout=10).raise_for_status()

    connection = connect(env, site_id)
    result.connection_id = connection.pk
    log.add("ignite.connect", f"connection {connection.pk} active; full syncs of every type queued")
    invisible = InvisibleChanges()
    queue = WebhookQueue(store_app=env.woo.app, connection=connection, rng=rng, log=log, invisible=invisible)
    faults = Faults(env=env, site_id=site_id, rng=rng, log=log)
    changes = StoreChanges(store=env.woo.app.store, names=names, log=log, queue=queue, invisible=invisible)
    env.listener = queue.on_event
    try:
        if rng.random() < 0.5:
            wait_quiet(connection, env.worker)
            log.add("walk.start", "after the initial full syncs")
        else:
            log.add("walk.start", "while the initial full syncs run")
        for step in range(1, steps + 1):
            log.step = queue.step = step
            changes.random_change()
            if rng.random() < SPARKLAYER_TOGGLE_RATE:
                faults.toggle_sparklayer()
            if rng.random() < FULL_SYNC_RATE:
                faults.full_sync()
            if rng.random() < WORKER_KILL_RATE and faults.kills < MAX_KILLS:
                faults.kill_worker()
            queue.flush()
            time.sleep(rng.uniform(0.0, 0.3))
        log.step = steps + 1
        settle_and_compare(env, result, connection, queue, faults, invisible)
    except NotQuiet as stuck:
        result.not_quiet = str(stuck)
    finally:
        env.listener = None
        result.anomalies += queue.anomalies
        result.seconds = round(time.monotonic() - started, 1)
    return result


def settle_and_compare(
    env: Environment,
    result: SeedResult,
    connection: Connection,
    queue: WebhookQueue,
    faults: Faults,
    invisible: InvisibleChanges,
) -> None:
    """Quiescence, then the comparison (see ``docs/convergence-testing.md``)."""
    assert env.worker is not None
    log = result.log
    faults.sparklayer_off()
    queue.deliver_all()
    wait_quiet(connection, env.worker)
    periodic_round(connection, env.worker, log)

    uncovered = invisible.uncovered(connection) if semantics.FULL_SYNC_FOR_INVISIBLE_CHANGES else {}
    result.left_out = {product_id: why for product_id, (_at, why) in uncovered.items()}
    leave_out = frozenset(uncovered)
    result.differences = compare(
        connection=connection, expected=expected_from_store(connection), state=spark_state(env, result.site_id),
        leave_out=leave_out,
    )  # fmt: skip
    if result.differences:
        periodic_round(connection, env.worker, log)  # would a second round settle it? (said in the report)
        result.second_round = compare(
            connection=connection, expected=expected_from_store(connection), state=spark_state(env, result.site_id),
            leave_out=leave_out,
        )  # fmt: skip
    if uncovered:
        log.add("quiescence.full_sync", "for changes only a full sync can see: " + ", ".join(sorted(uncovered)))
        for _ in range(5):
            if faults.full_sync("products") == 201:
                break
            wait_quiet(connection, env.worker)
        wait_quiet(connection, env.worker)
        result.after_full_sync = compare(
            connection=connection, expected=expected_from_store(connection), state=spark_state(env, result.site_id)
        )
