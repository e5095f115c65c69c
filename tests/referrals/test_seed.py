"""seed_referrals: demo referrals in a mix of states, made through the services, idempotent."""

from __future__ import annotations

from reclaim.referrals import services
from reclaim.referrals.models import Referral
from reclaim.referrals.seed import seed_referrals
from tests.factories import make_survivor


def test_seed_makes_referrals_in_several_states_once(
    caseworker, home_org, partner_org, partner_staff
):
    for alias in ("Paloma", "Estrella", "Luz", "Brisa"):
        make_survivor(caseworker, home_org, alias=alias, legal_name=f"{alias} Example")
    made = seed_referrals(sender=caseworker, recipients={partner_org: partner_staff}, how_many=4)
    assert len(made) == 4
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert statuses == {"in-progress", "requested", "completed", "rejected"}
    waiting = Referral.objects.get(status="requested")
    assert services.is_overdue(waiting)
    # Every seeded referral is readable by the partner, so its consent is real and current.
    for referral in Referral.objects.exclude(status__in=["completed", "rejected"]):
        assert services.read_packet(referral, by=partner_staff).profile
    again = seed_referrals(sender=caseworker, recipients={partner_org: partner_staff}, how_many=4)
    assert again == []
    assert Referral.objects.count() == 4


def test_seed_refers_under_an_existing_consent_first(
    caseworker, survivor, partner_org, partner_staff
):
    from reclaim.survivors import services as survivors

    consent = survivors.record_consent(
        survivor,
        by=caseworker,
        recipient=partner_org,
        purpose="legal_representation",
        categories=["identity", "legal_immigration", "trafficking_history"],
        method="written",
    )
    made = seed_referrals(sender=caseworker, recipients={partner_org: partner_staff}, how_many=1)
    assert len(made) == 1
    referral = made[0]
    assert referral.purpose == "legal_representation"
    assert referral.categories == ["identity", "legal_immigration"]
    assert [c.pk for c in survivors.list_consents(survivor, by=caseworker)] == [consent.pk]
    assert referral.status == "in-progress"
