"""Referral services: preparing, sending, answering, the consent gate on the packet, history,
notifications and overdue flags."""

from __future__ import annotations

import datetime
import io
import uuid

import pytest
from django.utils import timezone

from reclaim.core.errors import (
    ConsentRequired,
    Forbidden,
    NotFound,
    RecordErased,
    ValidationFailed,
)
from reclaim.core.models import AuditEvent
from reclaim.referrals import notifications, services
from reclaim.referrals.errors import PacketClosed, TransitionNotAllowed
from reclaim.referrals.models import Notification, Referral, ReferralEvent
from reclaim.survivors import services as survivors
from tests.directory.factories import DirectoryOrganizationFactory, make_service
from tests.factories import OrganisationFactory, member

from .conftest import give_consent


def _status(referral):
    return Referral.objects.get(pk=referral.pk).status


# --- preparing and sending ----------------------------------------------------------------


def test_a_draft_is_invisible_to_the_recipient(draft, partner_staff):
    with pytest.raises(NotFound):
        services.get_referral(draft.pk, by=partner_staff)
    assert services.list_referrals(by=partner_staff, box="received") == []


def test_sending_without_consent_is_refused_and_the_draft_stays(draft, caseworker):
    with pytest.raises(ConsentRequired):
        services.send_referral(draft, by=caseworker)
    assert _status(draft) == "draft"
    assert not Notification.objects.exists()


def test_a_consent_for_fewer_categories_does_not_allow_sending(
    draft, survivor, caseworker, partner_org
):
    give_consent(survivor, by=caseworker, recipient=partner_org, categories=["identity"])
    with pytest.raises(ConsentRequired):
        services.send_referral(draft, by=caseworker)
    assert _status(draft) == "draft"


def test_a_consent_for_another_organisation_does_not_allow_sending(draft, survivor, caseworker):
    elsewhere = OrganisationFactory(name="Bridges Health Clinic")
    give_consent(survivor, by=caseworker, recipient=elsewhere, categories=["identity", "contact"])
    with pytest.raises(ConsentRequired):
        services.send_referral(draft, by=caseworker)


def test_sending_with_consent_reaches_the_partner_inbox_and_notifies_them(
    partner_staff, outsider, sent
):
    assert sent.status == "requested"
    assert sent.sent_at is not None
    assert services.list_referrals(by=partner_staff, box="received") == [sent]
    notified = set(Notification.objects.values_list("user__username", flat=True))
    # Partner staff and the partner's supervisor; never the sender themself.
    assert notified == {"partner_staff", "outsider"}


def test_only_the_sender_side_may_prepare(survivor, partner_staff, partner_org):
    with pytest.raises(NotFound):
        services.prepare_referral(
            survivor, by=partner_staff, recipient=partner_org, categories=["identity"]
        )
    assert not Referral.objects.exists()


def test_a_referral_to_the_own_organisation_is_refused(survivor, caseworker, home_org):
    with pytest.raises(ValidationFailed) as refused:
        services.prepare_referral(
            survivor, by=caseworker, recipient=home_org, categories=["identity"]
        )
    assert refused.value.field == "recipient_id"


def test_unknown_categories_are_refused(survivor, caseworker, partner_org):
    with pytest.raises(ValidationFailed) as refused:
        services.prepare_referral(
            survivor, by=caseworker, recipient=partner_org, categories=["shoe_size"]
        )
    assert refused.value.field == "categories"


@pytest.fixture
def directory_service(partner_org):
    provider = DirectoryOrganizationFactory(
        name="Justice Legal Aid", platform_organisation=partner_org
    )
    return make_service(name="T visa legal help", organization=provider).pk


def test_a_directory_service_names_the_recipient_and_its_name_is_kept(
    directory_service, survivor, caseworker, partner_org
):
    referral = services.prepare_referral(
        survivor, by=caseworker, service_id=directory_service, categories=["identity"]
    )
    assert referral.recipient_id == partner_org.pk
    assert referral.service_id == directory_service
    assert referral.service_name == "T visa legal help"


def test_a_service_of_another_organisation_than_the_named_recipient_is_refused(
    directory_service, survivor, caseworker
):
    other = OrganisationFactory()
    with pytest.raises(ValidationFailed) as refused:
        services.prepare_referral(
            survivor,
            by=caseworker,
            recipient=other,
            service_id=directory_service,
            categories=["identity"],
        )
    assert refused.value.field == "recipient_id"
    assert not Referral.objects.exists()


def test_an_unknown_service_is_refused(survivor, caseworker):
    with pytest.raises(ValidationFailed) as refused:
        services.prepare_referral(
            survivor, by=caseworker, service_id=uuid.uuid4(), categories=["identity"]
        )
    assert refused.value.field == "service_id"


def test_a_service_outside_the_platform_is_refused(survivor, caseworker):
    unlinked = make_service(name="Food bank")
    with pytest.raises(ValidationFailed) as refused:
        services.prepare_referral(
            survivor, by=caseworker, service_id=unlinked.pk, categories=["identity"]
        )
    assert refused.value.field == "service_id"
    assert not Referral.objects.exists()


# --- who sees what --------------------------------------------------------------------------


def test_each_side_sees_the_referral_and_nobody_else_does(
    sent, caseworker, supervisor, org_admin, partner_staff, outsider, other_caseworker
):
    for user in (caseworker, supervisor, org_admin, partner_staff, outsider):
        assert services.get_referral(sent.pk, by=user) == sent
    with pytest.raises(NotFound):
        services.get_referral(sent.pk, by=other_caseworker)
    assert services.sides(sent, by=caseworker) == {"sender"}
    assert services.sides(sent, by=partner_staff) == {"recipient"}


def test_staff_of_a_third_organisation_see_nothing(sent):
    third = OrganisationFactory()
    stranger = member(third, "partner_staff", username="stranger")
    with pytest.raises(NotFound):
        services.get_referral(sent.pk, by=stranger)
    with pytest.raises(NotFound):
        services.read_packet(sent, by=stranger)


# --- answering ----------------------------------------------------------------------------


def test_the_partner_accepts_and_the_sender_is_notified(sent, partner_staff, caseworker):
    services.respond_to_referral(sent, by=partner_staff, status="accepted")
    assert _status(sent) == "accepted"
    notice = Notification.objects.get(user=caseworker)
    assert notice.kind == "referral.accepted"
    assert notice.referral_id == sent.pk


def test_the_full_closed_loop_keeps_a_timestamped_history(sent, partner_staff, caseworker):
    for status in ("received", "accepted", "in-progress", "on-hold", "in-progress", "completed"):
        services.respond_to_referral(sent, by=partner_staff, status=status)
    history = services.list_history(sent, by=caseworker)
    assert [(e.from_status, e.to_status) for e in history] == [
        ("", "draft"),
        ("draft", "requested"),
        ("requested", "received"),
        ("received", "accepted"),
        ("accepted", "in-progress"),
        ("in-progress", "on-hold"),
        ("on-hold", "in-progress"),
        ("in-progress", "completed"),
    ]
    assert all(event.at is not None for event in history)
    assert services.list_history(sent, by=partner_staff) == history


def test_declining_needs_a_reason_and_keeps_it(sent, partner_staff):
    with pytest.raises(ValidationFailed) as refused:
        services.respond_to_referral(sent, by=partner_staff, status="rejected")
    assert refused.value.field == "reason"
    assert _status(sent) == "requested"
    services.respond_to_referral(
        sent, by=partner_staff, status="rejected", reason="no_capacity", note="Full until May"
    )
    event = ReferralEvent.objects.get(referral=sent, to_status="rejected")
    assert (event.reason, event.reason_note) == ("no_capacity", "Full until May")


def test_a_step_the_table_does_not_allow_is_refused_and_nothing_changes(sent, partner_staff):
    events = ReferralEvent.objects.count()
    with pytest.raises(TransitionNotAllowed):
        services.respond_to_referral(sent, by=partner_staff, status="completed")
    assert _status(sent) == "requested"
    assert ReferralEvent.objects.count() == events


def test_the_sender_cannot_answer_for_the_partner(sent, caseworker):
    with pytest.raises(Forbidden):
        services.respond_to_referral(sent, by=caseworker, status="accepted")
    assert _status(sent) == "requested"


def test_the_partner_cannot_cancel(sent, partner_staff):
    with pytest.raises(Forbidden):
        services.cancel_referral(sent, by=partner_staff, reason="other")
    assert _status(sent) == "requested"


def test_the_sender_cancels_with_a_reason_and_the_partner_is_told(partner_staff, sent, caseworker):
    Notification.objects.all().delete()
    services.cancel_referral(sent, by=caseworker, reason="survivor_withdrew")
    assert _status(sent) == "cancelled"
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds == {"referral.cancelled"}


def test_sending_twice_is_refused(sent, caseworker):
    with pytest.raises(TransitionNotAllowed):
        services.send_referral(sent, by=caseworker)


def test_every_step_is_audited_with_codes_only(sent, partner_staff):
    services.respond_to_referral(
        sent, by=partner_staff, status="rejected", reason="other", note="Call us"
    )
    event = AuditEvent.objects.filter(action="referral.transition").latest("seq")
    assert event.context == {"from": "requested", "to": "rejected", "reason": "other", "via": "web"}
    assert "Call us" not in str(event.context)


# --- the packet ---------------------------------------------------------------------------


def test_the_partner_sees_only_the_consented_categories(sent, partner_staff, survivor, caseworker):
    survivors.set_contact_preference(
        survivor, by=caseworker, channel="phone_call", may_contact=True, safe_times="Mornings"
    )
    packet = services.read_packet(sent, by=partner_staff)
    names = {item.name: item.value for item in packet.profile}
    assert names["alias"] == "Marisol"
    assert names["legal_name"] == "Marisol Quintero Vega"
    assert names["phone"] == "+1 555 0100 777"
    assert {item.category for item in packet.profile} <= {"identity", "contact"}
    assert "address" not in names and "citizenship" not in names
    assert packet.case == []  # trafficking history was not consented
    assert packet.contact_preferences[0]["safe_times"] == "Mornings"


def test_a_category_outside_the_referral_is_not_shown(
    survivor, caseworker, partner_org, partner_staff
):
    give_consent(survivor, by=caseworker, recipient=partner_org, categories=["identity"])
    referral = services.prepare_referral(
        survivor, by=caseworker, recipient=partner_org, categories=["identity"]
    )
    services.send_referral(referral, by=caseworker)
    packet = services.read_packet(referral, by=partner_staff)
    assert "phone" not in {item.name for item in packet.profile}
    assert packet.contact_preferences == []


def test_the_partner_loses_the_packet_when_consent_is_revoked(
    sent, consent, partner_staff, caseworker
):
    services.read_packet(sent, by=partner_staff)
    survivors.revoke_consent(consent, by=caseworker)
    with pytest.raises(ConsentRequired) as refused:
        services.read_packet(sent, by=partner_staff)
    assert "Marisol" not in refused.value.detail
    assert refused.value.denied["target_id"] == sent.pk


def test_the_partner_loses_the_packet_when_consent_expires(sent, consent, partner_staff):
    after_expiry = consent.expires_at + datetime.timedelta(seconds=1)
    services.read_packet(sent, by=partner_staff, at=consent.expires_at - datetime.timedelta(1))
    with pytest.raises(ConsentRequired):
        services.read_packet(sent, by=partner_staff, at=after_expiry)


def test_after_revocation_the_partner_may_decline_but_not_accept(
    sent, consent, partner_staff, caseworker
):
    survivors.revoke_consent(consent, by=caseworker)
    with pytest.raises(ConsentRequired):
        services.respond_to_referral(sent, by=partner_staff, status="accepted")
    assert _status(sent) == "requested"
    services.respond_to_referral(sent, by=partner_staff, status="rejected", reason="consent_ended")
    assert _status(sent) == "rejected"


def test_a_closed_referral_shows_the_partner_no_packet(sent, partner_staff, caseworker):
    services.cancel_referral(sent, by=caseworker, reason="sent_in_error")
    with pytest.raises(PacketClosed):
        services.read_packet(sent, by=partner_staff)


def test_the_sender_previews_a_draft_without_consent(draft, caseworker):
    packet = services.read_packet(draft, by=caseworker)
    assert {item.category for item in packet.profile} == {"identity", "contact"}


def test_every_packet_read_is_audited_with_categories_and_field_names_only(sent, partner_staff):
    services.read_packet(sent, by=partner_staff)
    event = AuditEvent.objects.get(action="referral.packet.read")
    assert event.context == {"categories": ["contact", "identity"], "side": "recipient"}
    assert "legal_name" in event.fields
    assert "Marisol" not in str(event.context) + str(event.fields)
    assert event.organisation_id == sent.recipient_id


def test_the_inline_consent_covers_exactly_the_referral(draft, caseworker, partner_org):
    consent = services.record_consent_for_referral(draft, by=caseworker, method="electronic")
    assert consent.recipient_id == partner_org.pk
    assert sorted(consent.categories) == ["contact", "identity"]
    services.send_referral(draft, by=caseworker)
    assert _status(draft) == "requested"


# --- notifications and overdue ------------------------------------------------------------


def test_notifications_carry_no_personal_data(partner_staff, sent):
    for notice in notifications.list_notifications(by=partner_staff):
        text = notifications.notification_text(notice.kind)
        assert "Marisol" not in text and "Quintero" not in text
        assert text == "A new referral was sent to your organisation."


def test_marking_notifications_read_touches_only_my_own(partner_staff, outsider, sent):
    assert notifications.count_unread_notifications(by=partner_staff) == 1
    assert notifications.mark_notifications_read(by=partner_staff) == 1
    assert notifications.count_unread_notifications(by=partner_staff) == 0
    assert notifications.count_unread_notifications(by=outsider) == 1


def test_a_referral_unanswered_for_the_configured_days_is_overdue(sent, settings, partner_staff):
    settings.RECLAIM_REFERRAL_OVERDUE_DAYS = 2
    assert not services.is_overdue(sent)
    later = timezone.now() + datetime.timedelta(days=2, minutes=1)
    assert services.is_overdue(sent, at=later)
    services.respond_to_referral(sent, by=partner_staff, status="received")
    sent.refresh_from_db()
    assert not services.is_overdue(sent, at=later)


def test_overdue_defaults_to_five_days(sent, settings):
    del settings.RECLAIM_REFERRAL_OVERDUE_DAYS
    assert services.overdue_days() == 5


def test_the_packet_carries_needs_and_goals_of_consented_categories_only(
    survivor, caseworker, partner_org, partner_staff
):
    from reclaim.care import services as care

    care.record_assessment(
        survivor,
        by=caseworker,
        scores={"housing": 1, "mental_health": 2},
        notes={"housing": "NOTE-HOUSING"},
    )
    care.add_goal(survivor, by=caseworker, text="Stable housing", domain_code="housing")
    care.add_goal(survivor, by=caseworker, text="Feel calmer", domain_code="mental_health")
    give_consent(survivor, by=caseworker, recipient=partner_org, categories=["location"])
    referral = services.prepare_referral(
        survivor, by=caseworker, recipient=partner_org, categories=["location"]
    )
    services.send_referral(referral, by=caseworker)
    packet = services.read_packet(referral, by=partner_staff)
    assert [need["code"] for need in packet.needs] == ["housing"]
    assert [goal["text"] for goal in packet.goals] == ["Stable housing"]
    assert packet.screenings == []
    assert "NOTE-HOUSING" not in repr(packet)
    assert {item.name for item in packet.profile} == {"address"}


@pytest.mark.parametrize("through", ["admin", "command"])
def test_erasure_cancels_open_referrals_and_tells_the_partner(
    through, sent, survivor, org_admin, partner_staff
):
    Notification.objects.all().delete()
    if through == "admin":
        survivors.erase_survivor(survivor, by=org_admin, reason="The survivor asked us to.")
    else:
        survivors.erase_by_reference(survivor.reference, reason="The survivor asked us to.")
    assert _status(sent) == "cancelled"
    event = ReferralEvent.objects.filter(referral=sent).order_by("-at", "-id").first()
    assert (event.to_status, event.reason, event.via) == ("cancelled", "consent_ended", "system")
    assert event.by_id == (org_admin.pk if through == "admin" else None)
    assert Notification.objects.filter(user=partner_staff, kind="referral.cancelled").exists()
    with pytest.raises(RecordErased):
        services.read_packet(sent, by=partner_staff)
    with pytest.raises(TransitionNotAllowed):
        services.respond_to_referral(sent, by=partner_staff, status="accepted")


def test_erasure_leaves_finished_referrals_and_cancels_drafts_quietly(
    sent, survivor, caseworker, partner_org, org_admin, partner_staff
):
    services.respond_to_referral(sent, by=partner_staff, status="rejected", reason="no_capacity")
    draft = services.prepare_referral(
        survivor, by=caseworker, recipient=partner_org, categories=["identity"]
    )
    events = ReferralEvent.objects.filter(referral=sent).count()
    Notification.objects.all().delete()
    survivors.erase_survivor(survivor, by=org_admin, reason="The survivor asked us to.")
    assert _status(sent) == "rejected"
    assert ReferralEvent.objects.filter(referral=sent).count() == events
    assert _status(draft) == "cancelled"
    # The recipient never saw the draft, so nobody is told about it.
    assert not Notification.objects.exists()


def test_overdue_referrals_are_announced_once_to_both_sides(
    partner_staff, outsider, sent, caseworker, settings
):
    from django.core.management import call_command

    settings.RECLAIM_REFERRAL_OVERDUE_DAYS = 0
    Notification.objects.all().delete()
    out = io.StringIO()
    call_command("referrals_overdue", stdout=out)
    call_command("referrals_overdue", stdout=out)
    assert out.getvalue().startswith("1 overdue referral(s) announced")
    kinds = sorted(Notification.objects.values_list("user__username", "kind"))
    assert kinds == [
        ("caseworker", "referral.overdue"),
        ("outsider", "referral.overdue.recipient"),
        ("partner_staff", "referral.overdue.recipient"),
    ]


def test_answered_referrals_are_not_announced_as_overdue(partner_staff, sent, settings):
    settings.RECLAIM_REFERRAL_OVERDUE_DAYS = 0
    services.respond_to_referral(sent, by=partner_staff, status="received")
    assert notifications.notify_overdue(overdue_days=0) == 0
