"""Members: list, add, change role or team, deactivate and reactivate, reset password or MFA."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.mfa.models import Authenticator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from reclaim.core import access, audit
from reclaim.core.errors import Conflict, Forbidden
from reclaim.core.models import AccessToken, Membership, Organisation, Role, Team, User

from .rules import (
    check_role_grant,
    check_team,
    clean_email,
    clean_username,
    generate_temporary_password,
    managed_organisation_ids,
    require_manage,
    username_taken,
)

# --- reads --------------------------------------------------------------------------------


@dataclass
class MemberRow:
    """A membership with what the people page shows about its person."""

    membership: Membership
    mfa_enrolled: bool


def list_members(organisation: Organisation, *, by: User) -> list[MemberRow]:
    """The organisation's staff memberships (survivor portal accounts are not listed here),
    each with whether the person has enrolled in two-step login. Audited as "people.list"."""
    require_manage(by, organisation)
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
    require_manage(by, membership.organisation)
    enrolled = Authenticator.objects.filter(
        user_id=membership.user_id, type=Authenticator.Type.TOTP
    ).exists()
    return MemberRow(membership, enrolled)


# --- members ------------------------------------------------------------------------------


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
    require_manage(by, organisation)
    username = clean_username(username)
    email = clean_email(email)
    role = check_role_grant(by, organisation.pk, role)
    team = check_team(team, organisation)
    password = generate_temporary_password()
    try:
        with transaction.atomic():
            if User.objects.filter(username__iexact=username).exists():
                raise username_taken(username)
            user = User(username=username, email=email, must_change_password=True)
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
        raise username_taken(username) from exc
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
    require_manage(by, membership.organisation)
    changed: list[str] = []
    with transaction.atomic():
        current = Membership.objects.select_for_update().get(pk=membership.pk)
        if role is not None and role != current.role:
            check_role_grant(by, current.organisation_id, role)
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
            current.team = check_team(team, membership.organisation)
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
    require_manage(by, membership.organisation)
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
    require_manage(by, membership.organisation)
    with transaction.atomic():
        current = Membership.objects.select_for_update().get(pk=membership.pk)
        if current.is_active:
            return _refreshed(current)
        check_role_grant(by, current.organisation_id, current.role)
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
    require_manage(by, membership.organisation)
    _require_may_act_on_account(by, membership)
    password = generate_temporary_password()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=membership.user_id)
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
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
    require_manage(by, membership.organisation)
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
