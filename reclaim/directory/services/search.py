"""Searching the directory by words, filters and distance.

Full-text search runs on SQLite FTS5 or PostgreSQL full-text (migrations 0001, 0005), over a
folded (lower-case, accent-free) document, with prefix matching on every word, so both
databases answer the same, in the same order: services whose name holds every word first,
then the others, each alphabetically by folded name. That order is read from narrow index
rows, so a common word costs a pass over small rows, not a ranking of every match (bm25,
ts_rank) on the service table. Distance is haversine from a point; coordinates come from
the directory (no geocoder). Any staff member may search.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import re
import uuid
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
from django.db.models.expressions import RawSQL

from reclaim.core.errors import ValidationFailed

from ..matching import (
    haversine_km,
)
from ..models import Service, ServiceAtLocation, ServiceLanguage, ServiceStatus, ServiceType
from ..taxonomy import SERVICE_TYPE_CODES
from .entries import (
    fold,
    require_staff,
    service_views_queryset,
    services_queryset,
)

MAX_QUERY_WORDS = 12
MAX_DISTANCE_KM = 20_000.0
# A word search counts its matches up to this many ("more than 1,000"): counting a common
# word exactly would visit every match, which is what made search slow at scale.
COUNT_LIMIT = 1_000


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
    # The HSDS API's filters (/hsds/services): one provider, and changes since a moment.
    organization_id: uuid.UUID | None = None
    modified_after: datetime.datetime | None = None


@dataclass(frozen=True)
class SearchHit:
    service: Service  # loaded with what `entries.service_view` reads, nothing more
    distance_km: float | None


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    total: int
    # True when a word search matches more than `total` (= COUNT_LIMIT) services.
    more: bool = False


def query_words(text: str) -> list[str]:
    """The words of a search, folded; punctuation and operators are dropped (never SQL)."""
    return re.findall(r"\w+", fold(text))[:MAX_QUERY_WORDS]


def _fts5_words(words: list[str]) -> str:
    # Each word quoted (no operator reaches MATCH), with a prefix star.
    return " ".join(f'"{word}"*' for word in words)


def _narrowing(filters: SearchFilters) -> tuple[str, list[Any]]:
    """An SQL condition on `found.service_id` for the filters beyond the words and the
    status (types, language, open places, the box around a distance limit), or ("", [])
    when there are none: the common search never reads the service table."""
    queryset = _filtered(filters)
    if filters.near is not None and filters.max_distance_km is not None:
        queryset = queryset.filter(_within_box(filters.near, filters.max_distance_km))
    elif not (
        filters.service_types
        or filters.language
        or filters.open_capacity
        or filters.organization_id
        or filters.modified_after
    ):
        return "", []
    correlated = queryset.filter(pk=RawSQL("found.service_id", ())).values("pk")
    sql, params = correlated.query.sql_with_params()
    return f" AND EXISTS ({sql})", list(params)


def _text_page_sqlite(
    words: list[str], filters: SearchFilters, offset: int, limit: int | None
) -> tuple[list[Any], int]:
    """FTS5 answers "which services hold the words" and "which hold them in the name" from
    its index alone (the `hidden` column marks services that are not active); the page is
    then ordered by the narrow key rows of the tier it falls in, never by all matches."""
    words_in = _fts5_words(words)
    everywhere = f"body : ({words_in})"
    in_name = f"name : ({words_in})"
    elsewhere = f"{everywhere} NOT {in_name}"
    if not filters.include_closed:
        everywhere, in_name, elsewhere = (
            f"({expression}) NOT hidden : hidden" for expression in (everywhere, in_name, elsewhere)
        )
    narrowing, narrowing_params = _narrowing(filters)
    matches = (
        "FROM directory_service_fts JOIN directory_service_fts_key found "
        "ON found.id = directory_service_fts.rowid WHERE directory_service_fts MATCH %s"
    )
    if not narrowing:  # counted in the index alone
        matches_in_index = "FROM directory_service_fts WHERE directory_service_fts MATCH %s"
        total_sql, named_sql = f"SELECT 1 {matches_in_index}", f"SELECT 1 {matches_in_index}"
    else:
        total_sql = named_sql = f"SELECT 1 {matches}{narrowing}"
    page = (
        f"SELECT found.service_id {matches}{narrowing} "
        "ORDER BY found.search_name, found.service_id LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM ({total_sql} LIMIT {COUNT_LIMIT + 1})), "  # noqa: S608
            f"(SELECT count(*) FROM ({named_sql}))",  # fixed SQL; words and filters are parameters
            [everywhere, *narrowing_params, in_name, *narrowing_params],
        )
        total, named = cursor.fetchone()
        ids: list[Any] = []
        tiers = ((in_name, offset), (elsewhere, max(0, offset - named)))
        for expression, start in tiers if offset < named else tiers[1:]:
            wanted = -1 if limit is None else limit - len(ids)
            if wanted == 0:
                break
            cursor.execute(page, [expression, *narrowing_params, wanted, start])
            ids += [uuid.UUID(row[0]) for row in cursor.fetchall()]
    return ids, total


def _text_page_postgresql(
    words: list[str], filters: SearchFilters, offset: int, limit: int | None
) -> tuple[list[Any], int]:
    """The GIN indexes of `directory_service_search` find the services holding the words,
    and those holding them in the name; as on SQLite, the page is ordered from the group it
    falls in. The named services' page is read first, with the count of all matches (up to
    COUNT_LIMIT + 1): a page they fill needs nothing else, and a page they end on says how
    many they are, so they are counted only when the page starts past them."""
    query = " & ".join(f"{word}:*" for word in words)
    active = "" if filters.include_closed else " AND found.active"
    narrowing, narrowing_params = _narrowing(filters)

    def matches(vector: str, *, unnamed: bool = False) -> str:
        named_out = " AND NOT found.name_vector @@ to_tsquery('simple', %s)" if unnamed else ""
        return (
            "FROM directory_service_search found "
            f"WHERE found.{vector} @@ to_tsquery('simple', %s){named_out}{active}{narrowing}"
        )

    order = " ORDER BY found.search_name, found.service_id LIMIT %s OFFSET %s"
    with _index_scans_only(), connection.cursor() as cursor:
        # One statement, one row: all matches counted, and the named services' page.
        cursor.execute(
            f"SELECT (SELECT count(*) FROM (SELECT 1 {matches('search_vector')} "  # noqa: S608
            f"LIMIT {COUNT_LIMIT + 1}) everywhere), "
            f"ARRAY(SELECT found.service_id {matches('name_vector')}{order})",
            [query, *narrowing_params, query, *narrowing_params, limit, offset],
        )
        total, named_page = cursor.fetchone()
        ids: list[Any] = list(named_page)
        if limit is None or len(ids) < limit:
            if ids or not offset:
                named = offset + len(ids)
            else:  # the page starts past the named services: at most `offset` of them
                cursor.execute(
                    f"SELECT count(*) FROM (SELECT 1 {matches('name_vector')} "  # noqa: S608
                    f"LIMIT {offset}) named",
                    [query, *narrowing_params],
                )
                named = cursor.fetchone()[0]
            # The others: every match when none is named (no name test per row).
            rest = matches("search_vector", unnamed=named > 0)
            params = [query, query] if named > 0 else [query]
            cursor.execute(
                f"SELECT found.service_id {rest}{order}",
                [
                    *params,
                    *narrowing_params,
                    None if limit is None else limit - len(ids),
                    max(0, offset - named),
                ],
            )
            ids += [row[0] for row in cursor.fetchall()]
    return ids, total


@contextlib.contextmanager
def _index_scans_only() -> Iterator[None]:
    """On PostgreSQL, keep full-text queries on their GIN indexes (in a transaction).

    A count that stops early (LIMIT) tempts the planner into reading the table in order
    until enough rows pass: for a word no name holds, that is the whole table (100 ms at
    100,000 services) instead of an empty index lookup. SET LOCAL ends with the transaction.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        yield


def _text_page(
    words: list[str], filters: SearchFilters, offset: int, limit: int | None
) -> tuple[list[Any], int]:
    """The ids of one page of services holding every word (as a prefix), in search order,
    and how many there are in all; `limit` None: every match."""
    if connection.vendor == "postgresql":
        return _text_page_postgresql(words, filters, offset, limit)
    return _text_page_sqlite(words, filters, offset, limit)


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
    if filters.organization_id is not None:
        queryset = queryset.filter(organization_id=filters.organization_id)
    if filters.modified_after is not None:
        queryset = queryset.filter(updated_at__gte=filters.modified_after)
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


def search_services(
    filters: SearchFilters, *, by: Any, limit: int = 25, offset: int = 0
) -> SearchPage:
    """One page of services matching the text and filters (any staff member).

    With words: services whose name holds every word first, then the others, each in
    alphabetical order of the folded name, then by id (the same on both databases; see
    docs/directory.md). Without words: by distance when there is a starting point, else by
    name. A word search without a starting point counts up to COUNT_LIMIT (`more` says
    when there are more); every other total is exact. Raises Forbidden for non-staff,
    ValidationFailed for bad filters. With a starting point, the services in reach (the box
    around a distance limit, when there is one) are measured, and the limit applied to the
    exact distance.
    """
    require_staff(by)
    page_ids, total, more, distances = _page_ids(filters, limit=limit, offset=offset)
    # What a result shows (`entries.service_view`): no sites, no HSDS extras.
    rows = service_views_queryset().in_bulk(page_ids)
    hits = [SearchHit(rows[pk], distances.get(pk)) for pk in page_ids if pk in rows]
    return SearchPage(hits, total, more)


def _page_ids(
    filters: SearchFilters, *, limit: int, offset: int
) -> tuple[list[Any], int, bool, dict[Any, float]]:
    """The ids of one page in search order, the total, whether there are more than it
    says, and the distances from the starting point (see `search_services`)."""
    _check_filters(filters)
    words = query_words(filters.query)
    distances: dict[Any, float] = {}
    more = False
    if filters.near is None and words:
        page_ids, total = _text_page(words, filters, offset, limit)
        more, total = total > COUNT_LIMIT, min(total, COUNT_LIMIT)
    elif filters.near is None:
        queryset = _filtered(filters).order_by("name", "id")
        total = queryset.count()
        page_ids = list(queryset.values_list("pk", flat=True)[offset : offset + limit])
    else:
        if words:
            ordered_ids, _ = _text_page(words, filters, 0, None)
        else:
            queryset = _filtered(filters)
            if filters.max_distance_km is not None:
                queryset = queryset.filter(_within_box(filters.near, filters.max_distance_km))
            ordered_ids = list(queryset.order_by("name", "id").values_list("pk", flat=True))
        distances = distances_km(ordered_ids, filters.near)
        if filters.max_distance_km is not None:
            ordered_ids = [
                pk for pk in ordered_ids if distances.get(pk, math.inf) <= filters.max_distance_km
            ]
        if not words:
            ordered_ids.sort(key=lambda pk: distances.get(pk, math.inf))
        total = len(ordered_ids)
        page_ids = ordered_ids[offset : offset + limit]
    return page_ids, total, more, distances


def hsds_search_page(
    filters: SearchFilters, *, limit: int, offset: int
) -> tuple[list[Service], int, bool]:
    """A page of full services for the public HSDS API's `search` and filters (no login:
    the directory is public), in search order; the total and whether there are more."""
    page_ids, total, more, _distances = _page_ids(filters, limit=limit, offset=offset)
    rows = services_queryset().in_bulk(page_ids)
    return [rows[pk] for pk in page_ids if pk in rows], total, more
