"""Open Referral HSDS 3.0: the official schemas, and the shapes we read and write.

Pure functions of their inputs (no database): validate an HSDS object against the official
JSON schemas (copied, with their licence, into `hsds/`), turn it into column values for our
models, turn our rows back into full HSDS objects, and read or write the tabular (CSV
datapackage) form. The services in `services/hsds_io.py` do the saving.
"""

from __future__ import annotations

import csv
import datetime
import functools
import json
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from .taxonomy import (
    ATTRIBUTE_TAXONOMY,
    SERVICE_TYPE_CODES,
    SERVICE_TYPE_TAXONOMY,
    TAXONOMY_NAMESPACE,
    service_type_label,
    term_id,
)

HSDS_DIR = Path(__file__).parent / "hsds"
SCHEMA_DIR = HSDS_DIR / "schema"
DATAPACKAGE_PATH = HSDS_DIR / "datapackage.json"


class RecordRejected(Exception):
    """One HSDS record cannot be imported; the message says which field and why."""


# --- the official schemas -------------------------------------------------------------------


@functools.cache
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append(
            (path.name, Resource.from_contents(contents, default_specification=_spec()))
        )
    return Registry().with_resources(resources)


def _spec() -> Any:
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


@functools.cache
def validator(schema_name: str) -> Draft202012Validator:
    """A validator for one official schema ("service", "organization", …), $refs resolved."""
    schema = json.loads((SCHEMA_DIR / f"{schema_name}.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=_registry())


def _inlined(schema: Any) -> Any:
    # The official schemas only refer to each other by file name, without cycles.
    if isinstance(schema, dict):
        if "$ref" in schema:
            path = SCHEMA_DIR / schema["$ref"]
            return _inlined(json.loads(path.read_text(encoding="utf-8")))
        return {key: _inlined(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inlined(item) for item in schema]
    return schema


@functools.cache
def fast_validator(schema_name: str) -> jsonschema_rs.Draft202012Validator:
    """The same schema, $refs inlined, for the Rust validator (about 80 times faster).

    Formats are annotations, as in `validator()`: both give the same answer, which
    tests/directory/test_hsds_validation.py checks on generated documents.
    """
    schema = json.loads((SCHEMA_DIR / f"{schema_name}.json").read_text(encoding="utf-8"))
    return jsonschema_rs.Draft202012Validator(_inlined(schema), validate_formats=False)


def is_schema_valid(schema_name: str, document: Any) -> bool:
    """Whether `document` meets the official schema: the fast check, or the full one for
    what the Rust validator cannot take in (numbers beyond 64 bits)."""
    try:
        return bool(fast_validator(schema_name).is_valid(document))
    except (ValueError, TypeError, OverflowError):
        return validator(schema_name).is_valid(document)


def schema_errors(schema_name: str, document: Any) -> list[str]:
    """Every way `document` breaks the official schema, as "path: message", stable order."""
    if is_schema_valid(schema_name, document):
        return []
    errors = sorted(
        validator(schema_name).iter_errors(document), key=lambda error: list(map(str, error.path))
    )
    return [f"{_path(error.path) or schema_name}: {_short(error.message)}" for error in errors]


def _path(parts: Iterable[Any]) -> str:
    return ".".join(str(part) for part in parts)


def _short(message: str) -> str:
    return message if len(message) <= 200 else message[:197] + "…"


@functools.cache
def datapackage() -> dict[str, Any]:
    return json.loads(DATAPACKAGE_PATH.read_text(encoding="utf-8"))


def table_fields(resource_name: str) -> list[dict[str, Any]]:
    for resource in datapackage()["resources"]:
        if resource["name"] == resource_name:
            return list(resource["schema"]["fields"])
    raise KeyError(resource_name)


# --- which HSDS fields are columns, which are carried as JSON -------------------------------

ORGANIZATION_COLUMNS = (
    "name",
    "alternate_name",
    "description",
    "email",
    "website",
    "tax_status",
    "tax_id",
    "year_incorporated",
    "legal_status",
    "logo",
    "uri",
    "parent_organization_id",
)
ORGANIZATION_EXTRA = (
    "funding",
    "contacts",
    "phones",
    "programs",
    "organization_identifiers",
    "attributes",
    "metadata",
)
LOCATION_COLUMNS = (
    "location_type",
    "url",
    "name",
    "alternate_name",
    "description",
    "transportation",
    "latitude",
    "longitude",
    "external_identifier",
    "external_identifier_type",
)
LOCATION_EXTRA = (
    "languages",
    "addresses",
    "contacts",
    "accessibility",
    "phones",
    "schedules",
    "attributes",
    "metadata",
)
SERVICE_COLUMNS = (
    "name",
    "alternate_name",
    "description",
    "url",
    "email",
    "status",
    "interpretation_services",
    "application_process",
    "fees_description",
    "wait_time",
    "fees",
    "accreditations",
    "eligibility_description",
    "minimum_age",
    "maximum_age",
    "assured_date",
    "assurer_email",
    "licenses",
    "alert",
    "last_modified",
    "program_id",
)
SERVICE_EXTRA = (
    "phones",
    "schedules",
    "service_areas",
    "funding",
    "cost_options",
    "program",
    "required_documents",
    "contacts",
    "attributes",
    "metadata",
)
SERVICE_AT_LOCATION_EXTRA = ("contacts", "phones", "schedules", "attributes", "metadata")

# Our own attributes (taxonomy "reclaim-attributes"): code -> kind of value.
FLAG_ATTRIBUTES = (
    "trauma_informed",
    "survivor_led",
    "serves_trafficking_survivors",
    "lgbtq_affirming",
    "interpretation_available",
    "female_staff_available",
    "immigration_status_required",
    "free_of_charge",
)
CHOICE_ATTRIBUTES = {
    "gender_eligibility": ("all", "women", "men"),
    "capacity_unit": ("beds", "slots"),
}
NUMBER_ATTRIBUTES = ("capacity_available", "wait_time_days")
DATETIME_ATTRIBUTES = ("capacity_updated_at",)
RECLAIM_ATTRIBUTES = (
    *FLAG_ATTRIBUTES,
    *CHOICE_ATTRIBUTES,
    *NUMBER_ATTRIBUTES,
    *DATETIME_ATTRIBUTES,
)
MAX_AGE = 150
MAX_COUNT = 100_000


# --- reading one HSDS object into column values ---------------------------------------------


@dataclass
class ParsedService:
    id: uuid.UUID
    columns: dict[str, Any]
    extra: dict[str, Any]
    organization: ParsedOrganization | None
    organization_id: uuid.UUID | None
    service_types: list[str]
    languages: list[dict[str, Any]]
    locations: list[ParsedServiceAtLocation]
    warnings: list[str] = field(default_factory=list)


@dataclass
class ParsedOrganization:
    id: uuid.UUID
    columns: dict[str, Any]
    extra: dict[str, Any]
    locations: list[ParsedLocation]


@dataclass
class ParsedLocation:
    id: uuid.UUID
    organization_id: uuid.UUID | None
    columns: dict[str, Any]
    extra: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


@dataclass
class ParsedServiceAtLocation:
    id: uuid.UUID
    location_id: uuid.UUID
    location: ParsedLocation | None
    description: str
    extra: dict[str, Any]


def parse_uuid(value: Any, *, field_name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise RecordRejected(f"{field_name}: {str(value)[:60]!r} is not a UUID") from None


def _optional_uuid(document: dict[str, Any], key: str, prefix: str) -> uuid.UUID | None:
    value = document.get(key)
    if value in (None, ""):
        return None
    return parse_uuid(value, field_name=prefix + key)


def check_storable(value: Any, path: str) -> None:
    """Refuse what no database stores (NUL bytes, lone surrogates) anywhere in a document."""
    if isinstance(value, str):
        if "\x00" in value or any(unicodedata.category(char) == "Cs" for char in value):
            raise RecordRejected(f"{path}: contains a NUL byte or an invalid character")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_storable(key, path)
            check_storable(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_storable(item, f"{path}.{index}")


# In JSON text, the only ways to a NUL or a lone surrogate are \u escapes (raw ones are not
# valid JSON or not valid UTF-8). A hit may be harmless (an escaped backslash, a surrogate
# pair): it only means each record gets the full check.
_SUSPICIOUS_JSON = re.compile(r"\\u0000|\\u[dD][89abAB]", re.ASCII)


def suspicious_text(text: str) -> bool:
    """Whether JSON text may hold what `check_storable` refuses (else it cannot)."""
    return "\x00" in text or _SUSPICIOUS_JSON.search(text) is not None


def _text(document: dict[str, Any], key: str, prefix: str, max_length: int | None) -> str:
    value = document.get(key)
    if value is None:
        return ""
    text = str(value).strip()
    if max_length is not None and len(text) > max_length:
        raise RecordRejected(f"{prefix}{key}: is longer than {max_length} characters")
    return text


def _whole_number(value: Any, *, field_name: str, maximum: int) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise RecordRejected(f"{field_name}: must be a whole number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordRejected(f"{field_name}: must be a whole number") from None
    if not number.is_integer() or not 0 <= number <= maximum:
        raise RecordRejected(f"{field_name}: must be a whole number from 0 to {maximum}")
    return int(number)


def _datetime(value: Any, *, field_name: str) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(str(value).replace("Z", "+00:00")) if isinstance(value, str) else None
    if parsed is None:
        raise RecordRejected(f"{field_name}: is not an ISO 8601 date-time")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed


# Text limits of our columns (CharField max_length); TextFields have none.
_LIMITS = {
    "name": 255,
    "alternate_name": 255,
    "email": 254,
    "assurer_email": 254,
    "website": 500,
    "url": 500,
    "logo": 500,
    "uri": 500,
    "tax_status": 255,
    "tax_id": 255,
    "legal_status": 255,
    "wait_time": 255,
    "assured_date": 32,
    "external_identifier": 255,
    "external_identifier_type": 255,
}


def _extra(document: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {
        key: value
        for key in keys
        if (value := document.get(key)) is not None and value != [] and value != {}
    }


def parse_organization(document: dict[str, Any], *, prefix: str = "") -> ParsedOrganization:
    """Column values of an HSDS organization (already valid against organization.json)."""
    org_id = parse_uuid(document.get("id"), field_name=prefix + "id")
    columns: dict[str, Any] = {}
    for key in ORGANIZATION_COLUMNS:
        if key == "year_incorporated":
            columns[key] = _whole_number(document.get(key), field_name=prefix + key, maximum=9999)
        elif key == "parent_organization_id":
            columns[key] = _optional_uuid(document, key, prefix)
        else:
            columns[key] = _text(document, key, prefix, _LIMITS.get(key))
    if not columns["name"]:
        raise RecordRejected(f"{prefix}name: is empty")
    locations = [
        parse_location(item, prefix=f"{prefix}locations.{index}.", organization_id=org_id)
        for index, item in enumerate(document.get("locations") or [])
    ]
    return ParsedOrganization(org_id, columns, _extra(document, ORGANIZATION_EXTRA), locations)


def parse_location(
    document: dict[str, Any], *, prefix: str = "", organization_id: uuid.UUID | None = None
) -> ParsedLocation:
    location_id = parse_uuid(document.get("id"), field_name=prefix + "id")
    columns: dict[str, Any] = {}
    warnings: list[str] = []
    for key in LOCATION_COLUMNS:
        if key in ("latitude", "longitude"):
            continue
        columns[key] = _text(document, key, prefix, _LIMITS.get(key))
    latitude, longitude = document.get("latitude"), document.get("longitude")
    if latitude is not None and longitude is not None:
        if -90 <= float(latitude) <= 90 and -180 <= float(longitude) <= 180:
            columns["latitude"], columns["longitude"] = float(latitude), float(longitude)
        else:
            warnings.append(
                f"location {location_id}: latitude {latitude} / longitude {longitude} "
                "are out of range; the coordinates were left out"
            )
    columns.setdefault("latitude", None)
    columns.setdefault("longitude", None)
    own_org = _optional_uuid(document, "organization_id", prefix) or organization_id
    return ParsedLocation(location_id, own_org, columns, _extra(document, LOCATION_EXTRA), warnings)


def _attribute_taxonomy(attribute: dict[str, Any]) -> tuple[str, str]:
    term = attribute.get("taxonomy_term") or {}
    return str(term.get("taxonomy") or ""), str(term.get("code") or "")


def _parse_reclaim_attribute(code: str, value: Any, path: str) -> Any:
    text = "" if value is None else str(value).strip().lower()
    if code in FLAG_ATTRIBUTES:
        if text not in ("true", "false"):
            raise RecordRejected(f"{path}: {code} must be true or false")
        return text == "true"
    if code in CHOICE_ATTRIBUTES:
        if text not in CHOICE_ATTRIBUTES[code]:
            allowed = ", ".join(CHOICE_ATTRIBUTES[code])
            raise RecordRejected(f"{path}: {code} must be one of {allowed}")
        return text
    if code in NUMBER_ATTRIBUTES:
        return _whole_number(text, field_name=f"{path} ({code})", maximum=MAX_COUNT)
    return _datetime(str(value or ""), field_name=f"{path} ({code})")


def parse_service(
    document: Any, *, check_schema: bool = True, storable_checked: bool = False
) -> ParsedService:
    """Everything we keep of one HSDS service object, or RecordRejected naming the field.

    `storable_checked`: the file it came from was already found free of NUL bytes and lone
    surrogates (`suspicious_text`), so the walk over every string can be skipped.
    """
    if not isinstance(document, dict):
        raise RecordRejected("service: is not a JSON object")
    if not storable_checked:
        check_storable(document, "")
    if check_schema:
        errors = schema_errors("service", document)
        if errors:
            raise RecordRejected(errors[0])
    service_id = parse_uuid(document.get("id"), field_name="id")
    columns: dict[str, Any] = {}
    for key in SERVICE_COLUMNS:
        if key in ("minimum_age", "maximum_age"):
            columns[key] = _whole_number(document.get(key), field_name=key, maximum=MAX_AGE)
        elif key == "last_modified":
            columns[key] = _datetime(document.get(key), field_name=key)
        elif key == "program_id":
            columns[key] = _optional_uuid(document, key, "")
        else:
            columns[key] = _text(document, key, "", _LIMITS.get(key))
    if not columns["name"]:
        raise RecordRejected("name: is empty")
    low, high = columns["minimum_age"], columns["maximum_age"]
    if low is not None and high is not None and low > high:
        raise RecordRejected("minimum_age: is above maximum_age")

    service_types: list[str] = []
    foreign_attributes = []
    for index, attribute in enumerate(document.get("attributes") or []):
        taxonomy, code = _attribute_taxonomy(attribute)
        path = f"attributes.{index}"
        if taxonomy == SERVICE_TYPE_TAXONOMY:
            if code not in SERVICE_TYPE_CODES:
                raise RecordRejected(f"{path}: unknown service type {code[:40]!r}")
            if code not in service_types:
                service_types.append(code)
        elif taxonomy == ATTRIBUTE_TAXONOMY:
            if code not in RECLAIM_ATTRIBUTES:
                raise RecordRejected(f"{path}: unknown attribute {code[:40]!r}")
            columns[code] = _parse_reclaim_attribute(code, attribute.get("value"), path)
        else:
            foreign_attributes.append(attribute)
    extra = _extra(document, SERVICE_EXTRA)
    if foreign_attributes:
        extra["attributes"] = foreign_attributes
    else:
        extra.pop("attributes", None)

    organization = None
    if isinstance(document.get("organization"), dict):
        organization = parse_organization(document["organization"], prefix="organization.")
    organization_id = _optional_uuid(document, "organization_id", "")
    if organization is not None:
        organization_id = organization.id

    languages = []
    for index, language in enumerate(document.get("languages") or []):
        prefix = f"languages.{index}."
        languages.append(
            {
                "hsds_id": parse_uuid(language.get("id"), field_name=prefix + "id"),
                "code": _text(language, "code", prefix, 16).lower(),
                "name": _text(language, "name", prefix, 100),
                "note": _text(language, "note", prefix, None),
            }
        )
    locations = []
    for index, link in enumerate(document.get("service_at_locations") or []):
        prefix = f"service_at_locations.{index}."
        location = None
        if isinstance(link.get("location"), dict):
            location = parse_location(link["location"], prefix=prefix + "location.")
        location_id = location.id if location else _optional_uuid(link, "location_id", prefix)
        if location_id is None:
            raise RecordRejected(f"{prefix}location_id: is missing")
        locations.append(
            ParsedServiceAtLocation(
                id=parse_uuid(link.get("id"), field_name=prefix + "id"),
                location_id=location_id,
                location=location,
                description=_text(link, "description", prefix, None),
                extra=_extra(link, SERVICE_AT_LOCATION_EXTRA),
            )
        )
    warnings = [w for link in locations if link.location for w in link.location.warnings]
    return ParsedService(
        id=service_id,
        columns=columns,
        extra=extra,
        organization=organization,
        organization_id=organization_id,
        service_types=service_types,
        languages=languages,
        locations=locations,
        warnings=warnings,
    )


def is_service_document(document: Any) -> bool:
    """Services carry a status (required); organizations do not."""
    return isinstance(document, dict) and (
        "status" in document or "service_at_locations" in document
    )


# --- writing our rows as HSDS objects -------------------------------------------------------


def _drop_empty(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if value not in (None, "")}


def _json_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    return value


def organization_document(organization: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"id": str(organization.pk)}
    for key in ORGANIZATION_COLUMNS:
        document[key] = _json_value(getattr(organization, key))
    document["description"] = organization.description or ""
    document = _drop_empty(document)
    document["description"] = organization.description or ""
    document.update(organization.hsds_extra or {})
    return document


def location_document(location: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"id": str(location.pk)}
    if location.organization_id:
        document["organization_id"] = str(location.organization_id)
    for key in LOCATION_COLUMNS:
        document[key] = getattr(location, key)
    document = _drop_empty(document)
    document.update(location.hsds_extra or {})
    return document


def _attribute(service_id: Any, taxonomy: str, code: str, name: str, value: str) -> dict:
    return {
        "id": str(uuid.uuid5(TAXONOMY_NAMESPACE, f"{service_id}:{taxonomy}:{code}")),
        "link_id": str(service_id),
        "link_type": "service",
        "link_entity": "service",
        "value": value,
        "taxonomy_term": {
            "id": str(term_id(code, taxonomy=taxonomy)),
            "code": code,
            "name": name,
            "description": name,
            "taxonomy": taxonomy,
        },
    }


def reclaim_attributes(service: Any, service_type_codes: Iterable[str]) -> list[dict]:
    """Our service types and field-specific attributes as HSDS attributes."""
    attributes = [
        _attribute(service.pk, SERVICE_TYPE_TAXONOMY, code, str(service_type_label(code)), "true")
        for code in sorted(service_type_codes)
    ]
    for code in RECLAIM_ATTRIBUTES:
        value = getattr(service, code)
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, datetime.datetime):
            text = _json_value(value)
        else:
            text = str(value)
        name = code.replace("_", " ")
        attributes.append(_attribute(service.pk, ATTRIBUTE_TAXONOMY, code, name, text))
    return attributes


def service_document(service: Any) -> dict[str, Any]:
    """A full HSDS service object, as the HSDS API returns it (prefetched rows expected)."""
    document: dict[str, Any] = {"id": str(service.pk)}
    if service.organization_id:
        document["organization_id"] = str(service.organization_id)
    for key in SERVICE_COLUMNS:
        document[key] = _json_value(getattr(service, key))
    document = _drop_empty(document)
    extra = dict(service.hsds_extra or {})
    foreign_attributes = extra.pop("attributes", [])
    document.update(extra)
    document["languages"] = [
        _drop_empty(
            {
                "id": str(language.hsds_id),
                "service_id": str(service.pk),
                "name": language.name,
                "code": language.code,
                "note": language.note,
            }
        )
        for language in service.languages.all()
    ]
    document["service_at_locations"] = [
        {
            **_drop_empty(
                {
                    "id": str(link.pk),
                    "service_id": str(service.pk),
                    "location_id": str(link.location_id),
                    "description": link.description,
                }
            ),
            **(link.hsds_extra or {}),
            "location": location_document(link.location),
        }
        for link in service.service_at_locations.all()
    ]
    codes = [row.code for row in service.service_types.all()]
    document["attributes"] = [*foreign_attributes, *reclaim_attributes(service, codes)]
    if service.organization is not None:
        document["organization"] = organization_document(service.organization)
    return document


# --- the tabular form (CSV datapackage) -----------------------------------------------------

# file name -> resource name, in the datapackage's order.
TABLE_FILES = {
    resource["path"]: resource["name"]
    for resource in json.loads(DATAPACKAGE_PATH.read_text(encoding="utf-8"))["resources"]
}
# Which table a "<x>_id" column points to.
REFERENCE_TABLES = {
    "organization_id": "organization",
    "parent_organization_id": "organization",
    "service_id": "service",
    "location_id": "location",
    "contact_id": "contact",
    "service_at_location_id": "service_at_location",
    "phone_id": "phone",
    "program_id": "program",
    "taxonomy_term_id": "taxonomy_term",
    "taxonomy_id": "taxonomy",
    "parent_id": "taxonomy_term",
}
ANY_TABLE_REFERENCES = ("link_id", "resource_id")


@dataclass
class TabularDirectory:
    """A CSV datapackage turned into nested HSDS objects, with its broken references."""

    organizations: list[dict[str, Any]]
    services: list[dict[str, Any]]
    problems: list[str]


def _typed(value: str, spec: dict[str, Any]) -> Any:
    if value == "":
        return None
    if spec.get("type") in ("number", "integer"):
        try:
            number = float(value)
        except ValueError:
            return value  # left for the schema check to name
        return int(number) if number.is_integer() else number
    return value


def read_tables(tables: dict[str, list[dict[str, str]]]) -> TabularDirectory:
    """Nest the rows of a CSV datapackage (resource name -> rows) into HSDS objects.

    A row whose reference points at no row is reported (`problems`) and that link dropped;
    everything else is nested where it belongs, so valid records still import.
    """
    problems: list[str] = []
    typed: dict[str, list[dict[str, Any]]] = {}
    document: dict[str, Any]
    for name, rows in tables.items():
        specs = {spec["name"]: spec for spec in table_fields(name)}
        typed[name] = [
            {key: _typed(value or "", specs.get(key, {})) for key, value in row.items() if key}
            for row in rows
        ]
    ids = {name: {str(row.get("id")) for row in rows} for name, rows in typed.items()}
    every_id = set().union(*ids.values()) if ids else set()
    file_of = {name: path for path, name in TABLE_FILES.items()}
    for name, typed_rows in typed.items():
        for number, typed_row in enumerate(typed_rows, start=2):  # row 1 is the header
            for column, value in typed_row.items():
                if value is None or not (
                    column in REFERENCE_TABLES or column in ANY_TABLE_REFERENCES
                ):
                    continue
                target = REFERENCE_TABLES.get(column)
                known = ids.get(target, set()) if target else every_id
                if str(value) not in known:
                    what = target.replace("_", " ") if target else "record"
                    problems.append(
                        f"{file_of.get(name, name)} row {number}: {column} {value} matches no "
                        f"{what}; that link was not imported"
                    )
                    typed_row[column] = None

    def children(table: str, column: str, parent_id: Any, drop: Iterable[str] = ()) -> list:
        return [
            {key: value for key, value in row.items() if key not in drop and value is not None}
            for row in typed.get(table, [])
            if row.get(column) is not None and str(row.get(column)) == str(parent_id)
        ]

    phone_links = (
        "location_id",
        "service_id",
        "organization_id",
        "contact_id",
        "service_at_location_id",
    )
    language_links = ("service_id", "location_id", "phone_id")

    def phones(column: str, parent_id: Any) -> list:
        found = children("phone", column, parent_id, phone_links)
        for phone in found:
            phone["languages"] = children("language", "phone_id", phone["id"], language_links)
        return found

    def contacts(column: str, parent_id: Any) -> list:
        links = ("organization_id", "service_id", "service_at_location_id", "location_id")
        found = children("contact", column, parent_id, links)
        for contact in found:
            contact["phones"] = phones("contact_id", contact["id"])
        return found

    terms = {str(row["id"]): row for row in typed.get("taxonomy_term", [])}
    taxonomies = {str(row["id"]): row for row in typed.get("taxonomy", [])}

    def attributes(parent_id: Any) -> list:
        found = children("attribute", "link_id", parent_id, ("taxonomy_term_id",))
        for attribute, row in zip(
            found,
            [r for r in typed.get("attribute", []) if str(r.get("link_id")) == str(parent_id)],
            strict=True,
        ):
            term = terms.get(str(row.get("taxonomy_term_id")))
            if term is not None:
                term = {key: value for key, value in term.items() if value is not None}
                detail = taxonomies.get(str(term.get("taxonomy_id")))
                if detail is not None:
                    term["taxonomy_detail"] = {
                        key: value for key, value in detail.items() if value is not None
                    }
                attribute["taxonomy_term"] = term
        return found

    def schedules(column: str, parent_id: Any) -> list:
        links = ("service_id", "location_id", "service_at_location_id")
        return children("schedule", column, parent_id, links)

    def location(row: dict[str, Any]) -> dict[str, Any]:
        document = {key: value for key, value in row.items() if value is not None}
        location_id = row["id"]
        document["addresses"] = children("address", "location_id", location_id, ("location_id",))
        document["accessibility"] = children(
            "accessibility", "location_id", location_id, ("location_id",)
        )
        document["languages"] = children("language", "location_id", location_id, language_links)
        document["phones"] = phones("location_id", location_id)
        document["schedules"] = schedules("location_id", location_id)
        document["contacts"] = contacts("location_id", location_id)
        document["attributes"] = attributes(location_id)
        return document

    locations = {str(row["id"]): row for row in typed.get("location", [])}
    organizations_by_id = {}
    for row in typed.get("organization", []):
        document = {key: value for key, value in row.items() if value is not None}
        org_id = row["id"]
        document["phones"] = phones("organization_id", org_id)
        document["contacts"] = contacts("organization_id", org_id)
        document["funding"] = children("funding", "organization_id", org_id, ("service_id",))
        document["programs"] = children("program", "organization_id", org_id)
        document["organization_identifiers"] = children(
            "organization_identifier", "organization_id", org_id
        )
        document["attributes"] = attributes(org_id)
        document["locations"] = [
            location(loc)
            for loc in typed.get("location", [])
            if str(loc.get("organization_id")) == str(org_id)
        ]
        organizations_by_id[str(org_id)] = document

    services = []
    for row in typed.get("service", []):
        document = {key: value for key, value in row.items() if value is not None}
        service_id = row["id"]
        document["phones"] = phones("service_id", service_id)
        document["schedules"] = schedules("service_id", service_id)
        document["service_areas"] = children("service_area", "service_id", service_id)
        document["cost_options"] = children("cost_option", "service_id", service_id)
        document["required_documents"] = children("required_document", "service_id", service_id)
        document["funding"] = children("funding", "service_id", service_id, ("organization_id",))
        document["contacts"] = contacts("service_id", service_id)
        document["languages"] = children("language", "service_id", service_id, language_links)
        document["attributes"] = attributes(service_id)
        links = []
        for link in children("service_at_location", "service_id", service_id):
            link_id = link["id"]
            located = locations.get(str(link.get("location_id")))
            if located is None:
                continue
            link["location"] = location(located)
            link["phones"] = phones("service_at_location_id", link_id)
            link["schedules"] = schedules("service_at_location_id", link_id)
            link["contacts"] = contacts("service_at_location_id", link_id)
            links.append(link)
        document["service_at_locations"] = links
        services.append(_without_empty_lists(document))
    organizations = [_without_empty_lists(doc) for doc in organizations_by_id.values()]
    return TabularDirectory(organizations, services, problems)


def _without_empty_lists(document: Any) -> Any:
    if isinstance(document, dict):
        return {key: _without_empty_lists(value) for key, value in document.items() if value != []}
    if isinstance(document, list):
        return [_without_empty_lists(item) for item in document]
    return document


def read_csv_rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        yield from csv.DictReader(handle)


# --- writing the tabular form ---------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(_json_value(value))


def flatten_services(services: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows for each datapackage table from full HSDS service objects (as we export them)."""
    tables: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in TABLE_FILES.values()}

    def put(table: str, document: dict[str, Any], **links: Any) -> None:
        columns = {spec["name"] for spec in table_fields(table)}
        row = {key: value for key, value in document.items() if key in columns}
        row.update({key: value for key, value in links.items() if key in columns})
        existing = tables[table].setdefault(str(row["id"]), {})
        existing.update({key: value for key, value in row.items() if value is not None})

    def phones(items: Any, **links: Any) -> None:
        for phone in items or []:
            put("phone", phone, **links)
            for language in phone.get("languages") or []:
                put("language", language, phone_id=phone["id"])

    def contacts(items: Any, **links: Any) -> None:
        for contact in items or []:
            put("contact", contact, **links)
            phones(contact.get("phones"), contact_id=contact["id"])

    def attributes(items: Any, link_id: Any) -> None:
        for attribute in items or []:
            term = attribute.get("taxonomy_term")
            put("attribute", attribute, link_id=link_id, taxonomy_term_id=term and term["id"])
            if term:
                detail = term.get("taxonomy_detail")
                put("taxonomy_term", term, taxonomy_id=detail and detail["id"])
                if detail:
                    put("taxonomy", detail)

    def location(document: dict[str, Any]) -> None:
        location_id = document["id"]
        put("location", document)
        for address in document.get("addresses") or []:
            put("address", address, location_id=location_id)
        for item in document.get("accessibility") or []:
            put("accessibility", item, location_id=location_id)
        for language in document.get("languages") or []:
            put("language", language, location_id=location_id)
        for schedule in document.get("schedules") or []:
            put("schedule", schedule, location_id=location_id)
        phones(document.get("phones"), location_id=location_id)
        contacts(document.get("contacts"), location_id=location_id)
        attributes(document.get("attributes"), location_id)

    for service in services:
        service_id = service["id"]
        organization = service.get("organization")
        if organization:
            org_id = organization["id"]
            put("organization", organization)
            phones(organization.get("phones"), organization_id=org_id)
            contacts(organization.get("contacts"), organization_id=org_id)
            for item in organization.get("funding") or []:
                put("funding", item, organization_id=org_id)
            for item in organization.get("programs") or []:
                put("program", item, organization_id=org_id)
            for item in organization.get("organization_identifiers") or []:
                put("organization_identifier", item, organization_id=org_id)
            attributes(organization.get("attributes"), org_id)
        put("service", service)
        for key, table in (
            ("schedules", "schedule"),
            ("service_areas", "service_area"),
            ("cost_options", "cost_option"),
            ("required_documents", "required_document"),
            ("funding", "funding"),
            ("languages", "language"),
        ):
            for item in service.get(key) or []:
                put(table, item, service_id=service_id)
        phones(service.get("phones"), service_id=service_id)
        contacts(service.get("contacts"), service_id=service_id)
        attributes(service.get("attributes"), service_id)
        for link in service.get("service_at_locations") or []:
            put("service_at_location", link, service_id=service_id)
            location(link["location"])
            for schedule in link.get("schedules") or []:
                put("schedule", schedule, service_at_location_id=link["id"])
            phones(link.get("phones"), service_at_location_id=link["id"])
            contacts(link.get("contacts"), service_at_location_id=link["id"])
    return {name: list(rows.values()) for name, rows in tables.items()}


def write_tables(tables: dict[str, list[dict[str, Any]]], folder: Path) -> list[Path]:
    """Write one CSV per datapackage table (official headers) and the datapackage.json."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path, name in TABLE_FILES.items():
        columns = [spec["name"] for spec in table_fields(name)]
        target = folder / path
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in sorted(tables.get(name, []), key=lambda row: str(row["id"])):
                writer.writerow([_cell(row.get(column)) for column in columns])
        written.append(target)
    (folder / "datapackage.json").write_text(
        json.dumps(datapackage(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return written
