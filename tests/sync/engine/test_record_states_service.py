"""``sync/engine/record_states.py`` on real PostgreSQL: the three ways a RecordState row changes
(save, claim, compare-and-set confirm) and the lookups the write path makes (docs/sync-design.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connections.models import Connection
from sync.engine.record_states import (
    StateRow,
    Unchanged,
    retired_holders,
    sku_holders,
    states_claim,
    states_confirm_raw_unchanged,
    states_confirm_unchanged,
    states_load,
    states_save,
    states_track,
)
from sync.models import RecordState
from tests.factories import ConnectionFactory, RecordStateFactory, SyncJobFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "products"
EARLY = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATE = EARLY + timedelta(hours=1)


@pytest.fixture
def connection() -> Connection:
    return ConnectionFactory()


def pushed(connection: Connection, external_id: str, **fields: object) -> RecordState:
    values: dict[str, object] = {
        "content_hash": "c1",
        "stock_hash": "s1",
        "pricing_hash": "p1",
        "read_version": EARLY,
        **fields,
    }
    return RecordStateFactory(connection=connection, data_type=PRODUCTS, external_id=external_id, **values)


def unchanged(external_id: str, read_at: datetime | None = LATE, **fields: str) -> Unchanged:
    hashes = {"content_hash": "c1", "stock_hash": "s1", "pricing_hash": "p1", **fields}
    return Unchanged(external_id=external_id, read_at=read_at, **hashes)


def test_state_row_reads_the_model_and_says_what_sparklayer_holds(connection: Connection) -> None:
    pushed(connection, "1", skus=["A"], variants={"11": "A"}, stock_keys=[["A", "default"]])

    row = states_load(connection=connection, data_type=PRODUCTS, external_ids=["1", "2"])["1"]

    assert (row.exists, row.content_hash, row.skus, row.variants, row.stock_keys) == (
        True, "c1", ["A"], {"11": "A"}, [["A", "default"]],
    )  # fmt: skip
    assert row.in_sparklayer
    assert row.holds_anything
    assert not StateRow().in_sparklayer
    assert StateRow(retired_variants={"11": "A"}).in_sparklayer  # discontinued variants are still there
    assert not StateRow(retired_variants={"11": "A"}).holds_anything
    assert StateRow(pricing_keys=[["A", "gbp"]]).holds_anything


def test_load_reads_only_the_connections_rows_of_the_type(connection: Connection) -> None:
    pushed(connection, "1")
    RecordStateFactory(connection=connection, data_type="customers", external_id="1")
    RecordStateFactory(data_type=PRODUCTS, external_id="1")  # another connection

    rows = states_load(connection=connection, data_type=PRODUCTS, external_ids=["1"])

    assert list(rows) == ["1"]
    assert rows["1"].content_hash == "c1"


def test_save_inserts_and_overwrites_every_state_field(connection: Connection) -> None:
    pushed(connection, "1", in_doubt=True)
    rows = {
        "1": StateRow(content_hash="c2", skus=["B"], read_version=LATE),
        "2": StateRow(content_hash="c3", deleted=True),
    }

    states_save(connection=connection, data_type=PRODUCTS, rows=rows)

    saved = {r.external_id: r for r in RecordState.objects.filter(connection=connection)}
    first = saved["1"]
    assert (first.content_hash, first.skus, first.in_doubt, first.stock_hash) == ("c2", ["B"], False, "")
    assert (saved["2"].content_hash, saved["2"].deleted) == ("c3", True)
    assert all(row.exists for row in rows.values())


def test_claim_marks_in_doubt_and_writes_only_the_claim_fields(connection: Connection) -> None:
    pushed(connection, "1", raw_hash="r1", last_pushed_at=EARLY)
    row = states_load(connection=connection, data_type=PRODUCTS, external_ids=["1"])["1"]
    row.content_hash = ""  # the part about to be written is unknown until SparkLayer accepts it
    row.skus = ["A", "B"]
    row.last_pushed_at = LATE  # not a claim field: must stay as stored

    states_claim(connection=connection, data_type=PRODUCTS, rows={"1": row})

    stored = RecordState.objects.get(connection=connection, external_id="1")
    assert (stored.in_doubt, stored.raw_hash, stored.content_hash, stored.skus) == (True, "", "", ["A", "B"])
    assert stored.stock_hash == "s1"
    assert stored.last_pushed_at == EARLY
    assert (row.in_doubt, row.raw_hash) == (True, "")


def test_confirm_unchanged_moves_the_read_version_forward_and_marks_seen_where_hashes_still_match(
    connection: Connection,
) -> None:
    job = SyncJobFactory(connection=connection)
    pushed(connection, "same")
    pushed(connection, "changed", content_hash="c9")
    pushed(connection, "doubt", in_doubt=True)
    pushed(connection, "gone", deleted=True)

    confirmed = states_confirm_unchanged(
        connection=connection,
        data_type=PRODUCTS,
        records=[unchanged("same", raw_hash="r1"), unchanged("changed"), unchanged("doubt"), unchanged("gone")],
        job_id=job.pk,
    )

    assert confirmed == {"same"}
    rows = {r.external_id: r for r in RecordState.objects.filter(connection=connection)}
    assert (rows["same"].read_version, rows["same"].raw_hash, rows["same"].last_seen_job_id) == (LATE, "r1", job.pk)
    assert rows["changed"].read_version == EARLY
    assert rows["changed"].last_seen_job_id is None


def test_confirm_unchanged_never_moves_the_read_version_back(connection: Connection) -> None:
    pushed(connection, "1", read_version=LATE)

    assert states_confirm_unchanged(
        connection=connection, data_type=PRODUCTS, records=[unchanged("1", read_at=EARLY)], job_id=None
    ) == {"1"}

    assert RecordState.objects.get(connection=connection, external_id="1").read_version == LATE


def test_confirm_raw_unchanged_confirms_rows_with_that_raw_hash_and_content(connection: Connection) -> None:
    job = SyncJobFactory(connection=connection)
    pushed(connection, "1", raw_hash="r1", variants={"11": "A"})
    pushed(connection, "2", raw_hash="r2")
    pushed(connection, "3", raw_hash="r3", content_hash="")  # holds no content: must be mapped
    pushed(connection, "4", raw_hash="r4", in_doubt=True)

    confirmed = states_confirm_raw_unchanged(
        connection=connection,
        data_type=PRODUCTS,
        raw_hashes={"1": "r1", "2": "other", "3": "r3", "4": "r4", "5": ""},
        read_at=LATE,
        job_id=job.pk,
    )

    assert confirmed == {"1": {"11": "A"}}
    row = RecordState.objects.get(connection=connection, external_id="1")
    assert (row.read_version, row.last_seen_job_id) == (LATE, job.pk)
    assert RecordState.objects.get(connection=connection, external_id="2").last_seen_job_id is None


def test_track_creates_live_rows_and_revives_gone_ones_without_touching_their_hashes(connection: Connection) -> None:
    job = SyncJobFactory(connection=connection)
    pushed(connection, "1", deleted=True)
    pushed(connection, "3")

    states_track(connection=connection, data_type=PRODUCTS, external_ids=["1", "2"], job_id=job.pk)

    rows = {r.external_id: r for r in RecordState.objects.filter(connection=connection)}
    assert (rows["1"].deleted, rows["1"].content_hash, rows["1"].last_seen_job_id) == (False, "c1", job.pk)
    assert (rows["2"].deleted, rows["2"].content_hash, rows["2"].last_seen_job_id) == (False, "", job.pk)
    assert rows["3"].last_seen_job_id is None  # not seen: not marked
    assert StateRow.from_model(rows["2"]).values() == {**StateRow().values(), "last_seen_job_id": job.pk}


def test_track_without_a_job_leaves_what_a_job_saw(connection: Connection) -> None:
    job = SyncJobFactory(connection=connection)
    pushed(connection, "1", deleted=True, last_seen_job_id=job.pk)

    states_track(connection=connection, data_type=PRODUCTS, external_ids=["1", "2"], job_id=None)

    seen = {r.external_id: (r.deleted, r.last_seen_job_id) for r in RecordState.objects.filter(connection=connection)}
    assert seen == {"1": (False, job.pk), "2": (False, None)}


def test_sku_holders_finds_other_live_records_claiming_a_sku(connection: Connection) -> None:
    # a claim puts the SKUs of the stock and prices it writes in ``skus`` too (states_claim), as here
    pushed(connection, "1", skus=["A"])
    pushed(connection, "2", skus=["B"], stock_keys=[["B", "default"]])
    pushed(connection, "3", skus=["A"], pricing_keys=[["A", "gbp"]])
    pushed(connection, "4", skus=["A"], deleted=True)
    pushed(connection, "5", skus=["C"])

    holders = sku_holders(connection=connection, data_type=PRODUCTS, skus=["A", "B"], exclude=["3"])

    assert holders == {"A": {"1"}, "B": {"2"}}
    assert sku_holders(connection=connection, data_type=PRODUCTS, skus=[]) == {}


def test_retired_holders_names_the_discontinued_variants_holding_a_sku(connection: Connection) -> None:
    pushed(connection, "1", retired_variants={"11": "A", "12": "B"})
    pushed(connection, "2", retired_variants={"21": "A"})
    pushed(connection, "3", skus=["A"])

    found = retired_holders(connection=connection, data_type=PRODUCTS, skus=["A"])

    assert {sku: sorted(pairs) for sku, pairs in found.items()} == {"A": [("1", "11"), ("2", "21")]}
