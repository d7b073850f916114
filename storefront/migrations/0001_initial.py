"""``CheckoutCompletion`` taken over from the ``endpoints`` app, on its existing table: state only.

On a new database ``endpoints/migrations/0001_initial.py`` creates the ``checkouts`` table; on an
existing one it is already there with its rows. Either way nothing is created, copied or dropped."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("connections", "0001_initial"),
        ("endpoints", "0002_checkoutcompletion_moved_to_storefront"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CheckoutCompletion",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("cart_id", models.UUIDField(help_text="SparkLayer's cart id.")),
                        ("payment_type", models.CharField(max_length=32)),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("in_progress", "In progress (only ever seen inside the completing transaction)"),
                                    ("completed", "Completed"),
                                ],
                                default="in_progress",
                                max_length=16,
                            ),
                        ),
                        (
                            "order_id",
                            models.CharField(
                                blank=True, help_text="The platform order created for the cart.", max_length=64
                            ),
                        ),
                        (
                            "order_external_id",
                            models.CharField(blank=True, help_text="Answered order id.", max_length=64, null=True),
                        ),
                        (
                            "redirect_url",
                            models.URLField(blank=True, help_text="Answered payment URL.", max_length=2000, null=True),
                        ),
                        (
                            "connection",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="checkout_completions",
                                to="connections.connection",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "checkouts",
                        "constraints": [
                            models.UniqueConstraint(fields=("connection", "cart_id"), name="unique_checkout_cart")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
