"""SQLite full-text index rows found by rowid, not by scanning for the service id.

The first FTS5 triggers deleted `WHERE service_id = old.id`, which FTS5 can only answer by
reading every row of the index: updating one service cost a scan of the whole directory
(a re-import of 5,000 services into 10,000 ran at about 100 services/s). Now each service
gets a stable integer key in `directory_service_fts_key` (an INTEGER PRIMARY KEY, so VACUUM
keeps it), used as the index row's rowid. PostgreSQL is unchanged (a GIN expression index).
"""

from django.db import migrations

SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS directory_service_fts_insert",
    "DROP TRIGGER IF EXISTS directory_service_fts_update",
    "DROP TRIGGER IF EXISTS directory_service_fts_delete",
    "CREATE TABLE directory_service_fts_key ("
    "id INTEGER PRIMARY KEY, service_id char(32) NOT NULL UNIQUE)",
    "INSERT INTO directory_service_fts_key(service_id) SELECT id FROM directory_service",
    "DELETE FROM directory_service_fts",
    "INSERT INTO directory_service_fts(rowid, service_id, body) "
    "SELECT k.id, s.id, s.search_document FROM directory_service s "
    "JOIN directory_service_fts_key k ON k.service_id = s.id",
    "CREATE TRIGGER directory_service_fts_insert AFTER INSERT ON directory_service BEGIN "
    "INSERT INTO directory_service_fts_key(service_id) VALUES (new.id); "
    "INSERT INTO directory_service_fts(rowid, service_id, body) VALUES ("
    "(SELECT id FROM directory_service_fts_key WHERE service_id = new.id), "
    "new.id, new.search_document); "
    "END",
    "CREATE TRIGGER directory_service_fts_update AFTER UPDATE OF search_document "
    "ON directory_service BEGIN "
    "DELETE FROM directory_service_fts WHERE rowid = "
    "(SELECT id FROM directory_service_fts_key WHERE service_id = old.id); "
    "INSERT INTO directory_service_fts(rowid, service_id, body) VALUES ("
    "(SELECT id FROM directory_service_fts_key WHERE service_id = new.id), "
    "new.id, new.search_document); "
    "END",
    "CREATE TRIGGER directory_service_fts_delete AFTER DELETE ON directory_service BEGIN "
    "DELETE FROM directory_service_fts WHERE rowid = "
    "(SELECT id FROM directory_service_fts_key WHERE service_id = old.id); "
    "DELETE FROM directory_service_fts_key WHERE service_id = old.id; "
    "END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS directory_service_fts_insert",
    "DROP TRIGGER IF EXISTS directory_service_fts_update",
    "DROP TRIGGER IF EXISTS directory_service_fts_delete",
    "DROP TABLE IF EXISTS directory_service_fts_key",
    "CREATE TRIGGER directory_service_fts_insert AFTER INSERT ON directory_service BEGIN "
    "INSERT INTO directory_service_fts(service_id, body) VALUES (new.id, new.search_document); "
    "END",
    "CREATE TRIGGER directory_service_fts_update AFTER UPDATE OF search_document "
    "ON directory_service BEGIN "
    "DELETE FROM directory_service_fts WHERE service_id = old.id; "
    "INSERT INTO directory_service_fts(service_id, body) VALUES (new.id, new.search_document); "
    "END",
    "CREATE TRIGGER directory_service_fts_delete AFTER DELETE ON directory_service BEGIN "
    "DELETE FROM directory_service_fts WHERE service_id = old.id; END",
]


def _run(schema_editor, statements):
    if schema_editor.connection.vendor == "sqlite":
        for statement in statements:
            schema_editor.execute(statement)


def forward(apps, schema_editor):
    _run(schema_editor, SQLITE_FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
