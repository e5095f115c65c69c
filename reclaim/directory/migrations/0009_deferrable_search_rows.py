"""Bulk writes can defer the search rows' triggers and write the rows in one statement.

A row trigger that writes into an FTS5 table makes SQLite open a statement journal per row,
and FTS5 flushes its pending terms to a new segment at each one: 5,000 services cost 0.36 s
of triggers, and 0.10 s written together after the rows (docs/performance.md, seventh run).
PostgreSQL's plpgsql trigger likewise computes each row apart. So the insert and update
triggers now stand aside while the writing transaction says so, and the bulk writer
(`search_rows.deferred`) then writes the search rows of what it wrote itself:

- SQLite: while `directory_search_deferred` holds a row. Only the writing transaction sees
  it (SQLite has one writer at a time), and the writer deletes it before it commits.
- PostgreSQL: while the transaction-local setting `reclaim.search_deferred` is `on`
  (`SET LOCAL`, undone with the transaction or the savepoint that set it).

Deletes are never deferred. Every other write keeps its triggers as before.
"""

from django.db import migrations

SQLITE_ROW = (
    "INSERT INTO directory_service_fts(rowid, service_id, name, body, hidden) VALUES ("
    "(SELECT id FROM directory_service_fts_key WHERE service_id = new.id), new.id, "
    "substr(new.search_document, 1, length(new.name)), new.search_document, "
    "CASE WHEN new.status = 'active' THEN '' ELSE 'hidden' END); "
)
SQLITE_NOT_DEFERRED = "WHEN NOT EXISTS (SELECT 1 FROM directory_search_deferred) "


def _sqlite_triggers(when: str) -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS directory_service_fts_insert",
        "DROP TRIGGER IF EXISTS directory_service_fts_update",
        "CREATE TRIGGER directory_service_fts_insert AFTER INSERT ON directory_service "
        f"{when}BEGIN "
        "INSERT INTO directory_service_fts_key(service_id, search_name) "
        "VALUES (new.id, substr(new.search_document, 1, length(new.name))); "
        f"{SQLITE_ROW}"
        "END",
        "CREATE TRIGGER directory_service_fts_update AFTER UPDATE OF name, status, "
        f"search_document ON directory_service {when}BEGIN "
        "UPDATE directory_service_fts_key "
        "SET search_name = substr(new.search_document, 1, length(new.name)) "
        "WHERE service_id = old.id; "
        "DELETE FROM directory_service_fts WHERE rowid = "
        "(SELECT id FROM directory_service_fts_key WHERE service_id = old.id); "
        f"{SQLITE_ROW}"
        "END",
    ]


SQLITE_FORWARD = [
    "CREATE TABLE directory_search_deferred (id integer PRIMARY KEY)",
    *_sqlite_triggers(SQLITE_NOT_DEFERRED),
]
SQLITE_BACKWARD = [*_sqlite_triggers(""), "DROP TABLE directory_search_deferred"]

POSTGRES_FORWARD = [
    "DROP TRIGGER directory_service_search_sync ON directory_service",
    "CREATE TRIGGER directory_service_search_sync "
    "AFTER INSERT OR UPDATE OF name, status, search_document ON directory_service "
    "FOR EACH ROW WHEN (current_setting('reclaim.search_deferred', true) IS DISTINCT FROM 'on') "
    "EXECUTE FUNCTION directory_service_search_sync()",
    "CREATE TRIGGER directory_service_search_drop AFTER DELETE ON directory_service "
    "FOR EACH ROW EXECUTE FUNCTION directory_service_search_sync()",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER directory_service_search_drop ON directory_service",
    "DROP TRIGGER directory_service_search_sync ON directory_service",
    "CREATE TRIGGER directory_service_search_sync "
    "AFTER INSERT OR DELETE OR UPDATE OF name, status, search_document ON directory_service "
    "FOR EACH ROW EXECUTE FUNCTION directory_service_search_sync()",
]


def _run(schema_editor, statements_by_vendor):
    for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD})


def backward(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [("directory", "0008_search_gin_pending_list")]

    operations = [migrations.RunPython(forward, backward)]
