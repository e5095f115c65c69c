"""Model rows read with plain SQL, for the few queries every request makes.

The ORM spends more CPU building and compiling a query than PostgreSQL spends running it
(0.5 ms against 0.1 ms for a user's memberships, docs/performance.md, fifth run). The token
lookup, the memberships and the audit append run on every API call, so they select with a
cursor and turn the rows into model instances here, converted exactly as the ORM converts them
(the backend's and the field's converters: UUIDs and datetimes on SQLite, JSON everywhere).
tests/core/test_plain_sql.py compares every model's rows with the ORM's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import Field, Model
from django.db.models.expressions import RawSQL

Converter = Callable[[Any, Any, Any], Any]
_SHAPES: dict[
    tuple[type[Model], str], tuple[list[str], list[tuple[int, list[Converter], Any]]]
] = {}


def _shape(
    model: type[Model], using: str
) -> tuple[list[str], list[tuple[int, list[Converter], Any]]]:
    """The model's column names and, per column that needs them, its converters."""
    key = (model, connections[using].vendor)
    shape = _SHAPES.get(key)
    if shape is None:
        connection = connections[using]
        fields = model._meta.concrete_fields
        columns = [str(field.column) for field in fields]
        converters = []
        for index, field in enumerate(fields):
            column = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((index, found, column))
        shape = (columns, converters)
        _SHAPES[key] = shape
    return shape


def columns(model: type[Model], table_alias: str, *, using: str = "default") -> str:
    """`alias.column, …` for every concrete field of `model`, in the ORM's field order."""
    quote = connections[using].ops.quote_name
    names, _converters = _shape(model, using)
    return ", ".join(f"{table_alias}.{quote(name)}" for name in names)


def width(model: type[Model]) -> int:
    """How many values of a row `columns(model)` selects (to split a joined row)."""
    return len(model._meta.concrete_fields)


def instance[ModelT: Model](
    model: type[ModelT], values: Sequence[Any], *, using: str = "default"
) -> ModelT:
    """A model instance from the values of `columns(model)`, as if the ORM had loaded it."""
    _names, converters = _shape(model, using)
    row = list(values)
    connection = connections[using]
    for index, found, column in converters:
        value = row[index]
        for convert in found:
            value = convert(value, column, connection)
        row[index] = value
    attnames = [field.attname for field in model._meta.concrete_fields]
    return model.from_db(using, attnames, row)


def select[ModelT: Model](
    model: type[ModelT], where: str, params: Sequence[Any], *, using: str = "default"
) -> list[ModelT]:
    """Instances of `model` whose rows match `where` (SQL over the table aliased `t`)."""
    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"SELECT {columns(model, 't', using=using)} FROM {table} t WHERE {where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    return [instance(model, row, using=using) for row in rows]


def uuid_param(value: Any, *, using: str = "default") -> Any:
    """A UUID as the database stores it (native on PostgreSQL, 32 hex digits on SQLite)."""
    return value if connections[using].features.has_native_uuid_field else value.hex


def among(column: str, values: Sequence[Any], *, using: str = "default") -> tuple[str, list[Any]]:
    """`column` is one of `values` (given as the database takes them): one array parameter on
    PostgreSQL (psycopg quotes each placeholder's value in Python), placeholders on SQLite."""
    if not values:
        return "1 = 0", []
    if connections[using].vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def datetime_param(value: Any, *, using: str = "default") -> Any:
    return connections[using].ops.adapt_datetimefield_value(value)


def base_alias(query: Any) -> str:
    """The alias of a query's own table, however the ORM relabelled it (U0… in a subquery)."""
    for alias, table in query.alias_map.items():
        if getattr(table, "join_type", None) is None:
            return str(alias)
    return str(query.get_initial_alias())


class ConditionSQL(RawSQL):
    """Base of the expressions here that write their SQL by hand.

    A RawSQL, so that a condition goes into the WHERE clause as it is written. Django
    compares any other expression with `= 1` on SQLite (it has no boolean type), and SQLite
    uses no index under that comparison: a caseload page scanned all 100,000 survivors
    (docs/performance.md, sixth run). Subclasses build their SQL in `as_sql`."""

    def __init__(self, sql: str, params: Sequence[Any], *, output_field: Field) -> None:
        super().__init__(sql, tuple(params), output_field=output_field)


class TableSQL(ConditionSQL):
    """SQL about the query's own table, for filter() or annotate(); `{table}` in it stands for
    that table's alias. Parameters are given as the default database takes them
    (uuid_param, datetime_param).

    For the conditions and subqueries every list page repeats: composing them from Q, Exists
    and Subquery objects cost more CPU than the database spends on them."""

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        table = compiler.quote_name(base_alias(compiler.query))
        return self.sql.replace("{table}", table), self.params
