"""match_services pushes the hard rules and most of the score into SQL and ranks only what can
reach the top: it must give exactly what the pure ranking of every candidate gives."""

from __future__ import annotations

import random
from typing import Any

import pytest

from reclaim.directory.matching import Preferences, rank_services
from reclaim.directory.models import Location, Service, ServiceAtLocation, ServiceType
from reclaim.directory.services import search, service_matching
from reclaim.directory.services.entries import services_queryset
from reclaim.directory.services.match_rows import refresh_match_rows
from reclaim.directory.taxonomy import SERVICE_TYPE_CODES, service_types_for_needs
from tests.directory.factories import make_service

CENTRE = (40.4168, -3.7038)
TYPES = ("safe_housing", "counseling", "legal_aid", "immigration_legal", "employment")


def _directory(seed: int, count: int = 90) -> None:
    rng = random.Random(seed)
    for number in range(count):
        located = rng.random() < 0.85
        service = make_service(
            name=rng.choice(["Casa", "casa", "Refugio", "Árbol", "Haven"]) + f" {number % 7}",
            types=tuple(rng.sample(TYPES, rng.randint(1, 2))),
            languages=tuple(rng.sample(["en", "es", "fr", "qu"], rng.randint(0, 2))),
            latitude=CENTRE[0] + rng.uniform(-0.6, 0.6) if located else None,
            longitude=CENTRE[1] + rng.uniform(-0.6, 0.6) if located else None,
            status=rng.choice(["active"] * 6 + ["inactive"]),
            gender_eligibility=rng.choice(["all", "all", "women", "men"]),
            minimum_age=rng.choice([None, None, 18, 21]),
            maximum_age=rng.choice([None, None, 24, 65]),
            capacity_available=rng.choice([None, 0, 0, 3]),
            survivor_led=rng.random() < 0.3,
            trauma_informed=rng.random() < 0.5,
            serves_trafficking_survivors=rng.random() < 0.5,
            lgbtq_affirming=rng.random() < 0.3,
            interpretation_available=rng.random() < 0.3,
            female_staff_available=rng.random() < 0.5,
            immigration_status_required=rng.random() < 0.2,
            free_of_charge=rng.choice([None, True, False]),
            wait_time_days=rng.choice([None, 0, 6, 7, 20, 34, 35, 90]),
        )
        if rng.random() < 0.1:  # a second site: the closer one counts
            site = Location.objects.create(
                name="second site",
                latitude=CENTRE[0] + rng.uniform(-0.6, 0.6),
                longitude=CENTRE[1] + rng.uniform(-0.6, 0.6),
            )
            ServiceAtLocation.objects.create(service=service, location=site)
            refresh_match_rows([service.pk])  # as an import that adds a site does


def _reference(needs: list[str], preferences: Preferences, near: Any) -> Any:
    """Every candidate of the needed types (in the box, with a limit), ranked in Python."""
    types = service_types_for_needs(needs) if needs else SERVICE_TYPE_CODES
    ids = set(ServiceType.objects.filter(code__in=types).values_list("service_id", flat=True))
    queryset = services_queryset().filter(pk__in=ids)
    if near is not None and preferences.max_distance_km is not None:
        queryset = queryset.filter(search._within_box(near, preferences.max_distance_km))
    services = list(queryset)
    distances = search.distances_km([s.pk for s in services], near)
    return rank_services(
        [service_matching.candidate_for(s, distances.get(s.pk)) for s in services],
        needs,
        preferences,
    )


def _explained(items: Any) -> list[tuple[Any, ...]]:
    return [(item.candidate.id, getattr(item, "score", None), item.reasons) for item in items]


PREFERENCES = [
    Preferences(),
    Preferences(languages=("es",), gender="woman", max_distance_km=30.0),
    Preferences(languages=("fr", "en"), needs_open_capacity=True, age=19),
    Preferences(survivor_led=True, free_only=True, lgbtq_affirming=True, gender="man"),
    Preferences(women_only=True, female_staff=True, has_immigration_status=False, age=30),
    Preferences(max_distance_km=12.0, needs_open_capacity=True),
    # A language matching has no bit for, and a limit too wide for the grid cells.
    Preferences(languages=("qu", "es"), max_distance_km=900.0, female_staff=True),
]
NEEDS = [[], ["housing"], ["legal_immigration", "mental_health"], ["employment", "housing"]]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("limit", [1, 4, 200])
def test_the_sql_match_equals_ranking_every_candidate(caseworker, seed, limit):
    _directory(seed)
    rng = random.Random(seed)
    for preferences in PREFERENCES:
        for needs in NEEDS:
            near = (
                search.Point(CENTRE[0] + rng.uniform(-0.3, 0.3), CENTRE[1])
                if rng.random() < 0.8
                else None
            )
            if near is None and preferences.max_distance_km is not None:
                continue
            expected = _reference(needs, preferences, near)
            match = service_matching.match_services(
                needs, preferences, by=caseworker, near=near, limit=limit
            )
            context = (needs, preferences, near)
            assert _explained(match.result.ranked) == _explained(expected.ranked[:limit]), context
            assert match.ranked_total == len(expected.ranked), context
            assert match.excluded_total == len(expected.excluded), context
            reference_out = dict((i, r) for i, _s, r in _explained(expected.excluded))
            shown_out = _explained(match.result.excluded)
            assert len(shown_out) == min(limit, len(expected.excluded)), context
            assert all(reference_out[i] == r for i, _s, r in shown_out), context
            assert set(match.services) >= {i for i, _s, _r in shown_out}, context


def test_a_match_loads_only_what_it_shows(caseworker, django_assert_max_num_queries):
    _directory(3, count=60)
    assert Service.objects.count() == 60
    with django_assert_max_num_queries(14):
        match = service_matching.match_services(
            ["housing"], Preferences(), by=caseworker, near=search.Point(*CENTRE), limit=3
        )
    assert len(match.result.ranked) == 3
    assert len(match.services) <= 6
