"""People administration API at /api/v1/organisation (organisation admins)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator

from reclaim.core.models import Membership, Role, Team, User
from reclaim.core.services import create_access_token
from tests.factories import TeamFactory, member

API = "/api/v1/organisation"


@pytest.fixture(autouse=True)
def _relaxed_mfa(settings):
    settings.RECLAIM_DEMO_RELAX_MFA = True


@pytest.fixture
def api(client, org_admin):
    client.force_login(org_admin)
    return client


def _membership(user: User) -> Membership:
    return Membership.objects.get(user=user)


def test_list_members(api, caseworker, org_admin):
    Authenticator.objects.create(user=caseworker, type=Authenticator.Type.TOTP, data={})
    response = api.get(f"{API}/members")
    assert response.status_code == 200
    rows = {row["username"]: row for row in response.json()}
    assert rows["caseworker"]["role"] == "case_manager"
    assert rows["caseworker"]["team_name"] == "North"
    assert rows["caseworker"]["mfa_enrolled"] is True
    assert rows["org_admin"]["mfa_enrolled"] is False


def test_add_member_returns_the_password_once(api, team):
    response = api.post(
        f"{API}/members",
        {"username": "new.staff", "role": "supervisor", "team_id": str(team.pk)},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get(username="new.staff")
    assert user.check_password(body["temporary_password"])
    assert body["team_id"] == str(team.pk)
    again = api.get(f"{API}/members/{body['id']}").json()
    assert "temporary_password" not in again


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"username": "x", "role": "survivor"}, 422, "role"),
        ({"username": "x", "role": "king"}, 422, "role"),
        ({"username": "has space", "role": "mentor"}, 422, "username"),
        ({"username": "x", "role": "mentor", "email": "nope"}, 422, "email"),
        ({"username": "caseworker", "role": "mentor"}, 409, "username"),
        ({"username": "x", "role": "mentor", "surprise": 1}, 422, "surprise"),
    ],
)
def test_add_member_errors_name_the_field(api, caseworker, body, status, field):
    users = User.objects.count()
    response = api.post(f"{API}/members", body, content_type="application/json")
    assert response.status_code == status, response.content
    assert field in response.json()["detail"]
    assert User.objects.count() == users


def test_add_member_with_a_team_of_another_organisation_is_refused(api, partner_org):
    foreign = TeamFactory(organisation=partner_org)
    response = api.post(
        f"{API}/members",
        {"username": "x", "role": "mentor", "team_id": str(foreign.pk)},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "team_id"


def test_admin_of_several_organisations_must_say_which(api, org_admin, partner_org):
    Membership.objects.create(user=org_admin, organisation=partner_org, role="org_admin")
    response = api.post(
        f"{API}/members", {"username": "x", "role": "mentor"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["field"] == "organisation_id"
    response = api.post(
        f"{API}/members",
        {"username": "x", "role": "mentor", "organisation_id": str(partner_org.pk)},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["organisation_id"] == str(partner_org.pk)


def test_patch_changes_role_and_clears_team(api, caseworker):
    membership = _membership(caseworker)
    response = api.patch(
        f"{API}/members/{membership.pk}",
        {"role": "mentor", "team_id": None},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    membership.refresh_from_db()
    assert (membership.role, membership.team_id) == (Role.MENTOR, None)


def test_patch_without_team_keeps_it(api, caseworker, team):
    membership = _membership(caseworker)
    api.patch(f"{API}/members/{membership.pk}", {"role": "mentor"}, content_type="application/json")
    membership.refresh_from_db()
    assert membership.team == team


def test_last_admin_keeps_the_role(api, org_admin):
    response = api.patch(
        f"{API}/members/{_membership(org_admin).pk}",
        {"role": "case_manager"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["field"] == "role"


def test_deactivate_reactivate_and_resets(api, caseworker):
    membership = _membership(caseworker)
    Authenticator.objects.create(user=caseworker, type=Authenticator.Type.TOTP, data={})
    response = api.post(f"{API}/members/{membership.pk}/deactivate")
    assert response.status_code == 200 and response.json()["is_active"] is False
    response = api.post(f"{API}/members/{membership.pk}/reactivate")
    assert response.status_code == 200 and response.json()["is_active"] is True
    response = api.post(f"{API}/members/{membership.pk}/reset-password")
    assert User.objects.get(pk=caseworker.pk).check_password(response.json()["temporary_password"])
    response = api.post(f"{API}/members/{membership.pk}/reset-mfa")
    assert response.json()["removed_authenticators"] == 1


def test_deactivation_revokes_the_members_tokens(api, client, caseworker):
    issued = create_access_token(by=caseworker, name="sync", can_write=False)
    api.post(f"{API}/members/{_membership(caseworker).pk}/deactivate")
    client.logout()
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert response.status_code == 401


def test_teams_create_list_rename(api, home_org, team):
    response = api.post(f"{API}/teams", {"name": "South"}, content_type="application/json")
    assert response.status_code == 201
    team_id = response.json()["id"]
    names = {row["name"] for row in api.get(f"{API}/teams").json()}
    assert names == {"North", "South"}
    response = api.patch(
        f"{API}/teams/{team_id}", {"name": "North"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["field"] == "name"
    response = api.patch(
        f"{API}/teams/{team_id}", {"name": "East"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert Team.objects.get(pk=team_id).name == "East"


def test_other_organisations_members_are_not_found(api, partner_staff):
    response = api.get(f"{API}/members/{_membership(partner_staff).pk}")
    assert response.status_code == 404
    assert b"partner_staff" not in response.content


def test_another_organisations_admin_gets_404_and_nothing_changes(client, home_org, caseworker):
    from tests.factories import OrganisationFactory

    elsewhere = member(OrganisationFactory(), "org_admin")
    client.force_login(elsewhere)
    membership = _membership(caseworker)
    response = client.post(f"{API}/members/{membership.pk}/deactivate")
    assert response.status_code == 404
    assert _membership(caseworker).is_active
    assert b"caseworker" not in response.content


def test_write_needs_a_write_token(client, org_admin):
    read_only = create_access_token(by=org_admin, name="read", can_write=False)
    response = client.post(
        f"{API}/teams",
        {"name": "South"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {read_only.secret}",
    )
    assert response.status_code == 403
    assert not Team.objects.filter(name="South").exists()
