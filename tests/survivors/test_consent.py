"""Consent gates sharing (DESIGN invariant 4): exact validity edges, recipient, purpose and
categories; refusals leave nothing behind; a plain-language summary in English and Spanish."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from reclaim.core.errors import NotFound, ValidationFailed
from reclaim.core.models import AuditEvent
from reclaim.survivors import services
from reclaim.survivors.models import Consent
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db(databases="__all__")

SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def consent(survivor, caseworker, partner_org):
    now = timezone.now()
    return services.record_consent(
        survivor,
        by=caseworker,
        recipient=partner_org,
        purpose="legal_representation",
        categories=["identity", "contact", "legal_immigration"],
        method="written",
        given_at=now - datetime.timedelta(days=1),
        expires_at=now + datetime.timedelta(days=30),
    )


def allows(consent, at, categories=("identity",), purpose="legal_representation", recipient=None):
    return services.allows(
        consent.survivor, recipient or consent.recipient, categories, purpose, at=at
    )


# --- validity in time ---------------------------------------------------------------------


def test_consent_allows_until_one_second_before_expiry(consent):
    assert allows(consent, consent.expires_at - SECOND)


def test_consent_does_not_allow_at_the_moment_of_expiry(consent):
    assert not allows(consent, consent.expires_at)


def test_consent_does_not_allow_after_expiry(consent):
    assert not allows(consent, consent.expires_at + SECOND)


def test_consent_allows_from_the_moment_it_was_given(consent):
    assert allows(consent, consent.given_at)
    assert not allows(consent, consent.given_at - SECOND)


def test_consent_given_a_little_in_the_future_does_not_allow_yet(survivor, caseworker, partner_org):
    now = timezone.now()
    given = now + datetime.timedelta(minutes=2)  # clock skew of a tablet is tolerated
    consent = services.record_consent(
        survivor,
        by=caseworker,
        recipient=partner_org,
        purpose="referral",
        categories=["contact"],
        method="electronic",
        given_at=given,
    )

    assert not services.allows(survivor, partner_org, ["contact"], "referral", at=now)
    assert not services.allows(survivor, partner_org, ["contact"], "referral", at=given - SECOND)
    assert services.allows(survivor, partner_org, ["contact"], "referral", at=given)
    assert consent.expires_at == given + datetime.timedelta(days=365)


def test_consent_given_far_in_the_future_is_refused(survivor, caseworker, partner_org):
    with pytest.raises(ValidationFailed) as raised:
        services.record_consent(
            survivor,
            by=caseworker,
            recipient=partner_org,
            purpose="referral",
            categories=["contact"],
            method="written",
            given_at=timezone.now() + datetime.timedelta(days=1),
        )

    assert raised.value.field == "given_at"
    assert not Consent.objects.exists()


def test_revoked_consent_allows_just_before_revocation_and_not_from_it(consent, caseworker):
    revoked_at = timezone.now()
    services.revoke_consent(consent, by=caseworker, at=revoked_at)

    assert allows(consent, revoked_at - SECOND)
    assert not allows(consent, revoked_at)
    assert not allows(consent, revoked_at + SECOND)
    assert services.consent_state(consent, revoked_at) == "revoked"
    assert services.consent_state(consent, revoked_at - SECOND) == "active"


def test_revocation_takes_effect_at_once_for_the_current_time(consent, caseworker):
    assert services.allows(consent.survivor, consent.recipient, ["identity"], consent.purpose)

    services.revoke_consent(consent, by=caseworker)

    assert not services.allows(consent.survivor, consent.recipient, ["identity"], consent.purpose)


def test_revoking_twice_is_refused_and_audited_once(consent, caseworker):
    services.revoke_consent(consent, by=caseworker)
    with pytest.raises(ValidationFailed):
        services.revoke_consent(consent, by=caseworker)

    assert AuditEvent.objects.filter(action="consent.revoke").count() == 1


def test_consent_outside_the_caseload_cannot_be_revoked(consent, other_caseworker):
    with pytest.raises(NotFound):
        services.revoke_consent(consent, by=other_caseworker)

    consent.refresh_from_db()
    assert consent.revoked_at is None


# --- recipient, purpose, categories -------------------------------------------------------


def test_consent_does_not_allow_another_recipient(consent):
    third = OrganisationFactory(name="Another Shelter")

    assert not allows(consent, timezone.now(), recipient=third)


def test_consent_does_not_allow_another_purpose(consent):
    assert not allows(consent, timezone.now(), purpose="referral")


def test_consent_does_not_allow_a_category_it_does_not_cover(consent):
    assert not allows(consent, timezone.now(), categories=["health"])
    assert not allows(consent, timezone.now(), categories=["identity", "health"])


def test_consent_allows_any_subset_of_its_categories(consent):
    now = timezone.now()

    assert allows(consent, now, categories=["identity", "contact", "legal_immigration"])
    assert allows(consent, now, categories=["contact", "legal_immigration"])
    assert allows(consent, now, categories=["legal_immigration"])


@pytest.mark.parametrize("categories", [[], ["name"], ["identity", "everything"], ["IDENTITY"]])
def test_unknown_or_empty_category_is_never_allowed(consent, categories):
    assert not allows(consent, timezone.now(), categories=categories)


def test_allows_each_answers_every_question_as_allows_does_from_one_query(
    consent, survivor, caseworker, partner_org, django_assert_num_queries
):
    other_recipient = OrganisationFactory()
    now = timezone.now()
    questions = [
        (survivor, partner_org, ["identity", "contact"], "legal_representation"),
        (survivor.pk, partner_org.pk, ["legal_immigration"], "legal_representation"),
        (str(survivor.pk), str(partner_org.pk), ["identity"], "legal_representation"),
        (survivor, partner_org, ["identity"], "referral"),
        (survivor, other_recipient, ["identity"], "legal_representation"),
        (survivor, partner_org, ["identity", "health"], "legal_representation"),
        (survivor, partner_org, [], "legal_representation"),
        (survivor, partner_org, ["everything"], "legal_representation"),
        ("not an id", partner_org, ["identity"], "legal_representation"),
    ]
    expected = [True, True, True, False, False, False, False, False, False]
    with django_assert_num_queries(1):
        assert services.allows_each(questions, at=now) == expected
    assert [services.allows(*question, at=now) for question in questions[:-1]] == expected[:-1]


def test_allows_each_of_nothing_reads_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert services.allows_each([]) == []


def test_two_consents_do_not_combine_into_one(survivor, caseworker, partner_org):
    for category in ("identity", "health"):
        services.record_consent(
            survivor,
            by=caseworker,
            recipient=partner_org,
            purpose="referral",
            categories=[category],
            method="written",
        )

    assert services.allows(survivor, partner_org, ["identity"], "referral")
    assert services.allows(survivor, partner_org, ["health"], "referral")
    assert not services.allows(survivor, partner_org, ["identity", "health"], "referral")


def test_consent_for_one_survivor_does_not_cover_another(consent, caseworker, home_org):
    from tests.factories import make_survivor

    other = make_survivor(caseworker, home_org)

    assert not services.allows(other, consent.recipient, ["identity"], consent.purpose)


# --- recording rules ----------------------------------------------------------------------


def test_expiry_defaults_to_365_days(survivor, caseworker, partner_org):
    given = timezone.now() - datetime.timedelta(hours=1)
    consent = services.record_consent(
        survivor,
        by=caseworker,
        recipient=partner_org,
        purpose="referral",
        categories=["identity"],
        method="written",
        given_at=given,
    )

    assert consent.expires_at == given + datetime.timedelta(days=365)


@override_settings(RECLAIM_CONSENT_DEFAULT_DAYS=90)
def test_expiry_default_follows_the_setting(survivor, caseworker, partner_org):
    consent = services.record_consent(
        survivor,
        by=caseworker,
        recipient=partner_org,
        purpose="referral",
        categories=["identity"],
        method="written",
    )

    assert consent.expires_at - consent.given_at == datetime.timedelta(days=90)


def refused(survivor, caseworker, recipient, **overrides):
    arguments = {
        "by": caseworker,
        "recipient": recipient,
        "purpose": "referral",
        "categories": ["identity"],
        "method": "written",
    }
    arguments.update(overrides)
    with pytest.raises(ValidationFailed) as raised:
        services.record_consent(survivor, **arguments)
    assert not Consent.objects.exists()
    assert not AuditEvent.objects.filter(action="consent.record").exists()
    return raised.value


def test_verbal_consent_without_witness_is_refused(survivor, caseworker, partner_org):
    error = refused(survivor, caseworker, partner_org, method="verbal_witnessed")

    assert error.field == "witness_name"


def test_verbal_consent_with_a_blank_witness_is_refused(survivor, caseworker, partner_org):
    error = refused(survivor, caseworker, partner_org, method="verbal_witnessed", witness_name="  ")

    assert error.field == "witness_name"


def test_verbal_consent_with_a_witness_is_recorded(survivor, caseworker, partner_org):
    consent = services.record_consent(
        survivor,
        by=caseworker,
        recipient=partner_org,
        purpose="referral",
        categories=["identity"],
        method="verbal_witnessed",
        witness_name="Duty advocate",
    )

    assert consent.witness_name == "Duty advocate"


def test_consent_to_own_organisation_is_refused(survivor, caseworker, home_org):
    assert refused(survivor, caseworker, home_org).field == "recipient"


def test_consent_already_expired_is_refused(survivor, caseworker, partner_org):
    now = timezone.now()
    error = refused(
        survivor,
        caseworker,
        partner_org,
        given_at=now - datetime.timedelta(days=10),
        expires_at=now - SECOND,
    )

    assert error.field == "expires_at"


def test_consent_expiring_before_it_was_given_is_refused(survivor, caseworker, partner_org):
    now = timezone.now()
    error = refused(survivor, caseworker, partner_org, given_at=now, expires_at=now)

    assert error.field == "expires_at"


def test_consent_with_naive_times_is_refused(survivor, caseworker, partner_org):
    error = refused(survivor, caseworker, partner_org, given_at=datetime.datetime(2025, 1, 1, 9))

    assert error.field == "given_at"


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("categories", {"categories": []}),
        ("categories", {"categories": ["identity", "secrets"]}),
        ("purpose", {"purpose": "marketing"}),
        ("method", {"method": "telepathy"}),
    ],
)
def test_consent_with_unknown_values_is_refused(
    survivor, caseworker, partner_org, field, overrides
):
    assert refused(survivor, caseworker, partner_org, **overrides).field == field


def test_consent_cannot_be_recorded_outside_the_caseload(survivor, other_caseworker, partner_org):
    with pytest.raises(NotFound):
        services.record_consent(
            survivor,
            by=other_caseworker,
            recipient=partner_org,
            purpose="referral",
            categories=["identity"],
            method="written",
        )

    assert not Consent.objects.exists()


def test_recording_consent_is_audited_with_categories_not_values(consent):
    event = AuditEvent.objects.get(action="consent.record")

    assert event.subject_id == consent.survivor_id
    assert event.context["categories"] == ["contact", "identity", "legal_immigration"]
    assert event.context["recipient"] == str(consent.recipient_id)


# --- plain-language summary ---------------------------------------------------------------


def test_summary_in_english_names_recipient_kinds_and_end_date(consent):
    summary = services.consent_summary(consent, "en")

    assert "Justice Legal Aid" in summary
    assert "how to contact you safely" in summary
    assert consent.expires_at.date().isoformat() in summary
    assert "change your mind" in summary


def test_summary_in_spanish_differs_and_mentions_the_recipient(consent):
    english = services.consent_summary(consent, "en")
    spanish = services.consent_summary(consent, "es")

    assert spanish != english
    assert "Justice Legal Aid" in spanish
    assert "You agreed" not in spanish
