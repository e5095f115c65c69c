"""Directory pages for staff, and the public HSDS read API at /hsds/.

Staff pages: search, service detail (with capacity reporting), edit and new (directory
editors), import (directory editors), and "Find services" for a survivor: needs from the
latest assessment, preferences from the profile, both editable; a POST form, so age and
gender never go into a URL. Each view parses input, calls one service, renders.

/hsds/ serves the directory as the HSDS 3.0 API does (read-only, no login): directory data is
public by nature, except where safe housing is: those locations are never published there.
"""

from __future__ import annotations

import datetime
import math
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from reclaim.core.errors import NotFound, ValidationFailed
from reclaim.core.views import shows_domain_errors
from reclaim.survivors import services as survivor_services

from . import hsds, services
from .forms import CapacityForm, DirectorySearchForm, FindServicesForm, ImportForm, ServiceForm
from .services import entries, hsds_io, search, service_matching
from .taxonomy import service_type_label

PAGE_SIZE = 25


def _labels(view: dict[str, Any]) -> dict[str, Any]:
    view["type_labels"] = [service_type_label(code) for code in view["service_types"]]
    return view


# --- search and detail ----------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers("HX-Request")
@shows_domain_errors
def directory(request: HttpRequest) -> HttpResponse:
    """Search the directory. Search words are about services, never people, so GET is fine."""
    form = DirectorySearchForm(request.GET or None)
    entries.require_staff(request.user)
    page = None
    more = False
    hits: list[dict[str, Any]] = []
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        filters = search.SearchFilters(
            query=data.get("q", ""),
            service_types=(data["service_type"],) if data.get("service_type") else (),
            language=data.get("language", ""),
            near=search.Point.parse(data.get("latitude"), data.get("longitude")),
            max_distance_km=data.get("max_distance_km"),
            open_capacity=bool(data.get("open_capacity")),
        )
        try:
            number = max(1, int(request.GET.get("page", 1)))
        except ValueError:
            number = 1
        result = search.search_services(
            filters, by=request.user, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
        )
        page = Paginator(range(result.total), PAGE_SIZE).get_page(number)
        if page.number != number:  # past the last page: show the last one
            result = search.search_services(
                filters, by=request.user, limit=PAGE_SIZE, offset=(page.number - 1) * PAGE_SIZE
            )
        hits = [
            _labels(entries.service_view(hit.service, distance_km=hit.distance_km))
            for hit in result.hits
        ]
        more = result.more  # a word search counts up to search.COUNT_LIMIT
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "hits": hits,
        "page": page,
        "more": more,
        "query": query.urlencode(),
        "may_edit": entries.may_edit_directory(request.user),
    }
    template = "directory/search.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        # The form and the results, swapped in place (errors shown next to their field).
        return render(request, template + "#results", context)
    return render(request, template, context, status=422 if form.errors else 200)


@login_required
@require_GET
@shows_domain_errors
def service_detail(request: HttpRequest, service_id: Any) -> HttpResponse:
    entries.require_staff(request.user)
    service = services.get_service(service_id)
    return render(request, "directory/detail.html", _detail_context(request, service))


def _detail_context(request: HttpRequest, service: Any, **forms: Any) -> dict[str, Any]:
    view = _labels(entries.service_view(service))
    return {
        "service": service,
        "view": view,
        "locations": [link.location for link in service.service_at_locations.all()],
        "phones": service.hsds_extra.get("phones") or [],
        "required_documents": service.hsds_extra.get("required_documents") or [],
        "may_edit": entries.may_edit_directory(request.user),
        "may_update_capacity": entries.may_update_capacity(request.user, service),
        "capacity_form": forms.get("capacity_form")
        or CapacityForm(initial={"available": service.capacity_available}),
    }


@never_cache
@login_required
@require_POST
@shows_domain_errors
def update_capacity(request: HttpRequest, service_id: Any) -> HttpResponse:
    service = services.get_service(service_id)
    form = CapacityForm(request.POST)
    if form.is_valid():
        try:
            services.update_capacity(
                service, by=request.user, available=form.cleaned_data["available"]
            )
        except ValidationFailed as exc:
            form.add_error("available", exc.detail)
        else:
            messages.success(request, _("Capacity updated."))
            return redirect("directory_service", service_id=service.pk)
    context = _detail_context(request, service, capacity_form=form)
    return render(request, "directory/detail.html", context, status=422)


# --- editing (directory editors) ------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def edit_service(request: HttpRequest, service_id: Any = None) -> HttpResponse:
    """Edit a service, or add one (no id). Directory editors only (others: 403)."""
    entries.require_directory_editor(request.user)
    service = services.get_service(service_id) if service_id else None
    initial = ServiceForm.initial_from(entries.service_view(service), service) if service else {}
    form = ServiceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if service is None:
                service = services.create_service(by=request.user, values=form.changes())
            else:
                service = services.update_service(service, by=request.user, changes=form.changes())
            platform = form.cleaned_data.get("platform_organisation")
            organization = service.organization
            if organization is not None and organization.platform_organisation != platform:
                services.link_platform_organisation(
                    organization, by=request.user, platform_organisation=platform
                )
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The service was saved."))
            return redirect("directory_service", service_id=service.pk)
    status = 422 if form.errors else 200
    return render(request, "directory/edit.html", {"form": form, "service": service}, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def import_directory(request: HttpRequest) -> HttpResponse:
    """Upload an HSDS file (directory editors); shows what was created, updated, rejected."""
    entries.require_directory_editor(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    summary = None
    if request.method == "POST" and form.is_valid():
        try:
            summary = hsds_io.import_hsds_upload(form.cleaned_data["file"], by=request.user)
        except ValidationFailed as exc:
            form.add_error("file", exc.detail.removeprefix("file: "))
    status = 422 if form.errors else 200
    return render(
        request, "directory/import.html", {"form": form, "summary": summary}, status=status
    )


# --- find services for a survivor -----------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@shows_domain_errors
def find_services(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    """Ranked services for a survivor's needs, with reasons, and the services left out."""
    survivor = survivor_services.get_survivor(survivor_id, by=request.user)
    match = None
    if request.method == "POST":
        form = FindServicesForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            match = service_matching.match_services(
                data["needs"],
                form.preferences(),
                by=request.user,
                near=search.Point.parse(data.get("latitude"), data.get("longitude")),
                survivor=survivor,
            )
    else:
        needs = service_matching.needs_from_care(survivor, by=request.user) or []
        preferences = service_matching.suggested_preferences(survivor, by=request.user)
        form = FindServicesForm(initial=FindServicesForm.initial_from(preferences, needs))
    context: dict[str, Any] = {
        "survivor": survivor,
        "form": form,
        "match": match,
        "ranked": [],
        "excluded": [],
    }
    if match is not None:
        context["ranked"] = [
            (item, _labels(entries.service_view(match.services[item.candidate.id])))
            for item in match.result.ranked
        ]
        context["excluded"] = [
            (item, entries.service_view(match.services[item.candidate.id]))
            for item in match.result.excluded
        ]
    template = "directory/find.html"
    htmx = getattr(request, "htmx", None)
    if htmx and request.method == "POST":
        # The form and the results, swapped in place (errors shown next to their field).
        return render(request, template + "#results", context)
    return render(request, template, context, status=422 if form.errors else 200)


# --- the public HSDS API --------------------------------------------------------------------

HSDS_MAX_PER_PAGE = 100
# Where survivors sleep is never published, whatever the provider's data says.
UNPUBLISHED_LOCATION_TYPES = frozenset({"safe_housing"})
_LOCATION_PRIVATE_KEYS = ("latitude", "longitude", "addresses", "transportation")


def _hsds_error(status: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def _page_numbers(request: HttpRequest) -> tuple[int, int]:
    try:
        page = int(request.GET.get("page", 1))
        per_page = int(request.GET.get("per_page", 50))
    except ValueError:
        raise ValidationFailed("page and per_page must be whole numbers.") from None
    if page < 1 or not 1 <= per_page <= HSDS_MAX_PER_PAGE:
        raise ValidationFailed(f"page must be 1 or more, per_page 1 to {HSDS_MAX_PER_PAGE}.")
    return page, per_page


def _hsds_page(request: HttpRequest, queryset: Any, to_document: Any) -> JsonResponse:
    try:
        page, per_page = _page_numbers(request)
    except ValidationFailed as exc:
        return _hsds_error(400, exc.detail, "invalid")
    total = queryset.count()
    rows = list(queryset[(page - 1) * per_page : page * per_page])
    return _hsds_envelope(page, per_page, total, rows, to_document)


def _hsds_envelope(
    page: int, per_page: int, total: int, rows: list[Any], to_document: Any
) -> JsonResponse:
    total_pages = max(1, math.ceil(total / per_page))
    return JsonResponse(
        {
            "total_items": total,
            "total_pages": total_pages,
            "page_number": page,
            "size": len(rows),
            "first_page": page == 1,
            "last_page": page >= total_pages,
            "empty": not rows,
            "contents": [to_document(row) for row in rows],
        }
    )


def public_service_document(service: Any) -> dict[str, Any]:
    """The HSDS service as published: safe-housing locations without where they are."""
    document = hsds.service_document(service)
    if UNPUBLISHED_LOCATION_TYPES & set(entries.service_type_codes(service)):
        for link in document.get("service_at_locations", []):
            for key in _LOCATION_PRIVATE_KEYS:
                link["location"].pop(key, None)
    return document


@require_GET
def hsds_root(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "version": "3.0",
            "profile": "https://openreferral.org/",
            "openapi_url": "https://raw.githubusercontent.com/openreferral/specification/3.0/"
            "schema/openapi.json",
        }
    )


HSDS_SERVICE_FILTERS = ("search", "organization_id", "modified_after")


def _hsds_service_filters(request: HttpRequest) -> search.SearchFilters:
    """The HSDS API's `search`, `organization_id` and `modified_after`; ValidationFailed."""
    query = request.GET.get("search", "")
    if len(query) > 200:
        raise ValidationFailed("search: is longer than 200 characters.", field="search")
    organization_id = None
    if request.GET.get("organization_id"):
        try:
            organization_id = uuid.UUID(request.GET["organization_id"])
        except ValueError:
            raise ValidationFailed(
                "organization_id: is not an id.", field="organization_id"
            ) from None
    modified_after = None
    if request.GET.get("modified_after"):
        modified_after = parse_datetime(request.GET["modified_after"].replace("Z", "+00:00"))
        if modified_after is None:
            raise ValidationFailed(
                "modified_after: is not an ISO 8601 date-time (2026-11-27T09:00:00Z).",
                field="modified_after",
            )
        if timezone.is_naive(modified_after):
            modified_after = timezone.make_aware(modified_after, datetime.UTC)
    return search.SearchFilters(
        query=query,
        include_closed=True,
        organization_id=organization_id,
        modified_after=modified_after,
    )


@require_GET
def hsds_services(request: HttpRequest) -> JsonResponse:
    """Every service, or with `search` (the directory's full-text search and its order),
    `organization_id` and `modified_after`, those that match. A word search counts up to
    1,000 (`total_items`), as the directory's own search does."""
    if not any(request.GET.get(name) for name in HSDS_SERVICE_FILTERS):
        queryset = entries.services_queryset().order_by("name", "id")
        return _hsds_page(request, queryset, public_service_document)
    try:
        page, per_page = _page_numbers(request)
        filters = _hsds_service_filters(request)
    except ValidationFailed as exc:
        return _hsds_error(400, exc.detail, "invalid")
    rows, total, _more = search.hsds_search_page(
        filters, limit=per_page, offset=(page - 1) * per_page
    )
    return _hsds_envelope(page, per_page, total, rows, public_service_document)


@require_GET
def hsds_service(request: HttpRequest, service_id: Any) -> JsonResponse:
    try:
        service = services.get_service(service_id)
    except NotFound:
        return _hsds_error(404, "Not found.", "not_found")
    return JsonResponse(public_service_document(service))


@require_GET
def hsds_organizations(request: HttpRequest) -> JsonResponse:
    return _hsds_page(request, services.list_organizations(), hsds.organization_document)


@require_GET
def hsds_organization(request: HttpRequest, organization_id: Any) -> JsonResponse:
    try:
        organization = services.get_organization(organization_id)
    except NotFound:
        return _hsds_error(404, "Not found.", "not_found")
    return JsonResponse(hsds.organization_document(organization))
