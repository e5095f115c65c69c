"""Who may administer what: the role-granting rule, the lookups that scope every people
service to the organisations the caller administers, and the input rules for accounts."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from reclaim.core import access
from reclaim.core import permissions as perm
from reclaim.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from reclaim.core.models import Membership, Organisation, Role, Team, User
from reclaim.core.validation import clean_text

_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_PASSWORD_GROUPS = 5
_PASSWORD_GROUP_LENGTH = 4


def generate_temporary_password() -> str:
    """A random password in groups of four (`k7mq-x3pf-…`), easy to hand over in person."""
    groups = (
        "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(_PASSWORD_GROUP_LENGTH))
        for _ in range(_PASSWORD_GROUPS)
    )
    return "-".join(groups)


# --- the role-granting rule (pure) -----------------------------------------------------------


def grantable_roles(granter_roles: Iterable[str]) -> frozenset[str]:
    """The roles someone holding `granter_roles` in an organisation may give there.

    Only a role that grants `org.manage` may give roles at all; survivors never get their
    account here (portal accounts are made with the survivor's record); and only an
    organisation admin may make another organisation admin.
    """
    held = set(granter_roles)
    if not any(perm.role_allows(role, perm.ORG_MANAGE) for role in held):
        return frozenset()
    roles = {role.value for role in Role if role != Role.SURVIVOR}
    if Role.ORG_ADMIN not in held:
        roles.discard(Role.ORG_ADMIN.value)
    return frozenset(roles)


def roles_you_may_give(organisation: Organisation, *, by: User) -> list[str]:
    """The roles `by` may give in this organisation, in the order of `Role`."""
    allowed = grantable_roles(access.roles_in(by, organisation.pk))
    return [role.value for role in Role if role in allowed]


def check_role_grant(by: User, organisation_id: Any, role: str) -> str:
    if role not in Role.values:
        raise ValidationFailed(f"role: '{role}' is not a role.", field="role")
    if role == Role.SURVIVOR:
        raise ValidationFailed(
            "role: survivor accounts are not created here; they come with the survivor's "
            "portal access.",
            field="role",
        )
    if role not in grantable_roles(access.roles_in(by, organisation_id)):
        raise Forbidden("role: only an organisation admin may give the organisation admin role.")
    return role


# --- access -------------------------------------------------------------------------------


def managed_organisation_ids(by: User) -> list[uuid.UUID]:
    return access.organisations_where(by, perm.ORG_MANAGE)


def list_managed_organisations(*, by: User) -> list[Organisation]:
    """The organisations this user administers; `Forbidden` if none (a page they cannot use)."""
    ids = managed_organisation_ids(by)
    if not ids:
        raise Forbidden(
            denied={"actor": by, "action": perm.ORG_MANAGE, "target_type": "core.organisation"}
        )
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


def require_manage(by: User, organisation: Organisation) -> None:
    if not access.can(by, perm.ORG_MANAGE, organisation.pk):
        raise NotFound(denied=access.denial(by, perm.ORG_MANAGE, organisation))


def get_organisation(organisation_id: Any, *, by: User) -> Organisation:
    """One organisation this user administers; anything else is `NotFound`."""
    organisation = Organisation.objects.filter(
        pk=organisation_id, pk__in=managed_organisation_ids(by)
    ).first()
    if organisation is None:
        raise NotFound(
            denied=access.denial(
                by, perm.ORG_MANAGE, target_type="core.organisation", target_id=organisation_id
            )
        )
    return organisation


def get_membership(membership_id: Any, *, by: User) -> Membership:
    """One membership of an organisation this user administers; anything else is `NotFound`."""
    membership = (
        Membership.objects.select_related("user", "team", "organisation")
        .filter(pk=membership_id, organisation_id__in=managed_organisation_ids(by))
        .exclude(role=Role.SURVIVOR)
        .first()
    )
    if membership is None:
        raise NotFound(
            denied=access.denial(
                by, perm.ORG_MANAGE, target_type="core.membership", target_id=membership_id
            )
        )
    return membership


def get_team(team_id: Any, *, by: User) -> Team:
    """One team of an organisation this user administers; anything else is `NotFound`."""
    team = Team.objects.filter(pk=team_id, organisation_id__in=managed_organisation_ids(by)).first()
    if team is None:
        raise NotFound(
            denied=access.denial(by, perm.ORG_MANAGE, target_type="core.team", target_id=team_id)
        )
    return team


# --- input rules ---------------------------------------------------------------------------


def clean_username(username: str) -> str:
    username = clean_text(username, field="username", max_bytes=150).strip()
    if not username:
        raise ValidationFailed("username: give a username.", field="username")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise ValidationFailed(
            "username: use letters, digits and @ . + - _ only, without spaces.",
            field="username",
        ) from exc
    return username


def clean_email(email: str) -> str:
    email = clean_text(email, field="email", max_bytes=254).strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationFailed("email: this is not an email address.", field="email") from exc
    return email


def check_team(team: Team | None, organisation: Organisation) -> Team | None:
    if team is not None and team.organisation_id != organisation.pk:
        raise ValidationFailed("team: choose a team of this organisation.", field="team")
    return team


def username_taken(username: str) -> Conflict:
    # The same answer whoever holds the name, so nobody learns about other organisations.
    return Conflict("username: this username is taken; choose another one.", field="username")
