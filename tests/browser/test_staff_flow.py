"""A case manager's day in a real browser, and an outsider who cannot open the record."""

from __future__ import annotations

import re

import pytest

from reclaim.survivors import services
from tests.factories import TEST_PASSWORD, make_survivor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases="__all__")]


def test_case_manager_edits_a_profile_and_records_a_consent(
    open_page, caseworker, home_org, partner_org
):
    from playwright.sync_api import expect

    survivor = make_survivor(caseworker, home_org, alias="Marisol")
    page = open_page(caseworker, TEST_PASSWORD)

    # Logged in, MFA relaxed: the caseload is the first page.
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    page.get_by_role("link", name="Marisol").click()
    expect(page).to_have_url(re.compile(rf"/survivors/{survivor.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Marisol")

    page.get_by_role("link", name="Edit profile").click()
    page.get_by_label("Preferred name").fill("Mari")
    page.get_by_label("Pronouns").fill("she/her")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("The profile was saved.")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Mari")

    page.get_by_role("link", name="Consents").click()
    page.get_by_text("Record a new consent").click()
    page.get_by_label("Who may see the information").select_option(label=partner_org.name)
    page.get_by_label("What for").select_option("legal_representation")
    page.locator("input[name=categories][value=identity]").check()
    page.locator("input[name=categories][value=legal_immigration]").check()
    page.get_by_label("How the survivor agreed").select_option("written")
    page.get_by_role("button", name="Record consent").click()
    expect(page.get_by_text("The consent was recorded.")).to_be_visible()
    expect(page.locator(".consent-active")).to_have_count(1)

    saved = services.get_survivor(survivor.pk, by=caseworker)
    assert services.read_profile(saved)["preferred_name"] == "Mari"
    assert services.read_profile(saved)["pronouns"] == "she/her"
    assert services.allows(
        survivor, partner_org, ["identity", "legal_immigration"], "legal_representation"
    )


def test_outsider_gets_not_found_for_the_record_url(open_page, caseworker, home_org, outsider):
    survivor = make_survivor(caseworker, home_org, alias="Marisol")
    page = open_page(outsider, TEST_PASSWORD)

    response = page.goto(f"/survivors/{survivor.pk}/")

    assert response is not None and response.status == 404
    body = page.content()
    assert "Marisol" not in body
    assert survivor.reference not in body
    response = page.goto(f"/survivors/{survivor.pk}/edit/")
    assert response is not None and response.status == 404
