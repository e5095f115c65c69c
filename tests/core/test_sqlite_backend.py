"""SQLite connections analyse the tables they used when they close (PRAGMA optimize), so the
planner knows an organisation holds thousands of survivors, not the ten it guesses."""

from __future__ import annotations

import sqlite3
import time

from django.db import connections

from reclaim.core.sqlite_backend.base import DatabaseWrapper


def _wrapper(path) -> DatabaseWrapper:
    settings = {**connections["default"].settings_dict}
    settings.update(
        ENGINE="reclaim.core.sqlite_backend",
        NAME=str(path),
        # The app's own busy timeout is 20 s; closing must not use it.
        OPTIONS={"init_command": "PRAGMA journal_mode=WAL", "timeout": 10},
        TEST={},
    )
    return DatabaseWrapper(settings, alias="sqlite-backend-test")


def _fill(path) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE person (id INTEGER PRIMARY KEY, org INTEGER, ref TEXT)")
        raw.execute("CREATE INDEX person_org ON person (org)")
        raw.executemany(
            "INSERT INTO person (org, ref) VALUES (?, ?)", [(n % 3, str(n)) for n in range(5000)]
        )


def _opened_after_a_query(path, org: int) -> DatabaseWrapper:
    """A connection that has read the table through its index (what PRAGMA optimize notes)."""
    _fill(path)
    database = _wrapper(path)
    with database.cursor() as cursor:
        cursor.execute("SELECT ref FROM person WHERE org = %s", [org])
        assert len(cursor.fetchall()) > 1600
    return database


def _statistics(path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as raw:
        if not raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchall():
            return []
        return raw.execute("SELECT tbl, idx, stat FROM sqlite_stat1").fetchall()


def test_a_closing_connection_analyses_the_tables_it_used(tmp_path):
    path = tmp_path / "used.sqlite3"
    database = _opened_after_a_query(path, 1)
    assert _statistics(path) == []  # nothing analysed yet
    database.close()
    stats = {(table, index): stat for table, index, stat in _statistics(path)}
    rows, per_org = (int(part) for part in stats[("person", "person_org")].split()[:2])
    # Sampled, not exact: about 5,000 rows, thousands per organisation (not the guessed 10).
    assert rows > 1000 and per_org > 100


def test_closing_while_another_writer_holds_the_lock_is_quiet_and_prompt(tmp_path):
    path = tmp_path / "busy.sqlite3"
    database = _opened_after_a_query(path, 2)
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # holds the write lock
    try:
        started = time.monotonic()
        # Returns at once and without an error; the statistics wait for a later close.
        database.close()
        waited = time.monotonic() - started
    finally:
        other.rollback()
        other.close()
    assert database.connection is None
    assert waited < 5  # not the 10 s busy timeout
    assert _statistics(path) == []
