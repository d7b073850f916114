"""Queueing, cancelling and claiming sync jobs. The running of a job lives in ``full_sync``."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from connections.models import Connection
from platforms.base import platform_adapter_class
from platforms.types import TRIGGERABLE_DATA_TYPES, DataType
from sync.dispatch import sync_job_run_send
from sync.models import JobKind, JobState, SyncJob, TriggerSource
from sync.models.jobs import ACTIVE_JOB_STATES

logger = logging.getLogger(__name__)


class SyncAlreadyActive(Exception):
    """A full sync of that data type is already queued or running for the connection."""

    def __init__(self, job: SyncJob | None) -> None:
        super().__init__("a full sync of this data type is already queued or running")
        self.job = job


class DataTypeNotSupported(ValueError):
    """The connection's platform cannot sync that data type: refused, never run as an empty sync."""


def syncable_data_types(connection: Connection) -> list[DataType]:
    """The triggerable types this connection's platform supports, in sync order."""
    supported = set(platform_adapter_class(connection.platform).data_types)
    return [t for t in TRIGGERABLE_DATA_TYPES if t in supported]


def sync_job_enqueue(job: SyncJob) -> None:
    """Send the job to the ``sync`` queue once the surrounding transaction commits."""

    def send() -> None:
        task_id = sync_job_run_send(job_id=job.pk)
        SyncJob.objects.filter(pk=job.pk).update(celery_task_id=task_id)

    transaction.on_commit(send)


def sync_job_queue_full(
    *, connection: Connection, data_type: DataType | str, trigger: str, requested_by: str = "", force: bool = False
) -> SyncJob:
    """Queue a full sync; raises ``SyncAlreadyActive`` when one of that type is queued or running.

    ``force``: a forced re-push, writing every record whatever SparkLayer is believed to hold (an
    operator's tool after SparkLayer lost data; the Ignite trigger never forces). The database's
    partial unique constraint is the guard, so two concurrent calls cannot both succeed. A type the
    connection's platform cannot sync raises ``DataTypeNotSupported``."""
    data_type = DataType(data_type)
    if data_type not in syncable_data_types(connection):
        raise DataTypeNotSupported(f"The {connection.platform} platform cannot sync {data_type}.")
    try:
        with transaction.atomic():
            job = SyncJob.objects.create(
                connection=connection,
                data_type=data_type,
                kind=JobKind.FULL,
                state=JobState.QUEUED,
                trigger=trigger,
                requested_by=requested_by[:150],
                force=force,
            )
    except IntegrityError:
        active = (
            SyncJob.objects.filter(
                connection=connection, data_type=data_type, kind=JobKind.FULL, state__in=ACTIVE_JOB_STATES
            )
            .order_by("-created_at")
            .first()
        )
        raise SyncAlreadyActive(active) from None
    sync_job_enqueue(job)
    logger.info(
        "full sync queued",
        extra={
            "connection": connection.pk,
            "data_type": str(data_type),
            "job": job.pk,
            "trigger": trigger,
            "force": force,
        },
    )
    return job


def sync_jobs_queue_full_all(
    *,
    connection: Connection,
    trigger: str = TriggerSource.CONNECT,
    data_types: Iterable[DataType] | None = None,
    force: bool = False,
    requested_by: str = "",
) -> list[SyncJob]:
    """Queue a full sync of every data type the platform supports; types already active are skipped."""
    jobs = []
    for data_type in data_types or syncable_data_types(connection):
        try:
            jobs.append(
                sync_job_queue_full(
                    connection=connection, data_type=data_type, trigger=trigger, force=force, requested_by=requested_by
                )
            )
        except SyncAlreadyActive:
            continue
    return jobs


def sync_jobs_cancel(*, connection: Connection, reason: str = "connection removed") -> int:
    """Cancel the connection's queued and running jobs. A running job sees the state at its next
    checkpoint and stops; the broker message of a queued one finds it cancelled and does nothing."""
    from ignite_bridge.celery import app

    jobs = list(SyncJob.objects.filter(connection=connection, state__in=ACTIVE_JOB_STATES))
    for job in jobs:
        if job.celery_task_id:
            try:
                app.control.revoke(job.celery_task_id)
            except Exception:  # noqa: BLE001 - revoke is a courtesy; the state change is what counts
                logger.warning("could not revoke task", extra={"job": job.pk})
    return SyncJob.objects.filter(pk__in=[j.pk for j in jobs], state__in=ACTIVE_JOB_STATES).update(
        state=JobState.CANCELLED, finished_at=timezone.now(), error=reason
    )


def sync_job_rerun(*, job: SyncJob, requested_by: str = "") -> SyncJob:
    """Queue a new full sync of the same connection and type, linked to ``job``.

    An unchanged catalogue makes no SparkLayer writes on a rerun: every record's hash matches.
    Raises ``SyncAlreadyActive`` like ``sync_job_queue_full``."""
    if job.kind != JobKind.FULL:
        raise ValueError("only full syncs can be rerun")
    new_job = sync_job_queue_full(
        connection=job.connection, data_type=job.data_type, trigger=TriggerSource.RERUN, requested_by=requested_by
    )
    SyncJob.objects.filter(pk=new_job.pk).update(rerun_of=job)
    new_job.rerun_of = job
    return new_job


def sync_job_cancel(*, job: SyncJob, reason: str = "cancelled by an operator") -> bool:
    """Cancel one queued or running job; a running one stops at its next checkpoint."""
    return bool(
        SyncJob.objects.filter(pk=job.pk, state__in=ACTIVE_JOB_STATES).update(
            state=JobState.CANCELLED, finished_at=timezone.now(), error=reason, claim_token=""
        )
    )
