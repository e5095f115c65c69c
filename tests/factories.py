"""factory-boy factories for organisations, users and memberships; survivors go through the
service (so they are encrypted for real) via `make_survivor`."""

from __future__ import annotations

import datetime
from typing import Any

import factory

from reclaim.core.models import Membership, Organisation, Role, Team, User
from reclaim.survivors import services as survivor_services

TEST_PASSWORD = "correct horse battery staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    org_type = "NGO"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.CASE_MANAGER


def member(
    organisation: Organisation, role: str, *, team: Team | None = None, username: str | None = None
) -> User:
    user = UserFactory(**({"username": username} if username else {}))
    MembershipFactory(user=user, organisation=organisation, role=role, team=team)
    return user


def make_survivor(by: User, organisation: Organisation, **profile: Any):
    defaults: dict[str, Any] = {
        "alias": "Marisol",
        "legal_name": "Marisol Quintero Vega",
        "date_of_birth": datetime.date(1994, 3, 14),
        "phone": "+1 555 0100 777",
        "languages": ["es", "en"],
        "gender": "Feminine",
    }
    defaults.update(profile)
    return survivor_services.create_survivor(by=by, organisation=organisation, profile=defaults)
