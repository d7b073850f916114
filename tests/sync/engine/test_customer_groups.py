"""Customer groups (issue: SparkLayer refuses a customer whose group it does not have).

End to end against both sandboxes, whose SparkLayer refuses a customer in an unknown group (400)
and a duplicate group slug (400 ``resource-already-exists``): the ``customer_groups`` sync creates
every group the store's customers are in; the customers sync (full and webhook) creates a missing
group before the customer instead of failing it; a group deleted in SparkLayer is created again
when a customer is refused for it; a group SparkLayer will not create is an issue. A data type
the platform cannot sync is refused by the trigger and skipped by the admin action.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib import messages
from django.test import Client
from rest_framework.test import APIClient

from connections.clients import connection_platform_adapter
from connections.models import Connection
from platforms import base
from platforms.types import DataType
from platforms.woocommerce.adapter import WooCommerceAdapter
from sandbox.sparklayer import organisation
from sandbox.sparklayer.problems import FieldError, invalid
from sandbox.woocommerce import customers as woo_customers
from sync.admin.jobs import offered_data_types, start_full_sync_action
from sync.incremental.processing import webhook_event_process
from sync.models import EventState, SyncIssue, SyncJob
from tests.sync.helpers import deliver, make_connection, run_full, spark_calls, spark_state

pytestmark = pytest.mark.django_db(transaction=True)


def store_groups(connection: Connection) -> dict[str, list[str]]:
    """Group slug → the customers in it, as the customer mapping reads their ``sparklayer_*`` meta."""
    groups: dict[str, list[str]] = {}
    for page in connection_platform_adapter(connection).iter_pages(DataType.CUSTOMERS):
        for record in page.records:
            if record.payload and record.payload.get("group"):
                groups.setdefault(record.payload["group"], []).append(record.external_id)
    return groups


def spark_groups(spark: Any) -> list[dict[str, Any]]:
    return [dict(group) for group in spark.app.sites["bobs-store"].customer_groups.values()]


def test_the_groups_sync_creates_every_group_the_customers_are_in_and_a_rerun_writes_none(
    connection: Connection, spark: Any
) -> None:
    expected = sorted(store_groups(connection))
    assert expected == ["gold", "silver"]

    job = run_full(connection, "customer_groups")

    assert spark_groups(spark) == [
        {"slug": "base", "name": "Base", "parent_slug": None},
        *({"slug": slug, "name": slug.capitalize(), "parent_slug": "base"} for slug in expected),
    ]
    assert (job.seen, job.pushed, job.unchanged, job.issues) == (2, 2, 0, 0)
    (log,) = [
        s for s in spark_state(spark, "bobs-store", "sync_logs")["sync_logs"] if s["data_type"] == "customer_groups"
    ]
    assert log["last_full_sync_succeeded"] is True
    before = len(spark_calls(spark, "bobs-store"))

    again = run_full(connection, "customer_groups")

    assert (again.pushed, again.unchanged) == (0, 2)
    routes = {(c["method"], c["route"]) for c in spark_calls(spark, "bobs-store")[before:]}
    assert ("POST", "/api/v1/customer-groups") not in routes
    assert ("GET", "/api/v1/customer-groups") in routes  # each run reads SparkLayer's list afresh


def test_the_customers_sync_creates_a_missing_group_before_its_customers(connection: Connection, spark: Any) -> None:
    groups = store_groups(connection)

    run_full(connection, "customers")

    stored = {c["external_id"]: c for c in spark_state(spark, "bobs-store", "customers")["customers"]}
    for slug, members in groups.items():
        assert {stored[member]["group"] for member in members} == {slug}
    assert {g["slug"] for g in spark_groups(spark)} == {"base", *groups}
    refused = [
        c
        for c in spark_calls(spark, "bobs-store")
        if c["route"].startswith("/api/v2/customers/") and c["status"] == 400
    ]
    assert refused == []
    assert not SyncIssue.objects.filter(connection=connection, code="sparklayer_rejected").exists()


def test_a_customer_refused_for_a_group_deleted_in_sparklayer_is_sent_again_once_it_exists(
    client: Client, connection: Connection, spark: Any, woo_store: Any
) -> None:
    run_full(connection, "customers")
    member = int(store_groups(connection)["gold"][0])
    with spark.app.lock:
        del spark.app.sites["bobs-store"].customer_groups["gold"]  # deleted in SparkLayer's dashboard
    with woo_store.app.store.lock:
        woo_customers.update(woo_store.app.store, member, {"first_name": "Goldie"})
    before = len(spark_calls(spark, "bobs-store"))

    event = deliver(client, connection, woo_store, "customer.updated", member)
    webhook_event_process(event_id=event.pk)  # this process still believes "gold" exists
    event.refresh_from_db()

    assert event.state == EventState.SUCCEEDED
    calls = [(c["method"], c["route"], c["status"]) for c in spark_calls(spark, "bobs-store")[before:]]
    assert [c for c in calls if "customer" in c[1]] == [
        ("PUT", "/api/v2/customers/platform/{external_id}", 400),
        ("GET", "/api/v1/customer-groups", 200),
        ("POST", "/api/v1/customer-groups", 201),
        ("PUT", "/api/v2/customers/platform/{external_id}", 200),
    ]
    customer = next(
        c for c in spark_state(spark, "bobs-store", "customers")["customers"] if c["external_id"] == str(member)
    )
    assert (customer["first_name"], customer["group"]) == ("Goldie", "gold")


def test_a_group_sparklayer_will_not_create_is_an_issue_until_it_can(
    connection: Connection, spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    create = organisation.customer_group_create

    def refuse_silver(state: Any, data: dict[str, Any]) -> Any:
        if data["slug"] == "silver":
            raise invalid([FieldError("invalid", "The group limit is reached.", "slug")])
        return create(state, data)

    monkeypatch.setattr(organisation, "customer_group_create", refuse_silver)
    job = run_full(connection, "customer_groups")
    assert (job.pushed, job.issues) == (1, 1)
    (issue,) = SyncIssue.objects.filter(connection=connection, data_type="customer_groups", state="open")
    assert (issue.external_id, issue.code) == ("silver", "sparklayer_rejected")
    assert "The group limit is reached" in issue.message

    run_full(connection, "customers")  # silver's customers are refused, the others land
    silver = set(store_groups(connection)["silver"])
    refused = set(SyncIssue.objects.filter(connection=connection, data_type="customers", code="sparklayer_rejected")
                  .values_list("external_id", flat=True))  # fmt: skip
    assert refused == silver

    monkeypatch.setattr(organisation, "customer_group_create", create)
    run_full(connection, "customer_groups")
    issue.refresh_from_db()
    assert issue.state == "resolved"


@pytest.fixture
def groupless_platform() -> Iterator[str]:
    """A platform like WooCommerce that cannot sync customer groups."""

    class NoGroupsAdapter(WooCommerceAdapter):
        name = "no-groups"
        data_types = tuple(t for t in WooCommerceAdapter.data_types if t != DataType.CUSTOMER_GROUPS)

    base.platform_names()  # fill the registry first
    base._REGISTRY[NoGroupsAdapter.name] = NoGroupsAdapter
    yield NoGroupsAdapter.name
    del base._REGISTRY[NoGroupsAdapter.name]


def test_the_trigger_refuses_a_type_the_platform_cannot_sync(
    api_client: APIClient, spark: Any, woo_store: Any, groupless_platform: str
) -> None:
    make_connection(woo_store, site_id="no-groups-site", platform=groupless_platform)

    response = api_client.post("/v1/test/no-groups-site/status/customer_groups")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "The no-groups platform cannot sync customer_groups."
    assert response.json()["errors"] == [
        {"code": "unsupported", "message": response.json()["detail"], "property": "syncDataType"}
    ]
    assert not SyncJob.objects.exists()
    assert api_client.post("/v1/test/no-groups-site/status/customers").status_code == 201


def test_the_admin_action_skips_connections_whose_platform_cannot_sync_the_type(
    spark: Any, woo_store: Any, groupless_platform: str, rf: Any, admin_user: Any
) -> None:
    woo = make_connection(woo_store, site_id="woo-site")
    make_connection(woo_store, site_id="no-groups-site", platform=groupless_platform)
    said: list[tuple[str, int]] = []

    class ModelAdmin:
        def message_user(self, request: Any, message: str, level: int) -> None:
            said.append((message, level))

    request = rf.post("/admin/")
    request.user = admin_user
    start_full_sync_action("customer_groups")(ModelAdmin(), request, Connection.objects.order_by("pk"))

    assert list(SyncJob.objects.values_list("connection_id", "data_type")) == [(woo.pk, "customer_groups")]
    assert said == [
        ("1 customer_groups full sync(s) queued.", messages.SUCCESS),
        ("Skipped: 0 already active, 0 not active, 1 on a platform without customer_groups.", messages.WARNING),
    ]
    assert DataType.CUSTOMER_GROUPS in offered_data_types()  # WooCommerce can
