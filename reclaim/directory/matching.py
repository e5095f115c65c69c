"""Matching a survivor's needs and preferences to services: a pure, explained ranking.

`rank_services(candidates, needs, preferences)` splits the candidates into a ranked list and a
left-out list. Every candidate lands in exactly one of them, always with its reasons:

- **Left out** (hard rules, each a reason): not open, meets none of the needs, gender or age
  outside the eligibility, full (when open capacity is required), farther than the limit,
  charges a fee (when free is required), requires an immigration status the survivor lacks.
- **Ranked** by a score that only adds points for what is satisfied, so a satisfied
  preference can never lower a score: needs met (30 each), a language the survivor speaks (20)
  or else interpretation (10), open capacity (15), closeness (up to 20, fading to 0 at
  50 km), women-only / women staff / survivor-led / LGBTQ+ affirming when preferred (10 each),
  and small points for trauma-informed, survivor-led, serving trafficking survivors, free, and
  a short wait. Ties go to the nearer service, then by name, then by id: the order is total.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pycountry
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .taxonomy import needs_met_by

EARTH_RADIUS_KM = 6371.0088
# Closeness points fade linearly to zero at this distance, whatever limit the user set (so
# setting a limit never lowers the score of a service within it).
DISTANCE_HORIZON_KM = 50.0

POINTS_PER_NEED = 30
POINTS_LANGUAGE = 20
POINTS_INTERPRETATION = 10
POINTS_CAPACITY = 15
POINTS_DISTANCE = 20
POINTS_PREFERRED = 10
POINTS_QUALITY = 5
POINTS_LGBTQ_BASE = 3
POINTS_SHORT_WAIT = 5

WOMEN, MEN = "woman", "man"


def unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    """The point on the unit sphere, from degrees."""
    phi, lam = math.radians(latitude), math.radians(longitude)
    return (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))


def great_circle_km(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """Great-circle distance in kilometres between two unit vectors (from their chord).

    The same distance as the haversine formula, and as precise for nearby points; matching
    stores each site's unit vector, so measuring thousands of sites costs one square root
    and one arcsine each.
    """
    dx, dy, dz = a[0] - b[0], a[1] - b[1], a[2] - b[2]
    chord = math.sqrt(dx * dx + dy * dy + dz * dz)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, chord / 2))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two points given in degrees."""
    return great_circle_km(unit_vector(lat1, lon1), unit_vector(lat2, lon2))


@dataclass(frozen=True)
class Candidate:
    """What matching needs to know of one service (built from the directory rows)."""

    id: Any
    name: str
    organization_name: str = ""
    service_types: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    status: str = "active"
    gender_eligibility: str = "all"  # all / women / men
    minimum_age: int | None = None
    maximum_age: int | None = None
    capacity_available: int | None = None  # None: not reported
    capacity_unit: str = "slots"
    distance_km: float | None = None  # None: no coordinates (or no starting point)
    survivor_led: bool = False
    trauma_informed: bool = False
    serves_trafficking_survivors: bool = False
    lgbtq_affirming: bool = False
    interpretation_available: bool = False
    female_staff_available: bool = False
    immigration_status_required: bool = False
    free_of_charge: bool | None = None
    wait_time_days: int | None = None


@dataclass(frozen=True)
class Preferences:
    """The survivor's circumstances and wishes. Every one may be left unsaid."""

    languages: tuple[str, ...] = ()  # ISO 639-1 codes, most preferred first
    gender: str | None = None  # "woman", "man", or None (not said / another identity)
    age: int | None = None
    women_only: bool = False  # prefers a women-only service
    female_staff: bool = False
    survivor_led: bool = False
    lgbtq_affirming: bool = False
    max_distance_km: float | None = None
    needs_open_capacity: bool = False  # leave out services that report no space
    free_only: bool = False
    has_immigration_status: bool | None = None  # False: leave out services requiring one


@dataclass(frozen=True)
class Reason:
    """Why a service ranks where it does, or was left out: a code and its parameters."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def text(self) -> str:
        return describe(self)


@dataclass(frozen=True)
class RankedService:
    candidate: Candidate
    score: int
    reasons: tuple[Reason, ...]
    needs_met: tuple[str, ...]


@dataclass(frozen=True)
class ExcludedService:
    candidate: Candidate
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class MatchResult:
    ranked: tuple[RankedService, ...] = ()
    excluded: tuple[ExcludedService, ...] = ()
    needs: tuple[str, ...] = field(default=())


def _reason(code: str, **params: Any) -> Reason:
    return Reason(code, tuple(sorted(params.items())))


def exclusion_reasons(
    candidate: Candidate, needs: frozenset[str], preferences: Preferences
) -> list[Reason]:
    reasons = []
    if candidate.status != "active":
        reasons.append(_reason("not_open", status=candidate.status))
    if needs and not needs & needs_met_by(candidate.service_types):
        reasons.append(_reason("no_needs_met"))
    if candidate.gender_eligibility == "women" and preferences.gender == MEN:
        reasons.append(_reason("only_women"))
    if candidate.gender_eligibility == "men" and (
        preferences.gender == WOMEN or preferences.women_only
    ):
        reasons.append(_reason("only_men"))
    age = preferences.age
    if age is not None and candidate.minimum_age is not None and age < candidate.minimum_age:
        reasons.append(_reason("age_minimum", age=candidate.minimum_age))
    if age is not None and candidate.maximum_age is not None and age > candidate.maximum_age:
        reasons.append(_reason("age_maximum", age=candidate.maximum_age))
    if preferences.needs_open_capacity and candidate.capacity_available == 0:
        reasons.append(_reason("full"))
    limit = preferences.max_distance_km
    if limit is not None and candidate.distance_km is not None and candidate.distance_km > limit:
        reasons.append(_reason("too_far", km=_km(candidate.distance_km), limit=_km(limit)))
    if preferences.free_only and candidate.free_of_charge is False:
        reasons.append(_reason("charges_fee"))
    if preferences.has_immigration_status is False and candidate.immigration_status_required:
        reasons.append(_reason("needs_immigration_status"))
    return reasons


def _km(value: float) -> float | int:
    rounded = round(value, 1)
    return int(rounded) if rounded.is_integer() else rounded


def score_candidate(
    candidate: Candidate, needs: frozenset[str], preferences: Preferences
) -> tuple[int, list[Reason], tuple[str, ...]]:
    """Points and reasons of a service that was not left out."""
    score = 0
    reasons: list[Reason] = []
    met = tuple(sorted(needs & needs_met_by(candidate.service_types)))
    if met:
        score += POINTS_PER_NEED * len(met)
        reasons.append(_reason("meets_needs", needs=met))
    spoken = [code for code in preferences.languages if code in candidate.languages]
    if spoken:
        score += POINTS_LANGUAGE
        reasons.append(_reason("speaks", language=spoken[0]))
    elif preferences.languages and candidate.interpretation_available:
        score += POINTS_INTERPRETATION
        reasons.append(_reason("interpretation"))
    if candidate.capacity_available:
        score += POINTS_CAPACITY
        reasons.append(
            _reason("capacity", count=candidate.capacity_available, unit=candidate.capacity_unit)
        )
    if candidate.distance_km is not None:
        score += closeness_points(candidate.distance_km)
        reasons.append(_reason("distance", km=_km(candidate.distance_km)))
    if candidate.gender_eligibility == "women":
        score += POINTS_PREFERRED if preferences.women_only else 0
        reasons.append(_reason("women_only"))
    if candidate.female_staff_available and preferences.female_staff:
        score += POINTS_PREFERRED
        reasons.append(_reason("women_staff"))
    if candidate.survivor_led:
        score += POINTS_QUALITY + (POINTS_PREFERRED if preferences.survivor_led else 0)
        reasons.append(_reason("survivor_led"))
    if candidate.trauma_informed:
        score += POINTS_QUALITY
        reasons.append(_reason("trauma_informed"))
    if candidate.serves_trafficking_survivors:
        score += POINTS_QUALITY
        reasons.append(_reason("serves_survivors"))
    if candidate.lgbtq_affirming:
        score += POINTS_LGBTQ_BASE + (POINTS_PREFERRED if preferences.lgbtq_affirming else 0)
        reasons.append(_reason("lgbtq_affirming"))
    if candidate.free_of_charge:
        score += POINTS_QUALITY
        reasons.append(_reason("free"))
    if candidate.wait_time_days is not None:
        score += max(0, POINTS_SHORT_WAIT - candidate.wait_time_days // 7)
        reasons.append(_reason("wait", days=candidate.wait_time_days))
    if candidate.capacity_available == 0:
        reasons.append(_reason("full"))
    return score, reasons, met


def closeness_points(distance_km: float | None) -> int:
    """Points for being close: POINTS_DISTANCE at 0 km, fading to 0 at the horizon."""
    if distance_km is None:
        return 0
    return round(POINTS_DISTANCE * max(0.0, 1 - distance_km / DISTANCE_HORIZON_KM))


def rank_key(score: int, distance_km: float | None, name: str, service_id: Any) -> tuple:
    """The ranked order: best score, then nearer, then by name, then by id (a total order)."""
    return (
        -score,
        math.inf if distance_km is None else distance_km,
        name.casefold(),
        str(service_id),
    )


def _order(item: RankedService) -> tuple[Any, ...]:
    candidate = item.candidate
    return rank_key(item.score, candidate.distance_km, candidate.name, candidate.id)


def rank_services(
    candidates: Iterable[Candidate], needs: Iterable[str], preferences: Preferences
) -> MatchResult:
    """Rank the candidates for these needs-domain codes and preferences, with reasons.

    Pure and deterministic: the same inputs in any order give the same result. Every
    candidate is either ranked or excluded (never both), each with at least one reason.
    """
    wanted = frozenset(needs)
    ranked: list[RankedService] = []
    excluded: list[ExcludedService] = []
    for candidate in candidates:
        left_out = exclusion_reasons(candidate, wanted, preferences)
        if left_out:
            excluded.append(ExcludedService(candidate, tuple(left_out)))
            continue
        score, reasons, met = score_candidate(candidate, wanted, preferences)
        if not reasons:
            reasons.append(_reason("available"))
        ranked.append(RankedService(candidate, score, tuple(reasons), met))
    ranked.sort(key=_order)
    excluded.sort(key=lambda item: (item.candidate.name.casefold(), str(item.candidate.id)))
    return MatchResult(tuple(ranked), tuple(excluded), tuple(sorted(wanted)))


# --- reasons in words -----------------------------------------------------------------------


def language_name(code: str) -> str:
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    if found is None and len(code) == 3:
        found = pycountry.languages.get(alpha_3=code)
    return str(found.name) if found is not None else code


def _need_labels(codes: Sequence[str]) -> str:
    from reclaim.care.domains import STANDARD_DOMAINS

    labels = {domain.code: str(domain.label) for domain in STANDARD_DOMAINS}
    return ", ".join(labels.get(code, code) for code in codes)


def describe(reason: Reason) -> str:
    """The reason in the user's language ("speaks Spanish", "12 km", "age 18+")."""
    params = dict(reason.params)
    code = reason.code
    if code == "meets_needs":
        return _("helps with: %(needs)s") % {"needs": _need_labels(params["needs"])}
    if code == "speaks":
        return _("speaks %(language)s") % {"language": language_name(params["language"])}
    if code == "capacity":
        if params["unit"] == "beds":
            text = ngettext("%(count)s bed available", "%(count)s beds available", params["count"])
        else:
            text = ngettext(
                "%(count)s place available", "%(count)s places available", params["count"]
            )
        return text % {"count": params["count"]}
    if code == "distance":
        return _("%(km)s km") % {"km": params["km"]}
    if code == "wait":
        return ngettext("wait about %(days)s day", "wait about %(days)s days", params["days"]) % {
            "days": params["days"]
        }
    if code == "not_open":
        return _("not open (%(status)s)") % {"status": params["status"]}
    if code == "age_minimum":
        return _("age %(age)s+") % {"age": params["age"]}
    if code == "age_maximum":
        return _("age up to %(age)s") % {"age": params["age"]}
    if code == "too_far":
        return _("%(km)s km away (limit %(limit)s km)") % params
    return str(_FIXED.get(code, code))


_FIXED = {
    "interpretation": gettext_lazy("interpretation available"),
    "women_only": gettext_lazy("women-only"),
    "women_staff": gettext_lazy("women staff available"),
    "survivor_led": gettext_lazy("survivor-led"),
    "trauma_informed": gettext_lazy("trauma-informed"),
    "serves_survivors": gettext_lazy("serves trafficking survivors"),
    "lgbtq_affirming": gettext_lazy("LGBTQ+ affirming"),
    "free": gettext_lazy("free"),
    "full": gettext_lazy("full"),
    "available": gettext_lazy("open to you"),
    "no_needs_met": gettext_lazy("does not help with these needs"),
    "only_women": gettext_lazy("women only"),
    "only_men": gettext_lazy("men only"),
    "charges_fee": gettext_lazy("charges a fee"),
    "needs_immigration_status": gettext_lazy("requires an immigration status"),
}
