"""Make sure the customer groups customers are put in exist in SparkLayer, and the ``customer_groups`` sync.

SparkLayer refuses a customer whose ``group`` it does not have (400), so every push of customers
(full sync and webhook) first ensures the groups its customers name, and the ``customer_groups``
full sync ensures every group the store's customers refer to. ``GET /api/v1/customer-groups`` is
read once per process and connection (and once per ``customer_groups`` job); a missing group is
created under ``base`` (``resource-already-exists``: another worker made it, fine). A group is
never renamed or deleted: SparkLayer's dashboard owns its settings once it exists.

A group SparkLayer refuses to create (a slug it does not accept, the 100-group limit) does not
stop the customers: each customer in it is refused and becomes an issue, as any refusal does; the
``customer_groups`` sync records an issue on the group itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import transaction

from connections.models import Connection
from ignite_bridge.core.errors import AuthenticationError, IntegrationError, PermanentError
from platforms.types import DataType, RecordIssue, SyncRecord
from sparklayer.client import SparkLayerClient
from sparklayer.payloads import BASE_CUSTOMER_GROUP, Customer, CustomerGroup, customer_group_for_slug
from sync.engine.issues import SPARKLAYER_REJECTED, issues_record, issues_resolve
from sync.engine.outcome import PushOutcome
from sync.models import SyncJob

logger = logging.getLogger(__name__)

_known: dict[int, set[str]] = {}  # connection id -> slugs known to exist in SparkLayer
_read_for_job: dict[int, int] = {}  # connection id -> the customer_groups job that last read the list
_lock = threading.Lock()


@dataclass
class GroupsEnsured:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    refused: dict[str, PermanentError] = field(default_factory=dict)


def customer_groups_ensure(
    *, connection_id: int, client: SparkLayerClient, groups: Iterable[CustomerGroup], refresh: bool = False
) -> GroupsEnsured:
    """Create the groups SparkLayer lacks. Only a slug not known to exist costs a read (and then a write).

    ``refresh`` reads SparkLayer's list even when every slug is known. A group SparkLayer refuses is
    returned in ``refused`` (and asked again next time), as is every group when the list itself is
    refused; transient and authentication errors are raised."""
    wanted: dict[str, CustomerGroup] = {}
    for group in groups:
        slug = group["slug"]
        if slug and slug != BASE_CUSTOMER_GROUP:
            wanted.setdefault(slug, group)
    result = GroupsEnsured()
    with _lock:
        known = set(_known.get(connection_id, ()))
    if not refresh and set(wanted) <= known:
        result.existing = sorted(wanted)
        return result
    try:
        listed = {str(row.get("slug")) for row in client.list_customer_groups()}
    except AuthenticationError:
        raise
    except PermanentError as exc:
        logger.warning("customer groups could not be listed", extra={"connection": connection_id, "status": exc.status})
        result.refused = dict.fromkeys(sorted(set(wanted) - known), exc)
        result.existing = sorted(set(wanted) & known)
        return result
    known = (known if not refresh else set()) | listed
    for slug, group in wanted.items():
        if slug in known:
            result.existing.append(slug)
            continue
        try:
            created = client.create_customer_group(group)
        except AuthenticationError:
            raise
        except PermanentError as exc:
            result.refused[slug] = exc
            logger.warning("customer group refused", extra={"connection": connection_id, "slug": slug})
            continue
        (result.created if created else result.existing).append(slug)
        known.add(slug)
        if created:
            logger.info("customer group created", extra={"connection": connection_id, "slug": slug})
    with _lock:
        _known[connection_id] = known
    return result


def customer_groups_forget(*, connection_id: int, slugs: Iterable[str] | None = None) -> None:
    """Forget that these groups (None: all of them) exist: SparkLayer refused a customer for its group."""
    with _lock:
        if slugs is None:
            _known.pop(connection_id, None)
        else:
            _known.get(connection_id, set()).difference_update(slugs)


def customer_groups_ensure_for_customers(
    *, connection_id: int, client: SparkLayerClient, records: Sequence[SyncRecord]
) -> GroupsEnsured:
    """Ensure the groups of the customers about to be pushed (their ``group``, from ``sparklayer_*`` meta)."""
    customers = [cast(Customer, r.payload) for r in records if r.payload]
    slugs = sorted({str(customer.get("group")) for customer in customers if customer.get("group")})
    return customer_groups_ensure(
        connection_id=connection_id, client=client, groups=[customer_group_for_slug(slug) for slug in slugs]
    )


def refused_for_customer_group(error: IntegrationError) -> bool:
    """A 400 to a customer upsert that names ``group`` (the group does not exist in SparkLayer)."""
    if error.status != 400:
        return False
    properties = [str(e.get("property") or e.get("field") or "").lstrip("/") for e in error.problem.errors]
    if any(prop == "group" for prop in properties):
        return True
    return "group" in f"{error.problem.title} {error.problem.detail}".lower() and not properties


def customer_groups_push(
    *,
    connection: Connection,
    records: Sequence[SyncRecord],
    client: SparkLayerClient,
    job: SyncJob | None,
    outcome: PushOutcome,
    on_commit_page: Callable[[PushOutcome], None] | None = None,
) -> PushOutcome:
    """One page of the ``customer_groups`` sync: ensure its groups, record refusals as issues, checkpoint.

    SparkLayer's list is read again at the first page of each job, so a group deleted in SparkLayer
    since the last run is created again."""
    refresh = False
    if job is not None:
        with _lock:
            refresh = _read_for_job.get(connection.pk) != job.pk
            _read_for_job[connection.pk] = job.pk
    groups: list[Any] = [record.payload for record in records if record.payload]
    ensured = customer_groups_ensure(connection_id=connection.pk, client=client, groups=groups, refresh=refresh)
    outcome.pushed = list(ensured.created)
    outcome.unchanged = list(ensured.existing)
    outcome.refused = sorted(ensured.refused)
    outcome.writes = len(ensured.created) + len(ensured.refused)
    by_slug: Mapping[str, SyncRecord] = {record.external_id: record for record in records}
    issues = [_refusal_issue(by_slug[slug], error) for slug, error in ensured.refused.items() if slug in by_slug]
    outcome.issues_opened = issues
    current = {record.external_id: {issue.code for issue in issues if issue.external_id == record.external_id}
               for record in records}  # fmt: skip
    with transaction.atomic():
        issues_record(connection=connection, data_type=DataType.CUSTOMER_GROUPS, issues=issues)
        outcome.issues_resolved = issues_resolve(
            connection=connection, data_type=DataType.CUSTOMER_GROUPS, current=current
        )
        if on_commit_page is not None:
            on_commit_page(outcome)
    return outcome


def _refusal_issue(record: SyncRecord, error: PermanentError) -> RecordIssue:
    summary = error.problem.summary()
    return RecordIssue(
        external_id=record.external_id,
        code=SPARKLAYER_REJECTED,
        message=(
            f"SparkLayer refused to create the customer group {record.external_id!r} (HTTP {error.status})"
            + (f": {summary}" if summary else ".")
            + " Customers in it cannot be synced until it exists."
        ),
        platform_url=record.platform_url,
        visible_id=record.visible_id,
    )
