"""Each role lands on its own front door and sees only the links it can use."""

from __future__ import annotations

import pytest

from tests.factories import member


@pytest.fixture(autouse=True)
def _mfa_relaxed(settings):
    settings.RECLAIM_DEMO_RELAX_MFA = True


def test_case_managers_land_on_their_caseload_with_tasks_and_search(client, caseworker):
    client.force_login(caseworker)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/caseload/"
    page = client.get("/caseload/").content.decode()
    for link in ('href="/caseload/"', 'href="/care/tasks/"', 'href="/survivors/search/"'):
        assert link in page
    assert 'href="/survivors/new/"' in page


def test_partner_staff_land_on_the_referral_inbox_without_record_links(client, partner_staff):
    client.force_login(partner_staff)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/referrals/inbox/"
    page = client.get("/referrals/inbox/").content.decode()
    for link in ('href="/caseload/"', 'href="/care/tasks/"', 'href="/survivors/search/"'):
        assert link not in page
    assert 'href="/survivors/new/"' not in page
    assert 'href="/referrals/inbox/"' in page


def test_roles_without_records_or_referrals_land_on_their_account(client, home_org):
    mentor = member(home_org, "mentor", username="mentor")
    client.force_login(mentor)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/account/"
