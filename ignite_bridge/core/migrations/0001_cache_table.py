"""The database cache's table, made by ``migrate`` so that nothing else has to be run first.

The embedded default (no ``CACHE_URL``) keeps the shared SparkLayer token cache in the database.
Django makes that table only with ``createcachetable``; a deployment that ran ``migrate`` alone
then failed every sync with ``relation "ignite_bridge_cache" does not exist``. This runs the same
command for every configured database cache (it skips tables that exist), so ``migrate`` is the
whole database set-up. A cache configured later (``CACHE_URL=dbcache://...``) needs
``manage.py createcachetable`` once, as Django documents.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop, elidable=False)]
