"""Matching a survivor's needs and preferences to directory services, at network scale.

The ranking itself is the pure `matching.rank_services`; this module picks, with as little
database work as it can, the few services that ranking has to see (docs/directory.md).
"""

from __future__ import annotations

import collections
import datetime
import functools
import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from reclaim.core import audit
from reclaim.core.errors import ValidationFailed

from ..matching import (
    DISTANCE_HORIZON_KM,
    EARTH_RADIUS_KM,
    MEN,
    POINTS_DISTANCE,
    POINTS_INTERPRETATION,
    POINTS_LANGUAGE,
    POINTS_PER_NEED,
    POINTS_PREFERRED,
    WOMEN,
    Candidate,
    MatchResult,
    Preferences,
    closeness_points,
    great_circle_km,
    rank_key,
    rank_services,
    unit_vector,
)
from ..models import (
    Organization,
    Service,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceMatchRow,
    ServiceType,
)
from .entries import (
    codes_subquery,
    language_codes,
    require_staff,
    service_type_codes,
    service_views_queryset,
    split_codes,
)
from .match_rows import (
    ANY_NEED,
    LANGUAGE_BIT,
    NEED_BIT,
    SPREAD_CELL,
    UNLOCATED_CELL,
    cells_between,
    current_stamp,
    language_mask,
    need_mask,
)
from .search import KM_PER_DEGREE, Point

ROWS = ServiceMatchRow._meta.db_table
LANGUAGES = ServiceLanguage._meta.db_table
TYPES = ServiceType._meta.db_table
SERVICES = Service._meta.db_table
ORGANIZATIONS = Organization._meta.db_table


def candidate_for(service: Service, distance_km: float | None) -> Candidate:
    """The candidate of a loaded service (matching itself reads values: `_candidates`; this is
    what the tests rank a whole directory with, to hold the match to)."""
    organization = service.organization
    return Candidate(
        id=service.pk,
        name=service.name,
        organization_name=organization.name if organization else "",
        service_types=frozenset(service_type_codes(service)),
        languages=frozenset(language_codes(service)),
        status=service.status,
        gender_eligibility=service.gender_eligibility,
        minimum_age=service.minimum_age,
        maximum_age=service.maximum_age,
        capacity_available=service.capacity_available,
        capacity_unit=service.capacity_unit,
        distance_km=distance_km,
        survivor_led=service.survivor_led,
        trauma_informed=service.trauma_informed,
        serves_trafficking_survivors=service.serves_trafficking_survivors,
        lgbtq_affirming=service.lgbtq_affirming,
        interpretation_available=service.interpretation_available,
        female_staff_available=service.female_staff_available,
        immigration_status_required=service.immigration_status_required,
        free_of_charge=service.free_of_charge,
        wait_time_days=service.wait_time_days,
    )


class Match:
    """The best-ranked matches and the first few of those left out, explained; how many
    there are of each in all; and the services themselves, loaded when first asked for (for
    pages and the API)."""

    def __init__(self, result: MatchResult, ranked_total: int, excluded_total: int) -> None:
        self.result = result
        self.ranked_total = ranked_total
        self.excluded_total = excluded_total

    @functools.cached_property
    def services(self) -> dict[Any, Service]:
        ids = [item.candidate.id for item in self.result.ranked]
        ids += [item.candidate.id for item in self.result.excluded]
        return service_views_queryset().in_bulk(ids)


_CANDIDATE_FIELDS = (
    "name",
    "status",
    "gender_eligibility",
    "minimum_age",
    "maximum_age",
    "capacity_available",
    "capacity_unit",
    "survivor_led",
    "trauma_informed",
    "serves_trafficking_survivors",
    "lgbtq_affirming",
    "interpretation_available",
    "female_staff_available",
    "immigration_status_required",
    "free_of_charge",
    "wait_time_days",
)
_BOOLEAN_FIELDS = [
    name
    for name in _CANDIDATE_FIELDS
    if Service._meta.get_field(name).get_internal_type() == "BooleanField"
]


def _candidates(distances: dict[Any, float | None]) -> list[Candidate]:
    """The candidates of these services (ids to distances): one query, as values."""
    ids = list(distances)
    if not ids:
        return []
    keys = [_service_key(pk) for pk in ids]
    marks = ", ".join(["%s"] * len(keys))
    column_of = {field.name: field.column for field in Service._meta.concrete_fields}
    columns = ", ".join(f"s.{column_of[name]}" for name in _CANDIDATE_FIELDS)
    type_codes_sql = codes_subquery(TYPES, service_id="s.id")
    language_codes_sql = codes_subquery(LANGUAGES, service_id="s.id")
    candidates = []
    for row in _fetch(
        f"SELECT s.id, o.name, {type_codes_sql}, {language_codes_sql}, {columns} "  # noqa: S608
        f"FROM {SERVICES} s LEFT JOIN {ORGANIZATIONS} o ON o.id = s.organization_id "
        f"WHERE s.id IN ({marks})",
        keys,
    ):
        pk = _service_id(row[0])
        values = dict(zip(_CANDIDATE_FIELDS, row[4:], strict=True))
        for flag in _BOOLEAN_FIELDS:  # SQLite answers 0 and 1
            if values[flag] is not None:
                values[flag] = bool(values[flag])
        candidates.append(
            Candidate(
                id=pk,
                organization_name=row[1] or "",
                service_types=frozenset(split_codes(row[2])),
                languages=frozenset(split_codes(row[3])),
                distance_km=distances.get(pk),
                **values,
            )
        )
    return candidates


def check_needs(needs: Iterable[str]) -> list[str]:
    from reclaim.care.domains import STANDARD_DOMAIN_CODES

    cleaned = sorted({str(code) for code in needs})
    unknown = [code for code in cleaned if code not in STANDARD_DOMAIN_CODES]
    if unknown:
        raise ValidationFailed(f"needs: unknown need {unknown[0][:40]!r}.", field="needs")
    return cleaned


MATCH_LIMIT = 25
# Beyond this many grid cells a box is read by need alone (a very large distance limit).
MOST_CELLS = 400


@dataclass(frozen=True)
class _MatchSql:
    """One match as SQL over the match rows: which rows, which pass the hard rules, and the
    points of each but for closeness. Numbers and our own codes are written into the SQL;
    the only text from outside (language codes) is a parameter."""

    needs: str
    needs_params: list[Any]
    eligible: str
    base: str
    base_params: list[Any]
    wanted_mask: int
    added_but_needs: int  # `max_added_points` but for the needs


def _needs_sql(wanted: Sequence[str]) -> tuple[str, list[Any]]:
    """The rows of the services meeting any wanted need, one per service: a service's row for
    the first wanted need it meets (its need mask says which it meets)."""
    if not wanted:
        return "need = %s", [ANY_NEED]
    alternatives, earlier = [], 0
    for need in wanted:
        if earlier:
            alternatives.append(f"(need = %s AND (need_mask & {earlier}) = 0)")
        else:
            alternatives.append("need = %s")
        earlier |= NEED_BIT[need]
    marks = ", ".join(["%s"] * len(wanted))
    return f"need IN ({marks}) AND ({' OR '.join(alternatives)})", [*wanted, *wanted]


def _eligible_sql(preferences: Preferences) -> str:
    """`matching.exclusion_reasons` in SQL, but for the distance limit (measured after)."""
    rules = ["is_active"]
    if preferences.gender == MEN:
        rules.append("gender_eligibility <> 'women'")
    if preferences.gender == WOMEN or preferences.women_only:
        rules.append("gender_eligibility <> 'men'")
    if preferences.age is not None:
        age = int(preferences.age)
        rules.append(f"(minimum_age IS NULL OR minimum_age <= {age})")
        rules.append(f"(maximum_age IS NULL OR maximum_age >= {age})")
    if preferences.needs_open_capacity:
        rules.append("(capacity_available IS NULL OR capacity_available > 0)")
    if preferences.free_only:
        rules.append("(free_of_charge IS NULL OR free_of_charge)")
    if preferences.has_immigration_status is False:
        rules.append("NOT immigration_status_required")
    return " AND ".join(rules)


def _when(condition: str, points: int) -> str:
    return f"CASE WHEN {condition} THEN {int(points)} ELSE 0 END"


def _base_sql(wanted: Sequence[str], preferences: Preferences) -> tuple[str, list[Any]]:
    """`matching.score_candidate` in SQL, but for the closeness points (added after)."""
    terms = ["fixed_points"]
    terms += [_when(f"(need_mask & {NEED_BIT[need]}) <> 0", POINTS_PER_NEED) for need in wanted]
    params: list[Any] = []
    if preferences.languages:
        listed = language_mask(preferences.languages)
        others = [code for code in preferences.languages if code not in LANGUAGE_BIT]
        speaks = [f"(language_mask & {listed}) <> 0"] if listed else []
        if others:
            marks = ", ".join(["%s"] * len(others))
            speaks.append(
                f"EXISTS (SELECT 1 FROM {LANGUAGES} l "  # noqa: S608  (codes are parameters)
                f"WHERE l.service_id = {ROWS}.service_id AND l.code IN ({marks}))"
            )
            params += others
        terms.append(
            f"CASE WHEN {' OR '.join(speaks)} THEN {POINTS_LANGUAGE} "
            f"WHEN interpretation_available THEN {POINTS_INTERPRETATION} ELSE 0 END"
        )
    if preferences.women_only:
        terms.append(_when("gender_eligibility = 'women'", POINTS_PREFERRED))
    if preferences.female_staff:
        terms.append(_when("female_staff_available", POINTS_PREFERRED))
    if preferences.survivor_led:
        terms.append(_when("survivor_led", POINTS_PREFERRED))
    if preferences.lgbtq_affirming:
        terms.append(_when("lgbtq_affirming", POINTS_PREFERRED))
    return " + ".join(terms), params


def _match_sql(wanted: Sequence[str], preferences: Preferences) -> _MatchSql:
    needs, needs_params = _needs_sql(wanted)
    base, base_params = _base_sql(wanted, preferences)
    return _MatchSql(
        needs,
        needs_params,
        _eligible_sql(preferences),
        base,
        base_params,
        need_mask(wanted),
        max_added_points([], preferences),
    )


def _box(near: Point, km: float) -> tuple[float, float, float, float]:
    """South, north, west, east of the square around `near` that holds the circle of `km`
    (as `search._within_box`)."""
    lat_span = km / KM_PER_DEGREE
    lon_span = min(180.0, km / (KM_PER_DEGREE * max(math.cos(math.radians(near.latitude)), 0.01)))
    return (
        near.latitude - lat_span,
        near.latitude + lat_span,
        near.longitude - lon_span,
        near.longitude + lon_span,
    )


def _in_box_sql(box: tuple[float, float, float, float], *, unlocated: bool) -> str:
    """Rows of services that may have a site in the box: one site inside it, or several
    sites (checked site by site after); and, if `unlocated`, of those with no located site."""
    south, north, west, east = (float(value) for value in box)
    cells = cells_between(south, north, west, east, most=MOST_CELLS)
    inside = (
        f"(site_count = 1 AND latitude BETWEEN {south!r} AND {north!r} "
        f"AND longitude BETWEEN {west!r} AND {east!r})"
    )
    if cells is None:
        return f"({inside} OR site_count > 1{' OR site_count = 0' if unlocated else ''})"
    special = [SPREAD_CELL, *([UNLOCATED_CELL] if unlocated else [])]
    listed = ", ".join(str(cell) for cell in [*cells, *special])
    return f"(cell IN ({listed}) AND ({inside} OR site_count <> 1))"


def _horizon_sql(near: Point) -> str:
    """Rows of services that may be within the closeness horizon (all others are beyond it,
    or have no located site, and gain no closeness points)."""
    south, north, west, east = _box(near, DISTANCE_HORIZON_KM)
    cells = cells_between(south, north, west, east, most=MOST_CELLS)
    if cells is None:
        return _in_box_sql((south, north, west, east), unlocated=False)
    return f"cell IN ({', '.join(str(cell) for cell in [*cells, SPREAD_CELL])})"


class _Row(NamedTuple):
    service_id: Any  # as the database returns it (SQLite: the UUID's hex text)
    name_key: str
    eligible: bool
    base: int
    distance_km: float | None = None


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _service_key(value: Any) -> Any:
    """A service id as the database compares it (SQLite: the UUID's hex text)."""
    return Service._meta.pk.get_db_prep_value(value, connection)  # type: ignore[union-attr]


def _service_id(value: Any) -> Any:
    return Service._meta.pk.to_python(value)  # type: ignore[union-attr]  # SQLite: UUID text


def _sites(service_ids: Iterable[Any]) -> dict[Any, list[tuple[float, float]]]:
    sites: dict[Any, list[tuple[float, float]]] = {}
    for service_id, latitude, longitude in ServiceAtLocation.objects.filter(
        service_id__in=list(service_ids),
        location__latitude__isnull=False,
        location__longitude__isnull=False,
    ).values_list("service_id", "location__latitude", "location__longitude"):
        if latitude is not None and longitude is not None:
            sites.setdefault(service_id, []).append((latitude, longitude))
    return sites


# The service id as text: thousands of rows near a city, and PostgreSQL's UUID objects cost
# more to build than the strings (ids are made UUIDs only for the services shown).
COLUMNS = "{service_id}, name_key, {eligible}, {base}, x, y, z, site_count"


def _columns(*, eligible: str, base: str) -> str:
    service_id = "CAST(service_id AS text)" if connection.vendor == "postgresql" else "service_id"
    return COLUMNS.format(service_id=service_id, eligible=eligible, base=base)


def _rows(
    sql: str,
    params: Sequence[Any],
    near: Point | None,
    *,
    box: tuple[float, float, float, float] | None = None,
) -> list[_Row]:
    """The fetched COLUMNS as rows measured from `near`; with a `box`, services with several
    sites but none in it are dropped. Thousands of rows: kept lean."""
    fetched = _fetch(sql, params)
    if near is None:
        return [_Row(pk, name, bool(ok), int(base)) for pk, name, ok, base, *_where in fetched]
    spread = [_service_id(row[0]) for row in fetched if row[7] > 1]
    sites = _sites(spread) if spread else {}
    here = unit_vector(near.latitude, near.longitude)
    x0, y0, z0 = here
    diameter = 2 * EARTH_RADIUS_KM
    rows = []
    for pk, name_key, eligible, base, x, y, z, site_count in fetched:
        if site_count == 1:  # matching.great_circle_km, inlined: thousands of rows
            dx, dy, dz = x - x0, y - y0, z - z0
            chord = math.sqrt(dx * dx + dy * dy + dz * dz)
            distance = diameter * math.asin(min(1.0, chord / 2))
        elif site_count == 0:
            distance = None
        else:
            points = sites.get(_service_id(pk), [])
            if box is not None:
                south, north, west, east = box
                if not any(south <= lat <= north and west <= lon <= east for lat, lon in points):
                    continue
            distance = min(
                (great_circle_km(here, unit_vector(lat, lon)) for lat, lon in points),
                default=None,
            )
        rows.append(_Row(pk, name_key, bool(eligible), int(base), distance))
    return rows


def _rank_order(row: _Row) -> tuple[Any, ...]:
    """`matching.rank_key` of a row (for those left out: where they would have ranked)."""
    score = row.base + closeness_points(row.distance_km)
    return rank_key(score, row.distance_km, row.name_key, row.service_id)


def _best(rows: list[_Row], limit: int) -> list[_Row]:
    """The `limit` first rows by `_rank_order`, in order. Closeness adds at most
    POINTS_DISTANCE, so a row whose base is that much below the `limit`-th best base can
    never make it: thousands of rows near a point are cut to a few before the exact order."""
    if len(rows) > limit:
        floor = heapq.nlargest(limit, (row.base for row in rows))[-1] - POINTS_DISTANCE
        rows = [row for row in rows if row.base >= floor]
    return heapq.nsmallest(limit, rows, key=_rank_order)


def _sql_rank_order(near: Point | None) -> str:
    """`matching.rank_key` in SQL for rows beyond the closeness horizon, where the score is
    the base: best base, then nearer (located before unlocated; a larger dot product of the
    unit vectors is nearer), then name, then id."""
    name = 'name_key COLLATE "C"' if connection.vendor == "postgresql" else "name_key"
    if near is None:
        return f"base DESC, {name}, service_id"
    x, y, z = unit_vector(near.latitude, near.longitude)
    closer = f"x * {x!r} + y * {y!r} + z * {z!r}"
    return (
        f"base DESC, CASE WHEN site_count = 0 THEN 1 ELSE 0 END, {closer} DESC, {name}, service_id"
    )


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


@dataclass(frozen=True)
class _Found:
    in_reach: list[_Row]  # may rank (the best `limit` of these are shown)
    left_out: list[_Row]  # left out, the ones to show first first
    ranked_total: int
    excluded_total: int


def _within_limit(match: _MatchSql, near: Point, distance_limit: float, limit: int) -> _Found:
    """Every row of a service in the box of the limit, measured; the circle decides."""
    box = _box(near, distance_limit)
    columns = _columns(eligible=f"CASE WHEN {match.eligible} THEN 1 ELSE 0 END", base=match.base)
    rows = _rows(
        f"SELECT {columns} FROM {ROWS} WHERE {match.needs} "  # noqa: S608
        f"AND {_in_box_sql(box, unlocated=True)}",
        [*match.base_params, *match.needs_params],
        near,
        box=box,
    )
    in_reach: list[_Row] = []
    too_far: list[_Row] = []
    left_out: list[_Row] = []
    for row in rows:
        if not row.eligible:
            left_out.append(row)
        elif row.distance_km is None or row.distance_km <= distance_limit:
            in_reach.append(row)
        else:
            too_far.append(row)
    shown_out = _best(left_out, limit)
    shown_out += heapq.nsmallest(
        limit, too_far, key=lambda row: (row.distance_km, str(row.service_id))
    )
    return _Found(in_reach, shown_out, len(in_reach), len(left_out) + len(too_far))


def _best_rows(
    match: _MatchSql,
    near: Point | None,
    *,
    eligible: bool,
    where: str,
    where_params: Sequence[Any] = (),
    limit: int,
) -> list[_Row]:
    """The `limit` best rows (by where they rank) of the eligible or the left-out services."""
    rule = match.eligible if eligible else f"NOT ({match.eligible})"
    columns = _columns(eligible="1" if eligible else "0", base=f"{match.base} AS base")
    sql = (
        f"SELECT {columns} FROM {ROWS} WHERE {match.needs} AND {rule} AND {where} "  # noqa: S608
        f"ORDER BY {_sql_rank_order(near)} LIMIT {int(limit)}"
    )
    return _rows(sql, [*match.base_params, *match.needs_params, *where_params], near)


def max_added_points(wanted: Sequence[str], preferences: Preferences) -> int:
    """The most points a match can add to a service's fixed points, closeness aside: every
    need met, the language spoken, every preference satisfied (`matching.score_candidate`)."""
    preferred = (
        preferences.women_only,
        preferences.female_staff,
        preferences.survivor_led,
        preferences.lgbtq_affirming,
    )
    return (
        POINTS_PER_NEED * len(wanted)
        + (POINTS_LANGUAGE if preferences.languages else 0)
        + POINTS_PREFERRED * sum(preferred)
    )


# What the rows of some needs hold, by need mask and eligibility, at a stamp of the rows.
_SUMMARIES: collections.OrderedDict[tuple[Any, ...], tuple[int, dict[tuple[int, bool], int]]]
_SUMMARIES = collections.OrderedDict()
SUMMARIES_KEPT = 256


def _needs_summary(match: _MatchSql) -> dict[tuple[int, bool], int]:
    """How many services of the wanted needs there are by need mask and eligibility.

    Counting every row of a common need is the one full pass of a match without a distance
    limit, and it does not depend on the point: it is kept per process for as long as the
    match rows' stamp (replaced in every transaction that changes them) stays the same.
    """
    key = (match.needs, tuple(match.needs_params), match.eligible)
    stamp = current_stamp()
    kept = _SUMMARIES.get(key)
    if kept is not None and kept[0] == stamp:
        _SUMMARIES.move_to_end(key)
        return kept[1]
    summary = {
        (int(mask), bool(eligible)): int(count)
        for mask, eligible, count in _fetch(
            f"SELECT need_mask, {_flag(match.eligible)}, COUNT(*) "  # noqa: S608
            f"FROM {ROWS} WHERE {match.needs} GROUP BY 1, 2",
            match.needs_params,
        )
    }
    _SUMMARIES[key] = (stamp, summary)
    while len(_SUMMARIES) > SUMMARIES_KEPT:
        _SUMMARIES.popitem(last=False)
    return summary


def _anywhere(match: _MatchSql, near: Point | None, limit: int) -> _Found:
    """No distance limit: the services of the wanted needs are counted (`_needs_summary`);
    the rows within the closeness horizon are all measured here, and of the rest only the
    best few are read.

    When `limit` services near the point score at least S, a service beyond the horizon
    (whose score is its base) can only rank if its base is at least S, so only rows whose
    fixed points are at least S minus the most a match can add to them are read (from the
    index ordered by fixed points); the summary says how many of the wanted needs any
    eligible service meets at most.
    """
    summary = _needs_summary(match)
    fit = sum(count for (_mask, eligible), count in summary.items() if eligible)
    total = sum(summary.values())
    if near is None:
        in_reach = _best_rows(match, None, eligible=True, where="1 = 1", limit=limit)
        left_out = _best_rows(match, None, eligible=False, where="1 = 1", limit=limit)
        return _Found(in_reach, left_out, fit, total - fit)
    horizon = _horizon_sql(near)
    columns = _columns(eligible=_flag(match.eligible), base=match.base)
    nearby = _rows(
        f"SELECT {columns} FROM {ROWS} WHERE {match.needs} AND {horizon}",  # noqa: S608
        [*match.base_params, *match.needs_params],
        near,
    )
    in_reach = [row for row in nearby if row.eligible]
    beyond, beyond_params = f"NOT ({horizon})", []
    if len(in_reach) >= limit:
        scores = sorted(row.base + closeness_points(row.distance_km) for row in in_reach)
        least = scores[-limit]
        most_met = max(
            ((mask & match.wanted_mask).bit_count() for mask, eligible in summary if eligible),
            default=0,
        )
        lowest_fixed = least - POINTS_PER_NEED * most_met - match.added_but_needs
        beyond += f" AND fixed_points >= {int(lowest_fixed)} AND ({match.base}) >= {int(least)}"
        beyond_params = list(match.base_params)
    in_reach += _best_rows(
        match, near, eligible=True, where=beyond, where_params=beyond_params, limit=limit
    )
    left_out = [row for row in nearby if not row.eligible]
    if len(left_out) < min(limit, total - fit):
        left_out += _best_rows(match, near, eligible=False, where=f"NOT ({horizon})", limit=limit)
    left_out = _best(left_out, limit)
    return _Found(in_reach, left_out, fit, total - fit)


def match_services(
    needs: Sequence[str],
    preferences: Preferences,
    *,
    by: Any,
    near: Point | None = None,
    survivor: Any = None,
    limit: int = MATCH_LIMIT,
) -> Match:
    """The `limit` best services for these needs, with the reasons, and the `limit` left out
    that would have ranked best, with theirs; `ranked_total` and `excluded_total` count all.

    Reads only the match rows (`match_rows`), from an index that holds them whole: with a
    distance limit, the rows in the limit's box, all measured here; without one, the
    database counts every row of the wanted needs and returns the best few beyond the
    closeness horizon, and the rows within the horizon are measured here. Only the services
    shown are then loaded and explained by the pure `rank_services`. Any staff member may
    match; when `survivor` is given (already fetched through the survivors service, so in
    the caller's scope) the match is audited on the record as "directory.match" with the
    need codes (no other values).
    """
    require_staff(by)
    wanted = check_needs(needs)
    limit = max(1, min(int(limit), 200))
    match = _match_sql(wanted, preferences)
    distance_limit = preferences.max_distance_km if near is not None else None
    if near is not None and distance_limit is not None:
        found = _within_limit(match, near, distance_limit, limit)
    else:
        found = _anywhere(match, near, limit)
    shown = _best(found.in_reach, limit)
    shown_out = found.left_out[:limit]
    distances = {_service_id(row.service_id): row.distance_km for row in [*shown, *shown_out]}
    result = rank_services(_candidates(distances), wanted, preferences)
    if survivor is not None:
        with transaction.atomic():
            audit.record(
                "directory.match",
                actor=by,
                organisation_id=survivor.organisation_id,
                subject_id=survivor.pk,
                target=survivor,
                context={
                    "needs": wanted,
                    "ranked": found.ranked_total,
                    "excluded": found.excluded_total,
                },
            )
    return Match(result, found.ranked_total, found.excluded_total)


# --- what we know of the survivor, to pre-fill "Find services" ------------------------------

_WOMEN = {"Feminine", "TransgenderFeminine"}
_MEN = {"Masculine", "TransgenderMasculine"}


def needs_from_care(survivor: Any, *, by: Any) -> list[str] | None:
    """Need codes (scored 1-2) of the survivor's latest assessment, or None without one.

    Reads through `reclaim.care.services.current_needs`, which checks access and audits.
    """
    from reclaim.care import services as care_services

    current_needs = getattr(care_services, "current_needs", None)
    if current_needs is None:
        return None
    rows = current_needs(survivor, by=by)
    if not rows:
        return None
    return sorted(row["code"] for row in rows if row.get("score") is not None and row["score"] <= 2)


def preferences_from_profile(profile: dict[str, Any], *, today: datetime.date) -> Preferences:
    """Preferences suggested by the survivor's profile (gender, age, languages), all editable."""
    gender = profile.get("gender")
    birth = profile.get("date_of_birth")
    age = None
    if isinstance(birth, datetime.date):
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    languages = tuple(
        code.lower() for code in profile.get("languages") or [] if isinstance(code, str)
    )
    return Preferences(
        languages=languages,
        gender="woman" if gender in _WOMEN else "man" if gender in _MEN else None,
        age=age,
    )


def suggested_preferences(survivor: Any, *, by: Any) -> Preferences:
    from reclaim.survivors import services as survivor_services

    profile = survivor_services.read_profile(survivor)
    return preferences_from_profile(profile, today=timezone.localdate())
