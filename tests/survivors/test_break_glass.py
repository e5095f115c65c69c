"""Break-the-glass: one hour of audited emergency access with a written reason, reviewed by a
supervisor, only inside the case manager's own organisation."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from reclaim.core import access
from reclaim.core.errors import Forbidden, NotFound, ValidationFailed
from reclaim.core.models import AuditEvent, BreakGlassGrant
from reclaim.survivors import services
from reclaim.survivors.models import Survivor
from tests.factories import member

pytestmark = pytest.mark.django_db(databases="__all__")

REASON = "Survivor called the night line in crisis; her case manager is away"


def can_see(user, survivor, at=None) -> bool:
    return access.scope(user, Survivor, at=at).filter(pk=survivor.pk).exists()


def test_other_caseworker_cannot_see_the_survivor_without_breaking_the_glass(
    other_caseworker, survivor
):
    assert not can_see(other_caseworker, survivor)
    with pytest.raises(NotFound):
        services.get_survivor(survivor.pk, by=other_caseworker)


def test_breaking_the_glass_opens_the_record(other_caseworker, survivor):
    opened = services.open_break_glass(survivor.reference, by=other_caseworker, reason=REASON)

    assert opened.pk == survivor.pk
    fetched = services.get_survivor(survivor.pk, by=other_caseworker)
    assert services.read_profile(fetched)["alias"] == "Marisol"


def test_breaking_the_glass_is_audited_without_the_reason(other_caseworker, survivor):
    services.open_break_glass(survivor.reference, by=other_caseworker, reason=REASON)

    event = AuditEvent.objects.get(action="breakglass.open")
    assert event.actor_id == other_caseworker.pk
    assert event.subject_id == survivor.pk
    assert "night line" not in str(event.context)


def test_reference_is_matched_case_insensitively(other_caseworker, survivor):
    services.open_break_glass(
        f"  {survivor.reference.lower()} ", by=other_caseworker, reason=REASON
    )

    assert can_see(other_caseworker, survivor)


@pytest.mark.parametrize("reason", ["", "urgent", "need it now please", "   x" * 3])
def test_short_reason_is_refused(other_caseworker, survivor, reason):
    with pytest.raises(ValidationFailed) as raised:
        services.open_break_glass(survivor.reference, by=other_caseworker, reason=reason)

    assert raised.value.field == "reason"
    assert not BreakGlassGrant.objects.exists()
    assert not can_see(other_caseworker, survivor)


def test_access_lasts_sixty_minutes_and_then_ends(other_caseworker, survivor):
    services.open_break_glass(survivor.reference, by=other_caseworker, reason=REASON)
    grant = BreakGlassGrant.objects.get()

    assert grant.expires_at - grant.granted_at == datetime.timedelta(minutes=60)
    assert can_see(other_caseworker, survivor, at=grant.granted_at)
    assert can_see(other_caseworker, survivor, at=grant.expires_at - datetime.timedelta(seconds=1))
    assert not can_see(other_caseworker, survivor, at=grant.expires_at)
    assert not can_see(
        other_caseworker, survivor, at=grant.granted_at - datetime.timedelta(seconds=1)
    )


def test_access_is_gone_an_hour_later_through_the_service(other_caseworker, survivor):
    services.open_break_glass(survivor.reference, by=other_caseworker, reason=REASON)
    later = timezone.now() + datetime.timedelta(minutes=61)

    with mock.patch("django.utils.timezone.now", return_value=later), pytest.raises(NotFound):
        services.get_survivor(survivor.pk, by=other_caseworker)


def test_grant_is_for_that_user_only(other_caseworker, home_org, survivor):
    colleague = member(home_org, "case_manager")
    services.open_break_glass(survivor.reference, by=other_caseworker, reason=REASON)

    assert not can_see(colleague, survivor)


def test_supervisor_reviews_the_grant(other_caseworker, supervisor, survivor):
    services.open_break_glass(survivor.reference, by=other_caseworker, reason=REASON)
    grant = BreakGlassGrant.objects.get()

    assert [g.pk for g in services.list_break_glass_for_review(by=supervisor)] == [grant.pk]

    reviewed = services.review_break_glass(grant.pk, by=supervisor, note="Appropriate")

    assert reviewed.reviewed_by == supervisor
    assert reviewed.reviewed_at is not None
    assert services.list_break_glass_for_review(by=supervisor) == []
    assert [
        g.pk for g in services.list_break_glass_for_review(by=supervisor, include_reviewed=True)
    ] == [grant.pk]
    assert AuditEvent.objects.filter(action="breakglass.review", actor_id=supervisor.pk).exists()


def test_grant_cannot_be_reviewed_twice(other_caseworker, supervisor, survivor):
    services.open_break_glass(survivor.reference, by=other_caseworker, reason=REASON)
    grant = BreakGlassGrant.objects.get()
    services.review_break_glass(grant.pk, by=supervisor)

    with pytest.raises(ValidationFailed):
        services.review_break_glass(grant.pk, by=supervisor)


def test_case_manager_cannot_review_break_glass(other_caseworker, caseworker, survivor):
    services.open_break_glass(survivor.reference, by=other_caseworker, reason=REASON)
    grant = BreakGlassGrant.objects.get()

    with pytest.raises(Forbidden):
        services.list_break_glass_for_review(by=caseworker)
    with pytest.raises(NotFound):
        services.review_break_glass(grant.pk, by=caseworker)
    grant.refresh_from_db()
    assert grant.reviewed_at is None


def test_another_organisations_supervisor_cannot_see_or_review_the_grant(
    other_caseworker, outsider, survivor
):
    services.open_break_glass(survivor.reference, by=other_caseworker, reason=REASON)
    grant = BreakGlassGrant.objects.get()

    assert services.list_break_glass_for_review(by=outsider) == []
    with pytest.raises(NotFound):
        services.review_break_glass(grant.pk, by=outsider)


def test_case_manager_of_another_organisation_cannot_break_the_glass(partner_org, survivor):
    partner_case_manager = member(partner_org, "case_manager")

    with pytest.raises(NotFound):
        services.open_break_glass(survivor.reference, by=partner_case_manager, reason=REASON)

    assert not BreakGlassGrant.objects.exists()
    assert not can_see(partner_case_manager, survivor)


@pytest.mark.parametrize("persona", ["partner_staff", "supervisor", "outsider"])
def test_only_case_managers_break_the_glass(request, survivor, persona):
    user = request.getfixturevalue(persona)

    with pytest.raises(NotFound):
        services.open_break_glass(survivor.reference, by=user, reason=REASON)

    assert not BreakGlassGrant.objects.exists()


def test_erasure_ends_open_grants(other_caseworker, org_admin, survivor):
    services.open_break_glass(survivor.reference, by=other_caseworker, reason=REASON)

    services.erase_survivor(survivor, by=org_admin, reason="Survivor asked for erasure")

    assert not can_see(other_caseworker, survivor)
    with pytest.raises(NotFound):
        services.open_break_glass(survivor.reference, by=other_caseworker, reason=REASON)
