"""Who sees a referral from which side, for any mix of roles (hypothesis over role sets)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reclaim.core.errors import Forbidden, NotFound
from reclaim.referrals import services
from tests.factories import MembershipFactory, UserFactory

STAFF_ROLES = (
    "org_admin",
    "supervisor",
    "case_manager",
    "partner_staff",
    "mentor",
    "program_manager",
)
ROLE_SETS = st.sets(st.sampled_from(STAFF_ROLES), max_size=3)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(home_roles=ROLE_SETS, partner_roles=ROLE_SETS)
def test_the_sides_follow_the_roles_in_each_organisation(
    sent, home_org, partner_org, home_roles, partner_roles
):
    user = UserFactory()
    for role in home_roles:
        MembershipFactory(user=user, organisation=home_org, role=role)
    for role in partner_roles:
        MembershipFactory(user=user, organisation=partner_org, role=role)
    expected = set()
    # A case manager without the survivor in their caseload is not on the sender side.
    if home_roles & {"org_admin", "supervisor"}:
        expected.add("sender")
    if partner_roles & {"org_admin", "supervisor", "partner_staff"}:
        expected.add("recipient")
    assert services.sides(sent, by=user) == expected
    # A list from any box says the same, while asking only the box's other side.
    for box in ("all", "sent", "received"):
        rows = services.list_referrals(by=user, box=box)
        seen = services.sides_of_many(rows, by=user, box=box)
        assert {row.pk: seen[row.pk] for row in rows} == {
            row.pk: services.sides(row, by=user) for row in rows
        }
    if expected:
        assert services.get_referral(sent.pk, by=user) == sent
    else:
        with pytest.raises(NotFound):
            services.get_referral(sent.pk, by=user)
    if "recipient" in expected:
        services.require_recipient(sent, by=user)
    else:
        with pytest.raises((NotFound, Forbidden)):
            services.require_recipient(sent, by=user)
