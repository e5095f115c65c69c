"""PostgreSQL: the search vector stored in a generated column, indexed, and ranked from there.

Ranking a match recomputed `to_tsvector(search_document)` for every matching row: a common
word at network scale cost over 100 ms. The generated column is computed once per write.
SQLite is unchanged (its FTS5 table holds the index).
"""

from django.db import migrations

POSTGRES_FORWARD = [
    "DROP INDEX IF EXISTS directory_service_search_idx",
    "ALTER TABLE directory_service ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_document)) STORED",
    "CREATE INDEX directory_service_search_vector_idx ON directory_service "
    "USING gin (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS directory_service_search_vector_idx",
    "ALTER TABLE directory_service DROP COLUMN IF EXISTS search_vector",
    "CREATE INDEX directory_service_search_idx ON directory_service "
    "USING gin (to_tsvector('simple'::regconfig, search_document))",
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
    dependencies = [("directory", "0002_fts_keyed_by_rowid")]

    operations = [migrations.RunPython(forward, backward)]
