"""The one access layer (DESIGN invariant 1): `scope` against an independent oracle of the
documented rule, and `require` answering NotFound out of scope, Forbidden for a role."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reclaim.core import access
from reclaim.core import permissions as perm
from reclaim.core.errors import Forbidden, NotFound
from reclaim.core.models import BreakGlassGrant, Membership
from reclaim.core.plain_sql import uuid_param
from reclaim.survivors import services
from reclaim.survivors.models import Case, Consent, Survivor
from tests.factories import UserFactory, make_survivor

pytestmark = pytest.mark.django_db(databases="__all__")

ROLES = (
    "org_admin",
    "supervisor",
    "case_manager",
    "partner_staff",
    "mentor",
    "program_manager",
    "survivor",
)
ORGANISATIONS = ("home", "other")
ASSIGNMENTS = ("self", "teammate", "other", "none")
GRANTS = ("none", "active", "expired", "not_yet")


def may_see(
    *,
    user_active: bool,
    memberships: list[tuple[str, str, bool]],
    in_team: bool,
    assignment: str,
    grant: str,
    is_portal_user: bool,
) -> bool:
    """The rule as the design states it, written without looking at access.py:
    admins and supervisors see their organisation; case managers see what is assigned to them
    or their team, and what they opened with break-the-glass in the last hour; a survivor sees
    their own record; everybody else (partners, mentors, programme managers) sees none."""
    if not user_active:
        return False
    roles_here = {role for role, org, active in memberships if active and org == "home"}
    any_role = {role for role, _org, active in memberships if active}
    if roles_here & {"org_admin", "supervisor"}:
        return True
    if "case_manager" in roles_here and (
        assignment == "self" or (assignment == "teammate" and in_team) or grant == "active"
    ):
        return True
    return is_portal_user and "survivor" in any_role


@pytest.fixture
def world(caseworker, teammate, other_caseworker, home_org, partner_org, team):
    survivor = make_survivor(caseworker, home_org)
    return {
        "survivor": survivor,
        "case": Case.objects.get(survivor=survivor),
        "orgs": {"home": home_org, "other": partner_org},
        "team": team,
        "assignees": {"teammate": teammate, "other": other_caseworker, "none": None},
    }


def check_scope_against_rule(
    world,
    *,
    memberships: list[tuple[str, str, bool]],
    assignment: str,
    grant: str,
    user_active: bool = True,
    in_team: bool = True,
    is_portal_user: bool = False,
) -> None:
    """Build one situation in a rolled-back savepoint and compare scope with the oracle."""
    survivor = world["survivor"]
    now = timezone.now()
    with transaction.atomic():
        user = UserFactory(is_active=user_active)
        for role, org, active in memberships:
            in_home_team = in_team and role == "case_manager" and org == "home"
            Membership.objects.create(
                user=user,
                organisation=world["orgs"][org],
                role=role,
                is_active=active,
                team=world["team"] if in_home_team else None,
            )
        assignee = user if assignment == "self" else world["assignees"][assignment]
        Case.objects.filter(pk=world["case"].pk).update(assigned_to=assignee)
        if grant != "none":
            start = {
                "active": now - datetime.timedelta(minutes=10),
                "expired": now - datetime.timedelta(hours=2),
                "not_yet": now + datetime.timedelta(minutes=10),
            }[grant]
            BreakGlassGrant.objects.create(
                user=user,
                organisation=world["orgs"]["home"],
                survivor_id=survivor.pk,
                reason="test grant with a long enough reason",
                granted_at=start,
                expires_at=start + datetime.timedelta(hours=1),
            )
        Survivor.objects.filter(pk=survivor.pk).update(portal_user=user if is_portal_user else None)

        expected = may_see(
            user_active=user_active,
            memberships=memberships,
            in_team=in_team,
            assignment=assignment,
            grant=grant,
            is_portal_user=is_portal_user,
        )
        situation = (memberships, assignment, grant, user_active, in_team, is_portal_user)
        seen = access.scope(user, Survivor).filter(pk=survivor.pk).exists()
        assert seen is expected, situation
        # The single-record read (plain SQL) follows the same rule.
        assert (access.visible_survivor(user, survivor.pk) is not None) is expected, situation
        found = access.survivors_where(user, "t.id = %s", [uuid_param(survivor.pk)])
        assert [(row.pk, seen) for row, seen in found] == [(survivor.pk, expected)], situation
        # Rows that belong to a survivor follow the survivor.
        assert access.scope(user, Case).filter(survivor=survivor).exists() is expected, situation
        # One record's rows: NotFound exactly when the survivor is out of scope.
        try:
            rows = access.scope_of_survivor(user, Case, survivor, action=perm.SURVIVOR_VIEW)
            assert rows.exists(), situation
            assert expected, situation
        except NotFound:
            assert not expected, situation
        except Forbidden:
            assert expected, situation
        transaction.set_rollback(True)


def test_scope_matches_the_rule_for_every_single_role_situation(world):
    """The whole grid of the rule: role x organisation x assignment x break-glass grant."""
    for role in ROLES:
        for org in ORGANISATIONS:
            for assignment in ASSIGNMENTS:
                for grant in GRANTS:
                    check_scope_against_rule(
                        world,
                        memberships=[(role, org, True)],
                        assignment=assignment,
                        grant=grant,
                    )


# Most of the weight on active memberships in the survivor's organisation, where the rule
# has the most branches; extra memberships, inactive ones, portal links and teams vary.
membership = st.tuples(
    st.sampled_from(ROLES),
    st.sampled_from(("home", "home", "other")),
    st.sampled_from((True, True, True, False)),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    memberships=st.lists(membership, min_size=1, max_size=3, unique_by=lambda m: m[:2]),
    assignment=st.sampled_from(ASSIGNMENTS),
    grant=st.sampled_from(GRANTS),
    user_active=st.sampled_from((True, True, True, False)),
    in_team=st.booleans(),
    is_portal_user=st.booleans(),
)
def test_scope_contains_the_survivor_exactly_when_the_rule_says_so(
    world, memberships, assignment, grant, user_active, in_team, is_portal_user
):
    check_scope_against_rule(
        world,
        memberships=memberships,
        assignment=assignment,
        grant=grant,
        user_active=user_active,
        in_team=in_team,
        is_portal_user=is_portal_user,
    )


def test_oracle_is_not_trivial():
    """Guard the oracle itself: it must say yes and no in the expected places."""
    base = {"user_active": True, "in_team": False, "grant": "none", "is_portal_user": False}
    assert may_see(memberships=[("supervisor", "home", True)], assignment="none", **base)
    assert not may_see(memberships=[("supervisor", "other", True)], assignment="none", **base)
    assert not may_see(memberships=[("supervisor", "home", False)], assignment="none", **base)
    assert may_see(memberships=[("case_manager", "home", True)], assignment="self", **base)
    assert not may_see(memberships=[("case_manager", "home", True)], assignment="teammate", **base)
    assert not may_see(memberships=[("partner_staff", "home", True)], assignment="self", **base)


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("caseworker", True),
        ("teammate", True),
        ("other_caseworker", False),
        ("supervisor", True),
        ("org_admin", True),
        ("partner_staff", False),
        ("outsider", False),
        ("survivor_user", True),
    ],
)
def test_personas_see_the_survivor_as_documented(
    request, survivor, survivor_user, persona, visible
):
    user = request.getfixturevalue(persona)

    assert access.scope(user, Survivor).filter(pk=survivor.pk).exists() is visible
    assert access.scope(user, Consent).filter(survivor=survivor).count() == 0


def test_anonymous_user_sees_nothing(survivor):
    from django.contrib.auth.models import AnonymousUser

    assert not access.scope(AnonymousUser(), Survivor).exists()
    assert not access.scope(None, Survivor).exists()


def test_scope_refuses_models_without_an_access_path():
    from reclaim.core.models import Organisation

    with pytest.raises(TypeError):
        access.scope(None, Organisation)


# --- require ------------------------------------------------------------------------------


def test_require_raises_not_found_outside_scope(other_caseworker, survivor):
    with pytest.raises(NotFound) as raised:
        access.require(other_caseworker, perm.SURVIVOR_VIEW, survivor)

    assert raised.value.denied["target_id"] == survivor.pk
    assert raised.value.denied["action"] == perm.SURVIVOR_VIEW


def test_require_raises_not_found_for_another_organisations_supervisor(outsider, survivor):
    with pytest.raises(NotFound):
        access.require(outsider, perm.SURVIVOR_ERASE, survivor)


def test_require_raises_forbidden_for_a_caseworker_erasing(caseworker, survivor):
    with pytest.raises(Forbidden) as raised:
        access.require(caseworker, perm.SURVIVOR_ERASE, survivor)

    assert raised.value.status == 403
    assert raised.value.denied["action"] == perm.SURVIVOR_ERASE


def test_require_raises_forbidden_for_a_survivor_editing_their_own_record(survivor_user, survivor):
    access.require(survivor_user, perm.SURVIVOR_VIEW, survivor)

    with pytest.raises(Forbidden):
        access.require(survivor_user, perm.SURVIVOR_EDIT, survivor)


def test_require_passes_for_an_allowed_action(org_admin, caseworker, survivor):
    access.require(org_admin, perm.SURVIVOR_ERASE, survivor)
    access.require(caseworker, perm.SURVIVOR_EDIT, survivor)


def test_denied_service_call_changes_nothing(other_caseworker, caseworker, survivor):
    with pytest.raises(NotFound):
        services.update_profile(survivor, by=other_caseworker, changes={"alias": "Changed"})

    assert services.read_profile(services.get_survivor(survivor.pk, by=caseworker))["alias"] == (
        "Marisol"
    )


def test_record_denial_audits_without_the_survivor_id_for_missing_ids(other_caseworker, survivor):
    from reclaim.core.models import AuditEvent

    with pytest.raises(NotFound) as raised:
        services.get_survivor(survivor.pk, by=other_caseworker)
    access.record_denial(raised.value.denied)

    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "access.denied"
    assert event.actor_id == other_caseworker.pk
    assert event.context == {"attempted": perm.SURVIVOR_VIEW}


def test_inactive_membership_grants_nothing(caseworker, survivor):
    Membership.objects.filter(user=caseworker).update(is_active=False)
    access.forget_memberships(caseworker)

    with pytest.raises(NotFound):
        services.get_survivor(survivor.pk, by=caseworker)


def test_visible_survivor_is_none_for_malformed_and_missing_ids(org_admin, survivor):
    assert access.visible_survivor(org_admin, survivor.pk).pk == survivor.pk
    assert access.visible_survivor(org_admin, str(survivor.pk)).pk == survivor.pk
    assert access.visible_survivor(org_admin, "not-a-uuid") is None
    assert access.visible_survivor(org_admin, uuid.uuid4()) is None


def test_scope_of_survivor_refuses_models_without_a_path_to_a_survivor(org_admin, survivor):
    with pytest.raises(TypeError):
        access.scope_of_survivor(org_admin, Survivor, survivor, action=perm.SURVIVOR_VIEW)
