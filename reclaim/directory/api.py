"""The service directory at /api/v1/directory: search, match, service CRUD, capacity, import.

Any staff member may search and match; directory editors (org admins) create, change, delete,
link and import; a provider's own staff may report capacity. Matching is a POST so that a
survivor's age and gender never travel in a URL (so read-only tokens cannot match).
The public HSDS read API for other directories is at /hsds/ (see views.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from ninja import File, P, Query, QueryEx, Router, Schema, Status, UploadedFile
from pydantic import Field

from reclaim.core.errors import ValidationFailed
from reclaim.core.models import Organisation
from reclaim.core.schemas import AuthedRequest, DoneOut, error_responses
from reclaim.survivors import services as survivor_services

from . import services
from .matching import ExcludedService, Preferences, RankedService
from .schemas import (
    CapacityIn,
    ImportSummaryOut,
    MatchIn,
    MatchOut,
    OrganizationLinkIn,
    OrganizationOut,
    ServiceIn,
    ServiceOut,
    ServicePageOut,
    ServiceTypeOut,
)
from .services import entries, hsds_io, search, service_matching
from .taxonomy import SERVICE_TYPES

router = Router(tags=["directory"])

MAX_PAGE = 100


class SearchQuery(Schema):
    q: str = Field("", max_length=200, description="Words to find (prefixes, any accents).")
    service_type: list[str] = Field(default_factory=list, description="Service-type codes.")
    language: str = Field("", max_length=16, description="ISO 639-1 code, e.g. es.")
    latitude: float | None = None
    longitude: float | None = None
    max_distance_km: float | None = None
    open_capacity: bool = False
    include_closed: bool = False


@router.get(
    "/services",
    response={200: ServicePageOut, **error_responses(403)},
    operation_id="search_directory",
    summary="Search services: words, type, language, distance, open capacity",
    description=(
        "With words: services whose name holds every word first, then the others, each by "
        "name; a word search counts up to 1,000 (`more`: there are more). Else by distance "
        "from a point, else by name."
    ),
)
def search_directory(
    request: AuthedRequest,
    filters: Query[SearchQuery],
    limit: QueryEx[int, P(ge=1, le=MAX_PAGE)] = 25,
    offset: QueryEx[int, P(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    page = search.search_services(
        search.SearchFilters(
            query=filters.q,
            service_types=tuple(filters.service_type),
            language=filters.language,
            near=search.Point.parse(filters.latitude, filters.longitude),
            max_distance_km=filters.max_distance_km,
            open_capacity=filters.open_capacity,
            include_closed=filters.include_closed,
        ),
        by=request.auth,
        limit=limit,
        offset=offset,
    )
    return {
        "items": [
            entries.service_view(hit.service, distance_km=hit.distance_km) for hit in page.hits
        ],
        "total": page.total,
        "more": page.more,
        "limit": limit,
        "offset": offset,
    }


@router.get(
    "/service-types",
    response={200: list[ServiceTypeOut], **error_responses()},
    operation_id="list_service_types",
    summary="The taxonomy of service types and the needs each meets",
)
def list_service_types(request: AuthedRequest) -> list[dict[str, Any]]:
    return [
        {"code": term.code, "label": str(term.label), "needs": list(term.needs)}
        for term in SERVICE_TYPES
    ]


@router.post(
    "/services",
    response={201: ServiceOut, **error_responses(403)},
    operation_id="create_directory_service",
    summary="Add a service (directory editors)",
)
def create_service(request: AuthedRequest, payload: ServiceIn) -> Status[dict[str, Any]]:
    service = services.create_service(
        by=request.auth, values=payload.model_dump(exclude_unset=True)
    )
    return Status(201, entries.service_view(service))


SERVICE = "/services/{uuid:service_id}"


@router.get(
    SERVICE,
    response={200: ServiceOut, **error_responses(404)},
    operation_id="get_directory_service",
    summary="One service",
)
def get_service(request: AuthedRequest, service_id: uuid.UUID) -> dict[str, Any]:
    entries.require_staff(request.auth)
    return entries.service_view(services.get_service(service_id))


@router.patch(
    SERVICE,
    response={200: ServiceOut, **error_responses(403, 404)},
    operation_id="update_directory_service",
    summary="Change a service (directory editors); leave a field out to keep it",
)
def update_service(
    request: AuthedRequest, service_id: uuid.UUID, payload: ServiceIn
) -> dict[str, Any]:
    service = services.get_service(service_id)
    changed = services.update_service(
        service, by=request.auth, changes=payload.model_dump(exclude_unset=True)
    )
    return entries.service_view(changed)


@router.delete(
    SERVICE,
    response={200: DoneOut, **error_responses(403, 404)},
    operation_id="delete_directory_service",
    summary="Remove a service (directory editors)",
)
def delete_service(request: AuthedRequest, service_id: uuid.UUID) -> dict[str, bool]:
    services.delete_service(services.get_service(service_id), by=request.auth)
    return {"ok": True}


@router.put(
    SERVICE + "/capacity",
    response={200: ServiceOut, **error_responses(403, 404)},
    operation_id="update_directory_capacity",
    summary="Report open beds or places now (the provider's staff, directory editors)",
)
def update_capacity(
    request: AuthedRequest, service_id: uuid.UUID, payload: CapacityIn
) -> dict[str, Any]:
    service = services.update_capacity(
        services.get_service(service_id),
        by=request.auth,
        available=payload.available,
        unit=payload.unit,
    )
    return entries.service_view(service)


@router.patch(
    "/organizations/{uuid:organization_id}",
    response={200: OrganizationOut, **error_responses(403, 404)},
    operation_id="link_directory_organization",
    summary="Say which Reclaim organisation receives a provider's referrals (editors)",
)
def link_organization(
    request: AuthedRequest, organization_id: uuid.UUID, payload: OrganizationLinkIn
) -> Any:
    organization = services.get_organization(organization_id)
    platform = None
    if payload.platform_organisation_id is not None:
        platform = Organisation.objects.filter(pk=payload.platform_organisation_id).first()
        if platform is None:
            raise ValidationFailed(
                "platform_organisation_id: no such organisation.",
                field="platform_organisation_id",
            )
    return services.link_platform_organisation(
        organization, by=request.auth, platform_organisation=platform
    )


# Optional at the edge so that a caller without the right hears 403, not "file missing".
IMPORT_FILE = File(None, description="HSDS JSON, or a .zip of a CSV datapackage.")


@router.post(
    "/import",
    response={200: ImportSummaryOut, **error_responses(403)},
    operation_id="import_hsds",
    summary="Import an HSDS 3.0 JSON file or a zipped CSV datapackage (directory editors)",
    description="Same ids update. Invalid records are rejected with a reason; the rest import.",
)
def import_directory(
    request: AuthedRequest, file: UploadedFile | None = IMPORT_FILE
) -> dict[str, Any]:
    summary = hsds_io.import_hsds_upload(file, by=request.auth)
    return {
        "created": dict(summary.created),
        "updated": dict(summary.updated),
        "rejected": [{"where": r.where, "reason": r.reason} for r in summary.rejected],
        "warnings": summary.warnings,
    }


def _reasons(item: RankedService | ExcludedService) -> list[dict[str, str]]:
    return [{"code": reason.code, "text": reason.text} for reason in item.reasons]


@router.post(
    "/match",
    response={200: MatchOut, **error_responses(403, 404, 410)},
    operation_id="match_services",
    summary="Rank services for needs and preferences, with reasons, and the left-out",
    description="With `survivor_id` the match is audited on that record and, without "
    "`needs`, uses its latest needs assessment. Reasons come as codes and plain text.",
)
def match(request: AuthedRequest, payload: MatchIn) -> dict[str, Any]:
    survivor = None
    needs = payload.needs
    if payload.survivor_id is not None:
        survivor = survivor_services.get_survivor(payload.survivor_id, by=request.auth)
        if needs is None:
            needs = service_matching.needs_from_care(survivor, by=request.auth) or []
    preferences = Preferences(
        languages=tuple(code.lower() for code in payload.languages),
        gender=payload.gender,
        age=payload.age,
        women_only=payload.women_only,
        female_staff=payload.female_staff,
        survivor_led=payload.survivor_led,
        lgbtq_affirming=payload.lgbtq_affirming,
        max_distance_km=payload.max_distance_km,
        needs_open_capacity=payload.needs_open_capacity,
        free_only=payload.free_only,
        has_immigration_status=payload.has_immigration_status,
    )
    near = search.Point.parse(payload.latitude, payload.longitude)
    if payload.max_distance_km is not None and near is None:
        raise ValidationFailed(
            "max_distance_km: give a starting point (latitude and longitude) too.",
            field="max_distance_km",
        )
    found = service_matching.match_services(
        needs or [], preferences, by=request.auth, near=near, survivor=survivor
    )

    def view(item: RankedService | ExcludedService) -> dict[str, Any]:
        return entries.service_view(
            found.services[item.candidate.id], distance_km=item.candidate.distance_km
        )

    return {
        "needs": list(found.result.needs),
        "ranked": [
            {
                "service": view(item),
                "score": item.score,
                "needs_met": list(item.needs_met),
                "reasons": _reasons(item),
            }
            for item in found.result.ranked
        ],
        "excluded": [
            {"service": view(item), "reasons": _reasons(item)} for item in found.result.excluded
        ],
        "ranked_total": found.ranked_total,
        "excluded_total": found.excluded_total,
    }
