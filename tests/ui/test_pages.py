"""The staff web UI: caseload, record tabs, edits, consents, break-the-glass, erasure."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from reclaim.core.models import AuditEvent, BreakGlassGrant
from reclaim.survivors import services
from reclaim.survivors.models import Consent, Survivor
from tests.factories import make_survivor


def record_url(survivor, tab: str = "") -> str:
    url = reverse("survivor_record", kwargs={"survivor_id": survivor.pk})
    return f"{url}?tab={tab}" if tab else url


def title_of(response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert match, "page has no <title>"
    return match.group(1)


# --- caseload -----------------------------------------------------------------------------


def test_caseload_lists_own_survivors_and_not_others(login, caseworker, other_caseworker, home_org):
    mine = make_survivor(caseworker, home_org, alias="Marisol")
    make_survivor(other_caseworker, home_org, alias="Esperanza", legal_name="Esperanza Ruiz")

    response = login(caseworker).get(reverse("caseload"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Marisol" in body and mine.reference in body
    assert "Esperanza" not in body


def test_supervisor_can_switch_caseload_to_whole_organisation(
    login, supervisor, caseworker, home_org
):
    make_survivor(caseworker, home_org, alias="Marisol")
    client = login(supervisor)

    assert "Marisol" not in client.get(reverse("caseload")).content.decode()
    assert "Marisol" in client.get(reverse("caseload") + "?show=all").content.decode()


def test_case_manager_cannot_switch_to_whole_organisation(
    login, caseworker, other_caseworker, home_org
):
    make_survivor(other_caseworker, home_org, alias="Esperanza", legal_name="Esperanza Ruiz")

    response = login(caseworker).get(reverse("caseload") + "?show=all")

    assert "Esperanza" not in response.content.decode()


def test_anonymous_visitor_is_sent_to_login(client, survivor):
    response = client.get(record_url(survivor))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- the record ---------------------------------------------------------------------------


def test_profile_shows_decrypted_values_to_caseworker(login, caseworker, survivor):
    response = login(caseworker).get(record_url(survivor))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Marisol Quintero Vega" in body
    assert "+1 555 0100 777" in body
    assert "Spanish" in body  # language codes shown by name


def test_outsider_gets_404_on_profile_url_and_the_denial_is_audited(login, outsider, survivor):
    response = login(outsider).get(record_url(survivor))

    assert response.status_code == 404
    body = response.content.decode()
    assert "Marisol" not in body and survivor.reference not in body
    assert AuditEvent.objects.filter(action="access.denied", actor_id=outsider.pk).exists()


def test_other_team_case_manager_gets_404_on_profile(login, other_caseworker, survivor):
    assert login(other_caseworker).get(record_url(survivor)).status_code == 404


def test_htmx_tab_request_gets_only_the_tab_fragment(login, caseworker, survivor):
    response = login(caseworker).get(record_url(survivor, "consents"), HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert body.lstrip().startswith('<div id="record-tabs"')
    assert "<html" not in body
    assert "No consent recorded" in body


def test_tab_without_htmx_renders_the_full_page(login, caseworker, survivor):
    response = login(caseworker).get(record_url(survivor, "case"))

    body = response.content.decode()
    assert "<html" in body and 'id="record-tabs"' in body
    assert "only if the survivor chooses to share" in body.lower()


def test_supervisor_sees_audit_tab_and_caseworker_does_not(login, supervisor, caseworker, survivor):
    supervisor_page = login(supervisor).get(record_url(survivor, "audit")).content.decode()
    caseworker_page = login(caseworker).get(record_url(survivor, "audit")).content.decode()

    assert 'href="?tab=audit"' in supervisor_page
    assert "survivor.create" in supervisor_page  # the trail itself
    assert 'href="?tab=audit"' not in caseworker_page
    assert "survivor.create" not in caseworker_page


# --- intake and edits ---------------------------------------------------------------------


def intake_data(**overrides):
    data = {
        "organisation": "",
        "alias": "Rosa",
        "legal_name": "Rosa Pérez Luna",
        "date_of_birth": "1990-01-02",
        "gender": "",
        "languages": "es, en",
        "citizenship": "MX",
        "country_of_origin": "MX",
        "intake_date": datetime.date.today().isoformat(),
    }
    data.update(overrides)
    return data


def test_new_survivor_is_created_and_assigned_to_the_case_manager(login, caseworker, home_org):
    response = login(caseworker).post(
        reverse("survivor_new"), intake_data(organisation=str(home_org.pk))
    )

    created = Survivor.objects.get()
    assert response.status_code == 302
    assert response["Location"] == record_url(created)
    fetched = services.get_survivor(created.pk, by=caseworker)
    assert services.read_profile(fetched)["languages"] == ["es", "en"]
    assert created.cases.get().assigned_to == caseworker


def test_intake_with_only_the_date_is_enough(login, caseworker, home_org):
    data = {"organisation": str(home_org.pk), "intake_date": datetime.date.today().isoformat()}

    response = login(caseworker).post(reverse("survivor_new"), data)

    assert response.status_code == 302
    assert Survivor.objects.count() == 1


def test_possible_duplicate_is_warned_before_creating(login, caseworker, home_org, survivor):
    data = intake_data(
        organisation=str(home_org.pk),
        legal_name="Marisol Quintero Vega",
        date_of_birth="1994-03-14",
    )
    client = login(caseworker)

    warned = client.post(reverse("survivor_new"), data)

    assert warned.status_code == 200
    assert survivor.reference in warned.content.decode()
    assert Survivor.objects.count() == 1
    created = client.post(reverse("survivor_new"), {**data, "create_anyway": "on"})
    assert created.status_code == 302
    assert Survivor.objects.count() == 2


def test_unknown_language_code_is_shown_next_to_the_field(login, caseworker, home_org):
    response = login(caseworker).post(
        reverse("survivor_new"), intake_data(organisation=str(home_org.pk), languages="zz9")
    )

    assert response.status_code == 422
    assert response.context["form"].errors["languages"]
    assert Survivor.objects.count() == 0


def test_edit_profile_with_nul_byte_shows_field_error_and_changes_nothing(
    login, caseworker, survivor
):
    url = reverse("survivor_edit", kwargs={"survivor_id": survivor.pk})
    client = login(caseworker)
    data = {
        "alias": "Bad\x00name",
        "legal_name": "Someone Else",
        "intake_date": survivor.intake_date.isoformat(),
    }

    response = client.post(url, data)

    assert response.status_code == 422
    assert "alias" in response.context["form"].errors
    profile = services.read_profile(services.get_survivor(survivor.pk, by=caseworker))
    assert profile["alias"] == "Marisol"
    assert profile["legal_name"] == "Marisol Quintero Vega"


def test_edit_profile_with_control_character_shows_field_error(login, caseworker, survivor):
    url = reverse("survivor_edit", kwargs={"survivor_id": survivor.pk})
    data = {"pronouns": "she\x07her", "intake_date": survivor.intake_date.isoformat()}

    response = login(caseworker).post(url, data)

    assert response.status_code == 422
    assert "pronouns" in response.context["form"].errors


def test_edit_profile_saves_and_empty_means_prefer_not_to_say(login, caseworker, survivor):
    url = reverse("survivor_edit", kwargs={"survivor_id": survivor.pk})
    data = {"alias": "Mari", "intake_date": survivor.intake_date.isoformat()}

    response = login(caseworker).post(url, data)

    assert response.status_code == 302
    profile = services.read_profile(services.get_survivor(survivor.pk, by=caseworker))
    assert profile["alias"] == "Mari"
    assert profile["legal_name"] is None


def test_case_can_be_closed_with_a_reason(login, caseworker, survivor):
    case = survivor.cases.get()
    url = reverse("survivor_case_update", kwargs={"survivor_id": survivor.pk, "case_id": case.pk})
    prefix = str(case.pk)

    missing_reason = login(caseworker).post(url, {f"{prefix}-status": "Closed"})
    case.refresh_from_db()
    assert missing_reason.status_code == 422
    assert case.status == "Active"

    closed = login(caseworker).post(
        url, {f"{prefix}-status": "Closed", f"{prefix}-closure_reason": "GoalsMet"}
    )
    case.refresh_from_db()
    assert closed.status_code == 302
    assert case.status == "Closed"


def test_contact_preference_is_saved(login, caseworker, survivor):
    url = reverse("survivor_contact_preference", kwargs={"survivor_id": survivor.pk})

    response = login(caseworker).post(
        url, {"channel": "text_message", "may_contact": "on", "safe_times": "after 6pm"}
    )

    assert response.status_code == 302
    preferences = services.list_contact_preferences(survivor, by=caseworker)
    assert [(p.channel, p.may_contact, p.safe_times) for p in preferences] == [
        ("text_message", True, "after 6pm")
    ]


# --- consents -----------------------------------------------------------------------------


def test_record_and_revoke_consent(login, caseworker, survivor, partner_org):
    client = login(caseworker)
    data = {
        "recipient": str(partner_org.pk),
        "purpose": "referral",
        "categories": ["identity", "contact"],
        "method": "written",
        "expires_on": (datetime.date.today() + datetime.timedelta(days=30)).isoformat(),
    }

    recorded = client.post(
        reverse("survivor_consent_new", kwargs={"survivor_id": survivor.pk}), data
    )

    assert recorded.status_code == 302
    consent = Consent.objects.get()
    assert services.allows(survivor, partner_org, ["identity", "contact"], "referral")
    page = client.get(record_url(survivor, "consents")).content.decode()
    assert "Justice Legal Aid" in page and "Revoke this consent" in page

    revoke_url = reverse(
        "survivor_consent_revoke", kwargs={"survivor_id": survivor.pk, "consent_id": consent.pk}
    )
    revoked = client.post(revoke_url)

    assert revoked.status_code == 302
    assert not services.allows(survivor, partner_org, ["identity"], "referral")
    assert "Revoked" in client.get(record_url(survivor, "consents")).content.decode()


def test_verbal_consent_without_witness_is_refused_next_to_the_field(
    login, caseworker, survivor, partner_org
):
    data = {
        "recipient": str(partner_org.pk),
        "purpose": "referral",
        "categories": ["identity"],
        "method": "verbal_witnessed",
        "expires_on": (datetime.date.today() + datetime.timedelta(days=30)).isoformat(),
    }

    response = login(caseworker).post(
        reverse("survivor_consent_new", kwargs={"survivor_id": survivor.pk}), data
    )

    assert response.status_code == 422
    assert "witness_name" in response.context["consent_form"].errors
    assert not Consent.objects.exists()


def test_outsider_cannot_revoke_a_consent(login, caseworker, outsider, survivor, partner_org):
    consent = services.record_consent(
        survivor,
        by=caseworker,
        recipient=partner_org,
        purpose="referral",
        categories=["identity"],
        method="written",
    )
    url = reverse(
        "survivor_consent_revoke", kwargs={"survivor_id": survivor.pk, "consent_id": consent.pk}
    )

    response = login(outsider).post(url)

    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.revoked_at is None


# --- search and break-the-glass -----------------------------------------------------------


def test_search_is_a_post_form_and_finds_visible_records(login, caseworker, survivor):
    client = login(caseworker)

    response = client.post(reverse("survivor_search"), {"query": "Marisol"})

    assert response.status_code == 200
    assert record_url(survivor) in response.content.decode()
    assert 'method="post"' in client.get(reverse("survivor_search")).content.decode()


def test_break_glass_flow_gives_access(login, other_caseworker, survivor):
    client = login(other_caseworker)
    assert client.get(record_url(survivor)).status_code == 404

    found = client.post(reverse("survivor_search"), {"query": survivor.reference})
    assert survivor.reference in [ref for ref, _form in found.context["outside"]]
    reason = "Survivor called the hotline in crisis; her case manager is away."
    opened = client.post(
        reverse("break_glass"),
        {
            "prefix": survivor.reference,
            f"{survivor.reference}-reference": survivor.reference,
            f"{survivor.reference}-reason": reason,
        },
    )

    assert opened.status_code == 302
    assert opened["Location"] == record_url(survivor)
    assert client.get(record_url(survivor)).status_code == 200
    assert BreakGlassGrant.objects.filter(user=other_caseworker, survivor_id=survivor.pk).exists()


def test_break_glass_needs_a_real_reason(login, other_caseworker, survivor):
    client = login(other_caseworker)

    response = client.post(
        reverse("break_glass"), {"reference": survivor.reference, "reason": "because"}
    )

    assert response.status_code == 422
    assert "reason" in response.context["form"].errors
    assert not BreakGlassGrant.objects.exists()
    assert client.get(record_url(survivor)).status_code == 404


def test_supervisor_reviews_break_glass(login, supervisor, other_caseworker, survivor):
    services.open_break_glass(
        survivor.reference, by=other_caseworker, reason="Emergency call from the survivor tonight."
    )
    grant = BreakGlassGrant.objects.get()
    client = login(supervisor)

    queue = client.get(reverse("break_glass_queue"))
    assert "Emergency call from the survivor tonight." in queue.content.decode()

    response = client.post(
        reverse("break_glass_review", kwargs={"grant_id": grant.pk}),
        {f"{grant.pk}-note": "Checked."},
    )

    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed_by == supervisor


def test_case_manager_cannot_open_review_queue_or_audit(login, caseworker):
    client = login(caseworker)

    assert client.get(reverse("break_glass_queue")).status_code == 403
    assert client.get(reverse("organisation_audit")).status_code == 403


def test_supervisor_sees_organisation_audit_trail(login, supervisor, survivor):
    response = login(supervisor).get(reverse("organisation_audit"))

    assert response.status_code == 200
    assert "survivor.create" in response.content.decode()


# --- erasure ------------------------------------------------------------------------------


def test_erase_by_org_admin_leaves_an_erased_record(login, org_admin, survivor):
    client = login(org_admin)
    url = reverse("survivor_erase", kwargs={"survivor_id": survivor.pk})

    unconfirmed = client.post(url, {"reason": "Survivor's request"})
    assert unconfirmed.status_code == 422
    assert Survivor.objects.get(pk=survivor.pk).erased_at is None

    erased = client.post(url, {"reason": "Survivor's request", "confirm": "on"})

    assert erased.status_code == 302
    assert Survivor.objects.get(pk=survivor.pk).erased_at is not None
    page = client.get(record_url(survivor))
    assert page.status_code == 410
    body = page.content.decode()
    assert "Erased record" in body
    assert "Marisol" not in body


def test_case_manager_cannot_erase(login, caseworker, survivor):
    url = reverse("survivor_erase", kwargs={"survivor_id": survivor.pk})

    response = login(caseworker).post(url, {"reason": "Survivor's request", "confirm": "on"})

    assert response.status_code == 403
    assert Survivor.objects.get(pk=survivor.pk).erased_at is None


# --- account ------------------------------------------------------------------------------


def test_api_token_secret_is_shown_once(login, caseworker):
    client = login(caseworker)

    created = client.post(reverse("access_tokens"), {"name": "Reporting"})

    secret = created.context["issued"].secret
    assert secret in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    assert secret not in client.get(reverse("access_tokens")).content.decode()


def test_api_token_can_be_revoked(login, caseworker):
    from reclaim.core import services as core_services

    issued = core_services.create_access_token(by=caseworker, name="Reporting", can_write=False)

    response = login(caseworker).post(reverse("revoke_token", kwargs={"token_id": issued.token.pk}))

    assert response.status_code == 302
    assert core_services.authenticate_token(issued.secret) is None


def test_log_out_everywhere_ends_other_sessions(login, caseworker):
    first = login(caseworker)
    second = login(caseworker)

    response = first.post(reverse("logout_everywhere"))

    assert response.status_code == 302
    assert second.get(reverse("caseload")).status_code == 302  # sent back to login
    assert first.get(reverse("caseload")).status_code == 302


# --- language, titles, CSP ----------------------------------------------------------------


def test_spanish_page_renders_translated_text(login, caseworker, survivor):
    client = login(caseworker)

    response = client.get(reverse("caseload"), HTTP_ACCEPT_LANGUAGE="es")

    body = response.content.decode()
    assert '<html lang="es">' in body
    assert "Mis casos" in body
    assert "My caseload" not in body


def test_language_switcher_sets_spanish(login, caseworker):
    client = login(caseworker)

    client.post(reverse("set_language"), {"language": "es", "next": reverse("caseload")})

    assert "Mis casos" in client.get(reverse("caseload")).content.decode()


@pytest.mark.parametrize(
    "page",
    [
        "caseload",
        "search",
        "new",
        "profile",
        "case",
        "consents",
        "audit",
        "edit",
        "erase",
        "queue",
        "tokens",
        "org_audit",
    ],
)
def test_page_title_holds_no_alias_or_name(login, org_admin, home_org, page):
    survivor = make_survivor(org_admin, home_org)
    urls = {
        "caseload": reverse("caseload") + "?show=all",
        "search": reverse("survivor_search"),
        "new": reverse("survivor_new"),
        "profile": record_url(survivor),
        "case": record_url(survivor, "case"),
        "consents": record_url(survivor, "consents"),
        "audit": record_url(survivor, "audit"),
        "edit": reverse("survivor_edit", kwargs={"survivor_id": survivor.pk}),
        "erase": reverse("survivor_erase", kwargs={"survivor_id": survivor.pk}),
        "queue": reverse("break_glass_queue"),
        "tokens": reverse("access_tokens"),
        "org_audit": reverse("organisation_audit"),
    }

    response = login(org_admin).get(urls[page])

    assert response.status_code == 200
    title = title_of(response)
    assert title.strip().endswith("Reclaim")
    for secret in ("Marisol", "Quintero", survivor.reference):
        assert secret not in title
    if page in ("caseload", "profile"):
        assert "Marisol" in response.content.decode()  # the data is on the page, not in the title


@pytest.mark.parametrize(
    "url_name", ["caseload", "survivor_search", "survivor_new", "access_tokens"]
)
def test_pages_send_csp_and_have_no_inline_scripts(login, caseworker, url_name):
    response = login(caseworker).get(reverse(url_name))

    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "default-src 'self'" in policy
    scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
    assert scripts, "htmx and our script are loaded"
    assert all(" src=" in tag for tag in scripts)
    assert not re.search(r"\sstyle=", response.content.decode())
    assert "//cdn" not in response.content.decode() and "https://" not in response.content.decode()


def test_record_page_has_no_inline_scripts(login, caseworker, survivor):
    body = login(caseworker).get(record_url(survivor)).content.decode()

    assert all(" src=" in tag for tag in re.findall(r"<script\b[^>]*>", body))
    assert not re.search(r"\sstyle=", body)


def test_tampered_record_shows_integrity_error_and_is_audited(login, caseworker, survivor):
    from django.db import connection

    with connection.cursor() as cursor:  # a ciphertext moved to another column fails to open
        cursor.execute(
            "UPDATE survivors_survivor SET legal_name = alias WHERE id = %s", [survivor.pk.hex]
        )

    response = login(caseworker).get(record_url(survivor))

    assert response.status_code == 409
    assert "Marisol" not in response.content.decode()
    assert AuditEvent.objects.filter(action="integrity.failure", actor_id=caseworker.pk).exists()
