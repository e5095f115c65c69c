"""The match rows: what matching reads of a service, one narrow row per need it meets.

Matching at network scale cannot join a service to its types, languages and sites for each
of 100,000 services (docs/performance.md). So every write to a service (import, edit,
capacity report) refreshes its rows here, in the same transaction: one row per needs-domain
code its types meet, plus one row with the empty code that every typed service has (for a
match without needs), each holding the service's match attributes, its fixed points, its
needs and languages as bit masks, and where it is (a grid cell and, for one site, the point).
`service_matching` then reads only the rows of the wanted needs near the wanted point.

The bit orders below are stored in the rows: only ever append to them (a new code gets the
next bit), and add a migration that calls `refresh_all_match_rows` when you do.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection

from reclaim.core import bulk_rows

from ..matching import (
    POINTS_CAPACITY,
    POINTS_LGBTQ_BASE,
    POINTS_QUALITY,
    POINTS_SHORT_WAIT,
    unit_vector,
)
from ..models import (
    Location,
    MatchRowsVersion,
    Service,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceMatchRow,
    ServiceType,
)
from ..taxonomy import needs_met_by

NEED_BITS: tuple[str, ...] = (
    "safety",
    "housing",
    "physical_health",
    "mental_health",
    "substance_use",
    "legal_immigration",
    "income",
    "employment",
    "education",
    "food",
    "childcare",
    "transportation",
    "documents_id",
    "family_social_support",
    "life_skills",
    "community_involvement",
    "language",
)
# ISO 639-1 codes of the languages services most often offer; others are looked up in the
# service's languages (slower, and rare). At most 63: the mask is a signed 64-bit integer.
LANGUAGE_BITS: tuple[str, ...] = (
    "en", "es", "fr", "pt", "zh", "vi", "ar", "ko", "ru", "ht",
    "tl", "hi", "ur", "bn", "pa", "fa", "ps", "so", "sw", "am",
    "ti", "ne", "my", "th", "km", "lo", "id", "ms", "ja", "de",
    "it", "pl", "uk", "ro", "bg", "sq", "sr", "hr", "bs", "el",
    "tr", "ku", "he", "ka", "hy", "az", "uz", "kk", "mn", "ta",
    "te", "ml", "gu", "mr", "yo", "ig", "ha", "wo", "ff", "rw",
    "mg", "nl", "sv",
)  # fmt: skip
NEED_BIT = {code: 1 << index for index, code in enumerate(NEED_BITS)}
LANGUAGE_BIT = {code: 1 << index for index, code in enumerate(LANGUAGE_BITS)}

ANY_NEED = ""  # the code of the row every service with a known type has
# Where a service is, as a cell of a grid of CELL_DEGREES squares, so that "near here" is an
# index lookup of a few cells. Two special cells: no located site, and sites in several cells.
CELL_DEGREES = 0.25
CELLS_PER_ROW = 10_000
UNLOCATED_CELL = -1
SPREAD_CELL = -2
REFRESH_CHUNK = 1000


def need_mask(needs: Iterable[str]) -> int:
    mask = 0
    for code in needs:
        mask |= NEED_BIT.get(code, 0)
    return mask


def language_mask(codes: Iterable[str]) -> int:
    mask = 0
    for code in codes:
        mask |= LANGUAGE_BIT.get(code, 0)
    return mask


def cell_of(latitude: float, longitude: float) -> int:
    row = math.floor((latitude + 90.0) / CELL_DEGREES)
    column = math.floor((longitude + 180.0) / CELL_DEGREES)
    return row * CELLS_PER_ROW + column


def cells_between(
    south: float, north: float, west: float, east: float, *, most: int
) -> list[int] | None:
    """The cells that cover this box, or None when there would be more than `most`."""
    first_row = math.floor((max(south, -90.0) + 90.0) / CELL_DEGREES)
    last_row = math.floor((min(north, 90.0) + 90.0) / CELL_DEGREES)
    first_column = math.floor((max(west, -180.0) + 180.0) / CELL_DEGREES)
    last_column = math.floor((min(east, 180.0) + 180.0) / CELL_DEGREES)
    count = (last_row - first_row + 1) * (last_column - first_column + 1)
    if count > most:
        return None
    return [
        row * CELLS_PER_ROW + column
        for row in range(first_row, last_row + 1)
        for column in range(first_column, last_column + 1)
    ]


def fixed_points(service: dict[str, Any]) -> int:
    """The points of `matching.score_candidate` that do not depend on what is asked."""
    points = 0
    if service["capacity_available"]:
        points += POINTS_CAPACITY
    for flag in ("survivor_led", "trauma_informed", "serves_trafficking_survivors"):
        if service[flag]:
            points += POINTS_QUALITY
    if service["lgbtq_affirming"]:
        points += POINTS_LGBTQ_BASE
    if service["free_of_charge"]:
        points += POINTS_QUALITY
    if service["wait_time_days"] is not None:
        points += max(0, POINTS_SHORT_WAIT - service["wait_time_days"] // 7)
    return points


SERVICE_FIELDS = (
    "id",
    "name",
    "status",
    "gender_eligibility",
    "minimum_age",
    "maximum_age",
    "capacity_available",
    "free_of_charge",
    "immigration_status_required",
    "interpretation_available",
    "female_staff_available",
    "survivor_led",
    "trauma_informed",
    "serves_trafficking_survivors",
    "lgbtq_affirming",
    "wait_time_days",
)


def _grouped(rows: Iterable[tuple[Any, Any]]) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = {}
    for key, value in rows:
        grouped.setdefault(key, []).append(value)
    return grouped


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _keys(service_ids: Iterable[Any]) -> list[Any]:
    """Service ids as the database holds them (SQLite: the UUID's hex text)."""
    field = Service._meta.pk
    assert field is not None
    return [field.get_db_prep_value(field.to_python(pk), connection) for pk in service_ids]


def _select(sql: str, keys: Sequence[Any], *, rows: bool = True) -> list[tuple[Any, ...]]:
    """Run `sql` with its {keys} placeholder standing for the keys (as parameters)."""
    marks, params = bulk_rows.key_list(keys)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(keys=marks), params)
        return cursor.fetchall() if rows else []


def build_match_rows(keys: Sequence[Any]) -> list[dict[str, Any]]:
    """The match rows of these services (column values by attname), from the directory.

    `keys` are ids as the database holds them (`_keys`); raw SQL, as the rows are derived
    for thousands of services per import batch and the ORM spent seconds on the id lists.
    """
    columns = ", ".join(SERVICE_FIELDS)
    services = _select(f"SELECT {columns} FROM {_table(Service)} WHERE id IN ({{keys}})", keys)  # noqa: S608
    codes = "SELECT service_id, code FROM {table} WHERE service_id IN ({{keys}})"
    types = _grouped(_select(codes.format(table=_table(ServiceType)), keys))
    languages = _grouped(_select(codes.format(table=_table(ServiceLanguage)), keys))
    sites = _grouped(
        (service_id, (latitude, longitude))
        for service_id, latitude, longitude in _select(
            f"SELECT sl.service_id, l.latitude, l.longitude FROM {_table(ServiceAtLocation)} sl "  # noqa: S608
            f"INNER JOIN {_table(Location)} l ON l.id = sl.location_id "
            "WHERE sl.service_id IN ({keys}) "
            "AND l.latitude IS NOT NULL AND l.longitude IS NOT NULL",
            keys,
        )
    )
    rows: list[dict[str, Any]] = []
    for values in services:
        service = dict(zip(SERVICE_FIELDS, values, strict=True))
        pk = service["id"]
        rows += service_match_rows(
            service, types.get(pk, ()), languages.get(pk, ()), sites.get(pk, ())
        )
    return rows


def service_match_rows(
    service: dict[str, Any],
    type_codes: Iterable[str],
    language_codes: Iterable[str],
    sites: Iterable[tuple[float, float]],
) -> list[dict[str, Any]]:
    """The match rows of one service, from its `SERVICE_FIELDS` values (its id as the
    database holds it), its service type and language codes, and the (latitude, longitude)
    of its located sites."""
    pk = service["id"]
    needs = needs_met_by(type_codes)
    if not needs:
        return []  # no known type: never a match candidate
    points = sorted(set(sites))
    cells = {cell_of(latitude, longitude) for latitude, longitude in points}
    cell = UNLOCATED_CELL if not cells else cells.pop() if len(cells) == 1 else SPREAD_CELL
    latitude, longitude = points[0] if len(points) == 1 else (None, None)
    x, y, z = (None, None, None)
    if latitude is not None and longitude is not None:
        x, y, z = unit_vector(latitude, longitude)
    shared = dict(
        service_id=pk,
        name_key=service["name"].casefold()[:255],
        need_mask=need_mask(needs),
        language_mask=language_mask(language_codes),
        is_active=service["status"] == "active",
        gender_eligibility=service["gender_eligibility"],
        minimum_age=service["minimum_age"],
        maximum_age=service["maximum_age"],
        capacity_available=service["capacity_available"],
        free_of_charge=_flag(service["free_of_charge"]),
        immigration_status_required=_flag(service["immigration_status_required"]),
        interpretation_available=_flag(service["interpretation_available"]),
        female_staff_available=_flag(service["female_staff_available"]),
        survivor_led=_flag(service["survivor_led"]),
        lgbtq_affirming=_flag(service["lgbtq_affirming"]),
        fixed_points=fixed_points(service),
        cell=cell,
        site_count=len(points),
        latitude=latitude,
        longitude=longitude,
        x=x,
        y=y,
        z=z,
    )
    return [{**shared, "need": need} for need in (ANY_NEED, *sorted(needs))]


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)  # SQLite answers 0 and 1


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def insert_match_rows(rows: Sequence[dict[str, Any]]) -> None:
    """INSERT the rows in bulk (COPY on PostgreSQL; the ORM's bulk_create spent most of the
    refresh building model instances and SQL)."""
    fields = [f for f in ServiceMatchRow._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    params = [[row[name] for name in names] for row in rows]  # ids already as stored
    bulk_rows.insert_rows(ServiceMatchRow._meta.db_table, [str(f.column) for f in fields], params)


def new_stamp() -> None:
    """Give the match rows a new stamp (in the caller's transaction: it commits with them)."""
    stamp = random.getrandbits(62)
    table = _table(MatchRowsVersion)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET stamp = %s WHERE id = 1", [stamp])  # noqa: S608
        if cursor.rowcount == 0:
            MatchRowsVersion.objects.update_or_create(id=1, defaults={"stamp": stamp})


def current_stamp() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT stamp FROM {_table(MatchRowsVersion)} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else -1


def remove_match_rows(service_ids: Iterable[Any]) -> None:
    """Remove these services' rows (before the services themselves are deleted)."""
    keys = _keys(service_ids)
    for chunk in _chunks(keys, REFRESH_CHUNK):
        delete = f"DELETE FROM {_table(ServiceMatchRow)} WHERE service_id IN ({{keys}})"  # noqa: S608
        _select(delete, chunk, rows=False)
    new_stamp()


def refresh_match_rows(service_ids: Iterable[Any]) -> None:
    """Rebuild the match rows of these services (call inside the write's transaction)."""
    keys = list(dict.fromkeys(_keys(service_ids)))
    new_stamp()
    for chunk in _chunks(keys, REFRESH_CHUNK):
        delete = f"DELETE FROM {_table(ServiceMatchRow)} WHERE service_id IN ({{keys}})"  # noqa: S608
        _select(delete, chunk, rows=False)
        insert_match_rows(build_match_rows(chunk))


def services_at_locations(location_ids: Iterable[Any]) -> list[Any]:
    """The services offered at these locations (their rows change when a site moves)."""
    field = Location._meta.pk
    assert field is not None
    keys = [field.get_db_prep_value(field.to_python(pk), connection) for pk in location_ids]
    links = _table(ServiceAtLocation)
    sql = f"SELECT DISTINCT service_id FROM {links} WHERE location_id IN ({{keys}})"  # noqa: S608
    return [row[0] for chunk in _chunks(keys, REFRESH_CHUNK) for row in _select(sql, chunk)]


def refresh_all_match_rows() -> None:
    """Rebuild every service's match rows (after changing the bit orders, or to repair)."""
    keys = _keys(Service.objects.order_by("pk").values_list("pk", flat=True))
    new_stamp()
    ServiceMatchRow.objects.all().delete()
    for chunk in _chunks(keys, REFRESH_CHUNK):
        insert_match_rows(build_match_rows(chunk))
