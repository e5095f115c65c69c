"""Full-text search, filters, distance and matching against the database (both engines)."""

from __future__ import annotations

import pytest

from reclaim.core.errors import Forbidden, ValidationFailed
from reclaim.core.models import AuditEvent
from reclaim.directory.matching import Preferences
from reclaim.directory.services import search, service_matching
from reclaim.directory.services.entries import update_service
from reclaim.directory.services.search import Point, SearchFilters
from reclaim.directory.services.search_rows import write_search_rows
from tests.directory.factories import DirectoryOrganizationFactory, make_service

MADRID = Point(40.4168, -3.7038)


def names(page) -> list[str]:
    return [hit.service.name for hit in page.hits]


@pytest.fixture
def directory():
    casa = DirectoryOrganizationFactory(name="Casa de Acogida Luz")
    return {
        "shelter": make_service(
            name="Refugio Luz",
            organization=casa,
            description="Alojamiento seguro para mujeres supervivientes de trata.",
            types=("safe_housing",),
            languages=("es", "en"),
            latitude=40.42,
            longitude=-3.70,
            capacity_available=2,
        ),
        "counselling": make_service(
            name="Trauma Counselling",
            description="Psychological support and therapy, trauma-informed.",
            types=("counseling",),
            languages=("en",),
            latitude=40.45,
            longitude=-3.60,
            capacity_available=0,
        ),
        "legal": make_service(
            name="Asesoría jurídica",
            description="Immigration legal advice (T visa, residence permits).",
            types=("immigration_legal",),
            languages=("es",),
            latitude=41.39,
            longitude=2.17,
        ),
        "closed": make_service(
            name="Closed shelter", types=("safe_housing",), status="temporarily closed"
        ),
    }


def test_full_text_matches_words_as_prefixes_and_ignores_accents(directory, caseworker):
    page = search.search_services(SearchFilters(query="asesoria jurid"), by=caseworker)
    assert names(page) == ["Asesoría jurídica"]


def test_full_text_needs_every_word(directory, caseworker):
    assert names(search.search_services(SearchFilters(query="trauma"), by=caseworker)) == [
        "Trauma Counselling"
    ]
    assert search.search_services(SearchFilters(query="trauma visa"), by=caseworker).total == 0


def test_full_text_finds_the_organisation_name_and_the_service_type(directory, caseworker):
    assert names(search.search_services(SearchFilters(query="acogida"), by=caseworker)) == [
        "Refugio Luz"
    ]
    assert names(search.search_services(SearchFilters(query="housing"), by=caseworker)) == [
        "Refugio Luz"
    ]


@pytest.mark.parametrize("query", ['"', "*", "OR AND NOT", "a' OR 1=1 --", "NEAR(", "^x"])
def test_search_operators_and_quotes_are_plain_text(directory, caseworker, query):
    page = search.search_services(SearchFilters(query=query), by=caseworker)
    assert page.total >= 0


def test_search_index_follows_edits(directory, org_admin, caseworker):
    update_service(directory["legal"], by=org_admin, changes={"name": "Abogadas Norte"})
    assert names(search.search_services(SearchFilters(query="abogadas"), by=caseworker)) == [
        "Abogadas Norte"
    ]
    assert search.search_services(SearchFilters(query="asesoria"), by=caseworker).total == 0


def test_closed_services_are_hidden_unless_asked(directory, caseworker):
    assert "Closed shelter" not in names(search.search_services(SearchFilters(), by=caseworker))
    page = search.search_services(SearchFilters(include_closed=True), by=caseworker)
    assert "Closed shelter" in names(page)


def test_filters_by_type_language_and_open_capacity(directory, caseworker):
    by_type = SearchFilters(service_types=("counseling",))
    assert names(search.search_services(by_type, by=caseworker)) == ["Trauma Counselling"]
    spanish = search.search_services(SearchFilters(language="es"), by=caseworker)
    assert names(spanish) == ["Asesoría jurídica", "Refugio Luz"]
    open_now = search.search_services(SearchFilters(open_capacity=True), by=caseworker)
    assert names(open_now) == ["Refugio Luz"]


def test_distance_orders_and_limits(directory, caseworker):
    page = search.search_services(SearchFilters(near=MADRID), by=caseworker)
    assert names(page) == ["Refugio Luz", "Trauma Counselling", "Asesoría jurídica"]
    assert page.hits[0].distance_km == pytest.approx(0.4, abs=0.1)
    near = search.search_services(SearchFilters(near=MADRID, max_distance_km=25), by=caseworker)
    assert names(near) == ["Refugio Luz", "Trauma Counselling"]


def test_pagination_reports_the_total(directory, caseworker):
    page = search.search_services(SearchFilters(), by=caseworker, limit=2, offset=2)
    assert page.total == 3
    assert names(page) == ["Trauma Counselling"]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (SearchFilters(service_types=("astrology",)), "service_type"),
        (SearchFilters(max_distance_km=10), "max_distance_km"),
        (SearchFilters(near=MADRID, max_distance_km=-1), "max_distance_km"),
        (SearchFilters(language="es; DROP"), "language"),
    ],
)
def test_bad_filters_name_the_field(directory, caseworker, filters, field):
    with pytest.raises(ValidationFailed) as error:
        search.search_services(filters, by=caseworker)
    assert error.value.field == field


@pytest.mark.parametrize(("latitude", "longitude"), [("x", 1), (91, 0), (0, 181), ("nan", 0)])
def test_bad_points_name_the_field(latitude, longitude):
    with pytest.raises(ValidationFailed):
        Point.parse(latitude, longitude)


def test_survivors_in_the_portal_cannot_search(directory, survivor_user):
    with pytest.raises(Forbidden):
        search.search_services(SearchFilters(), by=survivor_user)


@pytest.fixture
def lanterns():
    """Services holding "lantern": two in their name, two only in their description."""
    return [
        make_service(name="Zeta Lantern House", types=("counseling",)),
        make_service(name="lantern circle", types=("counseling",)),
        make_service(name="Casa Norte", description="Lantern evenings.", types=("counseling",)),
        make_service(name="Ángel Centre", description="Lantern walks.", types=("counseling",)),
        make_service(name="Closed Lantern", types=("counseling",), status="temporarily closed"),
    ]


def test_words_in_the_name_come_first_then_the_rest_each_by_folded_name(lanterns, caseworker):
    page = search.search_services(SearchFilters(query="lantern"), by=caseworker)
    # Folded order: "angel" before "casa", "lantern circle" before "zeta" (not by case/bytes).
    assert names(page) == ["lantern circle", "Zeta Lantern House", "Ángel Centre", "Casa Norte"]
    assert (page.total, page.more) == (4, False)


def test_every_word_must_be_in_the_name_for_the_name_tier(lanterns, caseworker):
    make_service(name="Lantern Evenings Club", types=("counseling",))
    page = search.search_services(SearchFilters(query="lantern evening"), by=caseworker)
    assert names(page) == ["Lantern Evenings Club", "Casa Norte"]


def test_pages_continue_across_the_name_tier(lanterns, caseworker):
    pages = [
        names(
            search.search_services(
                SearchFilters(query="lantern"), by=caseworker, limit=3, offset=offset
            )
        )
        for offset in (0, 1, 3)
    ]
    assert pages == [
        ["lantern circle", "Zeta Lantern House", "Ángel Centre"],
        ["Zeta Lantern House", "Ángel Centre", "Casa Norte"],
        ["Casa Norte"],
    ]


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_pages_of_any_size_walk_the_same_list(lanterns, caseworker, limit):
    # Pages that the named services fill, end on, or start past (counted then) all join up.
    make_service(name="Lantern Yard", types=("counseling",))
    whole = names(search.search_services(SearchFilters(query="lantern"), by=caseworker))
    assert whole == [
        "lantern circle",
        "Lantern Yard",
        "Zeta Lantern House",
        "Ángel Centre",
        "Casa Norte",
    ]
    pages = [
        search.search_services(
            SearchFilters(query="lantern"), by=caseworker, limit=limit, offset=offset
        )
        for offset in range(0, len(whole) + 1, limit)
    ]
    assert [name for page in pages for name in names(page)] == whole
    assert {(page.total, page.more) for page in pages} == {(5, False)}


def test_postgresql_search_rows_are_lean(db):
    """A GIN index's pending list is read in full by every search: kept small (migration
    0008). The vectors hold no word positions, nothing reads them (0010), whether the
    trigger or the bulk writer wrote the row; the service table keeps no vector of its own."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's FTS5 index has no pending list and no vectors")
    by_trigger = make_service(name="Harbor House", description="Shelter and legal advice.")
    by_bulk = make_service(name="Second Harbor", description="Counseling in Spanish.")
    write_search_rows([by_bulk.pk], replaced=[by_bulk.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN "
            "('directory_service_search_vector_gin', 'directory_service_search_name_gin')"
        )
        options = dict(cursor.fetchall())
        cursor.execute(
            "SELECT service_id, name_vector::text, search_vector::text "
            "FROM directory_service_search"
        )
        vectors = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'directory_service' AND column_name = 'search_vector'"
        )
        service_vectors = cursor.fetchone()[0]
    assert options == {
        "directory_service_search_vector_gin": ["gin_pending_list_limit=64"],
        "directory_service_search_name_gin": ["gin_pending_list_limit=64"],
    }
    assert vectors[by_trigger.pk] == ("'harbor' 'house'", vectors[by_trigger.pk][1])
    assert "'shelter'" in vectors[by_trigger.pk][1] and "'spanish'" in vectors[by_bulk.pk][1]
    assert not any(":" in text for row in vectors.values() for text in row)  # 'word':3 has one
    assert service_vectors == 0


def test_filters_with_words_keep_the_search_order(lanterns, caseworker):
    make_service(name="Lantern Legal", types=("immigration_legal",))
    filters = SearchFilters(query="lantern", service_types=("immigration_legal",))
    page = search.search_services(filters, by=caseworker)
    assert (names(page), page.total) == (["Lantern Legal"], 1)
    spanish = SearchFilters(query="lantern", language="es")
    assert search.search_services(spanish, by=caseworker).total == 0


def test_closed_services_match_words_only_when_asked(lanterns, caseworker):
    shown = names(search.search_services(SearchFilters(query="lantern"), by=caseworker))
    assert "Closed Lantern" not in shown
    everything = SearchFilters(query="lantern", include_closed=True)
    page = search.search_services(everything, by=caseworker)
    assert names(page)[:3] == ["Closed Lantern", "lantern circle", "Zeta Lantern House"]
    assert page.total == 5


def test_word_search_follows_status_and_name_changes(lanterns, org_admin, caseworker):
    zeta, casa = lanterns[0], lanterns[2]
    update_service(zeta, by=org_admin, changes={"status": "inactive"})
    update_service(casa, by=org_admin, changes={"name": "Casa Lantern"})
    page = search.search_services(SearchFilters(query="lantern"), by=caseworker)
    assert names(page) == ["Casa Lantern", "lantern circle", "Ángel Centre"]


def test_word_search_counts_up_to_the_limit_and_says_there_are_more(
    lanterns, caseworker, monkeypatch
):
    monkeypatch.setattr(search, "COUNT_LIMIT", 3)
    page = search.search_services(SearchFilters(query="lantern"), by=caseworker, limit=2)
    assert (page.total, page.more, len(page.hits)) == (3, True, 2)
    monkeypatch.setattr(search, "COUNT_LIMIT", 4)
    page = search.search_services(SearchFilters(query="lantern"), by=caseworker)
    assert (page.total, page.more) == (4, False)


def test_words_and_a_starting_point_keep_the_search_order_and_measure(caseworker):
    make_service(name="Lantern Far", latitude=41.39, longitude=2.17)
    make_service(name="Near", description="lantern", latitude=40.42, longitude=-3.70)
    page = search.search_services(SearchFilters(query="lantern", near=MADRID), by=caseworker)
    assert names(page) == ["Lantern Far", "Near"]
    assert page.hits[1].distance_km == pytest.approx(0.4, abs=0.1)
    near = SearchFilters(query="lantern", near=MADRID, max_distance_km=25)
    assert names(search.search_services(near, by=caseworker)) == ["Near"]


def test_match_ranks_and_leaves_out_with_reasons(directory, caseworker):
    match = service_matching.match_services(
        ["housing", "mental_health"],
        Preferences(languages=("es",), needs_open_capacity=True),
        by=caseworker,
        near=MADRID,
    )
    assert [item.candidate.name for item in match.result.ranked] == ["Refugio Luz"]
    left_out = {
        item.candidate.name: [r.code for r in item.reasons] for item in match.result.excluded
    }
    assert left_out == {"Closed shelter": ["not_open"], "Trauma Counselling": ["full"]}


def test_match_for_a_survivor_is_audited_on_the_record(directory, caseworker, survivor):
    service_matching.match_services(["housing"], Preferences(), by=caseworker, survivor=survivor)
    event = AuditEvent.objects.filter(action="directory.match").latest("seq")
    assert event.subject_id == survivor.pk
    assert event.context["needs"] == ["housing"]


def test_unknown_needs_are_refused(caseworker):
    with pytest.raises(ValidationFailed) as error:
        service_matching.match_services(["wizardry"], Preferences(), by=caseworker)
    assert error.value.field == "needs"


def test_preferences_from_profile_reads_gender_age_and_languages():
    import datetime

    prefs = service_matching.preferences_from_profile(
        {"gender": "Feminine", "date_of_birth": datetime.date(2000, 6, 2), "languages": ["es"]},
        today=datetime.date(2026, 6, 1),
    )
    assert (prefs.gender, prefs.age, prefs.languages) == ("woman", 25, ("es",))
    unsaid = service_matching.preferences_from_profile(
        {"gender": "PreferNotToSay"}, today=datetime.date(2026, 6, 1)
    )
    assert (unsaid.gender, unsaid.age, unsaid.languages) == (None, None, ())


def test_service_types_are_found_by_their_spanish_label(directory, caseworker):
    page = search.search_services(SearchFilters(query="vivienda segura"), by=caseworker)
    assert names(page) == ["Refugio Luz"]


def test_match_with_a_distance_limit_ranks_near_and_unlocated_services_only(caseworker):
    make_service(name="Near shelter", latitude=40.43, longitude=-3.71)
    make_service(name="Edge shelter", latitude=40.80, longitude=-3.70)  # ~43 km north
    make_service(name="Far shelter", latitude=41.39, longitude=2.17)  # Barcelona, ~500 km
    make_service(name="Mobile outreach")  # no site: distance unknown, still considered
    match = service_matching.match_services(
        ["housing"], Preferences(max_distance_km=50), by=caseworker, near=MADRID
    )
    considered = {item.candidate.name for item in match.result.ranked} | {
        item.candidate.name for item in match.result.excluded
    }
    assert {"Near shelter", "Edge shelter", "Mobile outreach"} <= considered
    assert "Far shelter" not in considered
    unlimited = service_matching.match_services(
        ["housing"], Preferences(), by=caseworker, near=MADRID
    )
    assert "Far shelter" in {item.candidate.name for item in unlimited.result.ranked}
