"""What a seed prints: the verdict, each difference (record, field, SparkLayer's value vs the
store's), ``RecordState`` against the expected hashes, what went wrong on the way, and the action log."""

from __future__ import annotations

import re
from collections import Counter

from sync.models import RecordState, SyncJob, WebhookEvent
from tests.convergence.difference import Difference
from tests.convergence.environment import Environment
from tests.convergence.walk import SeedResult

SHOWN = 40
WORKER_ERROR = re.compile(r"ERROR|CRITICAL|Traceback|Error:|Exception")


def one_line(result: SeedResult) -> str:
    verdict = "converged" if result.converged else "DIVERGED"
    extra = ""
    if result.not_quiet:
        extra = " (never quiet)"
    elif not result.converged:
        count = len(result.differences) + len(result.after_full_sync or [])
        extra = f" ({count} differences)"
    return f"seed {result.seed}: {verdict}{extra} in {result.seconds:.1f}s"


def _differences(title: str, found: list[Difference]) -> list[str]:
    lines = [f"{title}: {len(found)}"]
    lines += [f"  {d.render()}" for d in found[:SHOWN]]
    if len(found) > SHOWN:
        lines.append(f"  ... {len(found) - SHOWN} more")
    return lines


def kinds(result: SeedResult) -> set[str]:
    """The distinct kinds of difference of a seed, for the summary over many seeds."""
    found = {d.kind() for d in [*result.differences, *(result.after_full_sync or [])]}
    if result.not_quiet:
        found.add("never quiet")
    return found


def full_report(result: SeedResult, env: Environment) -> str:
    lines = [one_line(result), f"replay: bench/convergence.py --start {result.seed} --seeds 1 --steps {result.steps}"]
    if result.not_quiet:
        lines.append(result.not_quiet)
    if result.left_out:
        lines.append("left out of the first comparison (a change only a full sync can see):")
        lines += [f"  product {pid}: {why}" for pid, why in sorted(result.left_out.items())]
    lines += _differences("differences after the catch-up and reconcile", result.differences)
    if result.second_round is not None:
        settled = "settled" if not result.second_round else f"{len(result.second_round)} differences left"
        lines.append(f"after a second catch-up and reconcile round: {settled}")
    if result.after_full_sync is not None:
        lines += _differences("differences after the full products sync", result.after_full_sync)
    lines += record_states(result)
    lines += bookkeeping(result)
    if result.anomalies:
        lines.append("anomalies:")
        lines += [f"  {a}" for a in result.anomalies]
    lines.append(result.log.render())
    lines += worker_errors(result, env)
    return "\n".join(lines)


def record_states(result: SeedResult) -> list[str]:
    """``RecordState`` of every record named in a difference."""
    ids = {d.key for d in [*result.differences, *(result.after_full_sync or [])] if d.key is not None}
    if not ids or result.connection_id is None:
        return []
    lines = ["RecordState of those records now (after everything above):"]
    for data_type, external_id in sorted(ids):
        row = RecordState.objects.filter(
            connection_id=result.connection_id, data_type=data_type, external_id=external_id
        ).first()
        if row is None:
            lines.append(f"  {data_type} {external_id}: no row")
            continue
        lines.append(
            f"  {data_type} {external_id}: content {row.content_hash[:12]} stock {row.stock_hash[:12]} "
            f"pricing {row.pricing_hash[:12]} deleted={row.deleted} skus={row.skus} pushed {row.last_pushed_at}"
        )
    return lines


def bookkeeping(result: SeedResult) -> list[str]:
    """Failed webhook events and jobs that did not succeed: often the cause of a difference."""
    if result.connection_id is None:
        return []
    lines = []
    failed = WebhookEvent.objects.filter(connection_id=result.connection_id, state="failed")
    for event in failed[:20]:
        lines.append(f"  failed webhook event {event.pk} {event.topic} {event.record_id}: {event.last_error[:300]}")
    jobs = SyncJob.objects.filter(connection_id=result.connection_id).exclude(state="succeeded").order_by("pk")
    for job in jobs[:20]:
        lines.append(f"  sync job {job.pk} {job.kind} {job.data_type}: {job.state} {job.error[:300]!r}")
    outcomes = Counter(
        WebhookEvent.objects.filter(connection_id=result.connection_id).values_list("outcome", flat=True)
    )
    lines.append(f"  webhook event outcomes: {dict(outcomes)}")
    return ["bridge bookkeeping:", *lines]


def worker_errors(result: SeedResult, env: Environment) -> list[str]:
    if env.worker is None:
        return []
    text = env.worker.log_since(result.worker_log_offset)
    found = [line for line in text.splitlines() if WORKER_ERROR.search(line)]
    if not found:
        return []
    return [f"worker log errors during the seed ({len(found)}, last 30):", *(f"  {line}" for line in found[-30:])]
