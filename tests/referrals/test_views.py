"""The referral pages, end to end: Refer, preview, inline consent, send, the partner inbox,
answering, the consent gate on the page, notifications."""

from __future__ import annotations

import re
import uuid

import pytest

from reclaim.referrals.models import Referral
from reclaim.survivors import services as survivors
from tests.directory.factories import DirectoryOrganizationFactory, make_service


def _title(response) -> str:
    return re.search(rb"<title>(.*?)</title>", response.content, re.S).group(1).decode()


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def test_refer_prepare_preview_consent_and_send(login, caseworker, survivor, partner_org):
    client = login(caseworker)
    page = client.get(f"/referrals/new/?survivor={survivor.pk}")
    assert page.status_code == 200
    assert "Marisol" not in _title(page)
    response = client.post(
        f"/referrals/new/?survivor={survivor.pk}",
        {"recipient": str(partner_org.pk), "categories": ["identity"], "purpose": "referral"},
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/referrals/{referral.pk}/"

    preview = client.get(f"/referrals/{referral.pk}/")
    assert b"This is exactly what will be shared" in preview.content
    assert b"Marisol Quintero Vega" in preview.content  # identity is in the preview
    assert b"+1 555 0100 777" not in preview.content  # contact was not chosen
    assert b"has not given a valid consent" in preview.content
    assert "Marisol" not in _title(preview)

    refused = client.post(f"/referrals/{referral.pk}/send/")
    assert refused.status_code == 302
    assert Referral.objects.get().status == "draft"

    recorded = client.post(f"/referrals/{referral.pk}/consent/", {"method": "electronic"})
    assert recorded.status_code == 302
    assert b"consent covers this organisation" in client.get(f"/referrals/{referral.pk}/").content

    client.post(f"/referrals/{referral.pk}/send/")
    assert Referral.objects.get().status == "requested"


def test_refer_form_errors_are_shown_next_to_the_field(login, caseworker, survivor, partner_org):
    response = login(caseworker).post(
        f"/referrals/new/?survivor={survivor.pk}",
        {"recipient": str(partner_org.pk), "purpose": "referral"},
    )
    assert response.status_code == 422
    assert b"has-error" in response.content
    assert not Referral.objects.exists()


def test_verbal_consent_without_witness_is_refused_next_to_the_field(login, caseworker, draft):
    response = login(caseworker).post(
        f"/referrals/{draft.pk}/consent/", {"method": "verbal_witnessed"}
    )
    assert response.status_code == 422
    assert b"has-error" in response.content
    assert not survivors.allows(draft.survivor_id, draft.recipient_id, ["identity"], "referral")


def test_refer_from_a_directory_service(login, caseworker, survivor, partner_org):
    provider = DirectoryOrganizationFactory(platform_organisation=partner_org)
    service_id = make_service(name="Trauma counselling", organization=provider).pk
    client = login(caseworker)
    url = f"/referrals/new/?survivor={survivor.pk}&service={service_id}"
    assert b"Trauma counselling" in client.get(url).content
    client.post(url, {"service": str(service_id), "categories": ["health"], "purpose": "referral"})
    referral = Referral.objects.get()
    assert (referral.recipient_id, referral.service_name) == (partner_org.pk, "Trauma counselling")


def test_an_unknown_service_on_the_refer_page_says_so(login, caseworker, survivor):
    response = login(caseworker).get(
        f"/referrals/new/?survivor={survivor.pk}&service={uuid.uuid4()}"
    )
    assert response.status_code == 200
    assert b"no such service" in response.content


def test_the_partner_inbox_lists_it_without_personal_data(login, partner_staff, sent):
    response = login(partner_staff).get("/referrals/inbox/")
    assert response.status_code == 200
    assert f"/referrals/{sent.pk}/".encode() in response.content
    assert b"Marisol" not in response.content


def test_the_inbox_list_is_an_htmx_fragment_on_request(login, caseworker, sent):
    response = login(caseworker).get("/referrals/inbox/?box=sent", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert f"/referrals/{sent.pk}/".encode() in response.content
    assert "HX-Request" in response["Vary"]


def test_the_partner_sees_the_packet_then_loses_it_when_consent_is_revoked(
    login, partner_staff, sent, consent, caseworker
):
    client = login(partner_staff)
    assert b"Marisol" in client.get(f"/referrals/{sent.pk}/").content
    survivors.revoke_consent(consent, by=caseworker)
    response = client.get(f"/referrals/{sent.pk}/")
    assert response.status_code == 200
    assert b"Marisol" not in response.content and b"555" not in response.content
    assert b"consent no longer covers this referral" in response.content


def test_the_partner_accepts_and_the_caseworker_sees_the_step(
    login, partner_staff, caseworker, sent
):
    response = login(partner_staff).post(f"/referrals/{sent.pk}/respond/", {"status": "accepted"})
    assert response.status_code == 302
    page = login(caseworker).get(f"/referrals/{sent.pk}/")
    assert b"Accepted" in page.content
    assert b"Justice Legal Aid (partner_staff)" in page.content


def test_declining_without_a_reason_shows_the_error_at_the_field(login, partner_staff, sent):
    response = login(partner_staff).post(f"/referrals/{sent.pk}/respond/", {"status": "rejected"})
    assert response.status_code == 422
    assert b"has-error" in response.content
    assert Referral.objects.get().status == "requested"


def test_the_caseworker_cancels_with_a_reason(login, caseworker, sent):
    response = login(caseworker).post(
        f"/referrals/{sent.pk}/cancel/", {"reason": "survivor_withdrew"}
    )
    assert response.status_code == 302
    assert Referral.objects.get().status == "cancelled"


def test_the_survivor_referrals_page_lists_them(login, caseworker, survivor, sent):
    response = login(caseworker).get(f"/referrals/survivor/{survivor.pk}/")
    assert f"/referrals/{sent.pk}/".encode() in response.content
    assert "Marisol" not in _title(response)


def test_the_record_links_to_its_referrals(login, caseworker, survivor):
    response = login(caseworker).get(f"/survivors/{survivor.pk}/")
    assert f"/referrals/survivor/{survivor.pk}/".encode() in response.content


def test_notifications_page_and_mark_read(login, partner_staff, sent):
    client = login(partner_staff)
    page = client.get("/referrals/notifications/")
    assert b"A new referral was sent to your organisation." in page.content
    assert b"Marisol" not in page.content
    client.post("/referrals/notifications/read/")
    assert b"badge-ok" not in client.get("/referrals/notifications/").content


def test_the_referral_pages_speak_spanish(login, partner_staff, sent):
    client = login(partner_staff)
    inbox = client.get("/referrals/inbox/", HTTP_ACCEPT_LANGUAGE="es")
    assert b"Bandeja de derivaciones" in inbox.content
    detail = client.get(f"/referrals/{sent.pk}/", HTTP_ACCEPT_LANGUAGE="es")
    assert "Información compartida".encode() in detail.content
    assert b"Responder o actualizar" in detail.content


def test_after_erasure_both_sides_see_the_referral_but_no_data(
    login, partner_staff, org_admin, caseworker, sent, survivor
):
    survivors.erase_survivor(survivor, by=org_admin, reason="The survivor asked us to.")
    for user in (partner_staff, caseworker):
        page = login(user).get(f"/referrals/{sent.pk}/")
        assert page.status_code == 200
        assert b"Marisol" not in page.content
        assert b"was erased at the survivor" in page.content
    assert login(partner_staff).get(f"/api/v1/referrals/{sent.pk}/packet").status_code == 410


def test_referring_to_the_own_organisation_shows_the_error_at_the_field(
    login, caseworker, survivor, home_org
):
    response = login(caseworker).post(
        f"/referrals/new/?survivor={survivor.pk}",
        {"recipient": str(home_org.pk), "categories": ["identity"], "purpose": "referral"},
    )
    # The own organisation is not even offered: the choice is refused next to the field.
    assert response.status_code == 422
    assert b"has-error" in response.content
    assert not Referral.objects.exists()


def test_a_denied_referral_page_is_audited_and_leaks_nothing(login, other_caseworker, sent):
    from reclaim.core.models import AuditEvent

    before = AuditEvent.objects.filter(action="access.denied").count()
    response = login(other_caseworker).get(f"/referrals/{sent.pk}/")
    assert response.status_code == 404
    assert b"Marisol" not in response.content and b"Justice Legal Aid" not in response.content
    assert AuditEvent.objects.filter(action="access.denied").count() == before + 1
