"""packet_contents: only consented categories; never notes; screenings only for mental health."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reclaim.care import services
from reclaim.care.domains import STANDARD_DOMAINS
from reclaim.core.fields import DATA_CATEGORIES

CATEGORY_OF = {d.code: d.category for d in STANDARD_DOMAINS}


def _fill(caseworker, survivor):
    services.record_assessment(
        survivor,
        by=caseworker,
        scores={"housing": 1, "mental_health": 2, "income": 4, "legal_immigration": 2},
        notes={"housing": "NOTE-HOUSING"},
    )
    services.add_goal(
        survivor,
        by=caseworker,
        text="Stable housing",
        domain_code="housing",
        steps=[{"text": "Apply", "owner": "partner"}],
    )
    services.add_goal(survivor, by=caseworker, text="Feel calmer", domain_code="mental_health")
    services.add_goal(survivor, by=caseworker, text="No domain goal")
    services.add_note(survivor, by=caseworker, body="NOTE-CASE")
    services.record_screening(
        survivor,
        by=caseworker,
        instrument="gad7",
        version="gad7-2006",
        language="en",
        answers=[1, 2, 1, 0, 0, 1, 3],
    )


def test_only_consented_categories_are_in_the_packet(caseworker, survivor):
    _fill(caseworker, survivor)
    packet = services.packet_contents(survivor, categories={"location"})
    assert packet["needs"] == [
        {"code": "housing", "label": "Housing", "score": 1, "category": "location"}
    ]
    assert [g["text"] for g in packet["goals"]] == ["Stable housing"]
    assert packet["goals"][0]["steps"] == [
        {"text": "Apply", "owner": "partner", "target_date": None, "status": "to_do"}
    ]
    assert "screenings" not in packet
    assert "NOTE" not in repr(packet)


def test_mental_health_adds_screening_totals_and_bands_only(caseworker, survivor):
    _fill(caseworker, survivor)
    packet = services.packet_contents(survivor, categories={"mental_health"})
    assert [n["code"] for n in packet["needs"]] == ["mental_health"]
    [screening] = packet["screenings"]
    assert screening["instrument"] == "gad7"
    assert (screening["total"], screening["band"]) == (8, "mild")
    assert "answers" not in screening
    assert "NOTE" not in repr(packet)


def test_no_categories_share_nothing(caseworker, survivor):
    _fill(caseworker, survivor)
    assert services.packet_contents(survivor, categories=set()) == {"needs": [], "goals": []}


@pytest.fixture
def filled(caseworker, survivor):
    _fill(caseworker, survivor)
    return survivor


# packet_contents only reads, so one filled record serves every example.
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(categories=st.sets(st.sampled_from(DATA_CATEGORIES)))
def test_packet_items_are_always_within_the_categories(filled, categories):
    survivor = filled
    packet = services.packet_contents(survivor, categories=categories)
    assert all(need["category"] in categories for need in packet["needs"])
    assert all(CATEGORY_OF[g["domain_code"]] in categories for g in packet["goals"])
    assert ("screenings" in packet) == ("mental_health" in categories)
    assert "NOTE" not in repr(packet)
