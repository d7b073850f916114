from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    """Customer-request state and services: the record of completed checkouts (checkout idempotency)."""

    name = "storefront"
    default_auto_field = "django.db.models.BigAutoField"
