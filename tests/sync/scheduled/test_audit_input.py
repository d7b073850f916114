"""Bad input to an audit is refused with a sentence, never a traceback: service and command."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from connections.models import ConnectionState, CustomerSyncScope
from sync.models import AuditRun, AuditState
from sync.scheduled.audits import AuditAlreadyActive, AuditRefused, audit_run_queue
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("changes", "options", "message"),
    [
        ({}, {"data_type": "purchases"}, "purchases cannot be audited (audited types: products, customers)"),
        ({}, {"data_type": "widgets"}, "unknown data type 'widgets'"),
        ({"state": ConnectionState.REMOVED}, {}, "is removed, not active"),
        ({"customer_sync_scope": CustomerSyncScope.NONE}, {"data_type": "customers"}, "customer_sync_scope=none"),
        ({}, {"sample_size": 0}, "a sample must have at least 1 record"),
        ({}, {"scope": "some"}, "unknown audit scope 'some'"),
    ],
)
def test_refused(changes: dict[str, object], options: dict[str, object], message: str) -> None:
    connection = ConnectionFactory(**changes)
    arguments = {"data_type": "products", "trigger": "command", **options}
    with pytest.raises(AuditRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        audit_run_queue(connection=connection, **arguments)  # type: ignore[arg-type]
    assert not AuditRun.objects.exists()


def test_one_active_audit_per_connection_and_type() -> None:
    connection = ConnectionFactory()
    first = audit_run_queue(connection=connection, data_type="products", trigger="command")
    with pytest.raises(AuditAlreadyActive) as refused:
        audit_run_queue(connection=connection, data_type="products", scope="all", trigger="command")
    assert refused.value.run == first
    assert f"already queued (audit {first.pk})" in str(refused.value)
    assert audit_run_queue(connection=connection, data_type="customers", trigger="command").pk != first.pk
    AuditRun.objects.filter(pk=first.pk).update(state=AuditState.SUCCEEDED)
    assert audit_run_queue(connection=connection, data_type="products", trigger="command").pk != first.pk


def test_command_errors_are_sentences() -> None:
    with pytest.raises(CommandError, match="no connection for test/nowhere"):
        call_command("sync_audit", "nowhere", "products")
    connection = ConnectionFactory(site_id="here")
    with pytest.raises(CommandError, match="--sample must be at least 1"):
        call_command("sync_audit", "here", "products", "--sample", "0")
    audit_run_queue(connection=connection, data_type="products", trigger="command")
    with pytest.raises(CommandError, match="already queued"):
        call_command("sync_audit", "here", "products", "--all")
    with pytest.raises(CommandError):
        call_command("sync_audit", "here", "purchases")
