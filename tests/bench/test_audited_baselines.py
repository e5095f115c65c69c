"""The baselines of audited reads do the same database work as the reads: the same number of
audit events, appended to the real chain (which still verifies), and only rows the user may
see. Their read-only baselines append nothing."""

from __future__ import annotations

import pytest

from bench import care, generate, network, operations
from reclaim.core import audit
from reclaim.core.models import AuditEvent
from reclaim.survivors.models import Case, Survivor

MICRO = generate.SCALES["tiny"].with_overrides(survivors=30, audit_events=40, iterations=3)
AUDITED_READS = (
    "open_profile",
    "caseload_page_50",
    "search_reference",
    "search_alias",
    "progress_page_5y",
    "referral_packet_read",
)


@pytest.fixture
def dataset():
    data = generate.generate(MICRO)
    care.generate_care(data, say=lambda _text: None)
    network.import_directory(data, say=lambda _text: None, database="test")
    return data


@pytest.fixture
def audited(dataset):
    fixture = operations.load_fixture(dataset)
    found = [
        *operations.service_operations(fixture, "sqlite"),
        *care.care_operations(dataset),
        *network.network_operations(dataset),
    ]
    by_name = {op.name: op for op in found}
    by_name["referral_create_send"].run(0)  # a sent referral for the packet read
    return {name: op for name, op in by_name.items() if name in AUDITED_READS}


def _appended(run, i=0) -> list[AuditEvent]:
    before = audit.current_head().seq
    run(i)
    return list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))


def test_every_audited_read_has_a_baseline_and_a_read_only_baseline(audited):
    assert set(audited) == set(AUDITED_READS)
    for op in audited.values():
        assert op.baseline is not None and op.read_only is not None, op.name


@pytest.mark.parametrize("name", AUDITED_READS)
def test_baseline_appends_what_the_read_appends_and_the_chain_verifies(audited, name):
    op = audited[name]
    real = _appended(op.run)
    raw = _appended(op.baseline)
    assert len(raw) == len(real) == 1
    assert raw[0].action == real[0].action
    assert raw[0].actor_id == real[0].actor_id
    assert raw[0].subject_id == real[0].subject_id
    assert _appended(op.read_only) == []
    result = audit.verify_chain()
    assert result.ok, result.problem


def test_profile_baseline_reads_nothing_outside_the_persona_caseload(dataset):
    fixture = operations.load_fixture(dataset)
    found = operations.service_operations(fixture, "sqlite")
    op = next(o for o in found if o.name == "open_profile")
    # Take the persona's cases away: the visibility condition must then return no row.
    Case.objects.filter(assigned_to_id=fixture.persona.id).update(assigned_to=None)
    seen = []
    original = operations._fetch

    def spy(sql, params, **kw):
        rows = original(sql, params, **kw)
        if "FROM survivors_survivor" in sql:
            seen.extend(rows)
        return rows

    operations._fetch = spy
    try:
        op.baseline(0)
    finally:
        operations._fetch = original
    assert seen == []
    assert Survivor.objects.filter(pk=fixture.caseload_ids[0]).exists()
