"""``CheckoutCompletion`` moved from ``endpoints`` to ``storefront`` without moving a row."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from storefront.models import CheckoutCompletion
from tests.factories import ConnectionFactory

BEFORE = [("endpoints", "0001_initial")]
AFTER = [("endpoints", "0002_checkoutcompletion_moved_to_storefront"), ("storefront", "0001_initial")]


def test_the_model_keeps_its_table() -> None:
    assert CheckoutCompletion._meta.db_table == "checkouts"
    assert CheckoutCompletion._meta.app_label == "storefront"


@pytest.mark.django_db(transaction=True)
def test_a_checkout_recorded_before_the_move_is_read_after_it() -> None:
    shop = ConnectionFactory()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    old_model = old_apps.get_model("endpoints", "CheckoutCompletion")
    cart_id = uuid.uuid4()
    old_model.objects.create(
        connection_id=shop.pk, cart_id=cart_id, payment_type="quote", state="completed", order_id="77"
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    row = CheckoutCompletion.objects.get(connection=shop, cart_id=cart_id)
    assert (row.order_id, row.state, row.payment_type) == ("77", "completed", "quote")
