"""Fixtures of the operator-console tests: two connections with history, a superuser, an operator of A only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.admin.support import PASSWORD, History, make_history, make_operator
from tests.factories import ConnectionFactory


@pytest.fixture
def history_a(db: None) -> History:
    return make_history(ConnectionFactory(site_id="alpha-store"), prefix="alpha")


@pytest.fixture
def history_b(db: None) -> History:
    return make_history(ConnectionFactory(site_id="bravo-store"), prefix="bravo")


@pytest.fixture
def superuser(db: None) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)


@pytest.fixture
def operator_a(history_a: History, history_b: History) -> Any:
    """Staff, assigned to connection A only."""
    return make_operator("operator-a", history_a.connection)


@pytest.fixture
def admin_client_root(superuser: Any) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def client_a(operator_a: Any) -> Client:
    client = Client()
    client.force_login(operator_a)
    return client
