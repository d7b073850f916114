"""Connection selectors: ``connection_get_active_or_404`` (how a customer request turns "no connection" into
a 404). The raw-SQL fast path it stands on is checked against the ORM in ``test_connections_sql.py``."""

from __future__ import annotations

import pytest
from django.http import Http404

from connections.models import ConnectionState
from connections.selectors import connection_get_active_or_404
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
