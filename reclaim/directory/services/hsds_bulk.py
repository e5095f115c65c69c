"""Saving a batch of parsed HSDS services with a few statements per table, not per record.

`import_source` (hsds_io.py) parses and validates each service document on its own, then
hands batches of the valid ones here. A batch is written inside a savepoint: what exists is
read once per table, organisations, locations and services are upserted (INSERT … ON
CONFLICT DO UPDATE through `executemany`, the same on SQLite and PostgreSQL), and the child
rows (service types, languages, service-at-location links) are replaced. The outcome is the one the
record-at-a-time path gives: a service whose organisation or location is nowhere is
rejected with the same reason, and anything the database refuses makes the caller redo the
batch record by record, so that only the culprit is rejected.

Derived rows: the batch writes its services' search rows itself, with the triggers deferred
(`search_rows`), and derives the match rows of its new services, which the import writes
once every batch is in (`hsds_io._write_match_rows`).
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.utils import timezone

from reclaim.core import bulk_rows

from ..hsds import ORGANIZATION_COLUMNS, ParsedLocation, ParsedOrganization, ParsedService
from ..models import (
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceType,
)
from . import match_rows, search_rows
from .entries import search_text

ORGANIZATION_UPDATE = [*ORGANIZATION_COLUMNS, "hsds_extra", "updated_at"]


@dataclass
class BatchOutcome:
    """What a written batch did, applied to the import summary only once it committed."""

    counted: list[tuple[str, uuid.UUID, bool]] = field(default_factory=list)  # kind, id, created
    rejected: list[tuple[int, str]] = field(default_factory=list)  # index in batch, reason
    warnings: list[str] = field(default_factory=list)
    # The match rows of the batch's new services, and the services whose rows must be read
    # back: the import writes them all once every batch is in (`_match_rows`).
    match_rows: list[dict[str, Any]] = field(default_factory=list)
    match_read_back: list[Any] = field(default_factory=list)


def _existing(model: type[models.Model], ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these ids the table holds (raw SQL: the ORM spent most of its time converting
    thousands of ids per batch)."""
    wanted = list(set(ids))
    native = connection.features.has_native_uuid_field
    table = connection.ops.quote_name(model._meta.db_table)
    found: set[uuid.UUID] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), 5000):
            chunk = wanted[start : start + 5000]
            cursor.execute(*_where_id_in(f"SELECT id FROM {table}", chunk))  # noqa: S608
            found.update(row[0] if native else uuid.UUID(hex=row[0]) for row in cursor.fetchall())
    return found


def _organization_names(ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    native = connection.features.has_native_uuid_field
    table = connection.ops.quote_name(Organization._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(*_where_id_in(f"SELECT id, name FROM {table}", list(ids)))  # noqa: S608
        return {pk if native else uuid.UUID(hex=pk): name for pk, name in cursor.fetchall()}


def _where_id_in(select: str, ids: Sequence[uuid.UUID]) -> tuple[str, list[Any]]:
    """`select` limited to these ids (hex keys on SQLite, which stores UUIDs as text)."""
    native = connection.features.has_native_uuid_field
    keys, params = bulk_rows.key_list(ids if native else [pk.hex for pk in ids])
    return f"{select} WHERE id IN ({keys})", params


def _uuid_key(value: uuid.UUID) -> Any:
    return value if connection.features.has_native_uuid_field else value.hex


def _uuid_value(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=value)


def _rows_of(
    model: type[models.Model], columns: Sequence[str], service_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, Any]]:
    """(service id, value) of these services' child rows."""
    if not service_ids:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    keys, params = bulk_rows.key_list([_uuid_key(pk) for pk in service_ids])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE service_id IN ({keys})",  # noqa: S608
            params,
        )
        return [(_uuid_value(pk), value) for pk, value in cursor.fetchall()]


def _delete_rows_of(
    model: type[models.Model],
    service_ids: Sequence[uuid.UUID],
    *,
    keep: Set[uuid.UUID] = frozenset(),
) -> None:
    """Delete these services' child rows, but those whose id is in `keep`.

    Raw SQL for the id lists' sake; these tables have no dependants and no delete signals.
    """
    if not service_ids:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    keys, params = bulk_rows.key_list([_uuid_key(pk) for pk in service_ids])
    with connection.cursor() as cursor:
        if not keep:
            cursor.execute(f"DELETE FROM {table} WHERE service_id IN ({keys})", params)  # noqa: S608
            return
        cursor.execute(f"SELECT id FROM {table} WHERE service_id IN ({keys})", params)  # noqa: S608
        doomed = [pk for (pk,) in cursor.fetchall() if _uuid_value(pk) not in keep]
        if doomed:
            marks, ids = bulk_rows.key_list(doomed)
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({marks})", ids)  # noqa: S608


def _update_fields(model: type[models.Model]) -> list[str]:
    """Every column an import sets: all but the key and the creation time."""
    return [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name != "created_at"
    ]


def _converter(field: models.Field) -> Callable[[Any], Any]:
    """Python value -> database parameter, as the ORM would, without its per-value overhead.

    JSON goes as its text on both databases: `bulk_rows` COPYs text into PostgreSQL's jsonb.
    """
    target = getattr(field, "target_field", field)
    internal = target.get_internal_type()
    if internal == "UUIDField" and not connection.features.has_native_uuid_field:
        return lambda value: None if value is None else value.hex
    if internal == "JSONField":
        encoder = getattr(target, "encoder", None)
        return lambda value: None if value is None else json.dumps(value, cls=encoder)
    if internal == "DateTimeField":
        return functools.partial(_prepared, target)
    return _same


def _prepared(field: models.Field, value: Any) -> Any:
    return field.get_db_prep_save(value, connection)


def _same(value: Any) -> Any:
    return value


def _upsert(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    update: list[str] | None,
    *,
    new: Set[uuid.UUID] = frozenset(),
) -> None:
    """INSERT … ON CONFLICT (id) DO UPDATE the `update` columns for every row (a plain INSERT
    when `update` is None), through `bulk_rows`: COPY on PostgreSQL, `executemany` on SQLite.
    Rows whose id is in `new` (found absent in this transaction) are plainly inserted.
    """
    if update is None:
        bulk_rows.insert_rows(model._meta.db_table, *_parameters(model, rows))
    else:
        _upsert_groups(model, [(update, rows)], new=new)


def _upsert_groups(
    model: type[models.Model],
    groups: Sequence[tuple[list[str], Sequence[dict[str, Any]]]],
    *,
    new: Set[uuid.UUID] = frozenset(),
) -> None:
    """`_upsert` for groups of rows that each update their own columns.

    The rows whose id is in `new` are inserted together, whatever their group: a row not
    there has nothing to update, and one INSERT (COPY straight into the table on
    PostgreSQL) beats a statement per group. Should another session have inserted one of
    them meanwhile, the INSERT fails and the caller redoes the batch record by record.
    """
    columns, params = _parameters(model, [row for _update, rows in groups for row in rows])
    by_attname = {f.attname: str(f.column) for f in model._meta.concrete_fields}
    key = columns.index("id")
    fresh: list[tuple[Any, ...]] = []
    split: list[tuple[list[str], Sequence[tuple[Any, ...]]]] = []
    start = 0
    for update, rows in groups:
        group = params[start : start + len(rows)]
        start += len(rows)
        if new:
            fresh += [values for row, values in zip(rows, group, strict=True) if row["id"] in new]
            group = [
                values for row, values in zip(rows, group, strict=True) if row["id"] not in new
            ]
        if group:
            split.append(([by_attname[name] for name in update], group))
    if fresh:
        if len({values[key] for values in fresh}) != len(fresh):
            raise ValueError(f"{model._meta.db_table}: an id appears twice among new rows")
        bulk_rows.insert_rows(model._meta.db_table, columns, fresh)
    bulk_rows.upsert_groups(model._meta.db_table, columns, split)


_FRESH = object()


def _same_time(now: Any, converted: Any, convert: Callable[[Any], Any], value: Any) -> Any:
    return converted if value is now else convert(value)


def _parameters(
    model: type[models.Model], rows: Sequence[dict[str, Any]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The table's columns, and each row's values for them as the database takes them.

    Each row maps attnames to values; a column a row leaves out gets the field's default.
    The ORM's bulk_create spent most of an import compiling SQL; this writes the same rows.
    """
    now = timezone.now()
    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    # What a column a row leaves out gets: the field's default, or a fresh one per row for a
    # callable default (uuid4, dict); the timestamps are `now`, and updated_at always is.
    absent = [
        now
        if f.name in ("created_at", "updated_at")
        else _FRESH
        if f.has_default() and callable(f.default)
        else f.get_default()
        for f in fields
    ]
    fresh = [(i, f) for i, f in enumerate(fields) if absent[i] is _FRESH]
    refreshed = [i for i, name in enumerate(names) if name == "updated_at"]
    conversions = []
    for i, column in enumerate(fields):
        convert = _converter(column)
        if convert is _same:
            continue
        if column.name in ("created_at", "updated_at"):
            convert = functools.partial(_same_time, now, convert(now), convert)
        conversions.append((i, convert))
    pairs = list(zip(names, absent, strict=True))
    params: list[tuple[Any, ...]] = []
    for row in rows:
        values = [row.get(name, default) for name, default in pairs]
        for i in refreshed:
            values[i] = now
        for i, column in fresh:
            if values[i] is _FRESH:
                values[i] = column.get_default()
        for i, convert in conversions:
            values[i] = convert(values[i])
        params.append(tuple(values))
    return [str(f.column) for f in fields], params


def _with_ordered_ids(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a table keyed by our own ids, given ids that sort in insertion order."""
    for row, pk in zip(rows, bulk_rows.ordered_uuids(len(rows)), strict=True):
        row["id"] = pk
    return rows


def _embedded(
    services: Iterable[ParsedService],
) -> tuple[dict[uuid.UUID, ParsedOrganization], dict[uuid.UUID, ParsedLocation]]:
    """The organisations and locations these services carry inside them, by id (last wins)."""
    organizations: dict[uuid.UUID, ParsedOrganization] = {}
    locations: dict[uuid.UUID, ParsedLocation] = {}
    for parsed in services:
        if parsed.organization is not None:
            organizations[parsed.organization.id] = parsed.organization
            for location in parsed.organization.locations:
                locations[location.id] = location
        for link in parsed.locations:
            if link.location is not None:
                locations[link.location.id] = link.location
    return organizations, locations


def write_services(
    batch: Sequence[ParsedService],
    *,
    organization_ids: Sequence[uuid.UUID | None],
) -> BatchOutcome:
    """Write these services (each with its embedded organisation and locations).

    `organization_ids[i]` is the organisation the i-th service belongs to when the document
    named none itself. Runs inside the caller's savepoint; what earlier records of the same
    import saved is already in the database.
    """
    outcome = BatchOutcome()

    organizations, locations = _embedded(batch)

    # Which organisations and locations exist already (for "created" and for references).
    org_refs = {
        ref
        for parsed, fallback in zip(batch, organization_ids, strict=True)
        for ref in (parsed.organization_id or fallback,)
        if ref is not None
    } | {loc.organization_id for loc in locations.values() if loc.organization_id}
    existing_orgs = _existing(Organization, org_refs | set(organizations))
    available_orgs = existing_orgs | set(organizations)
    link_refs = {link.location_id for parsed in batch for link in parsed.locations}
    existing_locations = _existing(Location, link_refs | set(locations))
    available_locations = existing_locations | set(locations)

    # A service naming an organisation or location that is nowhere is rejected, as record by
    # record; what it embeds is then not saved either.
    kept: list[tuple[ParsedService, uuid.UUID | None]] = []
    for index, (parsed, fallback) in enumerate(zip(batch, organization_ids, strict=True)):
        organization_id = parsed.organization_id or fallback
        if organization_id and organization_id not in available_orgs:
            outcome.rejected.append(
                (
                    index,
                    f"organization_id: {organization_id} matches no organization in the "
                    "directory or in this import",
                )
            )
            continue
        missing = next(
            (link for link in parsed.locations if link.location_id not in available_locations),
            None,
        )
        if missing is not None:
            outcome.rejected.append(
                (
                    index,
                    f"service_at_locations: location_id {missing.location_id} matches no location",
                )
            )
            continue
        kept.append((parsed, organization_id))
    if outcome.rejected:
        organizations, locations = _embedded(parsed for parsed, _org in kept)

    _upsert(
        Organization,
        [{"id": org.id, "hsds_extra": org.extra, **org.columns} for org in organizations.values()],
        ORGANIZATION_UPDATE,
        new=set(organizations) - existing_orgs,
    )
    outcome.counted += [("organization", pk, pk not in existing_orgs) for pk in organizations]

    location_rows = []
    for location in locations.values():
        organization_id = location.organization_id
        if organization_id and organization_id not in available_orgs:
            outcome.warnings.append(
                f"location {location.id}: organization_id {organization_id} matches no "
                "organization; the location was imported without it"
            )
            organization_id = None
        outcome.warnings.extend(location.warnings)
        location_rows.append(
            {
                "id": location.id,
                "organization_id": organization_id,
                "hsds_extra": location.extra,
                **location.columns,
            }
        )
    _upsert(
        Location, location_rows, _update_fields(Location), new=set(locations) - existing_locations
    )
    outcome.counted += [("location", pk, pk not in existing_locations) for pk in locations]

    service_ids = [parsed.id for parsed, _org in kept]
    existing_services = _existing(Service, service_ids)
    # An update that names no service types keeps the ones the service has.
    kept_types: dict[uuid.UUID, list[str]] = {}
    unchanged = [p.id for p, _o in kept if not p.service_types and p.id in existing_services]
    for service_id, code in _rows_of(ServiceType, ["service_id", "code"], unchanged):
        kept_types.setdefault(service_id, []).append(code)
    org_names = _organization_names({org for _p, org in kept if org})

    # Only the columns a document sets are written: an update that leaves out one of our
    # attributes (capacity, say) keeps its value, as a record-at-a-time update does.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for parsed, organization_id in kept:
        codes = parsed.service_types or kept_types.get(parsed.id, [])
        columns = parsed.columns
        row = dict(
            id=parsed.id,
            organization_id=organization_id,
            hsds_extra=parsed.extra,
            search_document=search_text(
                name=columns["name"],
                alternate_name=columns["alternate_name"],
                description=columns["description"],
                eligibility_description=columns["eligibility_description"],
                organization_name=org_names.get(organization_id, "") if organization_id else "",
                codes=codes,
            ),
            **columns,
        )
        groups.setdefault(tuple(sorted(columns)), []).append(row)
    created = [pk for pk in service_ids if pk not in existing_services]
    updated = [pk for pk in service_ids if pk in existing_services]
    with search_rows.deferred(created, updated):
        _upsert_groups(
            Service,
            [
                ([*names, "organization_id", "hsds_extra", "search_document", "updated_at"], rows)
                for names, rows in groups.items()
            ],
            new=set(created),
        )

    # Child rows are replaced; a service not there yet has none (its foreign keys hold).
    _delete_rows_of(
        ServiceType, [p.id for p, _o in kept if p.service_types and p.id in existing_services]
    )
    type_rows = [{"service_id": p.id, "code": code} for p, _org in kept for code in p.service_types]
    _upsert(ServiceType, _with_ordered_ids(type_rows), None)
    _delete_rows_of(ServiceLanguage, updated)
    language_rows = [
        {"service_id": p.id, **language} for p, _org in kept for language in p.languages
    ]
    _upsert(ServiceLanguage, _with_ordered_ids(language_rows), None)
    links = [
        {
            "id": link.id,
            "service_id": parsed.id,
            "location_id": link.location_id,
            "description": link.description,
            "hsds_extra": link.extra,
        }
        for parsed, _org in kept
        for link in parsed.locations
    ]
    kept_links = {link.id for parsed, _org in kept for link in parsed.locations}
    _delete_rows_of(ServiceAtLocation, updated, keep=kept_links)
    _upsert(ServiceAtLocation, links, ["service_id", "location_id", "description", "hsds_extra"])

    outcome.counted += [("service", pk, pk not in existing_services) for pk in service_ids]
    outcome.match_rows, outcome.match_read_back = _match_rows(
        kept,
        created=set(created),
        service_rows={row["id"]: row for rows in groups.values() for row in rows},
        type_codes={p.id: p.service_types or kept_types.get(p.id, []) for p, _org in kept},
        locations=locations,
        existing_locations=existing_locations,
    )
    return outcome


def _match_rows(
    kept: Sequence[tuple[ParsedService, uuid.UUID | None]],
    *,
    created: Set[uuid.UUID],
    service_rows: dict[uuid.UUID, dict[str, Any]],
    type_codes: dict[uuid.UUID, list[str]],
    locations: dict[uuid.UUID, ParsedLocation],
    existing_locations: Set[uuid.UUID],
) -> tuple[list[dict[str, Any]], list[Any]]:
    """The match rows of what this batch wrote: (rows, services to read back instead).

    A new service whose sites are all in the batch gets rows derived from what the batch
    wrote (reading them back was a fifth of an import); `tests/directory/test_hsds_bulk.py`
    holds the two ways to the same rows. An updated service keeps what its document leaves
    out, and a site given only by id is not in the batch: those, and the services at a
    location that was there before the batch (its place may have moved), are read back.
    """
    derived: list[dict[str, Any]] = []
    read_back: list[Any] = []
    for parsed, _org in kept:
        sites = [locations.get(link.location_id) for link in parsed.locations]
        if parsed.id not in created or None in sites:
            read_back.append(parsed.id)
            continue
        row = service_rows[parsed.id]
        service = {
            name: row[name] if name in row else _default(name) for name in match_rows.SERVICE_FIELDS
        }
        service["id"] = _uuid_key(parsed.id)
        points = [
            (site.columns["latitude"], site.columns["longitude"])
            for site in sites
            if site is not None
            and site.columns["latitude"] is not None
            and site.columns["longitude"] is not None
        ]
        languages = [language["code"] for language in parsed.languages]
        derived += match_rows.service_match_rows(service, type_codes[parsed.id], languages, points)
    moved = match_rows.services_at_locations(set(locations) & existing_locations)
    read_back += [key for key in moved if _uuid_value(key) not in created]
    return derived, read_back


@functools.cache
def _default(name: str) -> Any:
    """A service column's default (callable defaults are not among the match fields)."""
    field = Service._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.get_default()
