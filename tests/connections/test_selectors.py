"""Connection selectors: ``connection_get_active_or_404`` (how a customer request turns "no connection" into
a 404) and the raw-SQL fast path ``connection_get_raw`` it stands on, checked against the ORM."""

from __future__ import annotations

import pytest
from django.http import Http404

from connections.models import Connection, ConnectionState
from connections.selectors import connection_get_active_or_404, connection_get_raw
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_the_active_connection_of_a_site_is_found() -> None:
    shop = ConnectionFactory()
    found = connection_get_active_or_404(site_env=shop.site_env, site_id=shop.site_id)
    assert found.pk == shop.pk


def test_a_site_that_never_connected_is_a_404_naming_it() -> None:
    with pytest.raises(Http404, match=r"^No active connection for test/nobody\.$"):
        connection_get_active_or_404(site_env="test", site_id="nobody")


@pytest.mark.parametrize("state", [ConnectionState.PENDING, ConnectionState.REMOVED])
def test_a_connection_that_is_not_active_is_a_404(state) -> None:
    shop = ConnectionFactory(state=state)
    with pytest.raises(Http404):
        connection_get_active_or_404(site_env=shop.site_env, site_id=shop.site_id)


def test_the_other_environment_of_the_same_site_is_not_found() -> None:
    shop = ConnectionFactory(site_env="test")
    with pytest.raises(Http404):
        connection_get_active_or_404(site_env="live", site_id=shop.site_id)


def test_deferred_columns_are_not_read() -> None:
    shop = ConnectionFactory()
    found = connection_get_active_or_404(site_env=shop.site_env, site_id=shop.site_id, defer=["webhook_secret"])
    assert "webhook_secret" in found.get_deferred_fields()


def _fields(connection) -> dict:
    return {f.attname: getattr(connection, f.attname) for f in connection._meta.concrete_fields}


@pytest.mark.parametrize("state", [ConnectionState.ACTIVE, ConnectionState.PENDING])
def test_the_raw_query_reads_what_the_orm_reads(state) -> None:
    """``connection_get_raw`` is a fast path: every field, decrypted secrets included, equals the ORM's."""
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
