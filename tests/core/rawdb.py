"""Read and write database columns behind the ORM's back, as an attacker with the database would."""

from __future__ import annotations

from typing import Any

from django.db import connection, models


def _where_pk(model: type[models.Model], pk: Any) -> tuple[str, Any]:
    qn = connection.ops.quote_name
    pk_field = model._meta.pk
    return f"{qn(pk_field.column)} = %s", pk_field.get_db_prep_value(pk, connection)


def read_column(model: type[models.Model], column: str, pk: Any) -> Any:
    """The raw value stored in one column of one row (bytes for binary columns)."""
    qn = connection.ops.quote_name
    where, param = _where_pk(model, pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {qn(column)} FROM {qn(model._meta.db_table)} WHERE {where}", [param]
        )
        (value,) = cursor.fetchone()
    return bytes(value) if isinstance(value, bytes | memoryview | bytearray) else value


def write_column(model: type[models.Model], column: str, pk: Any, value: Any) -> None:
    """Overwrite one column of one row with raw SQL (no ORM, no sealing)."""
    qn = connection.ops.quote_name
    where, param = _where_pk(model, pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(model._meta.db_table)} SET {qn(column)} = %s WHERE {where}",
            [value, param],
        )
        assert cursor.rowcount == 1
