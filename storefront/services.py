"""Checkout completion, idempotent on the cart id, with the bridge's database as first guard.

The contract: docs/ignite-contract.md §1.7.

``checkout_complete_once`` inserts the ``CheckoutCompletion`` row, then calls the platform, then
records the answer, all in one transaction. A concurrent call with the same cart id blocks on the
unique key until the first transaction ends: it then reads the committed answer (same order, same
body), or, if the first call failed and rolled back, makes its own attempt. The platform adapter
looks for an order already carrying the cart id before creating one: the second guard, for a
crash between the order's creation and the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db import connection as db_connection

from connections.models import Connection
from platforms.base import StorefrontRequests
from storefront.models import CheckoutCompletion, CheckoutState


class CheckoutInProgress(Exception):
    """Another call is completing this cart and did not finish within the wait (→ 409, retry)."""


def completion_wait_seconds() -> float:
    """How long a duplicate call waits for the first one: two inline platform calls' worth."""
    return 2 * (settings.PLATFORM_INLINE_CONNECT_TIMEOUT + settings.PLATFORM_INLINE_READ_TIMEOUT)


def _answer(completion: CheckoutCompletion) -> dict[str, Any]:
    return {"order_external_id": completion.order_external_id, "redirect_url": completion.redirect_url}


def checkout_complete_once(
    *, connection: Connection, data: dict[str, Any], platform: Callable[[], StorefrontRequests]
) -> dict[str, Any]:
    """Complete the cart once; every call for the same (connection, cart) gets the same answer."""
    try:
        with transaction.atomic():
            if db_connection.vendor == "postgresql":
                wait_ms = int(completion_wait_seconds() * 1000)
                with db_connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = {wait_ms}")
            try:
                with transaction.atomic():
                    completion = CheckoutCompletion.objects.create(
                        connection=connection, cart_id=data["cart_id"], payment_type=data["payment_type"]
                    )
            except IntegrityError:
                completion = CheckoutCompletion.objects.select_for_update().get(
                    connection=connection, cart_id=data["cart_id"]
                )
                if completion.state == CheckoutState.COMPLETED:
                    return _answer(completion)
            result = platform().checkout_complete(data)
            completion.state = CheckoutState.COMPLETED
            completion.order_id = str(result.get("order_id") or "")
            completion.order_external_id = result.get("order_external_id")
            completion.redirect_url = result.get("redirect_url")
            completion.save()
            return _answer(completion)
    except OperationalError as exc:
        if "lock" in str(exc).lower():
            raise CheckoutInProgress(str(data["cart_id"])) from exc
        raise
