"""A connection: one SparkLayer site (environment + id) bound to one platform store."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from ignite_bridge.core.fields import EncryptedJSONField, EncryptedTextField
from ignite_bridge.core.models import TimestampedModel


class SiteEnv(models.TextChoices):
    LIVE = "live", "Live"
    TEST = "test", "Test"


class ConnectionState(models.TextChoices):
    PENDING = "pending", "Pending (waiting for the platform's app authorisation)"
    ACTIVE = "active", "Active"
    REMOVED = "removed", "Removed"
    ERROR = "error", "Error"


class CustomerSyncScope(models.TextChoices):
    ALL = "all", "All customers"
    NONE = "none", "No customers"


class Connection(TimestampedModel):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="Used in webhook URLs.")
    site_env = models.CharField(max_length=8, choices=SiteEnv.choices)
    site_id = models.CharField(max_length=128, help_text="SparkLayer site id, e.g. bobs-store.")
    platform = models.CharField(max_length=32, help_text="Platform adapter, e.g. woocommerce.")
    store_id = models.CharField(max_length=255, help_text="The platform's identifier of the store.")
    store_url = models.URLField(max_length=500, blank=True)
    state = models.CharField(max_length=16, choices=ConnectionState.choices, default=ConnectionState.PENDING)
    state_reason = models.TextField(blank=True, help_text="Why the connection is in error, if it is.")

    spark_client_id = EncryptedTextField(blank=True)
    spark_client_secret = EncryptedTextField(blank=True)
    platform_credentials = EncryptedJSONField(blank=True, default=dict)
    webhook_secret = EncryptedTextField(blank=True)
    storefront_secret = EncryptedTextField(blank=True, help_text="Signs storefront login tokens (verify endpoint).")
    storefront_secret_revealable = models.BooleanField(
        default=False,
        help_text="The bridge generated the storefront secret and nobody has seen it yet: it can be revealed once.",
    )
    storefront_jwt_audience = models.CharField(
        max_length=255,
        blank=True,
        help_text="When set, storefront login tokens must carry this aud claim (e.g. the store's URL).",
    )
    storefront_jwt_issuer = models.CharField(
        max_length=255,
        blank=True,
        help_text="When set, storefront login tokens must carry this iss claim.",
    )

    install_state_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the one-time install token.")
    install_state_expires_at = models.DateTimeField(null=True, blank=True)

    batch_size = models.PositiveIntegerField(default=100, help_text="Records per SparkLayer batch call.")
    push_concurrency = models.PositiveSmallIntegerField(default=4, help_text="Parallel SparkLayer writes.")
    platform_max_concurrency = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Most reads a full sync makes of the store at once (it adapts between 1 and this); "
        "empty: the PLATFORM_MAX_CONCURRENCY setting.",
    )
    request_budget_per_minute = models.PositiveIntegerField(
        default=0, help_text="Most SparkLayer calls per minute for this connection; 0 means no limit."
    )
    customer_sync_scope = models.CharField(
        max_length=16, choices=CustomerSyncScope.choices, default=CustomerSyncScope.ALL
    )

    webhook_ids = models.JSONField(default=list, blank=True, help_text="Webhooks this bridge created on the store.")
    activated_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    last_catch_up_at = models.DateTimeField(null=True, blank=True)
    last_reconcile_at = models.DateTimeField(null=True, blank=True)

    operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="assigned_connections",
        help_text="Staff users (not superusers) see only the connections they are assigned to.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site_env", "site_id"], name="unique_connection_site")]
        ordering = ["site_env", "site_id"]

    def __str__(self) -> str:
        return f"{self.site_env}/{self.site_id} ({self.platform})"

    @property
    def is_active(self) -> bool:
        return self.state == ConnectionState.ACTIVE
