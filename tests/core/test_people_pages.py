"""The people pages under /organisation/ (organisation admins), and what a deactivation does
to a session that is already open."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from reclaim.core.models import AuditEvent, Membership, Role, Team, User
from tests.factories import TeamFactory


@pytest.fixture(autouse=True)
def _relaxed_mfa(settings):
    settings.RECLAIM_DEMO_RELAX_MFA = True


@pytest.fixture
def admin_client(client, org_admin):
    client.force_login(org_admin)
    return client


def _membership(user: User) -> Membership:
    return Membership.objects.get(user=user)


def test_people_page_lists_members_with_role_team_and_mfa(admin_client, caseworker):
    Authenticator.objects.create(user=caseworker, type=Authenticator.Type.TOTP, data={})
    response = admin_client.get(reverse("people"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "caseworker" in text and "North" in text
    assert "Set up" in text and "Not set up" in text


def test_people_link_shows_only_for_admins(admin_client, supervisor):
    assert reverse("people") in admin_client.get(reverse("account")).content.decode()
    other = Client()
    other.force_login(supervisor)
    assert reverse("people") not in other.get(reverse("account")).content.decode()


def test_adding_a_member_shows_the_password_once_and_not_in_the_url(admin_client, team):
    response = admin_client.post(
        reverse("people"),
        {"username": "new.staff", "email": "", "role": "case_manager", "team": str(team.pk)},
    )
    assert response.status_code == 200
    password = re.search(r'id="temporary-password"[^>]*value="([^"]+)"', response.content.decode())
    assert password
    user = User.objects.get(username="new.staff")
    assert user.check_password(password.group(1))
    assert _membership(user).team == team
    # Not redirected: the password lives only in this one answer.
    assert password.group(1) not in admin_client.get(reverse("people")).content.decode()


def test_adding_a_taken_username_shows_the_error_next_to_the_field(admin_client, partner_staff):
    response = admin_client.post(reverse("people"), {"username": "partner_staff", "role": "mentor"})
    assert response.status_code == 422
    text = response.content.decode()
    assert "taken" in text
    assert "Justice" not in text
    assert Membership.objects.filter(user=partner_staff).count() == 1


def test_the_survivor_role_is_not_offered(admin_client):
    text = admin_client.get(reverse("people")).content.decode()
    assert 'value="survivor"' not in text
    assert 'value="org_admin"' in text


def test_changing_role_and_team_on_the_member_page(admin_client, caseworker, home_org):
    south = TeamFactory(organisation=home_org, name="South")
    url = reverse("people_member", kwargs={"membership_id": _membership(caseworker).pk})
    response = admin_client.post(url, {"role": "supervisor", "team": str(south.pk)})
    assert response.status_code == 302
    membership = _membership(caseworker)
    assert (membership.role, membership.team) == (Role.SUPERVISOR, south)


def test_demoting_the_last_admin_is_refused_on_the_page(admin_client, org_admin):
    url = reverse("people_member", kwargs={"membership_id": _membership(org_admin).pk})
    response = admin_client.post(url, {"role": "supervisor", "team": ""})
    assert response.status_code == 422
    assert "last admin" in response.content.decode()
    assert _membership(org_admin).role == Role.ORG_ADMIN


def test_deactivation_asks_for_confirmation_first(admin_client, caseworker):
    url = reverse("people_deactivate", kwargs={"membership_id": _membership(caseworker).pk})
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "stay assigned" in response.content.decode()
    assert _membership(caseworker).is_active


def test_a_deactivated_members_open_session_stops_working_on_the_next_request(
    admin_client, caseworker
):
    theirs = Client()
    theirs.force_login(caseworker)
    assert theirs.get(reverse("caseload")).status_code == 200

    url = reverse("people_deactivate", kwargs={"membership_id": _membership(caseworker).pk})
    assert admin_client.post(url).status_code == 302

    response = theirs.get(reverse("caseload"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not response.wsgi_request.user.is_authenticated
    assert theirs.get("/api/v1/survivors/").status_code in (401, 403)


def test_a_session_ends_even_when_the_account_stays_active_elsewhere(
    admin_client, caseworker, partner_org
):
    Membership.objects.create(user=caseworker, organisation=partner_org, role="partner_staff")
    theirs = Client()
    theirs.force_login(caseworker)
    assert theirs.get(reverse("caseload")).status_code == 200
    home = Membership.objects.get(user=caseworker, role="case_manager")

    admin_client.post(reverse("people_deactivate", kwargs={"membership_id": home.pk}))

    response = theirs.get(reverse("caseload"))
    assert response.status_code == 302
    assert "expired=1" in response["Location"]
    assert "_auth_user_id" not in theirs.session


def test_reactivating_from_the_member_page(admin_client, caseworker):
    membership = _membership(caseworker)
    admin_client.post(reverse("people_deactivate", kwargs={"membership_id": membership.pk}))
    response = admin_client.post(
        reverse("people_reactivate", kwargs={"membership_id": membership.pk})
    )
    assert response.status_code == 302
    assert _membership(caseworker).is_active


def test_password_reset_confirms_then_shows_the_new_password(admin_client, caseworker):
    url = reverse("people_reset_password", kwargs={"membership_id": _membership(caseworker).pk})
    before = User.objects.get(pk=caseworker.pk).password
    assert admin_client.get(url).status_code == 200
    assert User.objects.get(pk=caseworker.pk).password == before
    response = admin_client.post(url)
    password = re.search(r'id="temporary-password"[^>]*value="([^"]+)"', response.content.decode())
    assert User.objects.get(pk=caseworker.pk).check_password(password.group(1))


def test_mfa_reset_from_the_page(admin_client, caseworker):
    Authenticator.objects.create(user=caseworker, type=Authenticator.Type.TOTP, data={})
    url = reverse("people_reset_mfa", kwargs={"membership_id": _membership(caseworker).pk})
    assert admin_client.post(url).status_code == 302
    assert not Authenticator.objects.filter(user=caseworker).exists()


def test_teams_page_creates_and_renames(admin_client, home_org):
    response = admin_client.post(reverse("people_teams"), {"name": "South"})
    assert response.status_code == 302
    team = Team.objects.get(organisation=home_org, name="South")
    response = admin_client.post(
        reverse("people_team", kwargs={"team_id": team.pk}), {"name": "South-east"}
    )
    assert response.status_code == 302
    assert Team.objects.get(pk=team.pk).name == "South-east"


def test_duplicate_team_name_is_shown_next_to_the_field(admin_client, team):
    response = admin_client.post(reverse("people_teams"), {"name": "North"})
    assert response.status_code == 422
    assert "already a team" in response.content.decode()


@pytest.mark.parametrize("persona", ["caseworker", "supervisor", "outsider"])
def test_non_admins_cannot_change_anyone(client, request, persona, teammate):
    client.force_login(request.getfixturevalue(persona))
    membership = _membership(teammate)
    events = AuditEvent.objects.exclude(action="access.denied").count()
    response = client.post(
        reverse("people_member", kwargs={"membership_id": membership.pk}),
        {"role": "org_admin", "team": ""},
    )
    assert response.status_code == 404
    assert b"teammate" not in response.content
    assert _membership(teammate).role == Role.CASE_MANAGER
    assert AuditEvent.objects.exclude(action="access.denied").count() == events
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_spanish_page(admin_client):
    response = admin_client.get(reverse("people"), HTTP_ACCEPT_LANGUAGE="es")
    assert "Personas" in response.content.decode()


def test_the_project_catalogue_is_fully_translated_and_compiled():
    from pathlib import Path

    import reclaim

    catalogue = Path(reclaim.__file__).parent / "locale" / "es" / "LC_MESSAGES"
    entries = catalogue.joinpath("django.po").read_text().split("\n\n")[1:]
    empty = re.compile(r'^msgstr(\[\d\])? ""\n(?!")', re.MULTILINE)
    assert [e for e in entries if empty.search(e + "\n") or "#, fuzzy" in e] == []
    assert catalogue.joinpath("django.mo").stat().st_mtime >= (
        catalogue.joinpath("django.po").stat().st_mtime - 1
    )


def test_new_members_default_to_case_manager_not_admin(admin_client):
    text = admin_client.get(reverse("people")).content.decode()
    assert re.search(r'<option value="case_manager"\s+selected>', text)


def test_an_admin_of_two_organisations_switches_between_them(
    admin_client, org_admin, partner_org, partner_staff, home_org
):
    Membership.objects.create(user=org_admin, organisation=partner_org, role="org_admin")
    text = admin_client.get(reverse("people")).content.decode()
    assert 'name="organisation"' in text
    assert ">partner_staff</a>" not in text
    response = admin_client.get(reverse("people"), {"organisation": str(partner_org.pk)})
    assert ">partner_staff</a>" in response.content.decode()


def test_an_organisation_one_does_not_administer_is_not_found(admin_client, partner_org):
    response = admin_client.get(reverse("people"), {"organisation": str(partner_org.pk)})
    assert response.status_code == 404
    assert b">partner_staff</a>" not in response.content
    assert admin_client.get(reverse("people"), {"organisation": "junk"}).status_code == 404
