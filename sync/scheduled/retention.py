"""Retention: what the bridge stops keeping, in small batches that never hold a lock for long.

Run hourly by beat (``sync.tasks.retention_prune_task``) and by ``manage.py prune [--dry-run]``.

* **Event bodies** of *finished* webhook events (succeeded, failed, superseded, ignored) are emptied
  after ``RETENTION_EVENT_BODY_DAYS`` (14): processing never reads them (the record is fetched fresh,
  ``sync/incremental/apply.py``), so they are evidence only. The row, its headers (with the delivery's
  correlation id), outcome and error stay.
* **Finished events** are deleted, with their attempts, after ``RETENTION_EVENT_DAYS`` (90).
* **Push logs** are deleted after ``RETENTION_PUSHLOG_DAYS`` (30).
* **Finished sync jobs** beyond the newest ``RETENTION_JOBS_KEPT`` (200) per connection, data type
  and kind are deleted (the dashboard and the job list show recent ones).

Never pruned: an event that is not final (received, queued, processing: it still has work to do); the
events and push logs of a record with an open or muted issue (the record timeline the operator needs
to fix it, ``sync/selectors/timeline.py``); ``RecordState`` (what SparkLayer holds) and issues.

**Dedupe.** A repeat delivery is recognised by its stored row (``delivery_is_repeat`` in
``sync/intake/intake.py``), which reads the row's key, state and timestamps, never its body. So
bodies may go at any age, and rows are never deleted younger than ``WEBHOOK_DEDUPE_WINDOW_SECONDS``
whatever ``RETENTION_EVENT_DAYS`` says: a late duplicate is still recognised for the whole window.

Every statement changes at most ``RETENTION_BATCH_SIZE`` rows in its own short transaction; rows are
found by walking an index (``received_at``, ``at``) in order, so a batch never scans what an earlier
batch of the same run passed. Rows that point at a deleted row are detached first as their foreign
key says (attempts deleted with their event; push logs, coalesced events and reruns keep living
without the link). Running it twice at once is harmless (each batch is a statement on its own).
The pages are read by raw SQL (``sync/scheduled/sql.py``); the changes are ORM statements by id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection as db_connection
from django.db import models, transaction
from django.utils import timezone

from sync.models import PushLog, SyncJob, WebhookEvent
from sync.models.jobs import FINAL_JOB_STATES
from sync.scheduled.sql import (
    FINAL_EVENT_STATES,
    PageRow,
    push_logs_deletable_page,
    sync_jobs_beyond_kept,
    webhook_event_bodies_page,
    webhook_events_deletable_page,
)

logger = logging.getLogger(__name__)


@dataclass
class PruneResult:
    """Rows changed (or, in a dry run, that would be), and the longest single statement in seconds."""

    dry_run: bool = False
    bodies_emptied: int = 0
    events_deleted: int = 0
    attempts_deleted: int = 0
    push_logs_deleted: int = 0
    jobs_deleted: int = 0
    longest_statement: float = 0.0
    finished: bool = True  # False when the run stopped at its time limit (the next one goes on)
    timings: list[float] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "bodies_emptied": self.bodies_emptied,
            "events_deleted": self.events_deleted,
            "attempts_deleted": self.attempts_deleted,
            "push_logs_deleted": self.push_logs_deleted,
            "jobs_deleted": self.jobs_deleted,
            "longest_statement_seconds": round(self.longest_statement, 4),
            "finished": self.finished,
        }


@dataclass(frozen=True)
class Cutoffs:
    bodies: datetime
    events: datetime
    push_logs: datetime


def retention_cutoffs(*, now: datetime | None = None) -> Cutoffs:
    """The ages beyond which things go; events never younger than the dedupe window."""
    now = now or timezone.now()
    dedupe = timedelta(seconds=settings.WEBHOOK_DEDUPE_WINDOW_SECONDS)
    return Cutoffs(
        bodies=now - timedelta(days=settings.RETENTION_EVENT_BODY_DAYS),
        events=min(now - timedelta(days=settings.RETENTION_EVENT_DAYS), now - dedupe),
        push_logs=now - timedelta(days=settings.RETENTION_PUSHLOG_DAYS),
    )


def retention_prune(
    *, dry_run: bool = False, now: datetime | None = None, max_seconds: float | None = None
) -> PruneResult:
    """Prune what the retention settings allow (see the module docstring); ``dry_run`` only counts.

    ``max_seconds`` stops between batches once exceeded (``finished`` is then False); the next run
    goes on where this one stopped, since everything it looks at is still there."""
    cutoffs = retention_cutoffs(now=now)
    result = PruneResult(dry_run=dry_run)
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    batch = max(1, settings.RETENTION_BATCH_SIZE)
    # events that go whole go first: emptying their bodies before would rewrite rows about to be deleted
    steps: list[Callable[[], bool]] = [
        lambda: _delete_events(cutoffs.events, batch, result, deadline),
        lambda: _empty_bodies(cutoffs.bodies, batch, result, deadline),
        lambda: _delete_push_logs(cutoffs.push_logs, batch, result, deadline),
        lambda: _delete_jobs(batch, result, deadline),
    ]
    for step in steps:
        if not step():
            result.finished = False
            break
    logger.info("retention prune", extra=result.as_dict())
    return result


# -- steps (each returns False when the deadline stopped it) -----------------------------------------


def _old_event_pages(
    page: Callable[..., list[PageRow]], cutoff: datetime, batch: int, deadline: float | None
) -> Iterator[list[int] | None]:
    """Keyset pages of the events received before ``cutoff``, read by ``page`` (``sync/scheduled/sql.py``):
    per page, the ids of the events it says may go (pages with none are passed over). Yields ``None``
    once the deadline has passed, before reading another page."""
    after: tuple[datetime, int] | None = None
    while True:
        if _past(deadline):
            yield None
            return
        rows = page(received_before=cutoff, after=after, limit=batch)
        if not rows:
            return
        after = (rows[-1][1], rows[-1][0])
        ids = [row[0] for row in rows if row[2]]
        if ids:
            yield ids


def _empty_bodies(cutoff: datetime, batch: int, result: PruneResult, deadline: float | None) -> bool:
    for ids in _old_event_pages(webhook_event_bodies_page, cutoff, batch, deadline):
        if ids is None:
            return False
        if result.dry_run:
            result.bodies_emptied += len(ids)
            continue
        result.bodies_emptied += _timed(
            result,
            lambda ids=ids: WebhookEvent.objects.filter(pk__in=ids, state__in=FINAL_EVENT_STATES).update(body=b""),
        )
    return True


def _delete_events(cutoff: datetime, batch: int, result: PruneResult, deadline: float | None) -> bool:
    for ids in _old_event_pages(webhook_events_deletable_page, cutoff, batch, deadline):
        if ids is None:
            return False
        if result.dry_run:
            result.events_deleted += len(ids)
            continue
        deleted = _timed(result, _delete_rows, WebhookEvent, ids, state__in=FINAL_EVENT_STATES)
        result.events_deleted += deleted.get(WebhookEvent._meta.label, 0)
        result.attempts_deleted += deleted.get("sync.WebhookEventAttempt", 0)
    return True


def _delete_push_logs(cutoff: datetime, batch: int, result: PruneResult, deadline: float | None) -> bool:
    after: tuple[datetime, int] | None = None
    while True:
        if _past(deadline):
            return False
        rows = push_logs_deletable_page(at_before=cutoff, after=after, limit=batch)
        if not rows:
            return True
        after = (rows[-1][1], rows[-1][0])
        ids = [row[0] for row in rows if row[2]]
        if not ids:
            continue
        if result.dry_run:
            result.push_logs_deleted += len(ids)
            continue
        deleted = _timed(result, _delete_rows, PushLog, ids)
        result.push_logs_deleted += deleted.get(PushLog._meta.label, 0)


def _delete_jobs(batch: int, result: PruneResult, deadline: float | None) -> bool:
    ids = sync_jobs_beyond_kept(kept=settings.RETENTION_JOBS_KEPT)
    for start in range(0, len(ids), batch):
        if _past(deadline):
            return False
        chunk = ids[start : start + batch]
        if result.dry_run:
            result.jobs_deleted += len(chunk)
            continue
        deleted = _timed(result, _delete_rows, SyncJob, chunk, state__in=FINAL_JOB_STATES)
        result.jobs_deleted += deleted.get(SyncJob._meta.label, 0)
    return True


# -- helpers -------------------------------------------------------------------------------------------


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _timed(result: PruneResult, statement: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    started = time.monotonic()
    value = statement(*args, **kwargs)
    elapsed = time.monotonic() - started
    result.longest_statement = max(result.longest_statement, elapsed)
    result.timings.append(elapsed)
    return value


def _empty(ids: list[int]) -> int:
    return WebhookEvent.objects.filter(pk__in=ids, state__in=FINAL_EVENT_STATES).update(body=b"")


def _delete_rows(model: type[models.Model], ids: list[int], **still: Any) -> dict[str, int]:
    """Delete ``ids`` of ``model`` (only those still matching ``still``) in one short transaction,
    first detaching the rows that point at them as their foreign keys say. Returns rows deleted per
    model label. Plain statements by id, never the ORM's collector: it would load every row (and an
    event's body) into memory."""
    deleted: dict[str, int] = {}
    with transaction.atomic():
        if still:  # locked, so a replay cannot make one of them pending again before it is gone
            rows = model._base_manager.select_for_update(skip_locked=True).filter(pk__in=ids, **still)
            ids = list(rows.values_list("pk", flat=True))
        _detach(model, ids, deleted)
        count = model._base_manager.filter(pk__in=ids)._raw_delete(db_connection.alias)  # type: ignore[attr-defined]
        deleted[model._meta.label] = deleted.get(model._meta.label, 0) + int(count or 0)
    return deleted


def _detach(model: type[models.Model], ids: list[int], deleted: dict[str, int]) -> None:
    if not ids:
        return
    for relation in model._meta.related_objects:
        related = relation.related_model
        fk = relation.field
        rows = related._base_manager.filter(**{f"{fk.name}__in": ids})  # type: ignore[union-attr]
        if relation.on_delete is models.SET_NULL:
            rows.update(**{fk.name: None})
        elif relation.on_delete is models.CASCADE:
            related_ids = list(rows.values_list("pk", flat=True))
            _detach(related, related_ids, deleted)  # type: ignore[arg-type]
            count = related._base_manager.filter(pk__in=related_ids)._raw_delete(db_connection.alias)  # type: ignore[union-attr]
            label = related._meta.label  # type: ignore[union-attr]
            deleted[label] = deleted.get(label, 0) + int(count or 0)
        else:
            raise RuntimeError(f"retention cannot delete {model._meta.label}: {fk} is {relation.on_delete.__name__}")
