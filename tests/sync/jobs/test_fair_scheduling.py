"""Fair scheduling: one store's burst cannot hold every worker, and what it leaves waiting is never lost.

Against both sandboxes, through the real processing functions and the real Redis slots and broker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from celery.exceptions import Retry
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone

from connections.models import Connection
from ignite_bridge.core.slots import Slot
from sync.incremental import processing
from sync.incremental.processing import _follow_on, webhook_event_process_fairly, webhook_events_look_again
from sync.incremental.sweeper import webhook_events_sweep
from sync.jobs.job_slots import sync_job_slot, sync_jobs_look_again
from sync.models import EventState, JobKind, JobState, SyncJob, WebhookEvent
from sync.tasks import full_sync as full_sync_tasks
from sync.tasks.full_sync import sync_job_run_task
from tests.support import broker_messages, emptied_broker_queue
from tests.sync.helpers import make_connection
from tests.sync.webhook_support import deliver_product

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not isinstance(caches["default"], RedisCache), reason="slots live in the cache's Redis"),
]


@pytest.fixture
def broker() -> Iterator[Any]:
    with emptied_broker_queue("webhooks") as client:
        yield client


@pytest.fixture(autouse=True)
def _no_sends_from_the_intake(settings: Any) -> None:
    settings.WEBHOOK_SKIP_ENQUEUE = True  # events wait queued, as behind a busy worker


def product_ids(store: Any, count: int) -> list[int]:
    with store.app.store.lock:
        ids = [
            i for i, h in store.app.store.products.items() if h.type in ("simple", "variable") and h.status == "publish"
        ]
    assert len(ids) >= count
    return ids[:count]


def queued_event_ids(broker: Any) -> list[int]:
    return [args[0] for _headers, args, _kwargs in broker_messages(broker, "webhooks")]


def test_a_connection_at_its_cap_is_refused_at_once_and_its_event_waits(
    connection: Connection, woo_store: Any, settings: Any
) -> None:
    settings.WEBHOOK_MAX_CONCURRENCY_PER_CONNECTION = 2
    event = deliver_product(connection, woo_store, product_ids(woo_store, 1)[0])
    holders = [Slot(f"webhooks:{connection.pk}", limit=2) for _ in range(2)]
    assert all(holder.acquire() for holder in holders)  # two tasks are working on this store
    started = time.monotonic()
    assert webhook_event_process_fairly(event_id=event.pk, worker="w") is None
    assert time.monotonic() - started < 1.0
    event.refresh_from_db()
    assert (event.state, event.attempts) == (EventState.QUEUED, 0)  # untouched: a holder goes on with it
    assert holders[0].release() is True  # the holder that releases next learns of the refusal
    holders[1].release()
    assert webhook_event_process_fairly(event_id=event.pk, worker="w") is not None  # a free slot: processed
    event.refresh_from_db()
    assert event.state == EventState.SUCCEEDED


def test_while_another_store_waits_a_connection_being_worked_on_gets_no_second_worker(
    connection: Connection, woo_store: Any, settings: Any
) -> None:
    settings.WEBHOOK_MAX_CONCURRENCY_PER_CONNECTION = 2
    burst_id, quiet_id = product_ids(woo_store, 2)
    event = deliver_product(connection, woo_store, burst_id)
    holder = Slot(f"webhooks:{connection.pk}", limit=2)
    assert holder.acquire()  # one task is draining this store's backlog
    quiet = deliver_product(make_connection(woo_store, site_id="quiet-store"), woo_store, quiet_id)

    assert webhook_event_process_fairly(event_id=event.pk, worker="w") is None  # refused: the quiet store waits
    event.refresh_from_db()
    assert (event.state, event.attempts) == (EventState.QUEUED, 0)
    assert holder.release() is True  # the holder learns of the refusal and looks again when it stops

    WebhookEvent.objects.filter(pk=quiet.pk).update(state=EventState.SUCCEEDED)  # the quiet store was served
    assert holder.acquire()
    assert webhook_event_process_fairly(event_id=event.pk, worker="w") is not None  # nobody waits: a 2nd slot
    event.refresh_from_db()
    assert event.state == EventState.SUCCEEDED
    holder.release()


def test_after_a_refusal_the_releasing_holder_sends_the_waiting_event_on(
    connection: Connection, woo_store: Any, broker: Any
) -> None:
    first, second = (deliver_product(connection, woo_store, i) for i in product_ids(woo_store, 2))
    assert webhook_events_look_again(connection_id=connection.pk) == first.pk
    assert queued_event_ids(broker) == [first.pk]
    WebhookEvent.objects.filter(pk__in=[first.pk, second.pk]).update(state=EventState.SUCCEEDED)
    assert webhook_events_look_again(connection_id=connection.pk) is None  # nothing waits: nothing sent


def test_a_long_drain_hands_over_when_another_store_waits_and_goes_on_when_none_does(
    connection: Connection, woo_store: Any, broker: Any, settings: Any
) -> None:
    settings.WEBHOOK_HANDOVER_EVENTS = 3
    settings.WEBHOOK_HANDOVER_SECONDS = 60
    ids = product_ids(woo_store, 8)
    burst = [deliver_product(connection, woo_store, i) for i in ids]
    quiet_store = make_connection(woo_store, site_id="quiet-store")
    quiet = deliver_product(quiet_store, woo_store, ids[0])

    done, handover = _follow_on(connection_id=connection.pk, worker="w", processed=1)

    assert (done, handover) == (2, burst[2].pk)  # 1 + 2 events, then the check: the quiet store waits
    states = dict(WebhookEvent.objects.values_list("pk", "state"))
    assert [states[e.pk] for e in burst[:2]] == [EventState.SUCCEEDED] * 2
    assert {states[e.pk] for e in burst[2:]} == {EventState.QUEUED}
    assert states[quiet.pk] == EventState.QUEUED
    assert queued_event_ids(broker) == []  # its own next event goes to the back of the queue, sent by the
    # caller once it has given its slot back (test below)

    WebhookEvent.objects.filter(pk=quiet.pk).update(state=EventState.SUCCEEDED)  # the quiet store was served
    done, handover = _follow_on(connection_id=connection.pk, worker="w", processed=0)
    assert (done, handover) == (6, None)  # nobody else waits: it drains to the end
    assert set(WebhookEvent.objects.filter(connection=connection).values_list("state", flat=True)) == {
        EventState.SUCCEEDED
    }
    assert queued_event_ids(broker) == []


def test_a_hand_over_taken_at_once_by_an_idle_worker_is_not_refused_and_nothing_strands(
    connection: Connection, woo_store: Any, settings: Any, monkeypatch: Any
) -> None:
    """The hand-over message of a task that drains a backlog reaches an idle worker at once (before the task
    could give its slot back, were it sent first): that worker must get the slot, and the backlog drain."""
    settings.WEBHOOK_MAX_CONCURRENCY_PER_CONNECTION = 2
    settings.WEBHOOK_HANDOVER_EVENTS = 1
    settings.WEBHOOK_HANDOVER_SECONDS = 60
    ids = product_ids(woo_store, 5)
    burst = [deliver_product(connection, woo_store, i) for i in ids[:4]]
    waiting = deliver_product(make_connection(woo_store, site_id="quiet-store"), woo_store, ids[4])  # never served here
    delivered: list[tuple[int, bool]] = []

    def idle_worker_takes(*, event_id: int, connection_id: int | None = None, countdown: float | None = None) -> bool:
        result = webhook_event_process_fairly(event_id=event_id, worker="idle", connection_id=connection_id)
        delivered.append((event_id, result is not None))  # None: refused (or nothing left to claim)
        return True

    monkeypatch.setattr(processing, "webhook_event_send", idle_worker_takes)
    assert webhook_event_process_fairly(event_id=burst[0].pk, worker="busy", connection_id=connection.pk) is not None

    assert delivered == [(e.pk, True) for e in reversed(burst[1:])]  # each hand-over processed, none refused
    states = dict(WebhookEvent.objects.values_list("pk", "state"))
    assert [states[e.pk] for e in burst] == [EventState.SUCCEEDED] * 4
    assert states[waiting.pk] == EventState.QUEUED


def test_the_sweeper_sends_one_task_per_connection_however_long_its_backlog(
    connection: Connection, woo_store: Any, broker: Any, settings: Any
) -> None:
    ids = product_ids(woo_store, 5)
    backlog = [deliver_product(connection, woo_store, i) for i in ids]
    other = make_connection(woo_store, site_id="other-store")
    others = [deliver_product(other, woo_store, i) for i in ids[:2]]
    settings.WEBHOOK_SWEEP_GRACE_SECONDS = 0

    swept = webhook_events_sweep(now=timezone.now() + timedelta(seconds=1))

    assert swept.sent == 2
    assert sorted(queued_event_ids(broker)) == sorted([backlog[0].pk, others[0].pk])  # the oldest of each


def test_a_full_sync_waits_while_its_connection_runs_its_share_of_sync_slots(
    connection: Connection, settings: Any
) -> None:
    settings.SYNC_MAX_JOBS_PER_CONNECTION = 2
    job = SyncJob.objects.create(connection=connection, data_type="products", kind=JobKind.FULL)
    running = [sync_job_slot(connection_id=connection.pk) for _ in range(2)]
    assert all(slot.acquire() for slot in running)  # two full syncs of this store are running

    with pytest.raises(Retry):
        sync_job_run_task(job.pk)

    job.refresh_from_db()
    assert (job.state, job.attempts, job.started_at) == (JobState.QUEUED, 0, None)  # not claimed
    assert job.resume_at is not None
    assert timedelta(seconds=4) < job.resume_at - timezone.now() < timedelta(seconds=16)  # the sweeper leaves it
    other_store = make_connection_without_store()
    assert sync_job_slot(connection_id=other_store.pk).acquire()  # other stores' syncs are not held up
    for slot in running:
        slot.release()


def make_connection_without_store() -> Connection:
    from tests.factories import ConnectionFactory

    return ConnectionFactory(site_id="another-store")


def test_a_full_sync_with_a_free_slot_runs_gives_the_slot_back_and_is_counted(connection: Connection) -> None:
    from prometheus_client import REGISTRY

    from ignite_bridge.core import metrics

    def counted(name: str, **labels: str) -> float:
        metrics._get()
        return REGISTRY.get_sample_value(name, labels) or 0.0

    labels = {"platform": "woocommerce", "data_type": "products"}
    before = counted("ignite_sync_records_total", **labels)
    ended_before = counted("ignite_sync_jobs_finished_total", **labels, kind="full", state="succeeded")
    job = SyncJob.objects.create(connection=connection, data_type="products", kind=JobKind.FULL)

    assert sync_job_run_task(job.pk) == {"job": job.pk, "state": "succeeded"}

    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert counted("ignite_sync_records_total", **labels) - before == job.seen > 0
    assert counted("ignite_sync_jobs_finished_total", **labels, kind="full", state="succeeded") - ended_before == 1
    assert sync_job_slot(connection_id=connection.pk).holders() == 0  # released


@pytest.fixture
def sync_queue() -> Iterator[Any]:
    with emptied_broker_queue("sync") as client:
        yield client


def sent_jobs(broker: Any) -> list[tuple[int, bool]]:
    """(job id, whether it is due at once) of every message on the ``sync`` queue."""
    return [(args[0], headers.get("eta") is None) for headers, args, _kwargs in broker_messages(broker, "sync")]


def turned_away(connection: Connection, *data_types: str) -> list[SyncJob]:
    """Full syncs of ``data_types`` sent while the connection's only slot was taken: each deferred and
    noted as waiting (called here, a task's retry is not sent); the slot is free again afterwards."""
    jobs = [SyncJob.objects.create(connection=connection, data_type=t, kind=JobKind.FULL) for t in data_types]
    running = sync_job_slot(connection_id=connection.pk)
    assert running.acquire()
    for job in jobs:
        with pytest.raises(Retry):
            sync_job_run_task(job.pk)
    running.release()
    return jobs


def test_deferred_full_syncs_are_sent_on_one_a_slot_as_their_connection_gives_slots_back(
    connection: Connection, settings: Any, sync_queue: Any
) -> None:
    settings.SYNC_MAX_JOBS_PER_CONNECTION = 1
    orders, store_settings = turned_away(connection, "purchases", "merchant")  # deferred for 5 to 15 s
    assert sent_jobs(sync_queue) == []

    assert sync_jobs_look_again(connection_id=connection.pk) == orders.pk  # the longest waiting, alone
    orders.refresh_from_db()
    assert orders.state == JobState.QUEUED
    assert orders.resume_at is not None
    assert orders.resume_at <= timezone.now()  # due now: the sweeper agrees
    assert sent_jobs(sync_queue) == [(orders.pk, True)]  # sent on, due at once
    store_settings.refresh_from_db()
    assert store_settings.resume_at is not None
    assert store_settings.resume_at > timezone.now()  # still waits

    # the next slot given back (no job was turned away since) sends the other one on
    assert sync_jobs_look_again(connection_id=connection.pk) == store_settings.pk
    assert sorted(sent_jobs(sync_queue)) == sorted([(orders.pk, True), (store_settings.pk, True)])
    assert sync_jobs_look_again(connection_id=connection.pk) is None  # each noted once, sent once


def test_a_noted_job_that_no_longer_waits_is_not_sent_again(
    connection: Connection, settings: Any, sync_queue: Any
) -> None:
    settings.SYNC_MAX_JOBS_PER_CONNECTION = 1
    started, waiting = turned_away(connection, "products", "customers")
    SyncJob.objects.filter(pk=started.pk).update(state=JobState.RUNNING)  # its own retry came first and runs

    assert sync_jobs_look_again(connection_id=connection.pk) == waiting.pk  # the next that still waits
    assert sent_jobs(sync_queue) == [(waiting.pk, True)]


def test_a_full_sync_that_ends_sends_on_the_job_its_connection_turned_away_meanwhile(
    connection: Connection, settings: Any, sync_queue: Any, monkeypatch: Any
) -> None:
    settings.SYNC_MAX_JOBS_PER_CONNECTION = 1
    first, second = (
        SyncJob.objects.create(connection=connection, data_type=data_type, kind=JobKind.FULL)
        for data_type in ("customers", "products")
    )
    real_run = full_sync_tasks.sync_job_run

    def run_while_another_job_is_turned_away(**kwargs: Any) -> Any:
        with pytest.raises(Retry):
            sync_job_run_task(second.pk)  # the connection's only slot is this run's
        return real_run(**kwargs)

    monkeypatch.setattr(full_sync_tasks, "sync_job_run", run_while_another_job_is_turned_away)
    assert sync_job_run_task(first.pk) == {"job": first.pk, "state": "succeeded"}

    second.refresh_from_db()
    assert (second.state, second.attempts) == (JobState.QUEUED, 0)
    assert second.resume_at is not None
    assert second.resume_at <= timezone.now()
    assert sent_jobs(sync_queue) == [(second.pk, True)]
    assert sync_job_slot(connection_id=connection.pk).holders() == 0


def test_a_broker_that_cannot_take_the_message_leaves_the_job_to_its_own_retry(
    connection: Connection, settings: Any, monkeypatch: Any
) -> None:
    from sync.jobs import job_slots

    settings.SYNC_MAX_JOBS_PER_CONNECTION = 1
    (job,) = turned_away(connection, "products")

    def broker_down(*, job_id: int) -> str:
        raise ConnectionError("the broker is down")

    monkeypatch.setattr(job_slots, "sync_job_run_send", broker_down)
    assert sync_jobs_look_again(connection_id=connection.pk) is None  # no exception for the run that ended
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.QUEUED, 0)  # still queued: its retry and the sweeper remain


def test_an_older_message_of_a_job_sent_on_since_does_nothing_once_the_job_is_taken(
    connection: Connection, settings: Any, sync_queue: Any
) -> None:
    """The deferral's own retry of a job that was sent on when a slot came free: it arrives to find the
    job running (or ended) under the newer message, and neither waits for a slot nor comes back."""
    settings.SYNC_MAX_JOBS_PER_CONNECTION = 1
    (job,) = turned_away(connection, "products")
    SyncJob.objects.filter(pk=job.pk).update(celery_task_id="the-first-message")
    assert sync_jobs_look_again(connection_id=connection.pk) == job.pk
    job.refresh_from_db()
    newest = job.celery_task_id
    assert newest not in ("", "the-first-message")
    SyncJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, claim_token=newest, heartbeat_at=timezone.now())

    late = sync_job_run_task.apply(args=(job.pk,), task_id="the-first-message")  # the deferral's retry
    assert late.result == {"job": job.pk, "state": "superseded"}
    assert sync_job_slot(connection_id=connection.pk).holders() == 0  # it took no slot
    again = sync_job_run_task.apply(args=(job.pk,), task_id=newest)  # the newest message itself is not judged so
    assert again.result != {"job": job.pk, "state": "superseded"}


def test_a_queued_job_runs_whichever_of_its_messages_arrives(connection: Connection) -> None:
    job = SyncJob.objects.create(
        connection=connection, data_type="products", kind=JobKind.FULL, celery_task_id="a-newer-message"
    )
    assert sync_job_run_task.apply(args=(job.pk,), task_id="an-older-message").result == {
        "job": job.pk,
        "state": "succeeded",
    }
