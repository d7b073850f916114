"""factory_boy factories for the models tests need."""

from __future__ import annotations

import factory
from django.utils import timezone

from connections.models import Connection, ConnectionState


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
