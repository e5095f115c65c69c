"""PostgreSQL: keep the search rows' GIN pending lists small (64 kB, the least allowed).

A GIN index first adds new entries to an unsorted pending list, which every search reads in
full until VACUUM, or an insert that finds it over its limit, moves it into the index. The
default limit is 4 MB: after a 100,000-service import the two lists held 660 pages, and
reading them was half of each search's time (docs/directory.md). A 64 kB list is moved by the
write that fills it, after at most a few hundred rows: 10,000 search rows inserted one by one
took 0.23 s with it and 0.24 s with 4 MB (0.70 s with no pending list, `fastupdate = off`).
The lists held now are moved here. SQLite is unchanged.
"""

from django.db import migrations

INDEXES = ("directory_service_search_vector_gin", "directory_service_search_name_gin")
POSTGRES_FORWARD = [
    *(f"ALTER INDEX {index} SET (gin_pending_list_limit = 64)" for index in INDEXES),
    *(f"SELECT gin_clean_pending_list('{index}'::regclass)" for index in INDEXES),
]
POSTGRES_BACKWARD = [f"ALTER INDEX {index} RESET (gin_pending_list_limit)" for index in INDEXES]


def _run(schema_editor, statements):
    if schema_editor.connection.vendor == "postgresql":
        for statement in statements:
            schema_editor.execute(statement)


def forward(apps, schema_editor):
    _run(schema_editor, POSTGRES_FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, POSTGRES_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("directory", "0007_drop_unused_service_vector_index")]

    operations = [migrations.RunPython(forward, backward)]
