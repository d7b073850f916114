"""``connections/sql.py``: each raw-SQL fast path returns what the ORM query it replaces returns."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connections.models import Connection, ConnectionState
from connections.sql import connection_get_raw
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

STATES = [state.value for state in ConnectionState]
PLATFORMS = ["woocommerce", "standard"]
#: every field but the primary key may be deferred
DEFERRABLE = sorted(f.name for f in Connection._meta.concrete_fields if not f.primary_key)


def _fields(connection: Connection) -> dict[str, Any]:
    """Every column's value (a deferred one is loaded on access, as the ORM's would be)."""
    return {f.attname: getattr(connection, f.attname) for f in connection._meta.concrete_fields}


def orm_get(*, where: dict[str, Any], exclude_state: str = "", defer: Sequence[str] = ()) -> Connection | None:
    """What ``connection_get_raw`` stands in for, in the ORM."""
    rows = Connection.objects.filter(**where)
    if exclude_state:
        rows = rows.exclude(state=exclude_state)
    return rows.defer(*defer).first()


def assert_same(raw: Connection | None, orm: Connection | None) -> None:
    assert (raw is None) == (orm is None)
    if raw is None or orm is None:
        return
    assert raw.pk == orm.pk
    assert raw.get_deferred_fields() == orm.get_deferred_fields()
    assert _fields(raw) == _fields(orm)


@pytest.mark.parametrize("state", [ConnectionState.ACTIVE, ConnectionState.PENDING])
def test_the_raw_query_reads_what_the_orm_reads(state: str) -> None:
    """Every field, decrypted secrets included, equals the ORM's."""
    shop = ConnectionFactory(state=state, store_url="https://shop.example.com")
    raw = connection_get_raw(where={"site_env": shop.site_env, "site_id": shop.site_id})
    assert raw is not None
    assert _fields(raw) == _fields(Connection.objects.get(pk=shop.pk))
    assert connection_get_raw(where={"uuid": shop.uuid, "platform": shop.platform}).pk == shop.pk


def test_the_raw_query_leaves_out_the_excluded_state() -> None:
    shop = ConnectionFactory(state=ConnectionState.REMOVED)
    where = {"site_env": shop.site_env, "site_id": shop.site_id}
    assert connection_get_raw(where=where).pk == shop.pk
    assert connection_get_raw(where=where, exclude_state=ConnectionState.REMOVED.value) is None


def test_a_uuid_given_as_text_finds_what_the_orm_finds() -> None:
    """The intake passes the URL's uuid as text; the column's own conversion makes it a uuid."""
    shop = ConnectionFactory()
    where = {"uuid": str(shop.uuid), "platform": shop.platform}
    assert_same(connection_get_raw(where=where), orm_get(where=where))


shops = st.lists(
    st.tuples(st.sampled_from(["test", "live"]), st.sampled_from(STATES), st.sampled_from(PLATFORMS)),
    min_size=1,
    max_size=4,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shops=shops, data=st.data())
def test_the_raw_query_finds_what_the_orm_finds(
    shops: list[tuple[str, str, str]], data: Any, example_rolled_back: Any
) -> None:
    """Any mix of connections, looked up by site or by uuid (matching one of them or none), with or
    without an excluded state and deferred fields: the same connection (or none) with the same
    values, the same fields deferred."""
    with example_rolled_back():
        made = [
            ConnectionFactory(site_env=env, site_id=f"site-{index}", state=state, platform=platform)
            for index, (env, state, platform) in enumerate(shops)
        ]
        target = data.draw(st.sampled_from(made), label="looked-up connection")
        by_site = data.draw(st.booleans(), label="by site")
        if by_site:
            where: dict[str, Any] = {
                "site_env": data.draw(st.sampled_from([target.site_env, "test", "live"]), label="env"),
                "site_id": data.draw(st.sampled_from([target.site_id, "site-0", "nobody"]), label="site"),
            }
        else:
            where = {
                "uuid": data.draw(st.sampled_from([target.uuid, uuid.uuid4()]), label="uuid"),
                "platform": data.draw(st.sampled_from([target.platform, *PLATFORMS]), label="platform"),
            }
        exclude_state = data.draw(st.sampled_from(["", *STATES]), label="excluded state")
        defer = data.draw(st.lists(st.sampled_from(DEFERRABLE), unique=True, max_size=4), label="deferred")

        raw = connection_get_raw(where=where, exclude_state=exclude_state, defer=defer)
        assert_same(raw, orm_get(where=where, exclude_state=exclude_state, defer=defer))
