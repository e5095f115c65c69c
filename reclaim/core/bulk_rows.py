"""Writing many rows with few statements: COPY on PostgreSQL, `executemany` on SQLite.

For imports of tens of thousands of records. PostgreSQL answers `executemany` one row at a
time (about 100 µs a row on loopback, most of an import); COPY streams every row in one
statement. An upsert COPYs into a temporary table and merges it with one
INSERT … SELECT … ON CONFLICT. Table and column names come from our models, never from input;
values always travel as data.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import connection


def key_list(keys: Sequence[Any]) -> tuple[str, list[Any]]:
    """SQL for a list of keys inside `IN (…)`, and its parameters.

    PostgreSQL gets one array parameter: psycopg splits a query with thousands of
    placeholders in Python, and the server plans such a list slower than it runs it. UUIDs
    go as the text of a uuid[] (hex digits need no quoting): psycopg quoting each element
    cost 3 µs a key, a tenth of a large import's time in this process.
    """
    if not keys:
        return "NULL", []  # IN (NULL) holds nothing
    if connection.vendor == "postgresql":
        if all(type(key) is uuid.UUID for key in keys):
            return "SELECT unnest(%s::uuid[])", ["{" + ",".join(key.hex for key in keys) + "}"]
        return "SELECT unnest(%s)", [list(keys)]
    return ", ".join(["%s"] * len(keys)), list(keys)


def ordered_uuids(count: int) -> list[uuid.UUID]:
    """`count` new UUIDs in ascending order, for rows whose key is ours (not given by input).

    Laid out as RFC 9562's version 7: the time in milliseconds, then random bits, counted up
    from a random start. Random keys (uuid4) put each row in a random page of the key's
    index, so a large import rewrote nearly every page of it; these go at its end, and are
    made without a system call each.
    """
    milliseconds = time.time_ns() // 1_000_000
    head = (milliseconds & (1 << 48) - 1) << 80 | 7 << 76 | secrets.randbits(12) << 64
    start = secrets.randbelow((1 << 62) - count)  # the 62 bits after the variant
    return [uuid.UUID(int=head | 2 << 62 | (start + offset)) for offset in range(count)]


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(connection.ops.quote_name(name) for name in names)


def _copy(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    statement = f"COPY {connection.ops.quote_name(table)} ({_quoted(columns)}) FROM STDIN"
    # psycopg's own cursor: its errors are made Django's (IntegrityError, …) here, as
    # Django's cursor does for every other statement, so callers catch one kind.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT these rows (values as the database takes them, in `columns` order)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        _copy(table, columns, rows)
        return
    marks = ", ".join(["%s"] * len(columns))
    statement = (
        f"INSERT INTO {connection.ops.quote_name(table)} ({_quoted(columns)}) VALUES ({marks})"  # noqa: S608
    )
    with connection.cursor() as cursor:
        cursor.executemany(statement, rows)


def upsert_rows(
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    update: Sequence[str],
    key: str = "id",
) -> None:
    """INSERT these rows, or UPDATE the `update` columns of a row whose `key` exists.

    A key given twice keeps its last row, as one INSERT … ON CONFLICT per row would.
    """
    upsert_groups(table, columns, [(update, rows)], key=key)


def upsert_groups(
    table: str,
    columns: Sequence[str],
    groups: Sequence[tuple[Sequence[str], Sequence[Sequence[Any]]]],
    *,
    key: str = "id",
) -> None:
    """`upsert_rows` for groups of rows that each update their own columns, staged once.

    Within a group a key given twice keeps its last row; a key in two groups is a ValueError
    (which of the two updates wins would depend on the database).
    """
    position = list(columns).index(key)
    deduplicated = [(update, {row[position]: row for row in rows}) for update, rows in groups]
    deduplicated = [(update, rows) for update, rows in deduplicated if rows]
    if not deduplicated:
        return
    if sum(len(rows) for _update, rows in deduplicated) != len(
        {pk for _update, rows in deduplicated for pk in rows}
    ):
        raise ValueError(f"{table}: a {key} appears in two groups of one upsert")
    quote = connection.ops.quote_name

    def conflict(update: Sequence[str]) -> str:
        assignments = ", ".join(f"{quote(name)} = EXCLUDED.{quote(name)}" for name in update)
        return f" ON CONFLICT ({quote(key)}) DO UPDATE SET {assignments}"

    if connection.vendor != "postgresql":
        marks = ", ".join(["%s"] * len(columns))
        statement = f"INSERT INTO {quote(table)} ({_quoted(columns)}) VALUES ({marks})"  # noqa: S608
        with connection.cursor() as cursor:
            for update, rows in deduplicated:
                cursor.executemany(statement + conflict(update), list(rows.values()))
        return
    stage = quote(f"reclaim_stage_{table}")
    with connection.cursor() as cursor:
        # ON COMMIT DROP: the stage never outlives the transaction, and a savepoint rolled
        # back takes it with it.
        cursor.execute(f"CREATE TEMPORARY TABLE {stage} (LIKE {quote(table)}) ON COMMIT DROP")
    _copy(
        f"reclaim_stage_{table}",
        columns,
        [row for _update, rows in deduplicated for row in rows.values()],
    )
    with connection.cursor() as cursor:
        for update, rows in deduplicated:
            where = "" if len(deduplicated) == 1 else f" WHERE {quote(key)} = ANY(%s)"
            cursor.execute(
                f"INSERT INTO {quote(table)} ({_quoted(columns)}) "  # noqa: S608
                f"SELECT {_quoted(columns)} FROM {stage}{where}{conflict(update)}",
                [list(rows)] if where else None,
            )
        cursor.execute(f"DROP TABLE {stage}")
