"""factory_boy factories, one for every model of the bridge's apps (``tests/test_factories.py`` checks it).

Each ``Factory.create()`` saves a valid row with the fewest fields set; a test states what it relies on.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import factory
from django.utils import timezone

from connections.models import Connection, ConnectionState
from platforms.types import DataType
from storefront.models import CheckoutCompletion
from sync.models import (
    AuditFinding,
    AuditRun,
    FindingKind,
    IssueAction,
    JobKind,
    JobState,
    PushLog,
    RecordState,
    SyncIssue,
    SyncIssueChange,
    SyncJob,
    TriggerSource,
    WebhookEvent,
    WebhookEventAttempt,
    WebhookVerificationFailure,
)


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    site_env = "test"
    site_id = factory.Sequence(lambda n: f"site-{n}")
    platform = "woocommerce"
    store_id = factory.Sequence(lambda n: f"store-{n}")
    store_url = "http://127.0.0.1:9"
    state = ConnectionState.ACTIVE
    spark_client_id = "client-id"
    spark_client_secret = "client-secret"
    platform_credentials = factory.LazyFunction(lambda: {"consumer_key": "ck_sandbox", "consumer_secret": "cs_sandbox"})
    webhook_secret = "webhooksecretwebhooksecretwebhooksecret"
    storefront_secret = "storefrontsecretstorefrontsecret"
    activated_at = factory.LazyFunction(timezone.now)


def _now() -> datetime:
    return timezone.now()


class SyncJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncJob

    connection = factory.SubFactory(ConnectionFactory)
    data_type = DataType.PRODUCTS
    kind = JobKind.FULL
    state = JobState.QUEUED
    trigger = TriggerSource.ADMIN


class AuditRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditRun

    connection = factory.SubFactory(ConnectionFactory)
    data_type = DataType.PRODUCTS


class AuditFindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditFinding

    run = factory.SubFactory(AuditRunFactory)
    connection = factory.SelfAttribute("run.connection")
    data_type = factory.SelfAttribute("run.data_type")
    external_id = factory.Sequence(str)
    kind = FindingKind.DIFFERS


class RecordStateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecordState

    connection = factory.SubFactory(ConnectionFactory)
    data_type = DataType.PRODUCTS
    external_id = factory.Sequence(str)
    content_hash = "0" * 64
    last_pushed_at = factory.LazyFunction(_now)


class SyncIssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncIssue

    connection = factory.SubFactory(ConnectionFactory)
    data_type = DataType.PRODUCTS
    external_id = factory.Sequence(str)
    code = "missing_sku"
    message = "A variation has no SKU."
    first_seen_at = factory.LazyFunction(_now)
    last_seen_at = factory.SelfAttribute("first_seen_at")


class SyncIssueChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncIssueChange

    issue = factory.SubFactory(SyncIssueFactory)
    at = factory.LazyFunction(_now)
    action = IssueAction.OPENED


class PushLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PushLog

    connection = factory.SubFactory(ConnectionFactory)
    data_type = DataType.PRODUCTS
    external_id = factory.Sequence(str)
    operation = "upsert"
    status = 200


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEvent

    connection = factory.SubFactory(ConnectionFactory)
    platform = factory.SelfAttribute("connection.platform")
    topic = "product.updated"
    data_type = DataType.PRODUCTS
    record_id = factory.Sequence(str)
    action = "updated"
    dedupe_key = factory.Sequence(lambda n: f"delivery-{n}")
    headers = factory.LazyFunction(lambda: {"X-WC-Webhook-Topic": "product.updated"})
    body = b'{"id": 1}'
    received_at = factory.LazyFunction(_now)


class WebhookEventAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEventAttempt

    event = factory.SubFactory(WebhookEventFactory)
    started_at = factory.LazyFunction(_now)
    outcome = "succeeded"


class WebhookVerificationFailureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookVerificationFailure

    connection = factory.SubFactory(ConnectionFactory)
    hour = factory.LazyFunction(lambda: _now().replace(minute=0, second=0, microsecond=0))
    last_at = factory.LazyFunction(_now)
    last_reason = "signature mismatch"


class CheckoutCompletionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckoutCompletion

    connection = factory.SubFactory(ConnectionFactory)
    cart_id = factory.LazyFunction(uuid.uuid4)
    payment_type = "offline"
