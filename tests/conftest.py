"""Shared fixtures: factories and named personas (caseworker, supervisor, partner_staff,
survivor, outsider). Every test may touch both databases (main and keystore)."""

from __future__ import annotations

import pytest

from reclaim.core import crypto


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db(databases="__all__"))


@pytest.fixture(autouse=True)
def _fresh_key_caches():
    crypto.forget_cached_keys()
    yield
    crypto.forget_cached_keys()


# --- personas -----------------------------------------------------------------------------
# home: the survivor's organisation. partner: a legal-aid organisation in the same network.


@pytest.fixture
def home_org():
    from tests.factories import OrganisationFactory

    return OrganisationFactory(name="Harbor House", org_type="NGO")


@pytest.fixture
def partner_org():
    from tests.factories import OrganisationFactory

    return OrganisationFactory(name="Justice Legal Aid", org_type="LegalService")


@pytest.fixture
def team(home_org):
    from tests.factories import TeamFactory

    return TeamFactory(organisation=home_org, name="North")


@pytest.fixture
def caseworker(home_org, team):
    from tests.factories import member

    return member(home_org, "case_manager", team=team, username="caseworker")


@pytest.fixture
def teammate(home_org, team):
    from tests.factories import member

    return member(home_org, "case_manager", team=team, username="teammate")


@pytest.fixture
def other_caseworker(home_org):
    """A case manager in the same organisation but another team: not their caseload."""
    from tests.factories import member

    return member(home_org, "case_manager", username="other_caseworker")


@pytest.fixture
def supervisor(home_org):
    from tests.factories import member

    return member(home_org, "supervisor", username="supervisor")


@pytest.fixture
def org_admin(home_org):
    from tests.factories import member

    return member(home_org, "org_admin", username="org_admin")


@pytest.fixture
def partner_staff(partner_org):
    from tests.factories import member

    return member(partner_org, "partner_staff", username="partner_staff")


@pytest.fixture
def outsider(partner_org):
    """A supervisor of another organisation: sees their own org, never ours."""
    from tests.factories import member

    return member(partner_org, "supervisor", username="outsider")


@pytest.fixture
def survivor(caseworker, home_org):
    from tests.factories import make_survivor

    return make_survivor(caseworker, home_org)


@pytest.fixture
def survivor_user(survivor):
    """The survivor's own portal account."""
    from reclaim.core.models import Membership
    from reclaim.survivors.models import Survivor
    from tests.factories import UserFactory

    user = UserFactory(username="survivor")
    Membership.objects.create(user=user, organisation_id=survivor.organisation_id, role="survivor")
    Survivor.objects.filter(pk=survivor.pk).update(portal_user=user)
    return user
