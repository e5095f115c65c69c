"""People administration services (`core.people`): who may do what, and what each change does."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import authenticate
from hypothesis import given
from hypothesis import strategies as st

from reclaim.core import people
from reclaim.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from reclaim.core.models import AccessToken, AuditEvent, Membership, Role, Team, User
from reclaim.core.services import create_access_token
from tests.factories import TeamFactory, member


def _membership(user: User) -> Membership:
    return Membership.objects.get(user=user)


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


# --- the role-granting rule ---------------------------------------------------------------


@given(st.sets(st.sampled_from(list(Role.values))))
def test_only_org_admins_give_roles_and_only_they_give_the_admin_role(held):
    grantable = people.grantable_roles(held)
    assert Role.SURVIVOR not in grantable
    if Role.ORG_ADMIN in held:
        assert grantable == {role for role in Role.values if role != Role.SURVIVOR}
    else:
        # No other role holds org.manage today, so nobody else may give any role at all.
        assert grantable == frozenset()


@given(st.sets(st.sampled_from(list(Role.values))), st.sampled_from(list(Role.values)))
def test_a_grantable_role_is_never_more_powerful_than_an_admin_may_give(held, role):
    if role in people.grantable_roles(held):
        assert role != Role.SURVIVOR
        assert role != Role.ORG_ADMIN or Role.ORG_ADMIN in held


# --- add_member ---------------------------------------------------------------------------


def test_admin_adds_a_member_who_can_log_in_with_the_temporary_password(org_admin, home_org, team):
    membership, password = people.add_member(
        home_org,
        by=org_admin,
        username="new.staff",
        email="new@example.org",
        role="case_manager",
        team=team,
    )
    assert membership.organisation == home_org
    assert membership.role == Role.CASE_MANAGER
    assert membership.team == team
    assert len(password) >= 20
    assert authenticate(username="new.staff", password=password) == membership.user
    event = _events("people.add")[-1]
    assert event.actor_id == org_admin.pk
    assert event.target_id == str(membership.pk)
    # Ids and field names only: the username, email and password never enter the chain.
    raw = str(event.context) + str(event.fields)
    assert "new.staff" not in raw and "new@example.org" not in raw and password not in raw


def test_temporary_passwords_differ_each_time(org_admin, home_org):
    _, first = people.add_member(home_org, by=org_admin, username="a1", email="", role="mentor")
    _, second = people.add_member(home_org, by=org_admin, username="a2", email="", role="mentor")
    assert first != second


def test_a_taken_username_is_refused_without_saying_where(org_admin, home_org, partner_staff):
    users_before = User.objects.count()
    with pytest.raises(Conflict) as error:
        people.add_member(
            home_org, by=org_admin, username="PARTNER_STAFF", email="", role="case_manager"
        )
    assert error.value.field == "username"
    assert "Justice" not in error.value.detail
    assert User.objects.count() == users_before
    assert not Membership.objects.filter(user=partner_staff, organisation=home_org).exists()


def test_a_username_in_another_case_is_refused_when_adds_race(
    org_admin, home_org, partner_staff, monkeypatch
):
    # Two adds that both passed the services' check: the database holds the rule too, and
    # the loser gets the same answer as a plain taken name.
    real_filter = User.objects.filter
    monkeypatch.setattr(
        User.objects,
        "filter",
        lambda *args, **kwargs: (
            User.objects.none() if "username__iexact" in kwargs else real_filter(*args, **kwargs)
        ),
    )
    users_before = User.objects.count()
    with pytest.raises(Conflict) as error:
        people.add_member(
            home_org, by=org_admin, username="Partner_Staff", email="", role="case_manager"
        )
    assert error.value.field == "username"
    assert User.objects.count() == users_before


def test_survivor_accounts_are_not_created_here(org_admin, home_org):
    with pytest.raises(ValidationFailed) as error:
        people.add_member(home_org, by=org_admin, username="s1", email="", role="survivor")
    assert error.value.field == "role"
    assert not User.objects.filter(username="s1").exists()


@pytest.mark.parametrize(
    ("username", "email", "role", "field"),
    [
        ("", "", "mentor", "username"),
        ("has space", "", "mentor", "username"),
        ("ok.name", "not-an-email", "mentor", "email"),
        ("ok.name", "", "wizard", "role"),
        ("bad\x00name", "", "mentor", "username"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    org_admin, home_org, username, email, role, field
):
    users_before = User.objects.count()
    with pytest.raises(ValidationFailed) as error:
        people.add_member(home_org, by=org_admin, username=username, email=email, role=role)
    assert error.value.field == field
    assert User.objects.count() == users_before


def test_a_team_of_another_organisation_is_refused(org_admin, home_org, partner_org):
    foreign = TeamFactory(organisation=partner_org)
    with pytest.raises(ValidationFailed) as error:
        people.add_member(
            home_org, by=org_admin, username="x1", email="", role="mentor", team=foreign
        )
    assert error.value.field == "team"
    assert not User.objects.filter(username="x1").exists()


@pytest.mark.parametrize("persona", ["supervisor", "caseworker", "outsider", "partner_staff"])
def test_only_the_organisations_admins_add_members(request, persona, home_org):
    by = request.getfixturevalue(persona)
    with pytest.raises(NotFound):
        people.add_member(home_org, by=by, username="sneaky", email="", role="org_admin")
    assert not User.objects.filter(username="sneaky").exists()
    assert not _events("people.add")


def test_an_admin_of_another_organisation_cannot_add_here(home_org, partner_org):
    other_admin = member(partner_org, "org_admin")
    with pytest.raises(NotFound):
        people.add_member(home_org, by=other_admin, username="z", email="", role="mentor")
    assert not User.objects.filter(username="z").exists()


# --- reads --------------------------------------------------------------------------------


def test_list_members_shows_staff_with_mfa_state_and_no_survivor_accounts(
    org_admin, caseworker, home_org, survivor_user
):
    Authenticator.objects.create(user=caseworker, type=Authenticator.Type.TOTP, data={})
    rows = people.list_members(home_org, by=org_admin)
    by_user = {row.membership.user_id: row for row in rows}
    assert by_user[caseworker.pk].mfa_enrolled is True
    assert by_user[org_admin.pk].mfa_enrolled is False
    assert survivor_user.pk not in by_user
    assert _events("people.list")[-1].organisation_id == home_org.pk


def test_list_members_of_another_organisation_is_not_found(org_admin, partner_org):
    with pytest.raises(NotFound):
        people.list_members(partner_org, by=org_admin)


def test_someone_who_manages_nothing_is_forbidden_the_lists(supervisor):
    with pytest.raises(Forbidden):
        people.list_managed_organisations(by=supervisor)


def test_members_of_other_organisations_do_not_exist_for_an_admin(org_admin, partner_staff):
    with pytest.raises(NotFound):
        people.get_membership(_membership(partner_staff).pk, by=org_admin)


def test_survivor_portal_memberships_are_not_reachable_here(org_admin, survivor_user):
    with pytest.raises(NotFound):
        people.get_membership(_membership(survivor_user).pk, by=org_admin)


# --- change_member ------------------------------------------------------------------------


def test_admin_changes_role_and_team(org_admin, caseworker, home_org):
    south = TeamFactory(organisation=home_org, name="South")
    changed = people.change_member(
        _membership(caseworker), by=org_admin, role="supervisor", team=south
    )
    assert changed.role == Role.SUPERVISOR
    assert changed.team == south
    event = _events("people.change")[-1]
    assert event.fields == ["role", "team"]


def test_team_none_takes_the_member_out_of_their_team(org_admin, caseworker):
    changed = people.change_member(_membership(caseworker), by=org_admin, team=None)
    assert changed.team is None


def test_leaving_team_out_keeps_it(org_admin, caseworker, team):
    changed = people.change_member(_membership(caseworker), by=org_admin, role="mentor")
    assert changed.team == team


def test_the_last_admin_cannot_be_demoted(org_admin):
    with pytest.raises(Conflict) as error:
        people.change_member(_membership(org_admin), by=org_admin, role="supervisor")
    assert error.value.field == "role"
    assert _membership(org_admin).role == Role.ORG_ADMIN
    assert not _events("people.change")


def test_an_admin_can_be_demoted_when_another_admin_remains(org_admin, home_org):
    second = member(home_org, "org_admin")
    changed = people.change_member(_membership(second), by=org_admin, role="supervisor")
    assert changed.role == Role.SUPERVISOR


def test_a_deactivated_admin_does_not_count_as_the_remaining_admin(org_admin, home_org):
    second = member(home_org, "org_admin")
    Membership.objects.filter(user=second).update(is_active=False)
    with pytest.raises(Conflict):
        people.change_member(_membership(org_admin), by=org_admin, role="supervisor")


def test_supervisor_cannot_change_roles(supervisor, caseworker):
    with pytest.raises(NotFound):
        people.change_member(_membership(caseworker), by=supervisor, role="org_admin")
    assert _membership(caseworker).role == Role.CASE_MANAGER


# --- deactivate / reactivate --------------------------------------------------------------


def test_deactivation_ends_sessions_tokens_and_login_but_keeps_the_caseload(
    org_admin, caseworker, survivor
):
    token = create_access_token(by=caseworker, name="integration", can_write=False).token
    generation = caseworker.session_generation
    membership = people.deactivate_member(_membership(caseworker), by=org_admin)
    caseworker.refresh_from_db()
    assert membership.is_active is False
    assert caseworker.is_active is False
    assert caseworker.session_generation == generation + 1
    assert AccessToken.objects.get(pk=token.pk).revoked_at is not None
    from reclaim.survivors.models import Case

    assert Case.objects.filter(survivor=survivor, assigned_to=caseworker).exists()
    assert _events("people.deactivate")[-1].context["account_disabled"] is True


def test_an_account_with_another_active_membership_stays_able_to_log_in(
    org_admin, caseworker, home_org, partner_org
):
    Membership.objects.create(user=caseworker, organisation=partner_org, role="partner_staff")
    people.deactivate_member(
        Membership.objects.get(user=caseworker, organisation=home_org),
        by=org_admin,
    )
    caseworker.refresh_from_db()
    assert caseworker.is_active is True


def test_admins_cannot_deactivate_themselves(org_admin, home_org):
    member(home_org, "org_admin")
    with pytest.raises(Conflict):
        people.deactivate_member(_membership(org_admin), by=org_admin)
    assert _membership(org_admin).is_active is True


def test_reactivation_restores_login(org_admin, caseworker):
    people.deactivate_member(_membership(caseworker), by=org_admin)
    membership = people.reactivate_member(_membership(caseworker), by=org_admin)
    caseworker.refresh_from_db()
    assert membership.is_active is True
    assert caseworker.is_active is True
    assert _events("people.reactivate")


def test_outsider_cannot_deactivate(outsider, caseworker):
    with pytest.raises(NotFound):
        people.deactivate_member(_membership(caseworker), by=outsider)
    assert _membership(caseworker).is_active is True
    assert not _events("people.deactivate")


# --- reset password / MFA -----------------------------------------------------------------


def test_password_reset_replaces_the_password_and_ends_sessions(org_admin, caseworker):
    generation = caseworker.session_generation
    password = people.reset_password(_membership(caseworker), by=org_admin)
    caseworker.refresh_from_db()
    assert caseworker.check_password(password)
    assert caseworker.session_generation == generation + 1
    event = _events("people.reset_password")[-1]
    assert password not in str(event.context)


def test_password_reset_is_refused_for_an_account_shared_with_another_organisation(
    org_admin, caseworker, partner_org
):
    Membership.objects.create(user=caseworker, organisation=partner_org, role="mentor")
    before = User.objects.get(pk=caseworker.pk).password
    with pytest.raises(Forbidden):
        people.reset_password(
            Membership.objects.get(user=caseworker, role="case_manager"), by=org_admin
        )
    assert User.objects.get(pk=caseworker.pk).password == before


def test_mfa_reset_removes_every_authenticator(org_admin, caseworker, supervisor):
    Authenticator.objects.create(user=caseworker, type=Authenticator.Type.TOTP, data={})
    Authenticator.objects.create(user=caseworker, type=Authenticator.Type.RECOVERY_CODES, data={})
    Authenticator.objects.create(user=supervisor, type=Authenticator.Type.TOTP, data={})
    removed = people.reset_mfa(_membership(caseworker), by=org_admin)
    assert removed == 2
    assert not Authenticator.objects.filter(user=caseworker).exists()
    assert Authenticator.objects.filter(user=supervisor).exists()
    assert _events("people.reset_mfa")[-1].context["removed"] == 2


def test_supervisor_cannot_reset_mfa(supervisor, caseworker):
    Authenticator.objects.create(user=caseworker, type=Authenticator.Type.TOTP, data={})
    with pytest.raises(NotFound):
        people.reset_mfa(_membership(caseworker), by=supervisor)
    assert Authenticator.objects.filter(user=caseworker).exists()


# --- teams --------------------------------------------------------------------------------


def test_admin_creates_and_renames_teams(org_admin, home_org):
    team = people.create_team(home_org, by=org_admin, name="  South  ")
    assert team.name == "South"
    renamed = people.rename_team(team, by=org_admin, name="South-east")
    assert renamed.name == "South-east"
    assert _events("team.create") and _events("team.rename")


def test_team_names_are_unique_per_organisation(org_admin, home_org, team):
    with pytest.raises(Conflict) as error:
        people.create_team(home_org, by=org_admin, name="north")
    assert error.value.field == "name"
    other = people.create_team(home_org, by=org_admin, name="South")
    with pytest.raises(Conflict):
        people.rename_team(other, by=org_admin, name="North")
    assert Team.objects.get(pk=other.pk).name == "South"


def test_empty_team_name_is_refused(org_admin, home_org):
    with pytest.raises(ValidationFailed) as error:
        people.create_team(home_org, by=org_admin, name="   ")
    assert error.value.field == "name"


def test_teams_of_other_organisations_do_not_exist_for_an_admin(org_admin, partner_org):
    foreign = TeamFactory(organisation=partner_org, name="Theirs")
    with pytest.raises(NotFound):
        people.get_team(foreign.pk, by=org_admin)
    with pytest.raises(NotFound):
        people.rename_team(foreign, by=org_admin, name="Ours")
    assert Team.objects.get(pk=foreign.pk).name == "Theirs"


# --- bootstrap ----------------------------------------------------------------------------


def test_create_organisation_makes_the_first_admin():
    organisation, admin, password = people.create_organisation(
        name="Safe Harbor", org_type="NGO", admin_username="first.admin", admin_email=""
    )
    membership = Membership.objects.get(user=admin)
    assert membership.organisation == organisation
    assert membership.role == Role.ORG_ADMIN
    assert admin.check_password(password)
    assert _events("organisation.create")[-1].target_id == str(organisation.pk)


def test_create_organisation_refuses_unknown_types_and_taken_names(home_org):
    with pytest.raises(ValidationFailed) as error:
        people.create_organisation(
            name="X", org_type="Club", admin_username="x.admin", admin_email=""
        )
    assert error.value.field == "type"
    with pytest.raises(Conflict) as taken:
        people.create_organisation(
            name="harbor house", org_type="NGO", admin_username="x.admin", admin_email=""
        )
    assert taken.value.field == "name"
    assert not User.objects.filter(username="x.admin").exists()
