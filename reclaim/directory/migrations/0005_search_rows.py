"""Search pages without ranking every match: a narrow search row per service.

A common word matches a tenth of a 100,000-service directory, and ranking every match by
bm25 or ts_rank (and counting them on the wide service table) cost 50-200 ms. Search now
orders by what an index row holds (docs/directory.md, "How search orders and counts"):
services whose name holds every word first, then the others, each by the name as the search
document spells it (`search_name`: the document's first characters, folded), then by id.

- SQLite: the key table gains `search_name`; the FTS5 table gets a `name` column (the same
  folded name, so "name holds the words" is one index query) and a `hidden` column ("hidden"
  for services that are not active), so counting active matches never leaves the index.
- PostgreSQL: `directory_service_search` holds the same narrow row (name, active, the name's
  and the document's vectors) kept by a trigger; its GIN index finds the matches, and
  reading them reads 100-byte rows, not the service table.
Both are derived data, rebuilt here from the services in one statement each.
"""

from django.db import migrations

# The search name is the document's first characters, as many as the name has: the name
# folded as the document folds it (the same on both databases).

SQLITE_TRIGGERS = [
    "CREATE TRIGGER directory_service_fts_insert AFTER INSERT ON directory_service BEGIN "
    "INSERT INTO directory_service_fts_key(service_id, search_name) "
    "VALUES (new.id, substr(new.search_document, 1, length(new.name))); "
    "INSERT INTO directory_service_fts(rowid, service_id, name, body, hidden) VALUES ("
    "(SELECT id FROM directory_service_fts_key WHERE service_id = new.id), new.id, "
    "substr(new.search_document, 1, length(new.name)), new.search_document, "
    "CASE WHEN new.status = 'active' THEN '' ELSE 'hidden' END); "
    "END",
    "CREATE TRIGGER directory_service_fts_update AFTER UPDATE OF name, status, search_document "
    "ON directory_service BEGIN "
    "UPDATE directory_service_fts_key "
    "SET search_name = substr(new.search_document, 1, length(new.name)) "
    "WHERE service_id = old.id; "
    "DELETE FROM directory_service_fts WHERE rowid = "
    "(SELECT id FROM directory_service_fts_key WHERE service_id = old.id); "
    "INSERT INTO directory_service_fts(rowid, service_id, name, body, hidden) VALUES ("
    "(SELECT id FROM directory_service_fts_key WHERE service_id = new.id), new.id, "
    "substr(new.search_document, 1, length(new.name)), new.search_document, "
    "CASE WHEN new.status = 'active' THEN '' ELSE 'hidden' END); "
    "END",
    "CREATE TRIGGER directory_service_fts_delete AFTER DELETE ON directory_service BEGIN "
    "DELETE FROM directory_service_fts WHERE rowid = "
    "(SELECT id FROM directory_service_fts_key WHERE service_id = old.id); "
    "DELETE FROM directory_service_fts_key WHERE service_id = old.id; "
    "END",
]
SQLITE_DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS directory_service_fts_insert",
    "DROP TRIGGER IF EXISTS directory_service_fts_update",
    "DROP TRIGGER IF EXISTS directory_service_fts_delete",
]
SQLITE_FORWARD = [
    *SQLITE_DROP_TRIGGERS,
    "ALTER TABLE directory_service_fts_key ADD COLUMN search_name text NOT NULL DEFAULT ''",
    "UPDATE directory_service_fts_key SET search_name = (SELECT "
    "substr(s.search_document, 1, length(s.name)) FROM directory_service s "
    "WHERE s.id = directory_service_fts_key.service_id)",
    "DROP TABLE directory_service_fts",
    "CREATE VIRTUAL TABLE directory_service_fts USING fts5("
    "service_id UNINDEXED, name, body, hidden, tokenize = 'unicode61 remove_diacritics 2')",
    "INSERT INTO directory_service_fts(rowid, service_id, name, body, hidden) "
    "SELECT k.id, s.id, k.search_name, s.search_document, "
    "CASE WHEN s.status = 'active' THEN '' ELSE 'hidden' END "
    "FROM directory_service s JOIN directory_service_fts_key k ON k.service_id = s.id",
    *SQLITE_TRIGGERS,
]
# Back to the 0002 layout: one indexed column, triggers on the document only.
SQLITE_BACKWARD = [
    *SQLITE_DROP_TRIGGERS,
    "DROP TABLE directory_service_fts",
    "CREATE VIRTUAL TABLE directory_service_fts USING fts5("
    "service_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')",
    "INSERT INTO directory_service_fts(rowid, service_id, body) "
    "SELECT k.id, s.id, s.search_document FROM directory_service s "
    "JOIN directory_service_fts_key k ON k.service_id = s.id",
    "ALTER TABLE directory_service_fts_key DROP COLUMN search_name",
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

POSTGRES_FORWARD = [
    "CREATE TABLE directory_service_search ("
    "service_id uuid PRIMARY KEY, "
    'search_name text COLLATE "C" NOT NULL, '
    "active boolean NOT NULL, "
    "name_vector tsvector NOT NULL, "
    "search_vector tsvector NOT NULL)",
    "INSERT INTO directory_service_search "
    "SELECT s.id, left(s.search_document, char_length(s.name)), s.status = 'active', "
    "to_tsvector('simple'::regconfig, left(s.search_document, char_length(s.name))), "
    "s.search_vector "
    "FROM directory_service s",
    "CREATE INDEX directory_service_search_vector_gin ON directory_service_search "
    "USING gin (search_vector)",
    "CREATE FUNCTION directory_service_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF TG_OP = 'DELETE' THEN "
    "DELETE FROM directory_service_search WHERE service_id = OLD.id; RETURN NULL; "
    "END IF; "
    "INSERT INTO directory_service_search VALUES ("
    "NEW.id, left(NEW.search_document, char_length(NEW.name)), NEW.status = 'active', "
    "to_tsvector('simple'::regconfig, left(NEW.search_document, char_length(NEW.name))), "
    "NEW.search_vector) "
    "ON CONFLICT (service_id) DO UPDATE SET search_name = EXCLUDED.search_name, "
    "active = EXCLUDED.active, name_vector = EXCLUDED.name_vector, "
    "search_vector = EXCLUDED.search_vector; "
    "RETURN NULL; "
    "END $$",
    "CREATE TRIGGER directory_service_search_sync "
    "AFTER INSERT OR DELETE OR UPDATE OF name, status, search_document ON directory_service "
    "FOR EACH ROW EXECUTE FUNCTION directory_service_search_sync()",
    # A flush (TRUNCATE) of the services empties their search rows too.
    "CREATE FUNCTION directory_service_search_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN TRUNCATE directory_service_search; RETURN NULL; END $$",
    "CREATE TRIGGER directory_service_search_truncate AFTER TRUNCATE ON directory_service "
    "FOR EACH STATEMENT EXECUTE FUNCTION directory_service_search_truncate()",
    "ANALYZE directory_service_search",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS directory_service_search_truncate ON directory_service",
    "DROP TRIGGER IF EXISTS directory_service_search_sync ON directory_service",
    "DROP FUNCTION IF EXISTS directory_service_search_truncate()",
    "DROP FUNCTION IF EXISTS directory_service_search_sync()",
    "DROP TABLE IF EXISTS directory_service_search",
]


def _run(schema_editor, statements_by_vendor):
    for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD})


def backward(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [("directory", "0004_service_match_rows")]

    operations = [migrations.RunPython(forward, backward)]
