"""Find services for a survivor, refer with consent, and the partner's answer, in a real browser."""

from __future__ import annotations

import re

import pytest

from reclaim.referrals.models import Referral
from tests.directory.factories import DirectoryOrganizationFactory, make_service
from tests.factories import TEST_PASSWORD, make_survivor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases="__all__")]


def test_find_services_refer_with_consent_and_the_partner_accepts(
    open_page, caseworker, home_org, partner_org, partner_staff
):
    from playwright.sync_api import expect

    survivor = make_survivor(caseworker, home_org, alias="Marisol")
    provider = DirectoryOrganizationFactory(
        name="Justice Counselling", platform_organisation=partner_org
    )
    make_service(
        name="Healing Circle",
        organization=provider,
        types=("counseling",),
        languages=("es", "en"),
        survivor_led=True,
    )
    make_service(name="Men's Shelter", types=("counseling",), gender_eligibility="men")

    page = open_page(caseworker, TEST_PASSWORD)
    failed: list[str] = []  # every request the pages make (their styles and scripts) answers
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    page.goto(f"/survivors/{survivor.pk}/")
    page.get_by_role("link", name="Find services").click()
    expect(page.get_by_role("heading", name="Find services", level=1)).to_be_visible()

    # The form is answered in place (htmx): the ranked list, with its reasons, and who is
    # left out and why.
    page.locator("input[name=needs][value=mental_health]").check()
    page.get_by_label("Languages the survivor speaks").fill("es")
    page.get_by_label("Gender, for services open to one gender").select_option("woman")
    page.get_by_label("Prefers a survivor-led service").check()
    page.get_by_role("button", name="Find services").click()
    ranked = page.locator("#find-results ol.card-list > li")
    expect(ranked).to_have_count(1)
    expect(ranked.first).to_contain_text("Healing Circle")
    expect(ranked.first.locator(".reasons")).to_contain_text("speaks Spanish")
    expect(ranked.first.locator(".reasons")).to_contain_text("survivor-led")
    expect(page.locator("#find-results ul.card-list")).to_contain_text("Men's Shelter: men only")
    assert str(survivor.pk) in page.url and "Marisol" not in page.title()

    # Refer: choose what to share, then see exactly what will be shared before sending.
    ranked.first.get_by_role("link", name="Refer").click()
    expect(page.get_by_role("heading", name="Refer to another organisation")).to_be_visible()
    page.locator("input[name=categories][value=identity]").check()
    page.get_by_role("button", name="Prepare the referral").click()
    expect(page.get_by_role("heading", name="This is exactly what will be shared")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("has not given a valid consent")
    expect(page.get_by_role("button", name="Send the referral")).to_have_count(0)
    assert "Marisol" not in page.title()

    page.get_by_text("The survivor agrees: record their consent for this referral").click()
    page.get_by_label("How the survivor gave consent").select_option("written")
    page.get_by_role("button", name="Record consent").click()
    expect(page.get_by_text("consent covers this organisation")).to_be_visible()
    page.get_by_role("button", name="Send the referral").click()
    # Sent: the page comes back without the send section (then the database is read).
    expect(page.get_by_role("heading", name="Send", exact=True)).to_have_count(0)
    referral = Referral.objects.get()
    expect(page).to_have_url(re.compile(rf"/referrals/{referral.pk}/"))
    assert (referral.status, referral.service_name) == ("requested", "Healing Circle")

    # The partner finds it in the inbox, sees the consented packet, and accepts it.
    partner = open_page(partner_staff, TEST_PASSWORD)
    partner.goto("/referrals/inbox/")
    partner.locator(f"a[href='/referrals/{referral.pk}/']").first.click()
    expect(partner.locator("body")).to_contain_text("Marisol")
    partner.get_by_label("Next step").select_option("accepted")
    partner.get_by_role("button", name="Save", exact=True).click()
    expect(partner.locator("dl.facts").first).to_contain_text("Accepted")
    referral.refresh_from_db()
    assert referral.status == "accepted"

    # The sender sees the step.
    page.reload()
    expect(page.locator("dl.facts").first).to_contain_text("Accepted")
    assert failed == []
    # The tab's icon is served (browsers asked for /favicon.ico, a 404 in the log, on every page).
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon is not None and page.request.get(icon).status == 200
