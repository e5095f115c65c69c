"""Saving a batch of parsed HSDS services with a few statements per table, not per record.

`import_source` (hsds_io.py) parses and validates each service document on its own, then
hands batches of the valid ones here. A batch is written inside a savepoint: what exists is
read once per table, organisations, locations and services are upserted (INSERT … ON
CONFLICT DO UPDATE through `executemany`, the same on SQLite and PostgreSQL), and the child
rows (service types, languages, service-at-location links) are replaced. The outcome is the one the
record-at-a-time path gives: a service whose organisation or location is nowhere is
rejected with the same reason, and anything the database refuses makes the caller redo the
batch record by record, so that only the culprit is rejected.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.utils import timezone

from ..hsds import ORGANIZATION_COLUMNS, ParsedLocation, ParsedOrganization, ParsedService
from ..models import (
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceType,
)
from .entries import search_text

ORGANIZATION_UPDATE = [*ORGANIZATION_COLUMNS, "hsds_extra", "updated_at"]


@dataclass
class BatchOutcome:
    """What a written batch did, applied to the import summary only once it committed."""

    counted: list[tuple[str, uuid.UUID, bool]] = field(default_factory=list)  # kind, id, created
    rejected: list[tuple[int, str]] = field(default_factory=list)  # index in batch, reason
    warnings: list[str] = field(default_factory=list)


def _existing(model: type[models.Model], ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    wanted = list(set(ids))
    found: set[uuid.UUID] = set()
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        found.update(model._default_manager.filter(pk__in=chunk).values_list("pk", flat=True))
    return found


def _update_fields(model: type[models.Model]) -> list[str]:
    """Every column an import sets: all but the key and the creation time."""
    return [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name != "created_at"
    ]


def _converter(field: models.Field) -> Callable[[Any], Any]:
    """Python value -> database parameter, as the ORM would, without its per-value overhead."""
    target = getattr(field, "target_field", field)
    internal = target.get_internal_type()
    if internal == "UUIDField" and not connection.features.has_native_uuid_field:
        return lambda value: None if value is None else value.hex
    if internal in ("JSONField", "DateTimeField"):
        return functools.partial(_prepared, target)
    return _same


def _prepared(field: models.Field, value: Any) -> Any:
    return field.get_db_prep_save(value, connection)


def _same(value: Any) -> Any:
    return value


def _upsert(
    model: type[models.Model], rows: Sequence[dict[str, Any]], update: list[str] | None
) -> None:
    """INSERT … ON CONFLICT (id) DO UPDATE the `update` columns for every row, one short
    statement run with `executemany` (a plain INSERT when `update` is None).

    Each row maps attnames to values; a column a row leaves out gets the field's default.
    The ORM's bulk_create spent most of an import compiling SQL; this writes the same rows.
    """
    if not rows:
        return
    now = timezone.now()
    fields = model._meta.concrete_fields
    fresh = [f for f in fields if f.has_default() and callable(f.default)]  # uuid4: per row
    converters = [_converter(f) for f in fields]
    # Defaults (and the timestamps, the same for every row) are converted once.
    defaults = {
        f.attname: convert(now if f.name in ("created_at", "updated_at") else f.get_default())
        for f, convert in zip(fields, converters, strict=True)
        if f not in fresh
    }
    names = [f.attname for f in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    by_attname = {f.attname: str(f.column) for f in fields}
    conflict = ""
    if update is not None:
        conflict = f" ON CONFLICT ({quote('id')}) DO UPDATE SET " + ", ".join(
            f"{quote(by_attname[name])} = EXCLUDED.{quote(by_attname[name])}" for name in update
        )
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list[tuple[Any, ...]] = []
    for row in rows:
        for f in fresh:
            if f.attname not in row:
                row = {**row, f.attname: f.get_default()}
        params.append(
            tuple(
                convert(row[name]) if name in row and name != "updated_at" else defaults[name]
                for convert, name in zip(converters, names, strict=True)
            )
        )
    # Table and column names come from our models; values are parameters. One short
    # statement run for every row: both drivers loop in C, and psycopg parses it once.
    statement = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(statement + row_sql + conflict, params)


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
    _upsert(Location, location_rows, _update_fields(Location))
    outcome.counted += [("location", pk, pk not in existing_locations) for pk in locations]

    service_ids = [parsed.id for parsed, _org in kept]
    existing_services = _existing(Service, service_ids)
    # An update that names no service types keeps the ones the service has.
    kept_types: dict[uuid.UUID, list[str]] = {}
    unchanged = [p.id for p, _o in kept if not p.service_types and p.id in existing_services]
    for service_id, code in ServiceType.objects.filter(service_id__in=unchanged).values_list(
        "service_id", "code"
    ):
        kept_types.setdefault(service_id, []).append(code)
    org_names = dict(
        Organization.objects.filter(pk__in={org for _p, org in kept if org}).values_list(
            "pk", "name"
        )
    )

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
    for names, rows in groups.items():
        fields = [*names, "organization_id", "hsds_extra", "search_document", "updated_at"]
        _upsert(Service, rows, fields)

    replaced_types = [p.id for p, _o in kept if p.service_types or p.id not in existing_services]
    ServiceType.objects.filter(service_id__in=replaced_types).delete()
    _upsert(
        ServiceType,
        [{"service_id": p.id, "code": code} for p, _org in kept for code in p.service_types],
        None,
    )
    ServiceLanguage.objects.filter(service_id__in=service_ids).delete()
    _upsert(
        ServiceLanguage,
        [{"service_id": p.id, **language} for p, _org in kept for language in p.languages],
        None,
    )
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
    ServiceAtLocation.objects.filter(service_id__in=service_ids).exclude(
        pk__in=[link["id"] for link in links]
    ).delete()
    _upsert(ServiceAtLocation, links, ["service_id", "location_id", "description", "hsds_extra"])

    outcome.counted += [("service", pk, pk not in existing_services) for pk in service_ids]
    return outcome
