"""Create the audit chain's head row and the shared database cache table (rate limits)."""

from django.core.management import call_command
from django.db import migrations


def create_head(apps, schema_editor):
    if schema_editor.connection.alias != "default":
        return
    apps.get_model("core", "AuditHead").objects.using("default").get_or_create(
        pk=1, defaults={"seq": 0, "hash": "0" * 64}
    )


def create_cache_table(apps, schema_editor):
    if schema_editor.connection.alias != "default":
        return
    call_command("createcachetable", database="default", verbosity=0)


def drop_cache_table(apps, schema_editor):
    if schema_editor.connection.alias != "default":
        return
    schema_editor.execute("DROP TABLE IF EXISTS reclaim_cache")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        # The head row is the chain's only anchor; removing it would be a reset, so no reverse.
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(create_cache_table, drop_cache_table),
    ]
