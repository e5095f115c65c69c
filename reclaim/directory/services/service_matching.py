"""Matching a survivor's needs and preferences to directory services, at network scale.

The ranking itself is the pure `matching.rank_services`; this module picks, with as little
database work as it can, the few services that ranking has to see (docs/directory.md).
"""

from __future__ import annotations

import datetime
import functools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.utils import timezone

from reclaim.core import audit
from reclaim.core.errors import ValidationFailed

from ..matching import (
    DISTANCE_HORIZON_KM,
    MEN,
    POINTS_CAPACITY,
    POINTS_DISTANCE,
    POINTS_INTERPRETATION,
    POINTS_LANGUAGE,
    POINTS_LGBTQ_BASE,
    POINTS_PER_NEED,
    POINTS_PREFERRED,
    POINTS_QUALITY,
    POINTS_SHORT_WAIT,
    WOMEN,
    Candidate,
    MatchResult,
    Preferences,
    closeness_points,
    rank_key,
    rank_services,
)
from ..models import Service, ServiceLanguage, ServiceStatus, ServiceType
from ..taxonomy import SERVICE_TYPE_CODES, service_types_for_needs
from .entries import language_codes, require_staff, service_type_codes, services_queryset
from .search import Point, _within_box, distances_km


def candidate_for(service: Service, distance_km: float | None) -> Candidate:
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


@dataclass(frozen=True)
class Match:
    """The best-ranked matches and a first few of those left out, with the services
    themselves (for pages and the API), and how many there are of each in all."""

    result: MatchResult
    services: dict[Any, Service]
    ranked_total: int = 0
    excluded_total: int = 0


def check_needs(needs: Iterable[str]) -> list[str]:
    from reclaim.care.domains import STANDARD_DOMAIN_CODES

    cleaned = sorted({str(code) for code in needs})
    unknown = [code for code in cleaned if code not in STANDARD_DOMAIN_CODES]
    if unknown:
        raise ValidationFailed(f"needs: unknown need {unknown[0][:40]!r}.", field="needs")
    return cleaned


MATCH_LIMIT = 25


def _hard_rules(preferences: Preferences) -> Q:
    """`matching.exclusion_reasons` in SQL, but for the distance limit (measured after)."""
    rules = Q(status=ServiceStatus.ACTIVE)
    if preferences.gender == MEN:
        rules &= ~Q(gender_eligibility="women")
    if preferences.gender == WOMEN or preferences.women_only:
        rules &= ~Q(gender_eligibility="men")
    age = preferences.age
    if age is not None:
        rules &= Q(minimum_age__isnull=True) | Q(minimum_age__lte=age)
        rules &= Q(maximum_age__isnull=True) | Q(maximum_age__gte=age)
    if preferences.needs_open_capacity:
        rules &= Q(capacity_available__isnull=True) | Q(capacity_available__gt=0)
    if preferences.free_only:
        rules &= Q(free_of_charge__isnull=True) | Q(free_of_charge=True)
    if preferences.has_immigration_status is False:
        rules &= Q(immigration_status_required=False)
    return rules


def _points(condition: Any, points: int) -> Case:
    return Case(When(condition, then=Value(points)), default=Value(0), output_field=IntegerField())


def _base_score(needs: Sequence[str], preferences: Preferences) -> Any:
    """`matching.score_candidate` in SQL, but for the closeness points (added after)."""
    terms: list[Any] = [
        _points(
            Exists(
                ServiceType.objects.filter(
                    service=OuterRef("pk"), code__in=sorted(service_types_for_needs([need]))
                )
            ),
            POINTS_PER_NEED,
        )
        for need in needs
    ]
    if preferences.languages:
        speaks = Exists(
            ServiceLanguage.objects.filter(
                service=OuterRef("pk"), code__in=list(preferences.languages)
            )
        )
        terms.append(
            Case(
                When(speaks, then=Value(POINTS_LANGUAGE)),
                When(interpretation_available=True, then=Value(POINTS_INTERPRETATION)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    terms.append(_points(Q(capacity_available__gt=0), POINTS_CAPACITY))
    if preferences.women_only:
        terms.append(_points(Q(gender_eligibility="women"), POINTS_PREFERRED))
    if preferences.female_staff:
        terms.append(_points(Q(female_staff_available=True), POINTS_PREFERRED))
    preferred = POINTS_PREFERRED if preferences.survivor_led else 0
    terms.append(_points(Q(survivor_led=True), POINTS_QUALITY + preferred))
    terms.append(_points(Q(trauma_informed=True), POINTS_QUALITY))
    terms.append(_points(Q(serves_trafficking_survivors=True), POINTS_QUALITY))
    affirming = POINTS_PREFERRED if preferences.lgbtq_affirming else 0
    terms.append(_points(Q(lgbtq_affirming=True), POINTS_LGBTQ_BASE + affirming))
    terms.append(_points(Q(free_of_charge=True), POINTS_QUALITY))
    weeks_to_nothing = POINTS_SHORT_WAIT * 7
    terms.append(
        Case(
            When(wait_time_days__isnull=True, then=Value(0)),
            When(wait_time_days__gte=weeks_to_nothing, then=Value(0)),
            default=ExpressionWrapper(
                Value(POINTS_SHORT_WAIT) - F("wait_time_days") / Value(7),
                output_field=IntegerField(),
            ),
            output_field=IntegerField(),
        )
    )
    return functools.reduce(operator.add, terms)


def match_services(
    needs: Sequence[str],
    preferences: Preferences,
    *,
    by: Any,
    near: Point | None = None,
    survivor: Any = None,
    limit: int = MATCH_LIMIT,
) -> Match:
    """The `limit` best services for these needs, with the reasons, and the first `limit`
    of those left out (by name), with theirs; `ranked_total` and `excluded_total` count all.

    The database applies the hard rules and adds up every point but closeness; only the
    services that could still reach the top once closeness is added (it is worth at most
    POINTS_DISTANCE) are measured, and only the shown ones are loaded and explained by the
    pure `rank_services`, so a directory of 100,000 services is never read whole. Any
    staff member may match; when `survivor` is given (already fetched through the
    survivors service, so in the caller's scope) the match is audited on the record as
    "directory.match" with the need codes (no other values).
    """
    require_staff(by)
    wanted = check_needs(needs)
    limit = max(1, min(int(limit), 200))
    types = service_types_for_needs(wanted) if wanted else SERVICE_TYPE_CODES
    of_types = Service.objects.filter(
        Exists(ServiceType.objects.filter(service=OuterRef("pk"), code__in=sorted(types)))
    )
    distance_limit = preferences.max_distance_km if near is not None else None
    if near is not None and distance_limit is not None:
        of_types = of_types.filter(_within_box(near, distance_limit))
    rules = _hard_rules(preferences)
    eligible = of_types.filter(rules).annotate(base=_base_score(wanted, preferences))
    light = eligible.values_list("pk", "name", "base")
    if distance_limit is not None:
        rows = list(light)  # what the box holds: all needed to count what is in reach
    else:
        cutoff = list(eligible.order_by("-base").values_list("base", flat=True)[limit - 1 : limit])
        if not cutoff:
            rows = list(light)
        elif near is None:
            rows = list(light.filter(base__gte=cutoff[0]))
        else:
            # The limit-th best score is at least `cutoff`. Beyond the closeness horizon a
            # service gains nothing, so it needs `cutoff` already; inside, it may gain up to
            # POINTS_DISTANCE. Everything left out scores below the limit-th best.
            within_horizon = _within_box(near, DISTANCE_HORIZON_KM)
            rows = list(
                light.filter(
                    Q(base__gte=cutoff[0])
                    | (Q(base__gte=cutoff[0] - POINTS_DISTANCE) & within_horizon)
                )
            )
    distances = distances_km([pk for pk, _name, _base in rows], near)
    too_far = {
        pk
        for pk, _name, _base in rows
        if distance_limit is not None and distances.get(pk, -1.0) > distance_limit
    }
    in_reach = [row for row in rows if row[0] not in too_far]
    in_reach.sort(
        key=lambda row: rank_key(
            row[2] + closeness_points(distances.get(row[0])), distances.get(row[0]), row[1], row[0]
        )
    )
    counts = of_types.aggregate(fit=Count("pk", filter=rules), out=Count("pk", filter=~rules))
    ranked_total = len(in_reach) if distance_limit is not None else counts["fit"]
    excluded_total = counts["out"] + len(too_far)
    left_out = of_types.exclude(rules)
    shown_out = list(left_out.order_by("name", "id").values_list("pk", flat=True)[:limit])
    shown_out += sorted(too_far, key=str)[: max(0, limit - len(shown_out))]
    shown = [row[0] for row in in_reach[:limit]]
    services = services_queryset().in_bulk([*shown, *shown_out])
    distances.update(distances_km([pk for pk in shown_out if pk not in distances], near))
    candidates = [candidate_for(service, distances.get(pk)) for pk, service in services.items()]
    result = rank_services(candidates, wanted, preferences)
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
                    "ranked": ranked_total,
                    "excluded": excluded_total,
                },
            )
    return Match(result, services, ranked_total, excluded_total)


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
