"""Searching the directory and matching a survivor's needs to services.

Full-text search runs on SQLite FTS5 or PostgreSQL full-text (see the 0001 migration), over a
folded (lower-case, accent-free) document, with prefix matching on every word, so both
databases answer the same. Distance is haversine from a point; coordinates come from the
directory (no geocoder). Any staff member may search; matching for a survivor reads the
survivor's needs through care (audited there) and audits the match itself.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
)

from reclaim.core.errors import ValidationFailed

from ..matching import (
    haversine_km,
)
from ..models import Service, ServiceAtLocation, ServiceLanguage, ServiceStatus, ServiceType
from ..taxonomy import SERVICE_TYPE_CODES
from .entries import (
    fold,
    require_staff,
    services_queryset,
)

MAX_QUERY_WORDS = 12
MAX_DISTANCE_KM = 20_000.0


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float

    @classmethod
    def parse(cls, latitude: Any, longitude: Any) -> Point | None:
        """A point from two optional numbers; ValidationFailed naming the bad one."""
        if latitude in (None, "") and longitude in (None, ""):
            return None
        values = []
        for name, value, limit in (("latitude", latitude, 90), ("longitude", longitude, 180)):
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValidationFailed(f"{name}: must be a number.", field=name) from None
            if not math.isfinite(number) or not -limit <= number <= limit:
                raise ValidationFailed(f"{name}: must be between -{limit} and {limit}.", field=name)
            values.append(number)
        return cls(values[0], values[1])


@dataclass(frozen=True)
class SearchFilters:
    query: str = ""
    service_types: tuple[str, ...] = ()
    language: str = ""
    near: Point | None = None
    max_distance_km: float | None = None
    open_capacity: bool = False
    include_closed: bool = False


@dataclass(frozen=True)
class SearchHit:
    service: Service
    distance_km: float | None


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    total: int


def query_words(text: str) -> list[str]:
    """The words of a search, folded; punctuation and operators are dropped (never SQL)."""
    return re.findall(r"\w+", fold(text))[:MAX_QUERY_WORDS]


def _full_text(queryset: QuerySet[Service], words: list[str]) -> QuerySet[Service]:
    """Only services whose document has every word (as a prefix), best match first.

    The database ranks and orders, so a page costs one ranked scan of the matches, not a
    round trip per match: PostgreSQL from the stored `search_vector` (0003 migration),
    SQLite joined to its FTS5 table, whose `rank` is bm25 (lower is better).
    """
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{word}:*" for word in words)
        return queryset.extra(  # fixed SQL; the words are a parameter
            where=["directory_service.search_vector @@ to_tsquery('simple', %s)"],
            params=[tsquery],
            select={
                "relevance": "ts_rank(directory_service.search_vector, to_tsquery('simple', %s))"
            },
            select_params=[tsquery],
            order_by=["-relevance", "name", "id"],
        )
    # SQLite FTS5: each word quoted (no operators reach MATCH), with a prefix star.
    match = " ".join(f'"{word}"*' for word in words)
    return queryset.extra(  # fixed SQL; the words are a parameter
        tables=["directory_service_fts"],
        where=[
            "directory_service_fts.service_id = directory_service.id",
            "directory_service_fts MATCH %s",
        ],
        params=[match],
        select={"relevance": "directory_service_fts.rank"},
        order_by=["relevance", "name", "id"],
    )


def _check_filters(filters: SearchFilters) -> None:
    unknown = sorted(set(filters.service_types) - SERVICE_TYPE_CODES)
    if unknown:
        raise ValidationFailed(
            f"service_type: unknown code {unknown[0][:40]!r}.", field="service_type"
        )
    if filters.max_distance_km is not None:
        if filters.near is None:
            raise ValidationFailed(
                "max_distance_km: give a starting point (latitude and longitude) too.",
                field="max_distance_km",
            )
        if not 0 < filters.max_distance_km <= MAX_DISTANCE_KM:
            raise ValidationFailed(
                f"max_distance_km: must be more than 0 and at most {MAX_DISTANCE_KM:.0f}.",
                field="max_distance_km",
            )
    if len(filters.language) > 16 or not re.fullmatch(r"[a-z-]*", filters.language.lower()):
        raise ValidationFailed("language: is not a language code.", field="language")


def _filtered(filters: SearchFilters) -> QuerySet[Service]:
    queryset = Service.objects.all()
    if not filters.include_closed:
        queryset = queryset.filter(status=ServiceStatus.ACTIVE)
    if filters.service_types:
        queryset = queryset.filter(
            Exists(
                ServiceType.objects.filter(
                    service=OuterRef("pk"), code__in=list(filters.service_types)
                )
            )
        )
    if filters.language:
        queryset = queryset.filter(
            Exists(
                ServiceLanguage.objects.filter(
                    service=OuterRef("pk"), code=filters.language.lower()
                )
            )
        )
    if filters.open_capacity:
        queryset = queryset.filter(capacity_available__gt=0)
    return queryset


def distances_km(service_ids: Iterable[Any], near: Point | None) -> dict[Any, float]:
    """The distance from `near` to each service's closest located site (unlocated: absent)."""
    if near is None:
        return {}
    closest: dict[Any, float] = {}
    rows = ServiceAtLocation.objects.filter(
        service_id__in=list(service_ids),
        location__latitude__isnull=False,
        location__longitude__isnull=False,
    ).values_list("service_id", "location__latitude", "location__longitude")
    for service_id, latitude, longitude in rows:
        if latitude is None or longitude is None:
            continue
        distance = haversine_km(near.latitude, near.longitude, latitude, longitude)
        if service_id not in closest or distance < closest[service_id]:
            closest[service_id] = distance
    return closest


KM_PER_DEGREE = 111.0


def _within_box(near: Point, km: float) -> Q:
    """Services with a site inside the square around `near` that holds the circle of `km`, or
    with no located site at all. Only these are ranked: at network scale, loading every
    service of a type to then leave most out as too far costs seconds (docs/performance.md).
    The exact distance is still measured and explained for the services loaded."""
    lat_span = km / KM_PER_DEGREE
    lon_span = min(180.0, km / (KM_PER_DEGREE * max(math.cos(math.radians(near.latitude)), 0.01)))
    located = ServiceAtLocation.objects.filter(
        service=OuterRef("pk"),
        location__latitude__isnull=False,
        location__longitude__isnull=False,
    )
    nearby = located.filter(
        location__latitude__range=(near.latitude - lat_span, near.latitude + lat_span),
        location__longitude__range=(near.longitude - lon_span, near.longitude + lon_span),
    )
    return Q(Exists(nearby)) | ~Q(Exists(located))


@contextlib.contextmanager
def _index_scans_only(full_text: bool) -> Iterator[None]:
    """On PostgreSQL, keep a full-text query on its GIN index (inside a transaction).

    When a common word matches a tenth of the directory, the planner prefers reading the
    whole table and testing every stored vector: 170 ms at 100,000 services, against 25 ms
    through the index (docs/performance.md). SET LOCAL ends with the transaction.
    """
    if full_text and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    yield


def search_services(
    filters: SearchFilters, *, by: Any, limit: int = 25, offset: int = 0
) -> SearchPage:
    """One page of services matching the text and filters (any staff member).

    Ordered by relevance when there is text, else by distance when there is a starting
    point, else by name. Raises Forbidden for non-staff, ValidationFailed for bad filters.
    Without a starting point the database orders, counts and cuts the page; with one, the
    services in reach (the box around a distance limit, when there is one) are measured.
    """
    require_staff(by)
    _check_filters(filters)
    queryset = _filtered(filters)
    words = query_words(filters.query)
    if filters.near is not None and filters.max_distance_km is not None:
        queryset = queryset.filter(_within_box(filters.near, filters.max_distance_km))
    queryset = _full_text(queryset, words) if words else queryset.order_by("name", "id")
    if filters.near is None:
        with transaction.atomic(), _index_scans_only(bool(words)):
            total = queryset.count()
            page_ids = list(queryset.values_list("pk", flat=True)[offset : offset + limit])
        distances: dict[Any, float] = {}
    else:
        ordered_ids = list(queryset.values_list("pk", flat=True))
        distances = distances_km(ordered_ids, filters.near)
        if filters.max_distance_km is not None:
            ordered_ids = [
                pk for pk in ordered_ids if distances.get(pk, math.inf) <= filters.max_distance_km
            ]
        if not words:
            ordered_ids.sort(key=lambda pk: distances.get(pk, math.inf))
        total = len(ordered_ids)
        page_ids = ordered_ids[offset : offset + limit]
    rows = services_queryset().in_bulk(page_ids)
    hits = [SearchHit(rows[pk], distances.get(pk)) for pk in page_ids if pk in rows]
    return SearchPage(hits, total)
