"""The benchmark harness runs end to end in the test database and reports the contract's JSON.

No timing assertions: only that every operation was measured and the numbers are coherent, and
that the generated survivors are real encrypted records the services can read.
"""

from __future__ import annotations

import io
import json
import random

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from bench import generate, harness
from reclaim.core import audit, crypto
from reclaim.core.models import DataKey, Organisation, User
from reclaim.survivors import services
from reclaim.survivors.models import Survivor

SERVICE_OPERATIONS = {
    "open_profile",
    "caseload_page_50",
    "search_reference",
    "search_alias",
    "record_consent",
    "consent_allows",
    "progress_page_5y",
    "directory_match_top10",
    "directory_search_fts",
    "referral_create_send",
    "referral_partner_step",
    "referral_packet_read",
    "audit_verify",
}
MICRO = generate.SCALES["tiny"].with_overrides(survivors=30, audit_events=400, iterations=3)


@pytest.fixture(scope="module")
def bench_json(django_db_setup, django_db_blocker, tmp_path_factory):
    """One harness run for the module's JSON checks, rolled back from both databases."""
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        transaction.atomic(using="keystore"),
    ):
        call_command(
            "bench",
            scale="tiny",
            survivors=MICRO.survivors,
            audit_events=MICRO.audit_events,
            iterations=MICRO.iterations,
            in_process=True,
            json=str(out),
            stdout=io.StringIO(),
        )
        transaction.set_rollback(True, using="keystore")
        transaction.set_rollback(True)
    crypto.forget_cached_keys()
    return json.loads(out.read_text())


def test_bench_json_has_one_object_per_operation_with_the_contract_keys(bench_json):
    names = [item["operation"] for item in bench_json]
    assert len(names) == len(set(names))
    assert set(names) >= SERVICE_OPERATIONS
    for item in bench_json:
        assert set(harness.CONTRACT_KEYS) <= set(item), item["operation"]
        assert item.get("error") is None, item


def test_bench_percentiles_are_ordered_and_throughput_positive(bench_json):
    for item in bench_json:
        if item["operation"] in ("hsds_import", "hsds_export"):  # timed once, no percentiles
            continue
        assert 0 < item["p50_ms"] <= item["p95_ms"] <= item["p99_ms"], item["operation"]
        assert item["ops_per_s"] > 0
        assert item["database"].startswith(("sqlite", "postgresql"))
        assert item["pass"] in (True, False, None)


def test_bench_reads_carry_a_raw_sql_baseline_and_overhead(bench_json):
    by_name = {item["operation"]: item for item in bench_json}
    for name in ("open_profile", "caseload_page_50", "search_reference", "consent_allows"):
        assert by_name[name]["baseline_p50_ms"] > 0
        assert by_name[name]["overhead_ratio"] > 0


def test_bench_directory_and_referral_rows_carry_a_raw_sql_baseline_and_overhead(bench_json):
    by_name = {item["operation"]: item for item in bench_json}
    for name in (
        "directory_match_top10",
        "directory_search_fts",
        "referral_create_send",
        "referral_partner_step",
        "referral_packet_read",
    ):
        assert by_name[name]["baseline_p50_ms"] > 0, name
        assert by_name[name]["overhead_ratio"] > 0, name
    assert by_name["referral_packet_read"]["target"] == "≤ 3x SQL"


def test_bench_imports_the_synthetic_directory_through_hsds_and_times_it(bench_json):
    from bench.network import DIRECTORY_SERVICES

    row = next(item for item in bench_json if item["operation"] == "hsds_import")
    assert row["services"] == DIRECTORY_SERVICES["tiny"]
    assert row["unit"] == "services/s"
    assert row["ops_per_s"] > 0
    export = next(item for item in bench_json if item["operation"] == "hsds_export")
    assert export["services"] == DIRECTORY_SERVICES["tiny"]


def test_bench_audit_verify_counts_every_event_of_the_chain(bench_json):
    verify = next(item for item in bench_json if item["operation"] == "audit_verify")
    # events/s over the measured time: each run checks at least the generated events.
    seconds_per_run = verify["p50_ms"] / 1000
    assert verify["unit"] == "events/s"
    assert verify["ops_per_s"] * seconds_per_run >= MICRO.audit_events * 0.5


def test_generated_survivors_decrypt_through_the_services():
    dataset = generate.generate(MICRO)
    assert dataset.samples, "the generator keeps a few expected profiles to compare"
    assert generate.verify_sample(dataset) == len(dataset.samples)

    survivor_id, expected = next(iter(dataset.samples.items()))
    owner = User.objects.get(pk=dataset.sample_owners[survivor_id])
    profile = services.read_profile(services.get_survivor(survivor_id, by=owner))
    assert profile["alias"] == expected["alias"]
    assert profile["intake_date"] == expected["intake_date"]
    # Stored as ciphertext under the survivor's own key, never as plaintext.
    raw = Survivor.objects.filter(pk=survivor_id).values_list("alias", flat=True).get()
    assert expected["alias"].encode() not in bytes(raw)
    assert DataKey.objects.using("keystore").filter(owner_id=survivor_id).exists()


def test_generated_caseloads_are_realistic_and_the_persona_has_a_full_page():
    dataset = generate.generate(MICRO)
    persona = User.objects.get(pk=dataset.persona_id)
    page = services.list_caseload(by=persona, limit=50)
    assert len(page) == min(50, MICRO.survivors // MICRO.organisations)
    assert all(services.display_alias(row) for row in page)
    sizes = generate.caseload_sizes(random.Random(1), 5000, first=60)
    assert sizes[0] == 60
    assert all(30 <= size <= 60 for size in sizes[:-1])
    assert sum(sizes) == 5000


def test_generated_audit_chain_verifies_and_moves_the_head():
    before = audit.current_head().seq
    dataset = generate.generate(MICRO)
    result = audit.verify_chain()
    assert result.ok, result.problem
    # The generated events plus the read-back of the samples (one view, two searches each).
    assert result.head_seq >= before + MICRO.audit_events
    assert Organisation.objects.filter(name__startswith=f"Bench {dataset.tag} ").count() == 3


def test_generated_consents_are_seen_by_allows():
    dataset = generate.generate(MICRO)
    from reclaim.survivors.models import Consent

    consent = Consent.objects.filter(recipient_id=dataset.partner_id).first()
    assert consent is not None
    assert services.allows(consent.survivor_id, dataset.partner_id, ["identity"], consent.purpose)
    assert not services.allows(
        consent.survivor_id,
        dataset.partner_id,
        ["identity"],
        consent.purpose,
        at=consent.expires_at + timezone.timedelta(seconds=1),
    )
