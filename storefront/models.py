"""State of the customer requests: the record of completed checkouts (idempotency of checkout/complete).

``CheckoutCompletion`` was first declared by the ``endpoints`` app; its table (``checkouts``) kept its
name when the model moved here, so the move changed no data (``storefront/migrations/0001_initial.py``)."""

from __future__ import annotations

from django.db import models

from connections.models import Connection
from ignite_bridge.core.models import TimestampedModel


class CheckoutState(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress (only ever seen inside the completing transaction)"
    COMPLETED = "completed", "Completed"


class CheckoutCompletion(TimestampedModel):
    """One SparkLayer cart completed on the platform: a retried ``complete`` answers from this row.

    The row is inserted before the platform is called, inside a transaction held until the answer
    is recorded, so the unique (connection, cart_id) key makes a concurrent duplicate wait for the
    first call and then read its answer; a failed platform call rolls the row back so a retry can
    try again.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="checkout_completions")
    cart_id = models.UUIDField(help_text="SparkLayer's cart id.")
    payment_type = models.CharField(max_length=32)
    state = models.CharField(max_length=16, choices=CheckoutState.choices, default=CheckoutState.IN_PROGRESS)
    order_id = models.CharField(max_length=64, blank=True, help_text="The platform order created for the cart.")
    # Null, not "": the contract answers ``null`` for the half that does not apply to the payment type.
    order_external_id = models.CharField(max_length=64, null=True, blank=True, help_text="Answered order id.")  # noqa: DJ001
    redirect_url = models.URLField(max_length=2000, null=True, blank=True, help_text="Answered payment URL.")  # noqa: DJ001

    class Meta:
        db_table = "checkouts"
        constraints = [models.UniqueConstraint(fields=["connection", "cart_id"], name="unique_checkout_cart")]

    def __str__(self) -> str:
        return f"cart {self.cart_id} → order {self.order_id or '?'}"
