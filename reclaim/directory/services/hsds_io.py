"""HSDS 3.0 import and export: JSON (services or organizations) and the CSV datapackage.

Import is idempotent (the HSDS ids are our primary keys: the same id updates), runs in one
transaction with a savepoint per record (a rejected record leaves nothing behind, the valid
ones are kept), and reports what was created, updated and rejected, with reasons. Files over
the size limit are refused before they are read. One audit event records each import.
"""

from __future__ import annotations

import contextlib
import gc
import json
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError as ModelValidationError
from django.db import DatabaseError, connection, transaction
from tqdm import tqdm

from reclaim.core import audit
from reclaim.core.errors import ValidationFailed

from .. import hsds
from ..hsds import ParsedLocation, ParsedOrganization, ParsedService, RecordRejected
from ..models import (
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceMatchRow,
    ServiceType,
)
from . import hsds_bulk
from .entries import refresh_search_document, require_directory_editor, services_queryset
from .match_rows import insert_match_rows, refresh_match_rows, services_at_locations

DEFAULT_MAX_IMPORT_BYTES = 25 * 1024 * 1024


def max_import_bytes() -> int:
    return int(getattr(settings, "RECLAIM_HSDS_MAX_IMPORT_BYTES", DEFAULT_MAX_IMPORT_BYTES))


@dataclass(frozen=True)
class Rejection:
    where: str  # "service 3f7b…", "phones.csv row 2"
    reason: str


@dataclass
class ImportSummary:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Whether the import refreshed the planner's statistics (`statistics_stale`).
    analyzed: bool = False

    def counts(self) -> list[tuple[str, int, int]]:
        """(kind, created, updated) for each kind of record touched."""
        kinds = sorted(set(self.created) | set(self.updated))
        return [(kind, self.created[kind], self.updated[kind]) for kind in kinds]

    def lines(self) -> list[str]:
        """The summary in plain words, for the command line."""
        kinds = sorted(set(self.created) | set(self.updated))
        lines = [
            f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated" for kind in kinds
        ] or ["nothing was imported"]
        lines.append(f"rejected: {len(self.rejected)}")
        lines += [f"  - {item.where}: {item.reason}" for item in self.rejected]
        lines += [f"  ! {warning}" for warning in self.warnings]
        return lines


@dataclass
class ImportSource:
    """What a file or folder holds, before anything is saved."""

    documents: list[tuple[str, Any]]  # (where, document)
    problems: list[str] = field(default_factory=list)
    # True when the raw text was found free of NUL bytes and lone surrogates, so no record
    # needs to be walked for them (hsds.suspicious_text).
    storable_checked: bool = False


# --- reading sources ------------------------------------------------------------------------


def _too_big(size: int) -> ValidationFailed:
    limit_mb = max_import_bytes() / (1024 * 1024)
    return ValidationFailed(
        f"file: is {size / (1024 * 1024):.1f} MB; the limit is {limit_mb:.0f} MB. "
        "Split the directory into smaller files.",
        field="file",
    )


def read_json(handle: IO[bytes], *, size: int) -> ImportSource:
    """Parse an HSDS JSON document: a list, an HSDS API page ({"contents": […]}) or one object."""
    if size > max_import_bytes():
        raise _too_big(size)
    try:
        text = handle.read().decode("utf-8")
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationFailed(
            f"file: is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}).",
            field="file",
        ) from None
    except UnicodeDecodeError:
        raise ValidationFailed("file: is not UTF-8 text.", field="file") from None
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        data = data["contents"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValidationFailed(
            "file: must hold an HSDS object, a list of them, or an HSDS API page.", field="file"
        )
    return ImportSource(
        [(f"record {index + 1}", item) for index, item in enumerate(data)],
        storable_checked=not hsds.suspicious_text(text),
    )


def read_datapackage(folder: Path) -> ImportSource:
    """Read an HSDS CSV datapackage folder (datapackage.json and the tables it names)."""
    if not (folder / "datapackage.json").is_file():
        raise ValidationFailed(
            "file: the folder has no datapackage.json (an HSDS CSV datapackage).", field="file"
        )
    present = [folder / name for name in hsds.TABLE_FILES if (folder / name).is_file()]
    total = sum(path.stat().st_size for path in present)
    if total > max_import_bytes():
        raise _too_big(total)
    tables: dict[str, list[dict[str, str]]] = {}
    for path in present:
        try:
            tables[hsds.TABLE_FILES[path.name]] = list(hsds.read_csv_rows(path))
        except (UnicodeDecodeError, ValueError) as error:
            raise ValidationFailed(
                f"file: {path.name} cannot be read as UTF-8 CSV ({error}).", field="file"
            ) from None
    directory = hsds.read_tables(tables)
    # CSV text is decoded UTF-8 (no lone surrogates): only NUL bytes need looking for.
    clean = not any(b"\x00" in path.read_bytes() for path in present)
    documents = [
        (f"organizations.csv {doc.get('id', '?')}", doc) for doc in directory.organizations
    ]
    documents += [(f"services.csv {doc.get('id', '?')}", doc) for doc in directory.services]
    return ImportSource(documents, directory.problems, storable_checked=clean)


def read_path(path: Path) -> ImportSource:
    if path.is_dir():
        return read_datapackage(path)
    if not path.is_file():
        raise ValidationFailed(f"file: {path} does not exist.", field="file")
    with path.open("rb") as handle:
        return read_json(handle, size=path.stat().st_size)


# --- saving ---------------------------------------------------------------------------------


class _Importer:
    def __init__(self, summary: ImportSummary) -> None:
        self.summary = summary
        self.seen: set[tuple[str, str]] = set()
        self.saved: set[tuple[str, str]] = set()
        # Match rows are written once every record is in: inserting them batch by batch,
        # between the other tables' rows, cost a 100,000-service directory 1.6 times as much
        # (docs/performance.md, seventh run). Batches derive the rows of their new services
        # and name those to read back; what was saved record by record is read back.
        self.unmatched: set[tuple[str, str]] = set()
        self.match_rows: list[dict[str, Any]] = []
        self.match_read_back: list[Any] = []

    def _count(self, kind: str, record_id: Any, created: bool, *, matched: bool = False) -> None:
        # A location or organisation nested in several records is counted once.
        key = (kind, str(record_id))
        if not matched:
            self.unmatched.add(key)
        if key not in self.saved:
            self.saved.add(key)
            (self.summary.created if created else self.summary.updated)[kind] += 1

    def warn(self, warnings: Iterable[str]) -> None:
        # A location nested in several records is warned about once.
        self.summary.warnings.extend(
            w for w in dict.fromkeys(warnings) if w not in self.summary.warnings
        )

    def _first_time(self, kind: str, record_id: Any) -> None:
        key = (kind, str(record_id))
        if key in self.seen:
            raise RecordRejected(f"id: {record_id} appears twice in this import")
        self.seen.add(key)

    def save_organization(self, parsed: ParsedOrganization) -> Organization:
        organization = Organization.objects.filter(pk=parsed.id).first()
        created = organization is None
        if organization is None:
            organization = Organization(pk=parsed.id)
        for name, value in parsed.columns.items():
            setattr(organization, name, value)
        # The platform link is ours (set by an org admin), never overwritten by an import.
        organization.hsds_extra = parsed.extra
        organization.save()
        self._count("organization", organization.pk, created)
        for location in parsed.locations:
            self.save_location(location)
        return organization

    def save_location(self, parsed: ParsedLocation) -> Location:
        location = Location.objects.filter(pk=parsed.id).first()
        created = location is None
        if location is None:
            location = Location(pk=parsed.id)
        for name, value in parsed.columns.items():
            setattr(location, name, value)
        location.hsds_extra = parsed.extra
        organization_id = parsed.organization_id
        warnings = list(parsed.warnings)
        if organization_id and not Organization.objects.filter(pk=organization_id).exists():
            warnings.append(
                f"location {parsed.id}: organization_id {organization_id} matches no "
                "organization; the location was imported without it"
            )
            organization_id = None
        location.organization_id = organization_id
        location.save()
        self.warn(warnings)
        self._count("location", location.pk, created)
        return location

    def save_service(self, parsed: ParsedService, *, organization_id: Any = None) -> Service:
        self._first_time("service", parsed.id)
        if parsed.organization is not None:
            self.save_organization(parsed.organization)
        organization_id = parsed.organization_id or organization_id
        if organization_id and not Organization.objects.filter(pk=organization_id).exists():
            raise RecordRejected(
                f"organization_id: {organization_id} matches no organization in the directory "
                "or in this import"
            )
        service = Service.objects.filter(pk=parsed.id).first()
        created = service is None
        if service is None:
            service = Service(pk=parsed.id)
        for name, value in parsed.columns.items():
            setattr(service, name, value)
        service.organization_id = organization_id
        service.hsds_extra = parsed.extra
        service.full_clean(exclude=["search_document"], validate_unique=False)
        service.save()
        if parsed.service_types or created:
            ServiceType.objects.filter(service=service).delete()
            ServiceType.objects.bulk_create(
                ServiceType(service=service, code=code) for code in parsed.service_types
            )
        ServiceLanguage.objects.filter(service=service).delete()
        ServiceLanguage.objects.bulk_create(
            ServiceLanguage(service=service, **language) for language in parsed.languages
        )
        kept = []
        for link in parsed.locations:
            if link.location is not None:
                self.save_location(link.location)
            elif not Location.objects.filter(pk=link.location_id).exists():
                raise RecordRejected(
                    f"service_at_locations: location_id {link.location_id} matches no location"
                )
            ServiceAtLocation.objects.update_or_create(
                pk=link.id,
                defaults={
                    "service": service,
                    "location_id": link.location_id,
                    "description": link.description,
                    "hsds_extra": link.extra,
                },
            )
            kept.append(link.id)
        ServiceAtLocation.objects.filter(service=service).exclude(pk__in=kept).delete()
        refresh_search_document(service)
        self.warn(parsed.warnings)
        self._count("service", service.pk, created)
        return service

    def import_document(self, document: Any) -> None:
        if hsds.is_service_document(document):
            self.save_service(hsds.parse_service(document))
            return
        if not isinstance(document, dict):
            raise RecordRejected("record: is not a JSON object")
        hsds.check_storable(document, "")
        embedded = document.get("services") or []
        organization_part = {key: value for key, value in document.items() if key != "services"}
        errors = hsds.schema_errors("organization", organization_part)
        if errors:
            raise RecordRejected(errors[0])
        parsed = hsds.parse_organization(organization_part)
        self._first_time("organization", parsed.id)
        self.save_organization(parsed)
        if not isinstance(embedded, list):
            raise RecordRejected("services: must be a list")
        for index, service in enumerate(embedded):
            if isinstance(service, dict):
                service = {
                    **service,
                    "organization_id": service.get("organization_id") or str(parsed.id),
                }
            try:
                parsed_service = hsds.parse_service(service)
            except RecordRejected as error:
                raise RecordRejected(f"services.{index}.{error}") from None
            self.save_service(parsed_service, organization_id=parsed.id)


def _record_id(document: Any) -> str:
    return str(document.get("id", "?"))[:40] if isinstance(document, dict) else "?"


BATCH_SERVICES = 500


def import_source(
    source: ImportSource,
    *,
    by: Any = None,
    progress: bool = False,
    stream: Any = None,
) -> ImportSummary:
    """Save every valid record of a source; reject the others with a reason.

    Service documents are parsed and validated one by one, then written in batches
    (`hsds_bulk.write_services`, a savepoint each); a batch the database refuses is redone
    record by record, a savepoint each, so only the culprit is rejected. Organization
    documents take the record-at-a-time path. Everything runs in one transaction, and the
    import is audited once (`directory.import`, with the counts). `by` is None for the
    command line.
    """
    summary = ImportSummary()
    summary.rejected.extend(Rejection("datapackage", problem) for problem in source.problems)
    importer = _Importer(summary)
    rejections: list[tuple[int, Rejection]] = []
    pending: list[tuple[int, str, Any, ParsedService]] = []

    def save_one(index: int, label: str, document: Any) -> None:
        reason = _record_rejection(lambda: importer.import_document(document))
        if reason is not None:
            rejections.append((index, Rejection(label, reason)))

    def flush() -> None:
        if not pending:
            return
        try:
            with transaction.atomic():
                outcome = hsds_bulk.write_services(
                    [parsed for *_rest, parsed in pending],
                    organization_ids=[None] * len(pending),
                )
        except (DatabaseError, ValueError):
            for index, label, document, parsed in pending:
                importer.seen.discard(("service", str(parsed.id)))
                save_one(index, label, document)
        else:
            for kind, record_id, created in outcome.counted:
                importer._count(kind, record_id, created, matched=True)
            for position, reason in outcome.rejected:
                index, label, *_rest = pending[position]
                rejections.append((index, Rejection(label, reason)))
            importer.warn(outcome.warnings)
            importer.match_rows += outcome.match_rows
            importer.match_read_back += outcome.match_read_back
        pending.clear()

    with (
        transaction.atomic(),
        tqdm(
            total=len(source.documents),
            desc="Importing HSDS records",
            unit="record",
            disable=not progress,
            file=stream,
        ) as bar,
    ):
        for index, (where, document) in enumerate(source.documents):
            label = f"{where} ({_record_id(document)})" if where.startswith("record") else where
            if not hsds.is_service_document(document):
                flush()
                save_one(index, label, document)
            else:
                try:
                    parsed = hsds.parse_service(document, storable_checked=source.storable_checked)
                    importer._first_time("service", parsed.id)
                except RecordRejected as error:
                    rejections.append((index, Rejection(label, str(error))))
                else:
                    pending.append((index, label, document, parsed))
                    if len(pending) >= BATCH_SERVICES:
                        flush()
            bar.update(1)
        flush()
        _write_match_rows(importer)
        if statistics_stale(sum(summary.created.values())):
            _refresh_statistics()
            summary.analyzed = True
        rejections.sort(key=lambda item: item[0])
        summary.rejected.extend(rejection for _index, rejection in rejections)
        audit.record(
            "directory.import",
            actor=by,
            target_type="directory.service",
            context={
                "created": sum(summary.created.values()),
                "updated": sum(summary.updated.values()),
                "rejected": len(summary.rejected),
            },
        )
    return summary


# After a large import the query planner's statistics are stale (SQLite has none until
# ANALYZE runs): a directory match chose a scan of every language row per service.
ANALYZE_AFTER = 1000
# ... but only when the import grew the directory by a tenth or more (PostgreSQL's own
# autovacuum rule): re-analysing 100,000 services after each file of 5,000 cost PostgreSQL
# 2.7 s a file, more than writing the file, and the planner's choices do not change.
STALE_FRACTION = 0.1
DIRECTORY_TABLES = (
    Organization,
    Location,
    Service,
    ServiceType,
    ServiceLanguage,
    ServiceAtLocation,
    ServiceMatchRow,
)


def _write_match_rows(importer: _Importer) -> None:
    """The match rows of everything the import saved.

    The rows the batches derived go in first; then the rows of every service to read back
    are rebuilt from the directory as it now is: those the batches named, and every service
    saved record by record or offered at a location saved record by record.
    """
    unmatched = list(importer.unmatched)
    locations = [pk for kind, pk in unmatched if kind == "location"]
    services = [pk for kind, pk in unmatched if kind == "service"]
    insert_match_rows(importer.match_rows)
    refresh_match_rows([*importer.match_read_back, *services, *services_at_locations(locations)])


def statistics_stale(created: int) -> bool:
    """Whether an import that created this many records (its transaction still open, so
    they are counted) left the planner's statistics stale: at least ANALYZE_AFTER, and at
    least STALE_FRACTION of the organisations, locations and services there are now."""
    if created < ANALYZE_AFTER:
        return False
    counts = " + ".join(
        f"(SELECT count(*) FROM {connection.ops.quote_name(model._meta.db_table)})"  # noqa: S608
        for model in (Organization, Location, Service)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        total = int(cursor.fetchone()[0])
    return created >= STALE_FRACTION * total


# PostgreSQL's statistics target for the directory's own tables inside an import (300 rows
# sampled per unit): the default, 100, samples 30,000 rows of each, and the seven cost 1.7 s
# a file at 100,000 services, on each of the first ten files of the benchmark; at 10, 0.17 s
# (docs/performance.md, seventh run). The match rows, whose plans matching depends on, keep
# the default.
IMPORT_STATISTICS_TARGET = 10


def _refresh_statistics() -> None:
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        # A sample is enough for the planner's choices, and keeps each import of a large
        # directory from paying for the rows already there. SQLite's ANALYZE reads every
        # row of every index unless limited.
        if sqlite:
            cursor.execute("PRAGMA analysis_limit = 1000")
        for model in DIRECTORY_TABLES:
            if not sqlite:  # SET LOCAL: undone when the import's transaction ends
                target = "DEFAULT" if model is ServiceMatchRow else IMPORT_STATISTICS_TARGET
                cursor.execute(f"SET LOCAL default_statistics_target = {target}")
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        if sqlite:
            cursor.execute("PRAGMA analysis_limit = 0")


def _record_rejection(save: Any) -> str | None:
    """Run one record's save in its own savepoint; the reason it was refused, or None."""
    try:
        with transaction.atomic():
            save()
    except RecordRejected as error:
        return str(error)
    except ValidationFailed as error:
        return error.detail
    except DatabaseError as error:
        return f"the database refused it ({type(error).__name__})"
    except ModelValidationError as error:
        return _validation_message(error)
    return None


def _validation_message(error: Any) -> str:
    messages = getattr(error, "message_dict", None)
    if messages:
        name, problems = next(iter(sorted(messages.items())))
        return f"{name}: {' '.join(problems)}"
    return "; ".join(getattr(error, "messages", [str(error)]))


def import_hsds(
    path: Path, *, by: Any = None, progress: bool = False, stream: Any = None
) -> ImportSummary:
    """Import an HSDS JSON file or CSV datapackage folder (the `reclaim import-hsds` command).

    Raises ValidationFailed (field "file") when the file cannot be read at all: too big, not
    JSON, no datapackage.json. Anything wrong inside one record only rejects that record.
    """
    with _large_page_cache(), _collector_paused():
        summary = import_source(read_path(Path(path)), by=by, progress=progress, stream=stream)
    if sum(summary.created.values()) >= ANALYZE_AFTER:
        _vacuum_searched_tables(analyze=summary.analyzed)
    return summary


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a file is read and imported, back on after.

    A file of 5,000 services becomes hundreds of thousands of objects (documents, parsed
    records, rows) that hold no cycles; refcounting frees them. Allocating them ran the
    collector 354 times per file, two of them over everything the process holds: 0.3-0.5 s
    of a 3 s file (docs/performance.md, seventh run).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextlib.contextmanager
def _large_page_cache() -> Iterator[None]:
    """SQLite: a 64 MB page cache for the import's connection, then the previous size.

    With the 2 MB default, a directory of 100,000 services spent a third of its import in
    read() calls. Only the import gets it: pages open a new connection per request, which
    would pay for a large cache (or a memory map) without reusing it.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA cache_size = -65536")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous}")


# The tables searches and matches read on PostgreSQL, vacuumed after a large import.
SEARCHED_TABLES = (ServiceMatchRow._meta.db_table, "directory_service_search")


def _vacuum_searched_tables(*, analyze: bool) -> None:
    """After a large import on PostgreSQL, VACUUM what matching and search read (outside any
    transaction), and ANALYZE them too when the import refreshed the other statistics.

    Matching reads the match rows with index-only scans, which skip the table only for pages
    the visibility map marks all-visible; a search reads the GIN indexes' pending lists in
    full until a VACUUM merges them (migration 0008 keeps them small). Autovacuum would get
    there in time, where it runs at all (it is off on some servers).
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for table in SEARCHED_TABLES:
            options = " (ANALYZE)" if analyze else ""
            cursor.execute(f"VACUUM{options} {connection.ops.quote_name(table)}")


def import_hsds_upload(upload: Any, *, by: Any) -> ImportSummary:
    """Import an uploaded HSDS JSON file, or a .zip of a CSV datapackage (directory editors).

    The size is checked before reading, and a zip's unpacked size before unpacking.
    """
    require_directory_editor(by)
    if upload is None:
        raise ValidationFailed("file: choose a file to import.", field="file")
    size = int(getattr(upload, "size", 0) or 0)
    if size > max_import_bytes():
        raise _too_big(size)
    name = str(getattr(upload, "name", "") or "")
    with _collector_paused():
        if name.lower().endswith(".zip"):
            return import_source(_read_zip(upload), by=by)
        return import_source(read_json(upload, size=size), by=by)


def _read_zip(upload: Any) -> ImportSource:
    try:
        archive = zipfile.ZipFile(upload)
    except zipfile.BadZipFile:
        raise ValidationFailed("file: is not a valid zip file.", field="file") from None
    with archive, tempfile.TemporaryDirectory(prefix="hsds-") as folder:
        wanted = {*hsds.TABLE_FILES, "datapackage.json"}
        members = [info for info in archive.infolist() if PurePath(info.filename).name in wanted]
        unpacked = sum(info.file_size for info in members)
        if unpacked > max_import_bytes():
            raise _too_big(unpacked)
        for info in members:
            # Only the bare file name is used: no paths from the archive reach the disk.
            target = Path(folder) / PurePath(info.filename).name
            with archive.open(info) as source, target.open("wb") as sink:
                sink.write(source.read(max_import_bytes() + 1))
        return read_datapackage(Path(folder))


# --- export ---------------------------------------------------------------------------------


def export_services(*, by: Any = None) -> list[dict[str, Any]]:
    """Every service as a full HSDS 3.0 object (valid against the official service schema)."""
    documents = [
        hsds.service_document(service) for service in services_queryset().order_by("name", "id")
    ]
    with transaction.atomic():
        audit.record(
            "directory.export",
            actor=by,
            target_type="directory.service",
            context={"services": len(documents)},
        )
    return documents


def export_hsds_json(path: Path, *, by: Any = None) -> int:
    """Write the directory as a JSON list of HSDS service objects; returns how many."""
    documents = export_services(by=by)
    Path(path).write_text(
        json.dumps(documents, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return len(documents)


def export_hsds_csv(folder: Path, *, by: Any = None) -> int:
    """Write the directory as an HSDS CSV datapackage folder; returns how many services."""
    documents = export_services(by=by)
    hsds.write_tables(hsds.flatten_services(documents), Path(folder))
    return len(documents)


def rejected_lines(rejections: Iterable[Rejection]) -> list[str]:
    return [f"{item.where}: {item.reason}" for item in rejections]
