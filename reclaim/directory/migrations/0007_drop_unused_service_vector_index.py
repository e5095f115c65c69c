"""PostgreSQL: drop the GIN index on the service table's own search vector.

Search reads the narrow search rows (0005) and their indexes; the service table's vector is
still computed (the search rows' trigger copies it), but its index only cost every import and
edit a GIN update. SQLite is unchanged.
"""

from django.db import migrations

POSTGRES_FORWARD = ["DROP INDEX IF EXISTS directory_service_search_vector_idx"]
POSTGRES_BACKWARD = [
    "CREATE INDEX IF NOT EXISTS directory_service_search_vector_idx ON directory_service "
    "USING gin (search_vector)",
]


def _run(schema_editor, statements):
    if schema_editor.connection.vendor == "postgresql":
        for statement in statements:
            schema_editor.execute(statement)


def forward(apps, schema_editor):
    _run(schema_editor, POSTGRES_FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, POSTGRES_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("directory", "0006_search_name_index")]

    operations = [migrations.RunPython(forward, backward)]
