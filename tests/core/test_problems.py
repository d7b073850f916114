"""Every error on an API path is RFC 7807 problem JSON, never HTML or a traceback."""

import pytest

pytestmark = [pytest.mark.urls("tests.core.urls")]

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert "Traceback" not in response.content.decode()
    return body


def test_validation_error_has_one_entry_per_field(api_client):
    response = api_client.post("/v1/test/probe", {"email": "not-an-email", "quantity": 0}, format="json")
    body = assert_problem(response, 400)
    assert sorted(e["property"] for e in body["errors"]) == ["email", "quantity"]
    assert all(e["code"] and e["message"] for e in body["errors"])


def test_malformed_json_is_400_problem(api_client):
    response = api_client.generic("POST", "/v1/test/probe", "{not json", content_type="application/json")
    assert_problem(response, 400)


def test_unknown_api_path_is_404_problem(api_client):
    assert_problem(api_client.get("/v1/no/such/path/at/all"), 404)


def test_wrong_method_is_405_problem(api_client):
    response = api_client.delete("/v1/test/probe")
    assert_problem(response, 405)


@pytest.mark.parametrize("path", ["/v1/test/broken", "/v1/test/plain-broken"])
def test_unexpected_exception_is_500_problem_without_internals(api_client, path):
    api_client.raise_request_exception = False
    response = api_client.get(path)
    body = assert_problem(response, 500)
    assert "secret internals" not in response.content.decode()
    assert "exploded" not in body["detail"]


def test_non_api_paths_keep_html_errors(client):
    response = client.get("/not-an-api-path/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/problem+json")
