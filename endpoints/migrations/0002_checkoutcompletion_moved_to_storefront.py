"""``CheckoutCompletion`` moved to the ``storefront`` app: only Django's model state changes here.

The table (``checkouts``) and its rows stay where they are; ``storefront/migrations/0001_initial.py``
takes the model over in the state, on the same table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("endpoints", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CheckoutCompletion")],
            database_operations=[],
        ),
    ]
