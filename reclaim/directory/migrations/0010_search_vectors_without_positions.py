"""PostgreSQL: the search rows' vectors without word positions, and no vector on the service.

A search only asks which services hold every word (as a prefix); it has no phrases and no
ranking, so the positions `to_tsvector` records are never read. The service table's
generated `search_vector` (0003) only fed the search rows; they now compute the vector from
the document themselves, so it is dropped. At 100,000 services the search rows went from 64
to 52 MB and the services from 72 to 43 MB; search and import times did not change
measurably (docs/performance.md, eighth run). SQLite is unchanged (FTS5).
"""

from django.db import migrations

NAME = "left({row}.search_document, char_length({row}.name))"
NAME_VECTOR = f"strip(to_tsvector('simple'::regconfig, {NAME}))"
DOCUMENT_VECTOR = "strip(to_tsvector('simple'::regconfig, {row}.search_document))"
OLD_NAME_VECTOR = f"to_tsvector('simple'::regconfig, {NAME})"
OLD_DOCUMENT_VECTOR = "{row}.search_vector"


def _sync_function(name_vector: str, document_vector: str) -> str:
    """The search rows' trigger function (0005), with these vector expressions."""
    return (
        "CREATE OR REPLACE FUNCTION directory_service_search_sync() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ "
        "BEGIN "
        "IF TG_OP = 'DELETE' THEN "
        "DELETE FROM directory_service_search WHERE service_id = OLD.id; RETURN NULL; "
        "END IF; "
        "INSERT INTO directory_service_search VALUES ("
        "NEW.id, left(NEW.search_document, char_length(NEW.name)), NEW.status = 'active', "
        f"{name_vector.format(row='NEW')}, {document_vector.format(row='NEW')}) "
        "ON CONFLICT (service_id) DO UPDATE SET search_name = EXCLUDED.search_name, "
        "active = EXCLUDED.active, name_vector = EXCLUDED.name_vector, "
        "search_vector = EXCLUDED.search_vector; "
        "RETURN NULL; "
        "END $$"
    )


def _refill(name_vector: str, document_vector: str) -> list[str]:
    """Every search row written again, in search-name order (as `search_rows` writes them:
    a common word's matches then share pages), into a table emptied of the old rows."""
    return [
        "TRUNCATE directory_service_search",
        "INSERT INTO directory_service_search "
        "SELECT s.id, left(s.search_document, char_length(s.name)), s.status = 'active', "
        f"{name_vector.format(row='s')}, {document_vector.format(row='s')} "
        "FROM directory_service s ORDER BY 2, 1",
        "ANALYZE directory_service_search",
    ]


POSTGRES_FORWARD = [
    _sync_function(NAME_VECTOR, DOCUMENT_VECTOR),
    "ALTER TABLE directory_service DROP COLUMN search_vector",
    *_refill(NAME_VECTOR, DOCUMENT_VECTOR),
]
POSTGRES_BACKWARD = [
    "ALTER TABLE directory_service ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_document)) STORED",
    _sync_function(OLD_NAME_VECTOR, OLD_DOCUMENT_VECTOR),
    *_refill(OLD_NAME_VECTOR, OLD_DOCUMENT_VECTOR),
]


def _run(schema_editor, statements):
    if schema_editor.connection.vendor == "postgresql":
        for statement in statements:
            schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    _run(schema_editor, POSTGRES_FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, POSTGRES_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("directory", "0009_deferrable_search_rows")]

    operations = [migrations.RunPython(forward, backward)]
