"""``sync/engine/sql.py``: each raw-SQL fast path leaves the rows (and returns what) the ORM would for the
same input: the bulk insert/upsert against ``bulk_create``, the compare-and-sets against a read and an
ORM update per record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.engine.record_states import STATE_FIELDS, Unchanged
from sync.engine.sql import (
    issues_open_insert,
    issues_open_select,
    issues_seen_again_update,
    record_state_hash_select,
    record_states_confirm_raw_unchanged,
    record_states_confirm_unchanged,
    record_states_select,
    rows_insert,
)
from sync.models import PushLog, RecordState, SyncIssue, SyncIssueChange, SyncJob
from tests.factories import ConnectionFactory, SyncIssueFactory, SyncJobFactory

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
#: the compare-and-sets: a change shows only where a record matches its row, so more examples
MORE_EXAMPLES = settings(EXAMPLES, max_examples=100)
KEY = ("connection", "data_type", "external_id")
RECORD_COLUMNS = ["connection_id", "data_type", "external_id", *STATE_FIELDS]
RECORDS = ["r0", "r1", "r2", "r3"]

#: what a text or JSON column may hold: PostgreSQL takes no NUL character
text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8)
#: an issue's code and state, as the issue tests draw them
codes = st.sampled_from(["missing_sku", "refused"])
states = st.sampled_from(["open", "muted", "resolved"])
moments = st.none() | st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
state_values = st.fixed_dictionaries(
    {
        "content_hash": st.sampled_from(["", "a", "b"]) | text,
        "stock_hash": text,
        "pricing_hash": text,
        "skus": st.lists(text, max_size=3),
        "variants": st.dictionaries(text, text, max_size=3),
        "stock_keys": st.lists(st.lists(text, min_size=2, max_size=2), max_size=2),
        "pricing_keys": st.lists(st.lists(text, min_size=2, max_size=2), max_size=2),
        "retired_variants": st.dictionaries(text, text, max_size=2),
        "platform_updated_at": moments,
        "last_pushed_at": moments,
        "last_seen_job_id": st.none() | st.integers(1, 2**62),
        "deleted": st.booleans(),
        "read_version": moments,
        "in_doubt": st.booleans(),
        "raw_hash": text,
    }
)


def record_rows() -> list[tuple[Any, ...]]:
    """Every RecordState row's columns but the id, in key order."""
    return list(RecordState.objects.order_by("connection_id", "data_type", "external_id").values_list(*RECORD_COLUMNS))


# -- rows_insert --------------------------------------------------------------------------------------


@EXAMPLES
@given(
    existing=st.dictionaries(st.sampled_from(RECORDS), state_values, max_size=3),
    incoming=st.dictionaries(st.sampled_from(RECORDS), state_values, min_size=1, max_size=4),
    update=st.lists(st.sampled_from(STATE_FIELDS), unique=True, max_size=5),
)
def test_the_upsert_leaves_the_rows_bulk_create_leaves(
    existing: dict[str, dict[str, Any]],
    incoming: dict[str, dict[str, Any]],
    update: list[str],
    example_rolled_back: Any,
) -> None:
    """New rows inserted, existing ones updated in ``update``'s columns only (or left alone when it
    is empty), every value (JSON, timestamps, big integers) read back as the ORM's."""
    with example_rolled_back():
        connection = ConnectionFactory()
        for external_id, values in existing.items():
            RecordState.objects.create(connection=connection, data_type="products", external_id=external_id, **values)
        with example_rolled_back():
            models = [
                RecordState(connection=connection, data_type="products", external_id=external_id, **values)
                for external_id, values in incoming.items()
            ]
            if update:
                RecordState.objects.bulk_create(
                    models, update_conflicts=True, unique_fields=list(KEY), update_fields=update
                )
            else:
                RecordState.objects.bulk_create(models, ignore_conflicts=True)
            by_orm = record_rows()
        rows_insert(
            model=RecordState,
            names=(*KEY, *STATE_FIELDS),
            rows=[
                (connection.pk, "products", external_id, *(values[name] for name in STATE_FIELDS))
                for external_id, values in incoming.items()
            ],
            conflict=KEY,
            update=update,
        )
        assert record_rows() == by_orm


LOG_FIELDS = (
    "connection_id",
    "data_type",
    "external_id",
    "operation",
    "content_hash",
    "status",
    "error",
    "payload",
    "at",
)
log_values = st.tuples(
    st.sampled_from(RECORDS),
    st.sampled_from(["upsert", "stock", "pricing", "delete"]),
    text,
    st.none() | st.integers(100, 599),
    text,
    st.none() | st.dictionaries(text, st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text, max_size=3),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
)


@EXAMPLES
@given(logs=st.lists(log_values, min_size=1, max_size=5))
def test_the_insert_stores_the_rows_bulk_create_stores(logs: list[tuple[Any, ...]], example_rolled_back: Any) -> None:
    with example_rolled_back():
        connection = ConnectionFactory()
        rows = [(connection.pk, "products", *log) for log in logs]
        with example_rolled_back():
            created = PushLog.objects.bulk_create([PushLog(**dict(zip(LOG_FIELDS, row, strict=True))) for row in rows])
            for log, row in zip(created, rows, strict=True):  # ``at`` is auto_now_add: the ORM sets it by an update
                PushLog.objects.filter(pk=log.pk).update(at=row[-1])
            by_orm = list(PushLog.objects.order_by("pk").values_list(*LOG_FIELDS))
        rows_insert(model=PushLog, names=LOG_FIELDS, rows=rows)
        assert list(PushLog.objects.order_by("pk").values_list(*LOG_FIELDS)) == by_orm


# -- the compare-and-sets -----------------------------------------------------------------------------

minutes = st.none() | st.integers(0, 3).map(lambda n: BASE + timedelta(minutes=n))
#: stored rows: few distinct values, so that a record's hashes often match its row's
stored = st.fixed_dictionaries(
    {
        "content_hash": st.sampled_from(["", "a", "b"]),
        "stock_hash": st.sampled_from(["", "s"]),
        "pricing_hash": st.sampled_from(["", "p"]),
        "raw_hash": st.sampled_from(["", "x", "y"]),
        "read_version": minutes,
        "in_doubt": st.sampled_from([False, False, False, True]),
        "deleted": st.sampled_from([False, False, False, True]),
        "last_seen_job_id": st.none() | st.just(3),
        "variants": st.dictionaries(st.sampled_from(["11", "12"]), st.sampled_from(["A", "B"]), max_size=2),
    }
)
#: (connection, data type, external id) -> the row: a row for every record of the connection and type
#: the statements are given (0, products), and a few of another connection or type, which must stay untouched
rows_strategy = st.builds(
    lambda own, others: {(0, "products", external_id): values for external_id, values in own.items()} | others,
    st.fixed_dictionaries({external_id: stored for external_id in RECORDS}),
    st.dictionaries(
        st.tuples(st.sampled_from([(1, "products"), (0, "customers")]), st.sampled_from(RECORDS)).map(
            lambda key: (*key[0], key[1])
        ),
        stored,
        max_size=3,
    ),
)
#: external id -> (read at, its hashes: None for the stored row's own, raw hash): most records match their row
unchanged_records = st.dictionaries(
    st.sampled_from([*RECORDS, "missing"]),
    st.tuples(
        minutes,
        st.none() | st.tuples(st.sampled_from(["", "a", "b"]), st.sampled_from(["", "s"]), st.sampled_from(["", "p"])),
        st.sampled_from(["", "x", "y"]),
    ),
    min_size=1,
    max_size=5,
)


def make_states(rows: dict[tuple[int, str, str], dict[str, Any]]) -> list[Any]:
    connections = [ConnectionFactory(), ConnectionFactory()]
    for (index, data_type, external_id), values in rows.items():
        RecordState.objects.create(
            connection=connections[index], data_type=data_type, external_id=external_id, **values
        )
    return connections


def later(current: datetime | None, read_at: datetime | None) -> datetime | None:
    return read_at if read_at is not None and (current is None or current < read_at) else current


@MORE_EXAMPLES
@given(rows=rows_strategy, records=unchanged_records, job_id=st.none() | st.just(7))
def test_confirm_unchanged_changes_the_rows_the_orm_changes(
    rows: dict[Any, Any], records: dict[str, tuple[Any, ...]], job_id: int | None, example_rolled_back: Any
) -> None:
    with example_rolled_back():
        connection = make_states(rows)[0]
        page = []
        for external_id, (read_at, hashes, raw) in records.items():
            row = rows.get((0, "products", external_id), {"content_hash": "a", "stock_hash": "s", "pricing_hash": "p"})
            content, stock, pricing = hashes or (row["content_hash"], row["stock_hash"], row["pricing_hash"])
            page.append(
                Unchanged(external_id=external_id, read_at=read_at, content_hash=content, stock_hash=stock,
                          pricing_hash=pricing, raw_hash=raw)
            )  # fmt: skip
        with example_rolled_back():
            by_orm: set[str] = set()
            for record in page:
                row = RecordState.objects.filter(
                    connection=connection, data_type="products", external_id=record.external_id,
                    content_hash=record.content_hash, stock_hash=record.stock_hash, pricing_hash=record.pricing_hash,
                    in_doubt=False, deleted=False,
                ).first()  # fmt: skip
                if row is None:
                    continue
                row.read_version = later(row.read_version, record.read_at)
                row.raw_hash = record.raw_hash
                row.last_seen_job_id = job_id if job_id is not None else row.last_seen_job_id
                row.save(update_fields=["read_version", "raw_hash", "last_seen_job_id"])
                by_orm.add(record.external_id)
            rows_by_orm = record_rows()
        confirmed = record_states_confirm_unchanged(
            connection_id=connection.pk, data_type="products", records=page, job_id=job_id
        )
        assert confirmed == by_orm
        assert record_rows() == rows_by_orm


@MORE_EXAMPLES
@given(
    rows=rows_strategy,
    raw_hashes=st.dictionaries(
        st.sampled_from([*RECORDS, "missing"]), st.sampled_from(["x", "y", "stored", "stored"]), min_size=1, max_size=5
    ),
    read_at=minutes,
    job_id=st.none() | st.just(7),
)
def test_confirm_raw_unchanged_changes_the_rows_the_orm_changes(
    rows: dict[Any, Any], raw_hashes: dict[str, str], read_at: datetime | None, job_id: int | None,
    example_rolled_back: Any,
) -> None:  # fmt: skip
    with example_rolled_back():
        connection = make_states(rows)[0]
        stored = {(0, "products", external_id): "x" for external_id in raw_hashes} | {  # "stored": the row's own
            key: values["raw_hash"] or "x" for key, values in rows.items()
        }
        raw_hashes = {
            external_id: stored[(0, "products", external_id)] if raw == "stored" else raw
            for external_id, raw in raw_hashes.items()
        }
        with example_rolled_back():
            by_orm: dict[str, dict[str, str]] = {}
            for external_id, raw in raw_hashes.items():
                row = (
                    RecordState.objects.filter(
                        connection=connection,
                        data_type="products",
                        external_id=external_id,
                        raw_hash=raw,
                        in_doubt=False,
                        deleted=False,
                    )
                    .exclude(content_hash="")
                    .first()
                )
                if row is None:
                    continue
                row.read_version = later(row.read_version, read_at)
                row.last_seen_job_id = job_id if job_id is not None else row.last_seen_job_id
                row.save(update_fields=["read_version", "last_seen_job_id"])
                by_orm[external_id] = dict(row.variants)
            rows_by_orm = record_rows()
        confirmed = record_states_confirm_raw_unchanged(
            connection_id=connection.pk, data_type="products", raw_hashes=raw_hashes, read_at=read_at, job_id=job_id
        )
        assert confirmed == by_orm
        assert record_rows() == rows_by_orm


# -- record_states_select -----------------------------------------------------------------------------


@EXAMPLES
@given(
    stored=st.dictionaries(
        st.tuples(st.integers(0, 1), st.sampled_from(["products", "customers"]), st.sampled_from(RECORDS)),
        state_values,
        max_size=6,
    ),
    asked=st.lists(st.sampled_from([*RECORDS, "absent"]), max_size=5),
    data_type=st.sampled_from(["products", "customers"]),
)
def test_the_states_select_reads_the_rows_the_orm_reads(
    stored: dict[tuple[int, str, str], dict[str, Any]], asked: list[str], data_type: str, example_rolled_back: Any
) -> None:
    """Only the asked records of the one connection and data type, every column as the ORM reads it."""
    with example_rolled_back():
        connections = [ConnectionFactory(), ConnectionFactory()]
        for (owner, stored_type, external_id), values in stored.items():
            RecordState.objects.create(
                connection=connections[owner], data_type=stored_type, external_id=external_id, **values
            )
        by_orm = RecordState.objects.filter(connection=connections[0], data_type=data_type, external_id__in=asked)
        selected = record_states_select(connection_id=connections[0].pk, data_type=data_type, external_ids=asked)
        fields = [field.attname for field in RecordState._meta.concrete_fields]
        as_orm = sorted(tuple(getattr(row, name) for name in fields) for row in by_orm)
        assert sorted(tuple(getattr(row, name) for name in fields) for row in selected) == as_orm
        assert all(not row._state.adding for row in selected)


# -- issues_open_select, record_state_hash_select -----------------------------------------------------


ISSUE_COLUMNS = ("connection_id", "data_type", "external_id", "visible_id", "platform_url", "code", "message",
                 "state", "first_seen_at", "last_seen_at", "resolved_at", "occurrences", "last_job_id",
                 "last_event_id")  # fmt: skip
CHANGE_COLUMNS = ("issue__external_id", "issue__code", "issue__state", "at", "action", "by", "note", "job_id",
                  "event_id")  # fmt: skip


def issue_rows() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every issue's and issue change's columns but ids and row timestamps, in a stable order."""
    return (
        sorted(SyncIssue.objects.values_list(*ISSUE_COLUMNS), key=repr),
        sorted(SyncIssueChange.objects.values_list(*CHANGE_COLUMNS), key=repr),
    )


@EXAMPLES
@given(
    stored=st.lists(
        st.tuples(
            st.sampled_from(RECORDS),
            codes,
            states,
        ),
        max_size=4,
        unique_by=lambda issue: issue[:2],
    ),
    incoming=st.lists(
        st.tuples(
            st.sampled_from(RECORDS),
            text,
            text,
            codes,
            text | st.text("aé€😀", min_size=1999, max_size=2001),  # either side of the note's cut
        ),
        min_size=1,
        max_size=4,
        unique_by=lambda issue: (issue[0], issue[3]),
    ),
    with_job=st.booleans(),
)
def test_the_issues_insert_opens_and_records_what_the_orm_does(
    stored: list[tuple[str, str, str]],
    incoming: list[tuple[str, str, str, str, str]],
    with_job: bool,
    example_rolled_back: Any,
) -> None:
    """New issues open with their "opened" change (the message cut to 2,000 characters); a key with a
    live issue already is left alone, a resolved one does not stop a new row."""
    with example_rolled_back():
        connection = ConnectionFactory()
        job: SyncJob | None = SyncJobFactory(connection=connection) if with_job else None
        for external_id, code, state in stored:
            SyncIssueFactory(connection=connection, external_id=external_id, code=code, state=state,
                             first_seen_at=BASE, occurrences=3)  # fmt: skip
        now = BASE + timedelta(hours=1)
        with example_rolled_back():
            SyncIssue.objects.bulk_create(
                [
                    SyncIssue(
                        connection=connection,
                        data_type="products",
                        external_id=external_id,
                        visible_id=visible_id,
                        platform_url=platform_url,
                        code=code,
                        message=message,
                        first_seen_at=now,
                        last_seen_at=now,
                        last_job=job,
                    )
                    for external_id, visible_id, platform_url, code, message in incoming
                ],
                ignore_conflicts=True,
            )
            opened = SyncIssue.objects.filter(connection=connection, first_seen_at=now)
            SyncIssueChange.objects.bulk_create(
                [
                    SyncIssueChange(issue=issue, at=now, action="opened", note=issue.message[:2000], job=job)
                    for issue in opened
                ]
            )
            by_orm, count_by_orm = issue_rows(), len(opened)
        count = issues_open_insert(
            connection_id=connection.pk, data_type="products", issues=incoming, now=now,
            job_id=job.pk if job is not None else None, event_id=None,
        )  # fmt: skip
        assert (issue_rows(), count) == (by_orm, count_by_orm)
        assert not SyncIssue.objects.filter(first_seen_at=now).exclude(created_at=now, updated_at=now).exists()


@EXAMPLES
@given(
    stored=st.lists(
        st.tuples(
            st.sampled_from(RECORDS),
            codes,
            states,
            st.sampled_from(["m1", "m2"]),
            st.sampled_from(["https://store.test/1", "https://store.test/2"]),
            st.sampled_from(["SKU-1", "SKU-2"]),
        ),
        max_size=6,
        unique_by=lambda issue: issue[:2] if issue[2] != "resolved" else issue,  # one live issue a key
    ),
    incoming=st.lists(
        st.tuples(
            st.sampled_from([*RECORDS, "absent"]),
            codes,
            st.sampled_from(["m1", "m2"]),
            st.sampled_from(["", "https://store.test/1", "https://store.test/2"]),
            st.sampled_from(["", "SKU-1", "SKU-2"]),
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda issue: issue[:2],
    ),
    with_job=st.booleans(),
    other_data_type=st.booleans(),
)
def test_the_issues_seen_again_update_refreshes_what_the_orm_did(
    stored: list[tuple[str, str, str, str, str, str]],
    incoming: list[tuple[str, str, str, str, str]],
    with_job: bool,
    other_data_type: bool,
    example_rolled_back: Any,
) -> None:
    """A live issue (open or muted) of the same record and code whose message, platform URL and visible id
    are the ones given (an empty one given matches any) counts one more occurrence, seen now and by the
    job; nothing else changes: the read and ``update`` the ORM did per page."""
    with example_rolled_back():
        connection = ConnectionFactory()
        other = ConnectionFactory()  # its issues are never touched
        job: SyncJob | None = SyncJobFactory(connection=connection) if with_job else None
        for owner in (connection, other):
            for external_id, code, state, message, url, visible in stored:
                SyncIssueFactory(connection=owner, data_type="products", external_id=external_id, code=code,
                                 state=state, message=message, platform_url=url, visible_id=visible,
                                 first_seen_at=BASE, last_seen_at=BASE, occurrences=3)  # fmt: skip
        data_type = "customers" if other_data_type else "products"
        now = BASE + timedelta(hours=1)
        with example_rolled_back():
            live = {
                (row.external_id, row.code): row
                for row in SyncIssue.objects.filter(connection=connection, data_type=data_type,
                                                    state__in=["open", "muted"])
            }  # fmt: skip
            seen_again = []
            for external_id, code, message, url, visible in incoming:
                row = live.get((external_id, code))
                if row is not None and (row.message, row.platform_url, row.visible_id) == (
                    message, url or row.platform_url, visible or row.visible_id
                ):  # fmt: skip
                    seen_again.append(row)
            SyncIssue.objects.filter(pk__in=[row.pk for row in seen_again]).update(
                last_seen_at=now, occurrences=F("occurrences") + 1, updated_at=now,
                **({"last_job": job} if job is not None else {}),
            )  # fmt: skip
            by_orm, keys_by_orm = issue_rows(), {(row.external_id, row.code) for row in seen_again}
        keys = issues_seen_again_update(
            connection_id=connection.pk, data_type=data_type, issues=incoming, states=["open", "muted"], now=now,
            job_id=job.pk if job is not None else None, event_id=None,
        )  # fmt: skip
        assert (issue_rows(), keys) == (by_orm, keys_by_orm)
        assert SyncIssue.objects.filter(last_seen_at=now).exclude(updated_at=now).count() == 0


@EXAMPLES
@given(
    stored=st.lists(
        st.tuples(
            st.integers(0, 1),
            st.sampled_from(["products", "customers"]),
            st.sampled_from(RECORDS),
            codes,
            states,
        ),
        max_size=6,
        unique_by=lambda issue: issue[:4],
    ),
    asked=st.lists(st.sampled_from([*RECORDS, "absent"]), max_size=4),
    data_type=st.sampled_from(["products", "customers"]),
)
def test_the_open_issues_select_reads_what_the_orm_reads(
    stored: list[tuple[int, str, str, str, str]], asked: list[str], data_type: str, example_rolled_back: Any
) -> None:
    with example_rolled_back():
        connections = [ConnectionFactory(), ConnectionFactory()]
        for owner, stored_type, external_id, code, state in stored:
            SyncIssueFactory(
                connection=connections[owner], data_type=stored_type, external_id=external_id, code=code, state=state
            )
        by_orm = SyncIssue.objects.filter(
            connection=connections[0], data_type=data_type, external_id__in=asked, state="open"
        ).values_list("pk", "external_id", "code")
        selected = issues_open_select(connection_id=connections[0].pk, data_type=data_type, external_ids=asked)
        assert sorted(selected) == sorted(by_orm)


@EXAMPLES
@given(
    stored=st.lists(
        st.tuples(
            st.integers(0, 1),
            st.sampled_from(["merchant", "merchant", "products"]),
            st.sampled_from("abc"),
            st.booleans(),
        ),
        max_size=6,
    )
)
def test_the_state_hash_select_reads_what_the_orm_reads(
    stored: list[tuple[int, str, str, bool]], example_rolled_back: Any
) -> None:
    """The first live row's hash (by id) of one connection and data type, as ``merchant_hash`` reads it."""
    with example_rolled_back():
        connections = [ConnectionFactory(), ConnectionFactory()]
        for index, (owner, data_type, content_hash, deleted) in enumerate(stored):
            RecordState.objects.create(
                connection=connections[owner], data_type=data_type, external_id=f"r{index}",
                content_hash=content_hash, deleted=deleted,
            )  # fmt: skip
        by_orm = (
            RecordState.objects.filter(connection=connections[0], data_type="merchant", deleted=False)
            .values_list("content_hash", flat=True)
            .first()
        )
        assert record_state_hash_select(connection_id=connections[0].pk, data_type="merchant") == by_orm
