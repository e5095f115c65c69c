"""The match rows: kept equal to a rebuild from the directory by every write, and the pieces
of the ranking they hold (fixed points, the most a match adds, cells, distance order) agree
with the pure ranking in `matching`."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reclaim.care.domains import STANDARD_DOMAIN_CODES
from reclaim.directory.matching import (
    Preferences,
    closeness_points,
    haversine_km,
    score_candidate,
)
from reclaim.directory.models import Service, ServiceMatchRow
from reclaim.directory.services import entries, hsds_io, match_rows, service_matching
from reclaim.directory.services.search import Point
from reclaim.directory.taxonomy import needs_met_by
from tests.directory.factories import make_service
from tests.directory.test_hsds import our_service, write_json
from tests.directory.test_matching import candidates, preferences

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple[Any, ...]]:
    names = [f.attname for f in ServiceMatchRow._meta.concrete_fields if f.name != "id"]
    return sorted(ServiceMatchRow.objects.values_list(*names), key=str)


def _rebuilt() -> list[list[tuple[Any, ...]]]:
    kept = _snapshot()
    match_rows.refresh_all_match_rows()
    rebuilt = _snapshot()
    assert rebuilt, "the scenario left no match rows to compare"
    return [kept, rebuilt]


def _sited(name: str, location_id: str, latitude: float, longitude: float) -> dict[str, Any]:
    return our_service(
        name=name,
        service_at_locations=[
            {
                "id": str(uuid.uuid4()),
                "location": {
                    "id": location_id,
                    "location_type": "physical",
                    "name": "Shared site",
                    "latitude": latitude,
                    "longitude": longitude,
                },
            }
        ],
    )


def test_every_write_keeps_the_rows_equal_to_a_rebuild(tmp_path, org_admin):
    site = str(uuid.uuid4())
    first, second = _sited("Casa uno", site, 40.0, -3.7), _sited("Casa dos", site, 40.0, -3.7)
    hsds_io.import_hsds(write_json(tmp_path, [first, second]))
    kept, rebuilt = _rebuilt()
    assert kept == rebuilt

    # The shared site moves in an import that names only the first service: the second's
    # rows move too.
    moved = _sited("Casa uno", site, 41.0, 2.0) | {"id": first["id"]}
    moved["service_at_locations"][0]["id"] = first["service_at_locations"][0]["id"]
    hsds_io.import_hsds(write_json(tmp_path, [moved]))
    cells = set(ServiceMatchRow.objects.values_list("cell", flat=True))
    assert cells == {match_rows.cell_of(41.0, 2.0)}
    kept, rebuilt = _rebuilt()
    assert kept == rebuilt

    service = Service.objects.get(pk=first["id"])
    entries.update_service(service, by=org_admin, changes={"service_types": ["counseling"]})
    entries.update_capacity(service, by=org_admin, available=0)
    kept, rebuilt = _rebuilt()
    assert kept == rebuilt
    assert set(ServiceMatchRow.objects.filter(service=service).values_list("need", flat=True)) == {
        "",
        "mental_health",
    }

    entries.delete_service(service, by=org_admin)
    assert not ServiceMatchRow.objects.filter(service_id=first["id"]).exists()


def test_a_capacity_report_changes_the_next_match(caseworker, org_admin):
    service = make_service(name="Casa", capacity_available=3)
    wanted = Preferences(needs_open_capacity=True)
    assert service_matching.match_services(["housing"], wanted, by=caseworker).ranked_total == 1

    entries.update_capacity(service, by=org_admin, available=0)
    match = service_matching.match_services(["housing"], wanted, by=caseworker)
    assert (match.ranked_total, match.excluded_total) == (0, 1)
    assert [reason.code for reason in match.result.excluded[0].reasons] == ["full"]


def test_the_left_out_shown_are_those_that_would_have_ranked_best(caseworker):
    # Six men-only services; a woman is matched, so all are left out; the two shown are the
    # two that would have scored best, not the first two by name.
    for number, flags in enumerate(
        [{}, {}, {"survivor_led": True, "trauma_informed": True}, {}, {"free_of_charge": True}, {}]
    ):
        make_service(name=f"Hogar {number}", gender_eligibility="men", **flags)
    match = service_matching.match_services(
        ["housing"], Preferences(gender="woman"), by=caseworker, limit=2
    )
    assert (match.ranked_total, match.excluded_total) == (0, 6)
    assert {item.candidate.name for item in match.result.excluded} == {"Hogar 2", "Hogar 4"}


def test_the_bit_orders_cover_every_need_and_fit_a_64_bit_integer():
    assert set(match_rows.NEED_BITS) == STANDARD_DOMAIN_CODES
    assert len(set(match_rows.NEED_BITS)) == len(match_rows.NEED_BITS) <= 63
    assert len(set(match_rows.LANGUAGE_BITS)) == len(match_rows.LANGUAGE_BITS) <= 63


# --- the pieces of the ranking, as properties -----------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    candidate=candidates,
    wanted=st.lists(st.sampled_from(sorted(STANDARD_DOMAIN_CODES)), max_size=3, unique=True),
    preferences=preferences,
)
def test_a_score_is_the_fixed_points_plus_at_most_what_a_match_can_add(
    candidate, wanted, preferences
):
    score, _reasons, _met = score_candidate(candidate, frozenset(wanted), preferences)
    fixed = match_rows.fixed_points(candidate.__dict__)
    added = score - closeness_points(candidate.distance_km) - fixed
    assert 0 <= added <= service_matching.max_added_points(sorted(wanted), preferences)
    if set(wanted) <= needs_met_by(candidate.service_types) and not (
        preferences.languages
        or preferences.women_only
        or preferences.female_staff
        or preferences.survivor_led
        or preferences.lgbtq_affirming
    ):
        assert added == 30 * len(wanted)


latitudes = st.floats(-80, 80)
longitudes = st.floats(-179, 179)


@settings(max_examples=300, deadline=None)
@given(latitudes, longitudes, latitudes, longitudes, latitudes, longitudes)
def test_the_larger_dot_product_is_the_nearer_site(lat, lon, lat_a, lon_a, lat_b, lon_b):
    to_a, to_b = haversine_km(lat, lon, lat_a, lon_a), haversine_km(lat, lon, lat_b, lon_b)
    if abs(to_a - to_b) < 1e-3:
        return  # within a metre: either order
    here = match_rows.unit_vector(lat, lon)
    dot_a = sum(p * q for p, q in zip(here, match_rows.unit_vector(lat_a, lon_a), strict=True))
    dot_b = sum(p * q for p, q in zip(here, match_rows.unit_vector(lat_b, lon_b), strict=True))
    assert (dot_a > dot_b) == (to_a < to_b)


@settings(max_examples=300, deadline=None)
@given(
    south=st.floats(-89, 88),
    west=st.floats(-179, 178),
    height=st.floats(0, 1),
    width=st.floats(0, 1),
    at=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_the_cells_of_a_box_hold_every_point_in_it(south, west, height, width, at):
    north, east = south + height, west + width
    cells = match_rows.cells_between(south, north, west, east, most=10_000)
    assert cells is not None
    point = (south + at[0] * height, west + at[1] * width)
    assert match_rows.cell_of(*point) in cells


def test_a_box_with_too_many_cells_is_not_listed():
    assert match_rows.cells_between(0, 10, 0, 10, most=100) is None
    assert len(match_rows.cells_between(0, 0.1, 0, 0.1, most=100) or []) == 1


def test_a_service_with_sites_in_several_cells_is_found_near_either(caseworker):
    service = make_service(name="Two towns", latitude=40.0, longitude=-3.7)
    far_site = make_service(name="Elsewhere", latitude=41.4, longitude=2.2)
    # give the first service the second's site too
    site = far_site.service_at_locations.get().location
    service.service_at_locations.create(location=site)
    far_site.delete()
    match_rows.refresh_match_rows([service.pk])
    assert ServiceMatchRow.objects.filter(service=service, cell=match_rows.SPREAD_CELL).exists()
    for near in (Point(40.01, -3.7), Point(41.41, 2.2)):
        match = service_matching.match_services(
            ["housing"], Preferences(max_distance_km=10.0), by=caseworker, near=near
        )
        assert [item.candidate.name for item in match.result.ranked] == ["Two towns"]
        assert match.result.ranked[0].candidate.distance_km == pytest.approx(
            min(
                haversine_km(near.latitude, near.longitude, 40.0, -3.7),
                haversine_km(near.latitude, near.longitude, 41.4, 2.2),
            )
        )
    nowhere = service_matching.match_services(
        ["housing"], Preferences(max_distance_km=10.0), by=caseworker, near=Point(0.0, 0.0)
    )
    assert nowhere.ranked_total == 0


def test_counts_kept_between_matches_follow_every_change(caseworker, org_admin):
    first, second = make_service(name="Casa uno"), make_service(name="Casa dos")
    count = service_matching.match_services(["housing"], Preferences(), by=caseworker).ranked_total
    assert count == 2
    entries.delete_service(first, by=org_admin)
    assert (
        service_matching.match_services(["housing"], Preferences(), by=caseworker).ranked_total == 1
    )
    entries.update_service(second, by=org_admin, changes={"status": "inactive"})
    match = service_matching.match_services(["housing"], Preferences(), by=caseworker)
    assert (match.ranked_total, match.excluded_total) == (0, 1)
