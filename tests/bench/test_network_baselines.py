"""The raw-SQL baselines of the directory and referral operations compute what the real code
computes (or, for matching, a documented subset of it), and the write baselines leave the
data as they found it where they say they do."""

from __future__ import annotations

import uuid

import pytest

from bench import generate, network, network_baselines
from bench.operations import READ_OVERHEAD_MAX
from reclaim.directory.matching import MatchResult, Preferences, rank_services
from reclaim.directory.models import Service, ServiceStatus
from reclaim.directory.services.entries import services_queryset
from reclaim.directory.services.match_rows import refresh_match_rows
from reclaim.directory.services.search import Point, SearchFilters, distances_km, search_services
from reclaim.directory.services.service_matching import candidate_for
from reclaim.referrals.models import Notification, Referral, ReferralEvent

NETWORK_OPERATIONS = (
    "directory_match_top10",
    "directory_search_fts",
    "referral_create_send",
    "referral_partner_step",
    "referral_packet_read",
)
MICRO = generate.SCALES["tiny"].with_overrides(survivors=30, audit_events=400, iterations=3)


@pytest.fixture
def dataset():
    data = generate.generate(MICRO)
    network.import_directory(data, say=lambda _text: None, database="test")
    return data


@pytest.fixture
def persona(dataset):
    return dataset.user(dataset.persona_id)


@pytest.fixture
def operations(dataset):
    return {operation.name: operation for operation in network.network_operations(dataset)}


def _ids(rows):
    return [uuid.UUID(str(row[0])) for row in rows]


def _ranking(needs, preferences, near=None) -> MatchResult:
    """The pure ranking of the whole directory: what the SQL is held to."""
    services = list(services_queryset())
    distances = distances_km([service.pk for service in services], near)
    candidates = [candidate_for(service, distances.get(service.pk)) for service in services]
    return rank_services(candidates, needs, preferences)


def test_every_network_operation_has_a_raw_sql_baseline(operations):
    for name in NETWORK_OPERATIONS:
        assert operations[name].baseline is not None, name


def test_packet_read_is_held_to_the_read_overhead_target(operations):
    assert operations["referral_packet_read"].target.overhead == READ_OVERHEAD_MAX


def test_search_baseline_finds_the_same_page_and_total_as_the_service(dataset, persona):
    baseline = network_baselines.search_fts_sql(network.SEARCH_WORDS)
    for i, word in enumerate(network.SEARCH_WORDS):
        page = search_services(SearchFilters(query=word), by=persona, limit=10)
        rows, total = baseline(i)
        assert total == page.total, word
        assert _ids(rows) == [hit.service.pk for hit in page.hits], word
    assert any(baseline(i)[1] for i in range(len(network.SEARCH_WORDS)))


@pytest.mark.parametrize(
    ("needs", "preferences"),
    [
        (("housing",), Preferences(languages=("es",), gender="woman", max_distance_km=250.0)),
        (("legal_immigration",), Preferences(needs_open_capacity=True, max_distance_km=300.0)),
        (("mental_health", "housing"), Preferences(survivor_led=True, free_only=True)),
        (("employment", "education"), Preferences(gender="man", has_immigration_status=False)),
        (("safety", "documents_id"), Preferences(women_only=True, age=30)),
    ],
)
def test_match_baseline_keeps_the_services_the_ranking_keeps(dataset, persona, needs, preferences):
    # The SQL applies every hard rule but the exact distance (a bounding box instead): it keeps
    # every ranked service, else only some left out as too far, and its page is the top 10.
    near = Point(*network.CENTRE)
    result = _ranking(needs, preferences, near)
    ranked = {item.candidate.id for item in result.ranked}
    too_far = {
        item.candidate.id
        for item in result.excluded
        if {reason.code for reason in item.reasons} == {"too_far"}
    }
    assert ranked
    assert bool(too_far) == (preferences.max_distance_km is not None)
    everything = network_baselines.match_top10_sql([needs], [preferences], [near], limit=1000)
    assert ranked <= set(_ids(everything(0))) <= ranked | too_far
    page = network_baselines.match_top10_sql([needs], [preferences], [near])(0)
    assert _ids(page) == _ids(everything(0))[:10]
    scores = [row[-1] for row in page]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    "preferences",
    [
        Preferences(gender="man"),
        Preferences(gender="woman"),
        Preferences(age=17),
        Preferences(age=70),
        Preferences(needs_open_capacity=True),
        Preferences(free_only=True),
        Preferences(has_immigration_status=False),
    ],
)
def test_match_baseline_leaves_out_what_each_hard_rule_leaves_out(dataset, preferences):
    result = _ranking((), preferences)
    left_out = {item.candidate.id for item in result.excluded}
    assert left_out, "the synthetic directory has services this rule leaves out"
    rows = network_baselines.match_top10_sql([()], [preferences], [None], limit=1000)(0)
    assert set(_ids(rows)) == {item.candidate.id for item in result.ranked}
    assert not set(_ids(rows)) & left_out


def test_directory_baselines_leave_out_closed_services_as_the_services_do(dataset, persona):
    word = network.SEARCH_WORDS[0]
    closed = search_services(SearchFilters(query=word), by=persona, limit=1).hits[0].service
    Service.objects.filter(pk=closed.pk).update(status=ServiceStatus.TEMPORARILY_CLOSED)
    refresh_match_rows([closed.pk])  # as every write to a service through its services does
    rows, total = network_baselines.search_fts_sql([word])(0)
    assert total == search_services(SearchFilters(query=word), by=persona).total
    assert closed.pk not in _ids(rows)
    result = _ranking((), Preferences())
    rows = network_baselines.match_top10_sql([()], [Preferences()], [None], limit=1000)(0)
    assert set(_ids(rows)) == {item.candidate.id for item in result.ranked}
    assert closed.pk not in _ids(rows)


def test_create_send_baseline_writes_a_sent_referral_and_deletes_it_afterwards(operations):
    baseline = operations["referral_create_send"].baseline
    before = (Referral.objects.count(), ReferralEvent.objects.count())
    with operations["referral_create_send"].context():
        baseline(0)
        baseline(1)
        referral = Referral.objects.latest("created_at")
        assert referral.status == "requested"
        assert referral.sent_at is not None
        assert list(referral.events.order_by("at", "to_status").values_list("to_status")) == [
            ("draft",),
            ("requested",),
        ]
        assert Notification.objects.filter(referral=referral, kind="referral.requested").exists()
        assert Referral.objects.count() == before[0] + 2
    assert (Referral.objects.count(), ReferralEvent.objects.count()) == before
    assert not Notification.objects.filter(referral_id=referral.pk).exists()


def test_partner_step_baseline_takes_the_next_step_the_real_one_would(operations, persona):
    operations["referral_create_send"].run(0)  # a real referral, sent by the persona
    sent = Referral.objects.latest("created_at")
    operations["referral_partner_step"].baseline(0)
    sent.refresh_from_db()
    assert sent.status == "received"
    assert sent.responded_at is not None
    event = sent.events.latest("at")
    assert (event.from_status, event.to_status) == ("requested", "received")
    assert Notification.objects.filter(
        referral=sent, user=persona, kind="referral.received"
    ).exists()
    operations["referral_partner_step"].run(0)  # the real one continues from there
    sent.refresh_from_db()
    assert sent.status == "accepted"


def test_packet_read_baseline_reads_a_sent_referral(operations, django_assert_num_queries):
    operations["referral_create_send"].run(0)
    categories = set(Referral.objects.latest("created_at").categories)
    # referral, consent, survivor, case, scores, goals (+ contact, + screenings); the key is
    # read from the keystore.
    expected = 6 + ("contact" in categories) + ("mental_health" in categories)
    with django_assert_num_queries(expected, using="default"):
        operations["referral_packet_read"].read_only(0)
