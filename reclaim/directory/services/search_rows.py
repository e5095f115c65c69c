"""The search rows of services written in bulk: the triggers stand aside, one statement writes.

Every write to a service keeps its search rows through triggers (migrations 0005 and 0009):
SQLite's FTS5 table and its key table, PostgreSQL's `directory_service_search`. Row by row
they cost an import most of its service inserts (docs/performance.md, seventh run), so a
bulk writer runs inside `deferred()`, which turns the insert and update triggers off for its
own transaction, and then writes the rows of the services it wrote with the same
expressions the triggers use.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence

from django.db import connection, transaction

from reclaim.core import audit, bulk_rows

from ..models import Service
from .match_rows import refresh_all_match_rows

DEFERRED_TABLE = "directory_search_deferred"
DEFERRED_SETTING = "reclaim.search_deferred"


@contextlib.contextmanager
def deferred(inserted: Sequence[uuid.UUID], updated: Sequence[uuid.UUID]) -> Iterator[None]:
    """Defer the search-row triggers while the block inserts and updates these services.

    The block runs in a savepoint: if it raises, the savepoint's rollback undoes the
    deferral with the writes. Otherwise the services' search rows are written after it.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL {DEFERRED_SETTING} = 'on'")
            else:
                cursor.execute(f"INSERT INTO {DEFERRED_TABLE} (id) VALUES (1)")  # noqa: S608
        yield
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL {DEFERRED_SETTING} = 'off'")
            else:
                cursor.execute(f"DELETE FROM {DEFERRED_TABLE}")  # noqa: S608
        write_search_rows([*inserted, *updated], replaced=updated)


def write_search_rows(service_ids: Sequence[uuid.UUID], *, replaced: Sequence[uuid.UUID]) -> None:
    """Write the search rows of these services, as the triggers would have.

    `replaced` are those that had rows already (updated, not inserted).
    """
    if not service_ids:
        return
    if connection.vendor == "postgresql":
        _write_postgresql(service_ids)
    else:
        _write_sqlite(service_ids, replaced)


# The triggers' expressions, for many services at once ({keys}: the services' id list).
# The rows go in by search name: a search reads every row whose name holds the words to
# sort them, and rows of similar names then share pages (in id order, a PostgreSQL search
# of a 100,000-service directory read 4 times as many pages: docs/performance.md, seventh
# run). On SQLite the key rows' ids follow the names, and the FTS rows follow the ids.
# PostgreSQL's vectors have no word positions (migration 0010: nothing reads them).
POSTGRES_ROWS = (
    "INSERT INTO directory_service_search "
    "SELECT s.id, left(s.search_document, char_length(s.name)), s.status = 'active', "
    "strip(to_tsvector('simple'::regconfig, left(s.search_document, char_length(s.name)))), "
    "strip(to_tsvector('simple'::regconfig, s.search_document)) "
    "FROM directory_service s WHERE s.id IN ({keys}) "
    "ORDER BY 2, 1 "
    "ON CONFLICT (service_id) DO UPDATE SET search_name = EXCLUDED.search_name, "
    "active = EXCLUDED.active, name_vector = EXCLUDED.name_vector, "
    "search_vector = EXCLUDED.search_vector"
)
SQLITE_DROP_ROWS = (
    "DELETE FROM directory_service_fts WHERE rowid IN "
    "(SELECT id FROM directory_service_fts_key WHERE service_id IN ({keys}))"
)
SQLITE_KEY_ROWS = (
    "INSERT INTO directory_service_fts_key (service_id, search_name) "
    "SELECT id, substr(search_document, 1, length(name)) FROM directory_service "
    "WHERE id IN ({keys}) ORDER BY 2, 1 "
    "ON CONFLICT (service_id) DO UPDATE SET search_name = excluded.search_name"
)
SQLITE_FTS_ROWS = (
    "INSERT INTO directory_service_fts (rowid, service_id, name, body, hidden) "
    "SELECT k.id, s.id, k.search_name, s.search_document, "
    "CASE WHEN s.status = 'active' THEN '' ELSE 'hidden' END "
    "FROM directory_service s JOIN directory_service_fts_key k ON k.service_id = s.id "
    "WHERE s.id IN ({keys}) ORDER BY k.id"
)


def _run(template: str, service_ids: Sequence[uuid.UUID]) -> None:
    native = connection.features.has_native_uuid_field
    marks, params = bulk_rows.key_list([pk if native else pk.hex for pk in service_ids])
    with connection.cursor() as cursor:
        cursor.execute(template.format(keys=marks), params)


def _write_postgresql(service_ids: Sequence[uuid.UUID]) -> None:
    _run(POSTGRES_ROWS, service_ids)


def _write_sqlite(service_ids: Sequence[uuid.UUID], replaced: Sequence[uuid.UUID]) -> None:
    if replaced:
        _run(SQLITE_DROP_ROWS, replaced)
    _run(SQLITE_KEY_ROWS, service_ids)
    _run(SQLITE_FTS_ROWS, service_ids)


REBUILD_CHUNK = 1000


def rebuild_derived_rows() -> int:
    """Rebuild the search rows and match rows of every service from the directory, in one
    transaction, audited once (`reclaim rebuild-directory-rows`); returns how many services.

    Every write through Reclaim keeps these rows; a restore of some tables, or a change made
    with SQL, may not.
    """
    with transaction.atomic():
        services = rebuild_all_search_rows()
        refresh_all_match_rows()
        audit.record(
            "directory.rebuild", target_type="directory.service", context={"services": services}
        )
    return services


def rebuild_all_search_rows() -> int:
    """Rebuild every service's search rows from the services (a repair, after a restore or a
    write that went around the services); returns how many services. Call in a transaction.
    """
    ids = list(Service.objects.order_by("name", "pk").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DELETE FROM directory_service_search")
        else:
            cursor.execute("DELETE FROM directory_service_fts")
            cursor.execute("DELETE FROM directory_service_fts_key")
    for start in range(0, len(ids), REBUILD_CHUNK):
        write_search_rows(ids[start : start + REBUILD_CHUNK], replaced=[])
    return len(ids)
