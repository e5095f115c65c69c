"""Reading and editing directory entries: services, their organisation link, capacity.

Directory data describes providers, never survivors: any staff member may read it, only
directory editors (org admins: `directory.edit`) may change it, and the provider's own staff
may report capacity (`directory.capacity` in the organisation linked to the entry). Every
change writes an audit event in the same transaction (field names, never values).
"""

from __future__ import annotations

import datetime
import functools
import unicodedata
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Prefetch, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation

from reclaim.core import access, audit
from reclaim.core import permissions as perm
from reclaim.core.errors import Forbidden, NotFound, ValidationFailed
from reclaim.core.models import Organisation
from reclaim.core.validation import clean_text

from ..models import (
    CapacityUnit,
    GenderEligibility,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceStatus,
    ServiceType,
)
from ..taxonomy import SERVICE_TYPE_CODES, service_type_label
from .match_rows import refresh_match_rows, remove_match_rows


def _prefetched(queryset: QuerySet[Service]) -> QuerySet[Service]:
    return queryset.select_related("organization").prefetch_related(
        "service_types",
        "languages",
        Prefetch(
            "service_at_locations",
            queryset=ServiceAtLocation.objects.select_related("location").order_by("id"),
        ),
    )


def services_queryset() -> QuerySet[Service]:
    """Every service with what a summary or an HSDS document needs, in few queries."""
    return _prefetched(Service.objects.all())


# Codes are short tokens; the unit separator is a control character no code holds.
CODE_SEPARATOR = "\x1f"


def codes_subquery(table: str, *, service_id: str) -> str:
    """SQL for a service's non-empty codes in `table` (its types or languages), joined by
    CODE_SEPARATOR; "" when it has none. `service_id` is the outer query's service id."""
    if connection.vendor == "postgresql":
        joined = "string_agg(c.code, chr(31))"
    else:
        joined = "group_concat(c.code, char(31))"
    return (
        f"COALESCE((SELECT {joined} FROM {table} c "  # noqa: S608 (table names, no input)
        f"WHERE c.service_id = {service_id} AND c.code <> ''), '')"
    )


def split_codes(joined: str | None) -> list[str]:
    return joined.split(CODE_SEPARATOR) if joined else []


def service_views_queryset() -> QuerySet[Service]:
    """Services with just what `service_view` shows (no sites, no HSDS extras), in one query:
    the codes of their types and languages come along as two columns (`listed_type_codes`,
    `listed_language_codes`). A page of search or match results loads 10-50 of them; with
    prefetch_related the two code lists cost 4 of a search's 15 ms at 100,000 services on
    PostgreSQL (docs/performance.md, eighth run)."""
    service_id = f"{Service._meta.db_table}.id"
    # Table names only: nothing from input reaches this SQL.
    type_codes_sql = codes_subquery(ServiceType._meta.db_table, service_id=service_id)
    language_codes_sql = codes_subquery(ServiceLanguage._meta.db_table, service_id=service_id)
    return (
        Service.objects.select_related("organization")
        .defer("hsds_extra", "search_document", "organization__hsds_extra")
        .annotate(
            listed_type_codes=RawSQL(type_codes_sql, ()),  # noqa: S611
            listed_language_codes=RawSQL(language_codes_sql, ()),  # noqa: S611
        )
    )


def get_service(service_id: Any) -> Service:
    """One directory service by id (directory data is not survivor data: no scope).

    Raises NotFound for an unknown or malformed id.
    """
    try:
        key = uuid.UUID(str(service_id))
    except (TypeError, ValueError):
        raise NotFound() from None
    service = services_queryset().filter(pk=key).first()
    if service is None:
        raise NotFound()
    return service


def get_organization(organization_id: Any) -> Organization:
    try:
        key = uuid.UUID(str(organization_id))
    except (TypeError, ValueError):
        raise NotFound() from None
    organization = Organization.objects.filter(pk=key).first()
    if organization is None:
        raise NotFound()
    return organization


def service_type_codes(service: Service) -> list[str]:
    listed = getattr(service, "listed_type_codes", None)  # service_views_queryset
    if listed is not None:
        return sorted(split_codes(listed))
    return sorted(row.code for row in service.service_types.all())


def language_codes(service: Service) -> list[str]:
    listed = getattr(service, "listed_language_codes", None)  # service_views_queryset
    if listed is not None:
        return sorted(set(split_codes(listed)))
    return sorted({row.code for row in service.languages.all() if row.code})


def service_summary(service: Service) -> dict[str, Any]:
    """What other apps (referrals) show of a service: no survivor data, stable keys."""
    organization = service.organization
    return {
        "id": service.pk,
        "name": service.name,
        "organization_id": service.organization_id,
        "organization_name": organization.name if organization else "",
        "platform_organisation_id": organization.platform_organisation_id if organization else None,
        "service_types": service_type_codes(service),
        "languages": language_codes(service),
        "status": service.status,
    }


CAPACITY_FRESH_DAYS = 7


def capacity_is_fresh(service: Service, *, now: datetime.datetime | None = None) -> bool:
    """Whether the open-capacity figure was reported in the last week."""
    if service.capacity_updated_at is None:
        return False
    now = now or timezone.now()
    return now - service.capacity_updated_at <= datetime.timedelta(days=CAPACITY_FRESH_DAYS)


def service_view(service: Service, *, distance_km: float | None = None) -> dict[str, Any]:
    """A service as pages and the API show it (summary, eligibility, attributes, capacity)."""
    return {
        **service_summary(service),
        "description": service.description,
        "url": service.url,
        "email": service.email,
        "eligibility_description": service.eligibility_description,
        "gender_eligibility": service.gender_eligibility,
        "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age,
        "capacity_available": service.capacity_available,
        "capacity_unit": service.capacity_unit,
        "capacity_updated_at": service.capacity_updated_at,
        "capacity_fresh": capacity_is_fresh(service),
        "wait_time_days": service.wait_time_days,
        "trauma_informed": service.trauma_informed,
        "survivor_led": service.survivor_led,
        "serves_trafficking_survivors": service.serves_trafficking_survivors,
        "lgbtq_affirming": service.lgbtq_affirming,
        "interpretation_available": service.interpretation_available,
        "female_staff_available": service.female_staff_available,
        "immigration_status_required": service.immigration_status_required,
        "free_of_charge": service.free_of_charge,
        "distance_km": round(distance_km, 1) if distance_km is not None else None,
    }


# --- who may edit ---------------------------------------------------------------------------


def may_edit_directory(user: Any) -> bool:
    return bool(access.organisations_where(user, perm.DIRECTORY_EDIT))


def require_directory_editor(user: Any, *, target: Any = None) -> None:
    """Raise Forbidden unless the user edits the directory (org admins)."""
    if not may_edit_directory(user):
        details = access.denial(user, perm.DIRECTORY_EDIT, target)
        if target is None:
            details.update(target_type="directory.service")
        raise Forbidden(denied=details)


def may_update_capacity(user: Any, service: Service) -> bool:
    if may_edit_directory(user):
        return True
    organization = service.organization
    linked = organization.platform_organisation_id if organization else None
    return linked is not None and access.can(user, perm.DIRECTORY_CAPACITY, linked)


def require_staff(user: Any) -> None:
    """Searching the directory: any signed-in staff member (not survivors in the portal)."""
    if not access.is_staff_user(user):
        raise Forbidden(
            denied=access.denial(user, "directory.search", target_type="directory.service")
        )


# --- search text ----------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case without accents, so "Asesoría" and "asesoria" match on both databases."""
    folded = text.casefold()
    if folded.isascii():  # nothing to strip (most directory text)
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@functools.cache
def _labels_in_every_language(codes: tuple[str, ...]) -> tuple[str, ...]:
    # The same document whatever language the editor uses: index the labels in each one.
    labels: list[str] = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            labels += [str(service_type_label(code)) for code in codes]
    return tuple(labels)


def search_text(
    *,
    name: str,
    alternate_name: str,
    description: str,
    eligibility_description: str,
    organization_name: str,
    codes: Iterable[str],
) -> str:
    """The folded text full-text search looks in (`Service.search_document`)."""
    ordered = tuple(sorted(codes))
    parts = [
        name,
        alternate_name,
        description,
        eligibility_description,
        organization_name,
        *(code.replace("_", " ") for code in ordered),
        *_labels_in_every_language(ordered),
    ]
    return fold(" ".join(part for part in parts if part))


def build_search_document(service: Service, codes: Iterable[str]) -> str:
    organization = service.organization
    return search_text(
        name=service.name,
        alternate_name=service.alternate_name,
        description=service.description,
        eligibility_description=service.eligibility_description,
        organization_name=organization.name if organization else "",
        codes=codes,
    )


def refresh_search_document(service: Service) -> None:
    codes = list(ServiceType.objects.filter(service=service).values_list("code", flat=True))
    service.search_document = build_search_document(service, codes)
    service.save(update_fields=["search_document"])


# --- editing --------------------------------------------------------------------------------

TEXT_FIELDS = {
    "name": 255,
    "alternate_name": 255,
    "description": None,
    "url": 500,
    "email": 254,
    "eligibility_description": None,
    "application_process": None,
    "fees_description": None,
    "wait_time": 255,
    "interpretation_services": None,
}
FLAG_FIELDS = (
    "trauma_informed",
    "survivor_led",
    "serves_trafficking_survivors",
    "lgbtq_affirming",
    "interpretation_available",
    "female_staff_available",
    "immigration_status_required",
)
NUMBER_FIELDS = {"minimum_age": 150, "maximum_age": 150, "wait_time_days": 3650}
EDITABLE_FIELDS = (
    *TEXT_FIELDS,
    *FLAG_FIELDS,
    *NUMBER_FIELDS,
    "status",
    "gender_eligibility",
    "free_of_charge",
    "capacity_unit",
    "service_types",
    "languages",
    "organization_id",
)


def _clean_changes(changes: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in EDITABLE_FIELDS:
            raise ValidationFailed(f"{name}: cannot be changed here.", field=name)
        if name in TEXT_FIELDS:
            text = clean_text(value if value is not None else "", field=name, multiline=True)
            limit = TEXT_FIELDS[name]
            if limit is not None and len(text) > limit:
                raise ValidationFailed(f"{name}: is longer than {limit} characters.", field=name)
            if name == "name" and not text:
                raise ValidationFailed("name: is required.", field=name)
            cleaned[name] = text
        elif name in FLAG_FIELDS:
            if not isinstance(value, bool):
                raise ValidationFailed(f"{name}: must be true or false.", field=name)
            cleaned[name] = value
        elif name == "free_of_charge":
            if value is not None and not isinstance(value, bool):
                raise ValidationFailed(f"{name}: must be true, false or empty.", field=name)
            cleaned[name] = value
        elif name in NUMBER_FIELDS:
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 0 <= value <= NUMBER_FIELDS[name]
            ):
                raise ValidationFailed(
                    f"{name}: must be a whole number from 0 to {NUMBER_FIELDS[name]}.",
                    field=name,
                )
            cleaned[name] = value
        elif name == "status":
            cleaned[name] = _choice(value, ServiceStatus, name)
        elif name == "gender_eligibility":
            cleaned[name] = _choice(value, GenderEligibility, name)
        elif name == "capacity_unit":
            cleaned[name] = _choice(value, CapacityUnit, name)
        elif name == "service_types":
            cleaned[name] = _service_types(value)
        elif name == "languages":
            cleaned[name] = _languages(value)
        elif name == "organization_id":
            cleaned[name] = get_organization_or_invalid(value).pk if value else None
    return cleaned


def _choice(value: Any, choices: Any, name: str) -> str:
    if value not in choices.values:
        raise ValidationFailed(f"{name}: {str(value)[:40]!r} is not allowed.", field=name)
    return str(value)


def _service_types(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed("service_types: must be a list of codes.", field="service_types")
    unknown = sorted(set(value) - SERVICE_TYPE_CODES)
    if unknown:
        raise ValidationFailed(
            f"service_types: unknown code {unknown[0][:40]!r}.", field="service_types"
        )
    return sorted(set(value))


def _languages(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed("languages: must be a list of codes.", field="languages")
    codes = sorted({code.strip().lower() for code in value if code.strip()})
    for code in codes:
        if not code.replace("-", "").isalpha() or len(code) > 16:
            raise ValidationFailed(
                f"languages: {code[:20]!r} is not a language code.", field="languages"
            )
    return codes


def get_organization_or_invalid(value: Any) -> Organization:
    try:
        return get_organization(value)
    except NotFound:
        raise ValidationFailed(
            "organization_id: no such organisation in the directory.", field="organization_id"
        ) from None


def _apply(service: Service, cleaned: dict[str, Any]) -> list[str]:
    """Set the changed values; returns the names of the fields that changed."""
    changed: list[str] = []
    for name, value in cleaned.items():
        if name == "service_types":
            if value != service_type_codes(service):
                ServiceType.objects.filter(service=service).delete()
                ServiceType.objects.bulk_create(
                    ServiceType(service=service, code=code) for code in value
                )
                changed.append(name)
        elif name == "languages":
            if value != language_codes(service):
                ServiceLanguage.objects.filter(service=service).delete()
                ServiceLanguage.objects.bulk_create(
                    ServiceLanguage(service=service, code=code) for code in value
                )
                changed.append(name)
        elif getattr(service, name) != value:
            setattr(service, name, value)
            changed.append(name)
    low, high = service.minimum_age, service.maximum_age
    if low is not None and high is not None and low > high:
        raise ValidationFailed("minimum_age: is above the maximum age.", field="minimum_age")
    return changed


def create_service(*, by: Any, values: dict[str, Any]) -> Service:
    """Add a service to the directory (directory editors). Audited as directory.service.create.

    Raises Forbidden for others, ValidationFailed naming the field for bad input.
    """
    require_directory_editor(by)
    cleaned = _clean_changes(values)
    if not cleaned.get("name"):
        raise ValidationFailed("name: is required.", field="name")
    with transaction.atomic():
        service = Service(name=cleaned["name"])
        service.save()
        changed = _apply(service, cleaned)
        service.save()
        refresh_search_document(service)
        refresh_match_rows([service.pk])
        audit.record("directory.service.create", actor=by, target=service, fields=sorted(changed))
    return get_service(service.pk)


def update_service(service: Service, *, by: Any, changes: dict[str, Any]) -> Service:
    """Change a service's fields (directory editors). Audited with the changed field names.

    Raises Forbidden for others, ValidationFailed naming the field (nothing is saved).
    """
    require_directory_editor(by, target=service)
    cleaned = _clean_changes(changes)
    with transaction.atomic():
        locked = Service.objects.select_for_update().get(pk=service.pk)
        service = get_service(locked.pk)
        changed = _apply(service, cleaned)
        if changed:
            service.save()
            refresh_search_document(service)
            refresh_match_rows([service.pk])
            audit.record(
                "directory.service.update", actor=by, target=service, fields=sorted(changed)
            )
    return get_service(service.pk)


def delete_service(service: Service, *, by: Any) -> None:
    """Remove a service from the directory (directory editors). Audited."""
    require_directory_editor(by, target=service)
    with transaction.atomic():
        audit.record("directory.service.delete", actor=by, target=service)
        remove_match_rows([service.pk])
        service.delete()


def update_capacity(
    service: Service,
    *,
    by: Any,
    available: int | None,
    unit: str | None = None,
    at: datetime.datetime | None = None,
) -> Service:
    """Report open beds or places now (the provider's staff or directory editors).

    `available=None` clears the figure (not reported). Audited as directory.capacity.update;
    the timestamp is kept so searches can say how fresh the figure is.
    """
    if not may_update_capacity(by, service):
        raise Forbidden(denied=access.denial(by, perm.DIRECTORY_CAPACITY, service))
    if available is not None and (
        isinstance(available, bool) or not isinstance(available, int) or available < 0
    ):
        raise ValidationFailed("available: must be a whole number, 0 or more.", field="available")
    if available is not None and available > 100_000:
        raise ValidationFailed("available: is implausibly large.", field="available")
    fields = ["capacity_available", "capacity_updated_at"]
    with transaction.atomic():
        locked = Service.objects.select_for_update().get(pk=service.pk)
        locked.capacity_available = available
        locked.capacity_updated_at = at or timezone.now()
        if unit is not None:
            locked.capacity_unit = _choice(unit, CapacityUnit, "unit")
            fields.append("capacity_unit")
        locked.save(update_fields=[*fields, "updated_at"])
        refresh_match_rows([locked.pk])
        audit.record(
            "directory.capacity.update",
            actor=by,
            target=locked,
            organisation_id=locked.organization.platform_organisation_id
            if locked.organization
            else None,
            fields=fields,
        )
    return get_service(service.pk)


def link_platform_organisation(
    organization: Organization, *, by: Any, platform_organisation: Organisation | None
) -> Organization:
    """Say which Reclaim organisation receives this provider's referrals (directory editors)."""
    require_directory_editor(by, target=organization)
    with transaction.atomic():
        organization.platform_organisation = platform_organisation
        organization.save(update_fields=["platform_organisation", "updated_at"])
        audit.record(
            "directory.organization.update",
            actor=by,
            target=organization,
            fields=["platform_organisation"],
        )
    return organization


def list_organizations() -> QuerySet[Organization]:
    return Organization.objects.select_related("platform_organisation").order_by("name", "id")


def list_locations() -> QuerySet[Location]:
    return Location.objects.order_by("name", "id")
