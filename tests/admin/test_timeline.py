"""The per-record timeline: found by external id or SKU, receipts, pushes and issues in time order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sync.models import IssueState, PushLog, SyncIssue
from sync.selectors.timeline import ISSUE_OPENED, ISSUE_RESOLVED, PUSH, RECEIPT, record_search, record_timeline
from tests.admin.support import History

pytestmark = pytest.mark.django_db


def test_search_by_sku_external_id_and_issue_only_records(history_a: History) -> None:
    connection = history_a.connection
    by_sku = record_search(connection=connection, query="alpha-SKU-42-L")
    assert [(m.data_type, m.external_id, m.in_sparklayer) for m in by_sku] == [("products", "alpha-42", True)]
    assert by_sku[0].skus == ("alpha-SKU-42", "alpha-SKU-42-L")
    assert [m.external_id for m in record_search(connection=connection, query="alpha-42")] == ["alpha-42"]
    assert record_search(connection=connection, query="alpha-SKU-4") == []  # a SKU matches whole, not by prefix
    issue_only = record_search(connection=connection, query="alpha-SKU-77")  # the issue's visible id
    assert [(m.external_id, m.in_sparklayer) for m in issue_only] == [("alpha-77", False)]
    assert record_search(connection=connection, query="  ") == []


def test_search_is_per_connection(history_a: History, history_b: History) -> None:
    assert record_search(connection=history_a.connection, query="bravo-SKU-42") == []


def test_timeline_in_time_order(history_a: History) -> None:
    connection, now = history_a.connection, timezone.now()
    issue = SyncIssue.objects.create(
        connection=connection, data_type="products", external_id="alpha-42", code="price_missing", message="No price",
        state=IssueState.RESOLVED, first_seen_at=now - timedelta(minutes=25), last_seen_at=now - timedelta(minutes=25),
        resolved_at=now - timedelta(minutes=1),
    )  # fmt: skip
    PushLog.objects.filter(pk=history_a.push.pk).update(at=now - timedelta(minutes=20))
    entries = record_timeline(connection=connection, data_type="products", external_id="alpha-42")
    assert [(e.kind, e.object_id) for e in entries] == [
        (RECEIPT, history_a.failed_event.pk),  # 30 min ago
        (ISSUE_OPENED, issue.pk),  # 25 min ago
        (PUSH, history_a.push.pk),  # 20 min ago
        (ISSUE_RESOLVED, issue.pk),  # 1 min ago
    ]
    assert entries[0].detail.startswith("Failed, error: alpha store timed out (received ")
    assert entries[0].detail.endswith(", not processed yet)")
    assert (entries[2].status, entries[2].detail) == ("200", "hash bbbbbbbbbbbb")
    assert entries[2].summary == f"Pushed to SparkLayer: upsert (job #{history_a.succeeded_job.pk})"


def test_timeline_page_single_match_shows_history(admin_client_root: Client, history_a: History) -> None:
    response = admin_client_root.get(
        reverse("sync_admin:timeline"), {"connection": history_a.connection.pk, "q": "alpha-SKU-42"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Webhook product.updated received" in page
    assert reverse("admin:sync_webhookevent_change", args=[history_a.failed_event.pk]) in page
    assert reverse("admin:sync_pushlog_change", args=[history_a.push.pk]) in page


def test_timeline_page_no_match_and_bad_connection(admin_client_root: Client, history_a: History) -> None:
    url = reverse("sync_admin:timeline")
    page = admin_client_root.get(url, {"connection": history_a.connection.pk, "q": "nope"}).content.decode()
    assert "No record of this connection has the external id or SKU “nope”." in page
    assert admin_client_root.get(url, {"connection": "abc"}).status_code == 404


def test_operator_with_one_connection_gets_it_preselected(client_a: Client, history_a: History) -> None:
    response = client_a.get(reverse("sync_admin:timeline"), {"q": "alpha-42"})
    assert response.context["connection"] == history_a.connection
    assert [e["entry"].kind for e in response.context["entries"]] == [RECEIPT, PUSH]


def test_without_a_connection_parameter_the_first_visible_one_is_searched(
    admin_client_root: Client, history_a: History, history_b: History
) -> None:
    response = admin_client_root.get(reverse("sync_admin:timeline"), {"q": "alpha-SKU-42"})
    assert response.context["connection"] == history_a.connection  # alpha-store sorts first
    assert [e["entry"].kind for e in response.context["entries"]] == [RECEIPT, PUSH]


def test_pushes_show_the_fields_changed_since_the_last_accepted_write(
    admin_client_root: Client, history_a: History
) -> None:
    from sync.selectors.timeline import record_header

    connection, now = history_a.connection, timezone.now()
    PushLog.objects.filter(connection=connection).delete()

    def push(title: str, price: str, status: int, error: str = "") -> PushLog:
        payload = {
            "name": title,
            "platform_url": "https://alpha.example/wp-admin/post.php?post=42&action=edit",
            "visible_id": "alpha-SKU-42",
            "fields": {"title": title, "variants[sku=alpha-SKU-42].rrp": price},
        }
        return PushLog.objects.create(
            connection=connection, data_type="products", external_id="alpha-42", operation="upsert", status=status,
            error=error, payload=payload,
        )  # fmt: skip

    first = push("Hoodie", "10.00", 201)
    refused = push("Hoodie", "12.00", 503, "503 Service Unavailable")
    accepted = push("Hoodie (organic)", "12.00", 200)
    for n, push in enumerate((first, refused, accepted)):
        PushLog.objects.filter(pk=push.pk).update(at=now - timedelta(minutes=10 - n))
    pushes = [e for e in record_timeline(connection=connection, data_type="products", external_id="alpha-42")
              if e.kind == PUSH]  # fmt: skip
    assert [(p.object_id, p.first_push, p.compared) for p in pushes] == [
        (first.pk, True, False),
        (refused.pk, False, True),
        (accepted.pk, False, True),
    ]
    assert pushes[1].changes == [("variants[sku=alpha-SKU-42].rrp", "10.00", "12.00")]
    # the refused write was never accepted: the next one is compared with the first
    assert pushes[2].changes == [("title", "Hoodie", "Hoodie (organic)"), ("variants[sku=alpha-SKU-42].rrp", "10.00",
                                                                            "12.00")]  # fmt: skip

    header = record_header(connection=connection, data_type="products", external_id="alpha-42")
    assert (header.name, header.visible_id) == ("Hoodie (organic)", "alpha-SKU-42")
    assert header.store_url == "https://alpha.example/wp-admin/post.php?post=42&action=edit"
    assert header.sparklayer_url == "https://test.app.sparklayer.io/api/v1/products/alpha-42"

    page = admin_client_root.get(
        reverse("sync_admin:timeline"),
        {"connection": connection.pk, "data_type": "products", "external_id": "alpha-42"},
    ).content.decode()
    assert '<h2 id="ib-record-name">Hoodie (organic) · products alpha-42 (alpha-SKU-42)</h2>' in page
    assert "<del>Hoodie</del> → <ins>Hoodie (organic)</ins>" in page
    assert 'id="ib-store-link">Edit in store</a>' in page
    assert 'href="https://test.app.sparklayer.io/api/v1/products/alpha-42"' in page
    assert "first write of this kind" in page


def test_events_are_ordered_by_when_they_were_processed(history_a: History) -> None:
    from sync.models import EventState, WebhookEvent

    connection, now = history_a.connection, timezone.now()
    late = WebhookEvent.objects.create(
        connection=connection, platform="woocommerce", topic="product.updated", data_type="products",
        record_id="alpha-42", action="updated", dedupe_key="late", body=b"{}", received_at=now - timedelta(minutes=40),
        state=EventState.SUCCEEDED, processed_at=now - timedelta(minutes=2),
    )  # fmt: skip
    PushLog.objects.filter(pk=history_a.push.pk).update(at=now - timedelta(minutes=20))
    entries = record_timeline(connection=connection, data_type="products", external_id="alpha-42")
    assert [e.object_id for e in entries if e.kind in (RECEIPT, PUSH)] == [
        history_a.failed_event.pk,
        history_a.push.pk,
        late.pk,  # received first, but processed last
    ]
