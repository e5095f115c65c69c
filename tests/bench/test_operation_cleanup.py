"""Operations that write leave a reused dataset as they found it where they say they do."""

from __future__ import annotations

from bench import generate, operations
from reclaim.survivors.models import Consent

MICRO = generate.SCALES["tiny"].with_overrides(survivors=30, audit_events=40, iterations=3)


def test_record_consent_removes_what_it_and_its_baseline_recorded():
    dataset = generate.generate(MICRO)
    fixture = operations.load_fixture(dataset)
    op = next(
        o for o in operations.service_operations(fixture, "sqlite") if o.name == "record_consent"
    )
    before = set(Consent.objects.values_list("pk", flat=True))
    with op.context():
        op.run(0)
        op.baseline(1)
        assert Consent.objects.count() == len(before) + 2  # both wrote one
    assert set(Consent.objects.values_list("pk", flat=True)) == before
