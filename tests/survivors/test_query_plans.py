"""The caseload and visibility queries start from an index, never from a scan of every
survivor. At 100,000 survivors on SQLite a scan made a caseload page take 171 ms and a
progress page 509 ms (docs/performance.md, sixth run): Django had compared the hand-written
conditions with `= 1`, under which SQLite uses no index, and EXISTS made it test every
survivor. The plan is asked of the database itself (SQLite without statistics plans by its
rules; PostgreSQL with sequential scans discouraged, so a plan that can use an index does)."""

from __future__ import annotations

import pytest
from django.db import connection

from reclaim.core import access
from reclaim.survivors import services
from reclaim.survivors.models import Survivor
from tests.factories import make_survivor

SURVIVOR_TABLE = Survivor._meta.db_table
pytestmark = pytest.mark.django_db(databases="__all__")


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _scans_every_survivor(plan: str) -> bool:
    if connection.vendor == "postgresql":
        return f"Seq Scan on {SURVIVOR_TABLE}" in plan
    return any(line.startswith(f"SCAN {SURVIVOR_TABLE}") for line in plan.splitlines())


@pytest.fixture
def caseload(caseworker, home_org):
    return [make_survivor(caseworker, home_org, alias=f"Alias {n}") for n in range(3)]


@pytest.mark.parametrize("mine_only", [True, False])
def test_the_caseload_query_starts_from_an_index(caseload, caseworker, mine_only):
    queryset = services._caseload_queryset(caseworker, mine_only)
    assert set(queryset.values_list("pk", flat=True)) == {row.pk for row in caseload}
    plan = _plan(queryset)
    assert not _scans_every_survivor(plan), plan


def test_the_visibility_condition_is_in_where_as_written(caseload, caseworker):
    """No `= 1` (SQLite) or `= true` comparison around the hand-written condition."""
    sql, _params = access.scope(caseworker, Survivor).query.sql_with_params()
    where = sql.split(" WHERE ", 1)[1]
    assert ") = 1" not in where
    assert ") = true" not in where.lower()
    assert not _scans_every_survivor(_plan(access.scope(caseworker, Survivor)))
