"""Connect (``POST /v1/{siteEnv}/{siteId}``) against the SparkLayer and WooCommerce sandboxes over HTTP."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connections.models import Connection, ConnectionState
from platforms.base import platform_adapter_class
from platforms.types import TRIGGERABLE_DATA_TYPES
from sync.models import SyncJob
from tests.connections.support import (
    SPARK_SECRET,
    STOREFRONT_SECRET,
    closed_port,
    connect_body,
    job_states,
    raw_columns,
)
from tests.support import Stores

pytestmark = pytest.mark.django_db
URL = "/v1/test/bobs-store"
WOO_TYPES = [t for t in TRIGGERABLE_DATA_TYPES if t in platform_adapter_class("woocommerce").data_types]


def delivery_url(connection: Connection) -> str:
    return f"http://127.0.0.1:8000/webhooks/woocommerce/{connection.uuid}/"


def post(api_client: Any, body: Any, capture: Any, url: str = URL) -> Any:
    with capture(execute=True):
        return api_client.post(url, body, format="json")


def test_connect_with_valid_credentials_activates_registers_webhooks_and_queues_full_syncs(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    response = post(api_client, connect_body(stores.woo_url), django_capture_on_commit_callbacks)

    assert response.status_code == 204, response.content
    assert response.content == b""
    connection = Connection.objects.get()
    assert (connection.site_env, connection.site_id, connection.platform) == ("test", "bobs-store", "woocommerce")
    assert connection.state == ConnectionState.ACTIVE
    assert connection.activated_at is not None
    assert connection.store_url == stores.woo_url
    assert connection.platform_credentials == {"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"}
    assert connection.storefront_secret == STOREFRONT_SECRET
    assert len(connection.webhook_secret) >= 32
    assert connection.webhook_secret.isalnum()
    assert connection.state_reason == ""
    hooks = stores.woo_webhooks(delivery_url(connection))
    assert len(hooks) == 11
    assert {h["status"] for h in hooks} == {"active"}
    assert sorted(connection.webhook_ids) == sorted(str(h["id"]) for h in hooks)
    assert job_states(connection) == {str(t): ["queued"] for t in WOO_TYPES}
    assert all(j.trigger == "connect" for j in SyncJob.objects.all())


def test_secrets_are_encrypted_at_rest(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    post(api_client, connect_body(stores.woo_url), django_capture_on_commit_callbacks)
    connection = Connection.objects.get()
    raw = raw_columns(connection, "spark_client_secret", "platform_credentials", "webhook_secret", "storefront_secret")
    for column, value in raw.items():
        assert value, column
        for plaintext in (SPARK_SECRET, "cs_sandbox", connection.webhook_secret, STOREFRONT_SECRET):
            assert plaintext not in value, column


def test_repeat_connect_with_the_same_body_gives_the_same_answer_and_creates_nothing(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    body = connect_body(stores.woo_url)
    first = post(api_client, body, django_capture_on_commit_callbacks)
    connection = Connection.objects.get()
    secret, activated_at = connection.webhook_secret, connection.activated_at
    second = post(api_client, body, django_capture_on_commit_callbacks)

    assert (first.status_code, second.status_code) == (204, 204)
    assert Connection.objects.count() == 1
    connection.refresh_from_db()
    assert connection.webhook_secret == secret
    assert connection.activated_at == activated_at
    assert job_states(connection) == {str(t): ["queued"] for t in WOO_TYPES}
    assert len(stores.woo_webhooks(delivery_url(connection))) == 11


def test_repeat_connect_with_new_credentials_replaces_them_without_a_second_full_sync(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    post(api_client, connect_body(stores.woo_url), django_capture_on_commit_callbacks)
    stores.woo_add_key("ck_second", "cs_second")
    body = connect_body(stores.woo_url, key="ck_second", secret="cs_second", spark_api_client_secret="new-secret")
    body["extra_config"]["storefront_jwt_secret"] = "another-storefront-secret"

    response = post(api_client, body, django_capture_on_commit_callbacks)

    assert response.status_code == 204
    connection = Connection.objects.get()
    assert connection.platform_credentials == {"consumer_key": "ck_second", "consumer_secret": "cs_second"}
    assert connection.spark_client_secret == "new-secret"
    assert connection.storefront_secret == "another-storefront-secret"
    assert connection.state == ConnectionState.ACTIVE
    assert job_states(connection) == {str(t): ["queued"] for t in WOO_TYPES}
    assert len(stores.woo_webhooks(delivery_url(connection))) == 11


def test_connect_without_platform_credentials_is_pending_with_a_stable_install_link(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    body = connect_body(stores.woo_url, key=None)
    first = post(api_client, body, django_capture_on_commit_callbacks)
    second = post(api_client, body, django_capture_on_commit_callbacks)

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    connection = Connection.objects.get()
    assert connection.state == ConnectionState.PENDING
    redirect = urlsplit(first.json()["redirect_url"])
    assert f"{redirect.scheme}://{redirect.netloc}" == stores.woo_url
    assert redirect.path == "/wc-auth/v1/authorize"
    query = {k: v[0] for k, v in parse_qs(redirect.query).items()}
    state = query["user_id"]
    assert len(state) == 64
    assert query["scope"] == "read_write"
    assert query["callback_url"] == (
        f"http://127.0.0.1:8000/install/woocommerce/{connection.uuid}/callback?state={state}"
    )
    assert query["return_url"] == f"http://127.0.0.1:8000/install/woocommerce/{connection.uuid}/return"
    assert connection.install_state_hash == hashlib.sha256(state.encode()).hexdigest()
    assert connection.install_state_expires_at is not None
    assert SyncJob.objects.count() == 0
    assert stores.woo_webhooks() == []
    assert connection.storefront_secret == STOREFRONT_SECRET


def test_connect_generates_a_storefront_secret_when_none_is_given(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    body = connect_body(stores.woo_url)
    del body["extra_config"]["storefront_jwt_secret"]
    assert post(api_client, body, django_capture_on_commit_callbacks).status_code == 204
    secret = Connection.objects.get().storefront_secret
    assert len(secret) >= 32
    assert secret.isalnum()


def test_sparklayer_secret_the_sandbox_rejects_is_a_400_and_changes_nothing(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    stores.spark_register("bobs-store", "spark-client-id", "the-real-secret")

    response = post(api_client, connect_body(stores.woo_url), django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400
    assert "SparkLayer refused the SparkLayer API client id/secret" in problem["detail"]
    assert SPARK_SECRET not in response.content.decode()
    assert Connection.objects.count() == 0
    assert SyncJob.objects.count() == 0
    assert stores.woo_webhooks() == []


def test_rejected_sparklayer_secret_on_an_active_connection_keeps_the_stored_pair(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    post(api_client, connect_body(stores.woo_url), django_capture_on_commit_callbacks)
    stores.spark_register("bobs-store", "spark-client-id", SPARK_SECRET)
    body = connect_body(stores.woo_url, spark_api_client_secret="wrong")

    response = post(api_client, body, django_capture_on_commit_callbacks)

    assert response.status_code == 400
    connection = Connection.objects.get()
    assert connection.spark_client_secret == SPARK_SECRET
    assert connection.state == ConnectionState.ACTIVE


def test_platform_credentials_the_store_refuses_are_a_400_and_change_nothing(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    body = connect_body(stores.woo_url, key="ck_sandbox", secret="cs_wrong")

    response = post(api_client, body, django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "refused the platform credentials" in response.json()["detail"]
    assert Connection.objects.count() == 0
    assert SyncJob.objects.count() == 0
    assert stores.woo_webhooks() == []


def test_sparklayer_unreachable_is_a_502_and_nothing_is_written(
    api_client: Any, stores: Stores, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SPARKLAYER_URL_TEST = f"http://127.0.0.1:{closed_port()}"

    response = post(api_client, connect_body(stores.woo_url), django_capture_on_commit_callbacks)

    assert response.status_code == 502
    assert response["Content-Type"] == "application/problem+json"
    assert "SparkLayer could not be reached" in response.json()["detail"]
    assert Connection.objects.count() == 0


def test_store_unreachable_is_a_502_and_nothing_is_written(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    body = connect_body(f"http://127.0.0.1:{closed_port()}")

    response = post(api_client, body, django_capture_on_commit_callbacks)

    assert response.status_code == 502
    assert "could not be reached" in response.json()["detail"]
    assert Connection.objects.count() == 0


def test_unknown_platform_is_a_400(api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any) -> None:
    body = connect_body(stores.woo_url, extra_config={"platform": "magento"})

    response = post(api_client, body, django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "invalid", "message": "Unknown platform 'magento'.", "property": "extra_config.platform"}
    ]
    assert Connection.objects.count() == 0


def test_half_a_credential_pair_is_a_400(api_client: Any, stores: Stores) -> None:
    body = connect_body(stores.woo_url)
    del body["extra_config"]["woocommerce_api_secret"]

    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["property"] == "extra_config"
    assert "woocommerce_api_secret" in response.json()["errors"][0]["message"]
    assert Connection.objects.count() == 0


def test_basic_credential_names_are_accepted(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    body = connect_body(
        stores.woo_url,
        key=None,
        extra_config={"woocommerce_basic_user": "ck_sandbox", "woocommerce_basic_pass": "cs_sandbox"},
    )
    assert post(api_client, body, django_capture_on_commit_callbacks).status_code == 204
    assert Connection.objects.get().platform_credentials["consumer_key"] == "ck_sandbox"


@pytest.mark.parametrize("path", ["/v1/staging/bobs-store", "/v1/LIVE/bobs-store", "/v1/test/", "/v1/test/a/b/c/d"])
def test_site_env_other_than_live_or_test_is_a_404_problem(api_client: Any, path: str) -> None:
    response = api_client.post(path, {}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_live_env_is_its_own_connection(
    api_client: Any, stores: Stores, django_capture_on_commit_callbacks: Any
) -> None:
    body = connect_body(stores.woo_url)
    assert post(api_client, body, django_capture_on_commit_callbacks).status_code == 204
    assert post(api_client, body, django_capture_on_commit_callbacks, url="/v1/live/bobs-store").status_code == 204
    assert sorted(Connection.objects.values_list("site_env", flat=True)) == ["live", "test"]


def test_missing_or_wrong_token_is_a_401(anonymous_client: Any, stores: Stores) -> None:
    assert anonymous_client.post(URL, connect_body(stores.woo_url), format="json").status_code == 401
    anonymous_client.credentials(HTTP_AUTHORIZATION="Bearer nope")
    assert anonymous_client.delete(URL).status_code == 401
    assert Connection.objects.count() == 0


def test_other_methods_are_a_405_problem(api_client: Any) -> None:
    response = api_client.get(URL)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"


def test_sparklayer_timing_out_is_a_504_and_nothing_is_written(
    api_client: Any, stores: Stores, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SPARKLAYER_READ_TIMEOUT = 0.2
    reply = requests.put(f"{stores.spark.url}/_sandbox/faults", json={"hang_seconds": 0.6}, timeout=5)
    assert reply.status_code == 200

    response = post(api_client, connect_body(stores.woo_url), django_capture_on_commit_callbacks)

    assert response.status_code == 504
    assert response["Content-Type"] == "application/problem+json"
    assert Connection.objects.count() == 0
