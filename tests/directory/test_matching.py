"""rank_services: the explained ranking, as examples and as properties (hypothesis)."""

from __future__ import annotations

import dataclasses
import random
import uuid

from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from reclaim.directory.matching import (
    Candidate,
    Preferences,
    haversine_km,
    rank_services,
)
from reclaim.directory.taxonomy import SERVICE_TYPE_CODES


def candidate(**fields) -> Candidate:
    fields.setdefault("id", uuid.uuid4())
    fields.setdefault("name", "Service")
    fields.setdefault("service_types", frozenset({"safe_housing"}))
    return Candidate(**fields)


def codes(item) -> list[str]:
    return [reason.code for reason in item.reasons]


# --- examples -------------------------------------------------------------------------------


def test_reasons_explain_the_rank_in_words():
    shelter = candidate(
        name="Casa",
        languages=frozenset({"es"}),
        capacity_available=3,
        capacity_unit="beds",
        gender_eligibility="women",
        distance_km=12.04,
        survivor_led=True,
    )
    result = rank_services([shelter], ["housing"], Preferences(languages=("es",)))

    with translation.override("en"):
        texts = [reason.text for reason in result.ranked[0].reasons]
    assert texts == [
        "helps with: Housing",
        "speaks Spanish",
        "3 beds available",
        "12 km",
        "women-only",
        "survivor-led",
    ]


def test_left_out_services_say_why():
    men = candidate(name="Men's shelter", gender_eligibility="men")
    full = candidate(name="Full shelter", capacity_available=0)
    adults = candidate(name="Adult shelter", minimum_age=18)
    far = candidate(name="Far shelter", distance_km=80)
    preferences = Preferences(gender="woman", age=16, needs_open_capacity=True, max_distance_km=25)

    result = rank_services([men, full, adults, far], ["housing"], preferences)

    assert result.ranked == ()
    with translation.override("en"):
        reasons = {item.candidate.name: [r.text for r in item.reasons] for item in result.excluded}
    assert reasons == {
        "Men's shelter": ["men only"],
        "Full shelter": ["full"],
        "Adult shelter": ["age 18+"],
        "Far shelter": ["80 km away (limit 25 km)"],
    }


def test_services_that_meet_none_of_the_needs_are_left_out():
    lawyer = candidate(service_types=frozenset({"legal"}))
    result = rank_services([lawyer], ["housing"], Preferences())
    assert codes(result.excluded[0]) == ["no_needs_met"]


def test_more_needs_met_ranks_higher():
    one = candidate(name="A", service_types=frozenset({"counseling"}))
    two = candidate(name="B", service_types=frozenset({"counseling", "safe_housing"}))
    result = rank_services([one, two], ["housing", "mental_health"], Preferences())
    assert [item.candidate.name for item in result.ranked] == ["B", "A"]


def test_interpretation_counts_when_no_shared_language():
    service = candidate(languages=frozenset({"en"}), interpretation_available=True)
    result = rank_services([service], [], Preferences(languages=("ti",)))
    assert "interpretation" in codes(result.ranked[0])


def test_unknown_gender_is_never_a_reason_to_leave_out():
    services = [candidate(gender_eligibility="women"), candidate(gender_eligibility="men")]
    result = rank_services(services, [], Preferences(gender=None))
    assert len(result.ranked) == 2


def test_free_only_and_immigration_status_rules():
    fee = candidate(name="Fee", free_of_charge=False)
    status = candidate(name="Status", immigration_status_required=True)
    result = rank_services(
        [fee, status], [], Preferences(free_only=True, has_immigration_status=False)
    )
    assert {item.candidate.name: codes(item) for item in result.excluded} == {
        "Fee": ["charges_fee"],
        "Status": ["needs_immigration_status"],
    }


def test_haversine_madrid_to_barcelona_is_about_505_km():
    assert 500 < haversine_km(40.4168, -3.7038, 41.3874, 2.1686) < 510
    assert haversine_km(10, 10, 10, 10) == 0


# --- properties -----------------------------------------------------------------------------

NEEDS = ["housing", "safety", "mental_health", "legal_immigration", "employment", "language"]
LANGS = ["en", "es", "fr", "ti", "uk"]

candidates = st.builds(
    Candidate,
    id=st.uuids(),
    name=st.sampled_from(["Alba", "Casa", "Luz", "Puerta", "Nido"]),
    service_types=st.frozensets(st.sampled_from(sorted(SERVICE_TYPE_CODES)), max_size=3),
    languages=st.frozensets(st.sampled_from(LANGS), max_size=3),
    status=st.sampled_from(["active", "active", "inactive"]),
    gender_eligibility=st.sampled_from(["all", "women", "men"]),
    minimum_age=st.one_of(st.none(), st.integers(0, 30)),
    maximum_age=st.one_of(st.none(), st.integers(30, 99)),
    capacity_available=st.one_of(st.none(), st.integers(0, 20)),
    distance_km=st.one_of(st.none(), st.floats(0, 200, allow_nan=False)),
    survivor_led=st.booleans(),
    trauma_informed=st.booleans(),
    serves_trafficking_survivors=st.booleans(),
    lgbtq_affirming=st.booleans(),
    interpretation_available=st.booleans(),
    female_staff_available=st.booleans(),
    immigration_status_required=st.booleans(),
    free_of_charge=st.one_of(st.none(), st.booleans()),
    wait_time_days=st.one_of(st.none(), st.integers(0, 90)),
)
preferences = st.builds(
    Preferences,
    languages=st.lists(st.sampled_from(LANGS), max_size=2, unique=True).map(tuple),
    gender=st.sampled_from([None, "woman", "man"]),
    age=st.one_of(st.none(), st.integers(10, 80)),
    women_only=st.booleans(),
    female_staff=st.booleans(),
    survivor_led=st.booleans(),
    lgbtq_affirming=st.booleans(),
    max_distance_km=st.one_of(st.none(), st.floats(1, 150, allow_nan=False)),
    needs_open_capacity=st.booleans(),
    free_only=st.booleans(),
    has_immigration_status=st.sampled_from([None, True, False]),
)
needs = st.lists(st.sampled_from(NEEDS), max_size=3)


@settings(max_examples=200)
@given(st.lists(candidates, max_size=12), needs, preferences)
def test_every_candidate_is_ranked_or_excluded_never_both(pool, wanted, prefs):
    result = rank_services(pool, wanted, prefs)
    ranked = [id(item.candidate) for item in result.ranked]
    excluded = [id(item.candidate) for item in result.excluded]
    assert not set(ranked) & set(excluded)
    assert sorted(ranked + excluded) == sorted(id(c) for c in pool)
    assert all(item.reasons for item in (*result.ranked, *result.excluded))


@settings(max_examples=200)
@given(st.lists(candidates, max_size=12), needs, preferences, st.randoms())
def test_order_is_deterministic_whatever_the_input_order(pool, wanted, prefs, rng: random.Random):
    shuffled = list(pool)
    rng.shuffle(shuffled)
    assert rank_services(pool, wanted, prefs) == rank_services(shuffled, wanted, prefs)


@settings(max_examples=200)
@given(st.lists(candidates, max_size=12), needs, preferences)
def test_ranked_scores_never_increase_down_the_list(pool, wanted, prefs):
    scores = [item.score for item in rank_services(pool, wanted, prefs).ranked]
    assert scores == sorted(scores, reverse=True)


PREFERENCE_SATISFIED = {
    "survivor_led": lambda c: c.survivor_led,
    "lgbtq_affirming": lambda c: c.lgbtq_affirming,
    "female_staff": lambda c: c.female_staff_available,
    "women_only": lambda c: c.gender_eligibility == "women",
    "needs_open_capacity": lambda c: bool(c.capacity_available),
    "free_only": lambda c: c.free_of_charge is True,
}


@settings(max_examples=300)
@given(candidates, needs, preferences, st.sampled_from(sorted(PREFERENCE_SATISFIED)))
def test_adding_a_satisfied_preference_never_lowers_a_score(item, wanted, prefs, name):
    if not PREFERENCE_SATISFIED[name](item):
        return
    before = rank_services([item], wanted, dataclasses.replace(prefs, **{name: False}))
    after = rank_services([item], wanted, dataclasses.replace(prefs, **{name: True}))
    if before.ranked:
        assert after.ranked
        assert after.ranked[0].score >= before.ranked[0].score


@settings(max_examples=200)
@given(candidates, needs, preferences, st.sampled_from(LANGS))
def test_adding_a_language_the_service_speaks_never_lowers_a_score(item, wanted, prefs, lang):
    if lang not in item.languages:
        return
    before = rank_services([item], wanted, prefs)
    added = dataclasses.replace(prefs, languages=(*prefs.languages, lang))
    after = rank_services([item], wanted, added)
    if before.ranked:
        assert after.ranked[0].score >= before.ranked[0].score


@settings(max_examples=200)
@given(candidates, needs, preferences)
def test_a_distance_limit_the_service_is_within_never_lowers_its_score(item, wanted, prefs):
    if item.distance_km is None:
        return
    before = rank_services([item], wanted, dataclasses.replace(prefs, max_distance_km=None))
    limited = dataclasses.replace(prefs, max_distance_km=item.distance_km + 1)
    after = rank_services([item], wanted, limited)
    if before.ranked:
        assert after.ranked[0].score == before.ranked[0].score
