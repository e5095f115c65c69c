"""Bulk writes (COPY on PostgreSQL, executemany on SQLite) give what row-by-row SQL gives."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from reclaim.core import bulk_rows

pytestmark = pytest.mark.django_db

TABLE = "bulk_rows_probe"
COLUMNS = ["id", "name", "note"]


@pytest.fixture
def probe() -> None:
    # Created inside the test's transaction, so it is rolled back with it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, name text NOT NULL, note text)"
        )


def rows() -> list[tuple[int, str, str | None]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, name, note FROM {TABLE} ORDER BY id")
        return [tuple(row) for row in cursor.fetchall()]


# Text COPY escapes tabs, newlines and backslashes; NUL is refused before it gets here.
storable_text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))


@pytest.mark.usefixtures("probe")
@settings(max_examples=40, deadline=None)
@given(names=st.lists(storable_text, min_size=1, max_size=5), note=st.none() | storable_text)
def test_inserted_text_comes_back_unchanged(names: list[str], note: str | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
    wanted = [(index, name, note) for index, name in enumerate(names)]
    bulk_rows.insert_rows(TABLE, COLUMNS, wanted)
    assert rows() == wanted


@pytest.mark.usefixtures("probe")
def test_upsert_updates_only_the_named_columns_and_the_last_row_of_a_key_wins() -> None:
    bulk_rows.insert_rows(TABLE, COLUMNS, [(1, "one", "kept"), (2, "two", "kept")])
    bulk_rows.upsert_rows(
        TABLE,
        COLUMNS,
        [(1, "first try", "ignored"), (3, "three", "new"), (1, "uno", "ignored")],
        update=["name"],
    )
    assert rows() == [(1, "uno", "kept"), (2, "two", "kept"), (3, "three", "new")]


@pytest.mark.usefixtures("probe")
def test_groups_update_their_own_columns() -> None:
    bulk_rows.insert_rows(TABLE, COLUMNS, [(1, "one", "a"), (2, "two", "b")])
    bulk_rows.upsert_groups(
        TABLE,
        COLUMNS,
        [(["name"], [(1, "uno", "x")]), (["note"], [(2, "dos", "y"), (4, "four", "z")])],
    )
    assert rows() == [(1, "uno", "a"), (2, "two", "y"), (4, "four", "z")]


@pytest.mark.usefixtures("probe")
def test_a_key_in_two_groups_is_refused_before_anything_is_written() -> None:
    with pytest.raises(ValueError, match="two groups"):
        bulk_rows.upsert_groups(
            TABLE, COLUMNS, [(["name"], [(1, "a", None)]), (["note"], [(1, "b", None)])]
        )
    assert rows() == []


@pytest.mark.usefixtures("probe")
def test_key_lists_select_exactly_their_keys_even_when_empty() -> None:
    bulk_rows.insert_rows(TABLE, COLUMNS, [(i, f"n{i}", None) for i in range(3000)])
    wanted = list(range(0, 3000, 7))
    with connection.cursor() as cursor:
        for keys in (wanted, []):
            marks, params = bulk_rows.key_list(keys)
            cursor.execute(f"SELECT id FROM {TABLE} WHERE id IN ({marks}) ORDER BY id", params)
            assert [row[0] for row in cursor.fetchall()] == keys


def test_uuid_key_lists_select_exactly_their_keys() -> None:
    # On PostgreSQL UUIDs travel as the text of one uuid[]; on SQLite as hex parameters.
    import uuid

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bulk_rows_uuids (id uuid PRIMARY KEY)")
        native = connection.features.has_native_uuid_field
        ids = [uuid.uuid4() for _ in range(50)]
        bulk_rows.insert_rows(
            "bulk_rows_uuids", ["id"], [(pk if native else pk.hex,) for pk in ids]
        )
        wanted = [*ids[::3], uuid.uuid4()]  # and one that is not there
        marks, params = bulk_rows.key_list(wanted if native else [pk.hex for pk in wanted])
        cursor.execute(f"SELECT id FROM bulk_rows_uuids WHERE id IN ({marks})", params)
        found = {row[0] if native else uuid.UUID(hex=row[0]) for row in cursor.fetchall()}
    assert found == set(ids[::3])


@pytest.mark.usefixtures("probe")
def test_a_refused_insert_raises_djangos_integrity_error() -> None:
    # Callers catch Django's errors (the import redoes a refused batch record by record);
    # COPY runs on psycopg's own cursor, whose errors must be translated as well.
    from django.db import IntegrityError, transaction

    bulk_rows.insert_rows(TABLE, COLUMNS, [(1, "one", None)])
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_rows.insert_rows(TABLE, COLUMNS, [(2, "two", None), (1, "again", None)])
    assert rows() == [(1, "one", None)]


@given(count=st.integers(0, 300))
@settings(max_examples=30)
def test_ordered_uuids_ascend_as_ints_and_as_stored_text_and_are_version_7(count: int) -> None:
    import uuid

    ids = bulk_rows.ordered_uuids(count)
    assert len(set(ids)) == count
    assert ids == sorted(ids) and [pk.hex for pk in ids] == sorted(pk.hex for pk in ids)
    assert all(pk.version == 7 and pk.variant == uuid.RFC_4122 for pk in ids)


def test_ordered_uuids_of_two_calls_differ() -> None:
    assert not set(bulk_rows.ordered_uuids(1000)) & set(bulk_rows.ordered_uuids(1000))
