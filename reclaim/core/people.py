"""People and organisation administration: members, roles, teams, and the first organisation.

Who may call what: every function except `create_organisation` takes the acting user as `by`
and needs `org.manage` (organisation admins) in the organisation concerned; anything outside
the organisations they manage does not exist for them (`NotFound`). Every change runs in one
transaction with its audit event, which holds ids, roles and field names, never a name, an
email address or a password.

There is no outgoing email: a new account, or a reset password, gets a strong random temporary
password that the service returns once; the admin hands it over in person. Nothing stores it
in clear, logs it or puts it in a URL.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from . import access, audit
from . import permissions as perm
from .errors import Conflict, Forbidden, NotFound, ValidationFailed
from .models import (
    AccessToken,
    Membership,
    Organisation,
    OrganisationType,
    Role,
    Team,
    User,
)
from .validation import clean_text

# 20 characters from an alphabet without look-alikes (0/O, 1/l/I): 100 bits, read aloud easily.
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


def _check_role_grant(by: User, organisation_id: Any, role: str) -> str:
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


def _require_manage(by: User, organisation: Organisation) -> None:
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


# --- reads --------------------------------------------------------------------------------


@dataclass
class MemberRow:
    """A membership with what the people page shows about its person."""

    membership: Membership
    mfa_enrolled: bool


def list_members(organisation: Organisation, *, by: User) -> list[MemberRow]:
    """The organisation's staff memberships (survivor portal accounts are not listed here),
    each with whether the person has enrolled in two-step login. Audited as "people.list"."""
    _require_manage(by, organisation)
    with transaction.atomic():
        memberships = list(
            Membership.objects.filter(organisation=organisation)
            .exclude(role=Role.SURVIVOR)
            .select_related("user", "team")
            .order_by("-is_active", "user__username", "role")
        )
        enrolled = set(
            Authenticator.objects.filter(
                user_id__in={m.user_id for m in memberships}, type=Authenticator.Type.TOTP
            ).values_list("user_id", flat=True)
        )
        audit.record(
            "people.list",
            actor=by,
            organisation_id=organisation.pk,
            target=organisation,
            context={"shown": len(memberships)},
        )
    return [MemberRow(m, m.user_id in enrolled) for m in memberships]


def member_row(membership: Membership, *, by: User) -> MemberRow:
    """One membership (already reached through `get_membership`) with its MFA state."""
    _require_manage(by, membership.organisation)
    enrolled = Authenticator.objects.filter(
        user_id=membership.user_id, type=Authenticator.Type.TOTP
    ).exists()
    return MemberRow(membership, enrolled)


def list_teams(organisation: Organisation, *, by: User) -> list[Team]:
    """The organisation's teams by name, each annotated with `active_members`."""
    _require_manage(by, organisation)
    teams = Team.objects.filter(organisation=organisation).annotate(
        active_members=Count("members", filter=Q(members__is_active=True))
    )
    return list(teams.order_by("name"))


# --- members ------------------------------------------------------------------------------


def _clean_username(username: str) -> str:
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


def _clean_email(email: str) -> str:
    email = clean_text(email, field="email", max_bytes=254).strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationFailed("email: this is not an email address.", field="email") from exc
    return email


def _check_team(team: Team | None, organisation: Organisation) -> Team | None:
    if team is not None and team.organisation_id != organisation.pk:
        raise ValidationFailed("team: choose a team of this organisation.", field="team")
    return team


def _username_taken(username: str) -> Conflict:
    # The same answer whoever holds the name, so nobody learns about other organisations.
    return Conflict("username: this username is taken; choose another one.", field="username")


def add_member(
    organisation: Organisation,
    *,
    by: User,
    username: str,
    email: str,
    role: str,
    team: Team | None = None,
) -> tuple[Membership, str]:
    """Create a staff account in the organisation and return it with its temporary password.

    Needs `org.manage` in the organisation (else `NotFound`). The username must be new on the
    platform (case-insensitive), else `Conflict` naming only the username: an existing account
    is never attached, so nothing about other organisations can be learned or taken over.
    Survivor accounts are refused; only organisation admins may create organisation admins.
    Audited as "people.add" with the role and whether a team was set.
    """
    _require_manage(by, organisation)
    username = _clean_username(username)
    email = _clean_email(email)
    role = _check_role_grant(by, organisation.pk, role)
    team = _check_team(team, organisation)
    password = generate_temporary_password()
    try:
        with transaction.atomic():
            if User.objects.filter(username__iexact=username).exists():
                raise _username_taken(username)
            user = User(username=username, email=email)
            user.set_password(password)
            user.save()
            membership = Membership.objects.create(
                user=user, organisation=organisation, role=role, team=team
            )
            audit.record(
                "people.add",
                actor=by,
                organisation_id=organisation.pk,
                target=membership,
                fields=["username", "email", "role", "team"],
                context={"user_id": user.pk, "role": role, "team_id": team.pk if team else None},
            )
    except IntegrityError as exc:  # a concurrent add of the same username
        raise _username_taken(username) from exc
    return membership, password


def _lock_admins(organisation_id: Any) -> list[Membership]:
    """The active org-admin memberships, locked, so two demotions cannot both pass the check."""
    return list(
        Membership.objects.select_for_update()
        .filter(organisation_id=organisation_id, role=Role.ORG_ADMIN, is_active=True)
        .order_by("pk")
    )


def _check_not_last_admin(membership: Membership) -> None:
    if membership.role != Role.ORG_ADMIN or not membership.is_active:
        return
    others = [m for m in _lock_admins(membership.organisation_id) if m.pk != membership.pk]
    if not others:
        raise Conflict(
            "role: this is the organisation's last admin. Make someone else an organisation "
            "admin first.",
            field="role",
        )


_UNSET: Any = object()


def change_member(
    membership: Membership,
    *,
    by: User,
    role: str | None = None,
    team: Team | None = _UNSET,
) -> Membership:
    """Change a member's role and/or team (`team=None` removes them from their team).

    Needs `org.manage` (else `NotFound`); only an organisation admin may give or take the
    organisation admin role; the last active organisation admin keeps it (`Conflict`).
    Audited as "people.change" with the changed field names and the new role.
    """
    _require_manage(by, membership.organisation)
    changed: list[str] = []
    with transaction.atomic():
        current = Membership.objects.select_for_update().get(pk=membership.pk)
        if role is not None and role != current.role:
            _check_role_grant(by, current.organisation_id, role)
            if current.role == Role.ORG_ADMIN and Role.ORG_ADMIN not in access.roles_in(
                by, current.organisation_id
            ):
                raise Forbidden("role: only an organisation admin may change an admin's role.")
            _check_not_last_admin(current)
            if Membership.objects.filter(
                user_id=current.user_id, organisation_id=current.organisation_id, role=role
            ).exists():
                raise Conflict("role: this person already has that role here.", field="role")
            current.role = role
            changed.append("role")
        if team is not _UNSET and (team.pk if team else None) != current.team_id:
            current.team = _check_team(team, membership.organisation)
            changed.append("team")
        if changed:
            current.save(update_fields=changed)
            audit.record(
                "people.change",
                actor=by,
                organisation_id=current.organisation_id,
                target=current,
                fields=changed,
                context={"role": current.role, "team_id": current.team_id},
            )
    access.forget_memberships(by)
    return _refreshed(current)


def _refreshed(membership: Membership) -> Membership:
    return Membership.objects.select_related("user", "team", "organisation").get(pk=membership.pk)


def _end_sessions(user: User) -> None:
    """What "log out everywhere" does: sessions end at the next request, tokens stop now."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    AccessToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def deactivate_member(membership: Membership, *, by: User) -> Membership:
    """End a membership: the person is logged out everywhere and their API tokens revoked.

    An account with no other active membership is disabled too, so it cannot log in at all.
    Their caseload stays assigned to them (reassigning is a separate step). Refused for the
    last active organisation admin (`Conflict`) and for one's own membership. Audited as
    "people.deactivate".
    """
    _require_manage(by, membership.organisation)
    if membership.user_id == by.pk:
        raise Conflict(
            "You cannot deactivate yourself; ask another organisation admin.", field="membership"
        )
    with transaction.atomic():
        current = Membership.objects.select_for_update().get(pk=membership.pk)
        if not current.is_active:
            return _refreshed(current)
        if current.role == Role.ORG_ADMIN and Role.ORG_ADMIN not in access.roles_in(
            by, current.organisation_id
        ):
            raise Forbidden("Only an organisation admin may deactivate an admin.")
        _check_not_last_admin(current)
        current.is_active = False
        current.save(update_fields=["is_active"])
        user = User.objects.select_for_update().get(pk=current.user_id)
        still_member = Membership.objects.filter(user=user, is_active=True).exists()
        if not still_member:
            User.objects.filter(pk=user.pk).update(is_active=False)
        _end_sessions(user)
        audit.record(
            "people.deactivate",
            actor=by,
            organisation_id=current.organisation_id,
            target=current,
            fields=["is_active"],
            context={"user_id": user.pk, "account_disabled": not still_member},
        )
    return _refreshed(current)


def reactivate_member(membership: Membership, *, by: User) -> Membership:
    """Make an ended membership active again (and the account able to log in).

    Needs `org.manage`; only organisation admins may reactivate an admin membership. The
    person logs in with their existing password (reset it if they lost it). Audited as
    "people.reactivate".
    """
    _require_manage(by, membership.organisation)
    with transaction.atomic():
        current = Membership.objects.select_for_update().get(pk=membership.pk)
        if current.is_active:
            return _refreshed(current)
        _check_role_grant(by, current.organisation_id, current.role)
        current.is_active = True
        current.save(update_fields=["is_active"])
        User.objects.filter(pk=current.user_id).update(is_active=True)
        audit.record(
            "people.reactivate",
            actor=by,
            organisation_id=current.organisation_id,
            target=current,
            fields=["is_active"],
            context={"user_id": current.user_id},
        )
    return _refreshed(current)


def _require_may_act_on_account(by: User, membership: Membership) -> None:
    # An account may belong to several organisations; an admin of one of them may only reset
    # it when all its staff memberships are in organisations they manage.
    managed = set(managed_organisation_ids(by))
    elsewhere = Membership.objects.filter(user_id=membership.user_id).exclude(
        organisation_id__in=managed
    )
    if elsewhere.exists():
        raise Forbidden(
            "This account also belongs to another organisation; ask its admin to reset it."
        )
    if membership.role == Role.ORG_ADMIN and Role.ORG_ADMIN not in access.roles_in(
        by, membership.organisation_id
    ):
        raise Forbidden("Only an organisation admin may reset an admin's account.")


def reset_password(membership: Membership, *, by: User) -> str:
    """Give the member a new temporary password (returned once) and log them out everywhere.

    For staff who forgot theirs. Needs `org.manage`; refused (`Forbidden`) when the account
    also belongs to an organisation the admin does not manage. Audited as
    "people.reset_password" (never the password).
    """
    _require_manage(by, membership.organisation)
    _require_may_act_on_account(by, membership)
    password = generate_temporary_password()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=membership.user_id)
        user.set_password(password)
        user.save(update_fields=["password"])
        _end_sessions(user)
        audit.record(
            "people.reset_password",
            actor=by,
            organisation_id=membership.organisation_id,
            target=membership,
            fields=["password"],
            context={"user_id": user.pk},
        )
    return password


def reset_mfa(membership: Membership, *, by: User) -> int:
    """Remove the member's two-step login (TOTP, recovery codes, security keys) so they enrol
    again at their next login, and log them out everywhere. For staff who lost their phone.

    Needs `org.manage`; refused like `reset_password` for shared accounts. Returns how many
    authenticators were removed. Audited as "people.reset_mfa".
    """
    _require_manage(by, membership.organisation)
    _require_may_act_on_account(by, membership)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=membership.user_id)
        removed, _ = Authenticator.objects.filter(user=user).delete()
        _end_sessions(user)
        audit.record(
            "people.reset_mfa",
            actor=by,
            organisation_id=membership.organisation_id,
            target=membership,
            fields=["mfa"],
            context={"user_id": user.pk, "removed": removed},
        )
    return removed


# --- teams --------------------------------------------------------------------------------


def _clean_team_name(name: str) -> str:
    name = clean_text(name, field="name", max_bytes=120).strip()
    if not name:
        raise ValidationFailed("name: give the team a name.", field="name")
    return name


def _team_name_taken() -> Conflict:
    return Conflict("name: there is already a team with this name.", field="name")


def create_team(organisation: Organisation, *, by: User, name: str) -> Team:
    """A new team (caseload group) in the organisation. Needs `org.manage` (else `NotFound`);
    names are unique per organisation (`Conflict`). Audited as "team.create"."""
    _require_manage(by, organisation)
    name = _clean_team_name(name)
    try:
        with transaction.atomic():
            if Team.objects.filter(organisation=organisation, name__iexact=name).exists():
                raise _team_name_taken()
            team = Team.objects.create(organisation=organisation, name=name)
            audit.record(
                "team.create",
                actor=by,
                organisation_id=organisation.pk,
                target=team,
                fields=["name"],
            )
    except IntegrityError as exc:
        raise _team_name_taken() from exc
    return team


def rename_team(team: Team, *, by: User, name: str) -> Team:
    """Rename a team. Needs `org.manage` in its organisation (else `NotFound`); names are
    unique per organisation (`Conflict`). Audited as "team.rename"."""
    _require_manage(by, team.organisation)
    name = _clean_team_name(name)
    try:
        with transaction.atomic():
            clash = Team.objects.filter(organisation_id=team.organisation_id, name__iexact=name)
            if clash.exclude(pk=team.pk).exists():
                raise _team_name_taken()
            Team.objects.filter(pk=team.pk).update(name=name)
            audit.record(
                "team.rename",
                actor=by,
                organisation_id=team.organisation_id,
                target=team,
                fields=["name"],
            )
    except IntegrityError as exc:
        raise _team_name_taken() from exc
    team.refresh_from_db()
    return team


# --- bootstrap ----------------------------------------------------------------------------


def create_organisation(
    *, name: str, org_type: str, admin_username: str, admin_email: str
) -> tuple[Organisation, User, str]:
    """A new organisation with its first organisation admin and that admin's temporary
    password. Only for the `create-organisation` command (the operator of the server acts;
    there is no acting user). Unknown types, taken names and taken usernames are refused with
    `ValidationFailed` / `Conflict` naming the field. Audited as "organisation.create"."""
    name = clean_text(name, field="name", max_bytes=200).strip()
    if not name:
        raise ValidationFailed("name: give the organisation a name.", field="name")
    if org_type not in OrganisationType.values:
        choices = ", ".join(OrganisationType.values)
        raise ValidationFailed(f"type: '{org_type}' is not one of {choices}.", field="type")
    username = _clean_username(admin_username)
    email = _clean_email(admin_email)
    password = generate_temporary_password()
    try:
        with transaction.atomic():
            if Organisation.objects.filter(name__iexact=name).exists():
                raise Conflict("name: an organisation with this name exists.", field="name")
            if User.objects.filter(username__iexact=username).exists():
                raise _username_taken(username)
            organisation = Organisation.objects.create(name=name, org_type=org_type)
            admin = User(username=username, email=email)
            admin.set_password(password)
            admin.save()
            membership = Membership.objects.create(
                user=admin, organisation=organisation, role=Role.ORG_ADMIN
            )
            audit.record(
                "organisation.create",
                organisation_id=organisation.pk,
                target=organisation,
                fields=["name", "org_type"],
                context={"admin_membership_id": membership.pk, "org_type": org_type},
            )
    except IntegrityError as exc:
        raise Conflict("name: an organisation or username with this name exists.") from exc
    return organisation, admin, password
