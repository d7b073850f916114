"""Liveness and readiness probes."""

import pytest
from django.db import connections


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
def test_readyz_is_200_when_database_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["database"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_problem_when_database_is_unreachable(client):
    conn = connections["default"]
    saved = dict(conn.settings_dict)
    conn.close()
    if conn.vendor == "sqlite":
        conn.settings_dict["NAME"] = "/nonexistent-dir/for/readyz/db.sqlite3"
    else:
        conn.settings_dict.update(HOST="127.0.0.1", PORT="1")  # a closed port
    try:
        response = client.get("/readyz")
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert "database unreachable" in response.json()["detail"]
