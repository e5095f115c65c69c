"""PostgreSQL: a GIN index on the search rows' name vector.

With it, a search page that falls wholly among the services whose name holds the words is
read from those services alone, and "how many are named so" stops at the page's end,
instead of testing every match's name vector (docs/directory.md). SQLite's FTS5 table
already indexes the name column.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    "CREATE INDEX directory_service_search_name_gin ON directory_service_search "
    "USING gin (name_vector)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS directory_service_search_name_gin"]


def _run(schema_editor, statements):
    if schema_editor.connection.vendor == "postgresql":
        for statement in statements:
            schema_editor.execute(statement)


def forward(apps, schema_editor):
    _run(schema_editor, POSTGRES_FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, POSTGRES_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("directory", "0005_search_rows")]

    operations = [migrations.RunPython(forward, backward)]
