"""Bearer-token authentication and the IP allow-list on Ignite endpoints."""

import pytest

pytestmark = [pytest.mark.urls("tests.core.urls")]


def test_no_header_is_401_problem(anonymous_client):
    response = anonymous_client.get("/v1/test/probe")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_token_is_401(anonymous_client):
    response = anonymous_client.get("/v1/test/probe", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_wrong_scheme_is_401(anonymous_client, ignite_token):
    response = anonymous_client.get("/v1/test/probe", HTTP_AUTHORIZATION=f"Token {ignite_token}")
    assert response.status_code == 401


@pytest.mark.parametrize("index", [0, 1])
def test_each_configured_token_is_accepted(anonymous_client, settings, index):
    settings.IGNITE_API_TOKENS = ["first-token", "second-token"]
    token = settings.IGNITE_API_TOKENS[index]
    response = anonymous_client.get("/v1/test/probe", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json() == {"caller_token_index": index}


def test_rotated_out_token_is_refused(anonymous_client, settings):
    settings.IGNITE_API_TOKENS = ["old-token", "new-token"]
    assert anonymous_client.get("/v1/test/probe", HTTP_AUTHORIZATION="Bearer old-token").status_code == 200
    settings.IGNITE_API_TOKENS = ["new-token"]
    response = anonymous_client.get("/v1/test/probe", HTTP_AUTHORIZATION="Bearer old-token")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_prefix_of_a_token_is_refused(anonymous_client, settings):
    settings.IGNITE_API_TOKENS = ["abcdef"]
    assert anonymous_client.get("/v1/test/probe", HTTP_AUTHORIZATION="Bearer abc").status_code == 401


def test_ip_outside_allow_list_is_refused(api_client, settings):
    settings.IGNITE_ALLOWED_IPS = ["10.20.0.0/16"]
    response = api_client.get("/v1/test/probe", REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_ip_inside_allow_list_is_accepted(api_client, settings):
    settings.IGNITE_ALLOWED_IPS = ["10.20.0.0/16", "2001:db8::/32"]
    assert api_client.get("/v1/test/probe", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert api_client.get("/v1/test/probe", REMOTE_ADDR="2001:db8::1").status_code == 200
