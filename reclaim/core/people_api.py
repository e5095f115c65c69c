"""People administration at /api/v1/organisation: members, roles, teams (organisation admins).

Endpoints parse, call `core.people`, serialise. Members and teams outside the organisations
the caller administers answer 404; callers who administer none get 403 on the lists.
Temporary passwords appear once, in the response body of the call that made them.
"""

from __future__ import annotations

import uuid
from typing import Any

from ninja import Router, Schema, Status
from pydantic import Field

from . import people
from .errors import NotFound, ValidationFailed
from .models import Organisation, Role, Team, User
from .schemas import AuthedRequest, InputSchema, Line, error_responses

router = Router(tags=["organisation"])


class MemberOut(Schema):
    id: uuid.UUID = Field(description="The membership id (use it in the member URLs).")
    organisation_id: uuid.UUID
    user_id: uuid.UUID
    username: str
    email: str
    role: Role
    team_id: uuid.UUID | None
    team_name: str | None
    is_active: bool
    mfa_enrolled: bool = Field(description="Whether the person has set up two-step login.")
    created_at: Any


class MemberCreatedOut(MemberOut):
    temporary_password: str = Field(
        description="Shown only in this response. Hand it over in person; it is never stored "
        "in clear."
    )


class TemporaryPasswordOut(Schema):
    membership_id: uuid.UUID
    temporary_password: str = Field(description="Shown only in this response.")


class MfaResetOut(Schema):
    membership_id: uuid.UUID
    removed_authenticators: int


class MemberIn(InputSchema):
    username: Line = Field(description="Letters, digits and @ . + - _ only; new on the platform.")
    email: Line = ""
    role: Role = Field(description="Any role but survivor; org_admin only by an org admin.")
    team_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = Field(
        None, description="Needed only when you administer several organisations."
    )


class MemberPatchIn(InputSchema):
    """Leave a field out to keep it; send `team_id: null` to take the person out of their team."""

    role: Role | None = None
    team_id: uuid.UUID | None = None


class TeamOut(Schema):
    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str


class TeamIn(InputSchema):
    name: Line
    organisation_id: uuid.UUID | None = Field(
        None, description="Needed only when you administer several organisations."
    )


class TeamPatchIn(InputSchema):
    name: Line


def _member(row: people.MemberRow) -> dict[str, Any]:
    membership = row.membership
    user = membership.user
    return {
        "id": membership.pk,
        "organisation_id": membership.organisation_id,
        "user_id": user.pk,
        "username": user.username,
        "email": user.email,
        "role": membership.role,
        "team_id": membership.team_id,
        "team_name": membership.team.name if membership.team else None,
        "is_active": membership.is_active,
        "mfa_enrolled": row.mfa_enrolled,
        "created_at": membership.created_at,
    }


def _organisation(by: User, organisation_id: uuid.UUID | None) -> Organisation:
    """The organisation a write is about: the one named, or the only one the caller manages."""
    if organisation_id is not None:
        return people.get_organisation(organisation_id, by=by)
    managed = people.list_managed_organisations(by=by)
    if len(managed) > 1:
        raise ValidationFailed(
            "organisation_id: you administer several organisations; say which one.",
            field="organisation_id",
        )
    return managed[0]


def _team_in(by: User, team_id: uuid.UUID | None) -> Team | None:
    if team_id is None:
        return None
    try:
        return people.get_team(team_id, by=by)
    except NotFound as exc:
        raise ValidationFailed("team_id: no such team.", field="team_id") from exc


@router.get(
    "/members",
    response={200: list[MemberOut], **error_responses(403)},
    operation_id="list_members",
    summary="Staff of the organisations I administer (role, team, active, MFA enrolled)",
)
def list_members(request: AuthedRequest) -> list[dict]:
    rows: list[dict] = []
    for organisation in people.list_managed_organisations(by=request.auth):
        rows += [_member(row) for row in people.list_members(organisation, by=request.auth)]
    return rows


@router.post(
    "/members",
    response={201: MemberCreatedOut, **error_responses(403, 404, 409)},
    operation_id="add_member",
    summary="Create a staff account; the temporary password is in the response, once",
    description="A username already used anywhere on the platform answers 409 (whose it is is "
    "never said). Survivor accounts are not created here.",
)
def add_member(request: AuthedRequest, payload: MemberIn) -> Status[dict]:
    organisation = _organisation(request.auth, payload.organisation_id)
    membership, password = people.add_member(
        organisation,
        by=request.auth,
        username=payload.username,
        email=payload.email,
        role=payload.role,
        team=_team_in(request.auth, payload.team_id),
    )
    row = people.member_row(membership, by=request.auth)
    return Status(201, {**_member(row), "temporary_password": password})


@router.get(
    "/members/{uuid:membership_id}",
    response={200: MemberOut, **error_responses(404)},
    operation_id="get_member",
    summary="One member of an organisation I administer",
)
def get_member(request: AuthedRequest, membership_id: uuid.UUID) -> dict:
    membership = people.get_membership(membership_id, by=request.auth)
    return _member(people.member_row(membership, by=request.auth))


@router.patch(
    "/members/{uuid:membership_id}",
    response={200: MemberOut, **error_responses(403, 404, 409)},
    operation_id="change_member",
    summary="Change a member's role or team",
    description="The organisation's last active admin keeps the admin role (409).",
)
def change_member(request: AuthedRequest, membership_id: uuid.UUID, payload: MemberPatchIn) -> dict:
    membership = people.get_membership(membership_id, by=request.auth)
    changes: dict[str, Any] = {}
    if payload.role is not None:
        changes["role"] = payload.role
    if "team_id" in payload.model_fields_set:
        changes["team"] = _team_in(request.auth, payload.team_id)
    membership = people.change_member(membership, by=request.auth, **changes)
    return _member(people.member_row(membership, by=request.auth))


@router.post(
    "/members/{uuid:membership_id}/deactivate",
    response={200: MemberOut, **error_responses(403, 404, 409)},
    operation_id="deactivate_member",
    summary="End a membership: logged out everywhere, tokens revoked; caseload stays assigned",
)
def deactivate_member(request: AuthedRequest, membership_id: uuid.UUID) -> dict:
    membership = people.get_membership(membership_id, by=request.auth)
    membership = people.deactivate_member(membership, by=request.auth)
    return _member(people.member_row(membership, by=request.auth))


@router.post(
    "/members/{uuid:membership_id}/reactivate",
    response={200: MemberOut, **error_responses(403, 404)},
    operation_id="reactivate_member",
    summary="Make an ended membership active again",
)
def reactivate_member(request: AuthedRequest, membership_id: uuid.UUID) -> dict:
    membership = people.get_membership(membership_id, by=request.auth)
    membership = people.reactivate_member(membership, by=request.auth)
    return _member(people.member_row(membership, by=request.auth))


@router.post(
    "/members/{uuid:membership_id}/reset-password",
    response={200: TemporaryPasswordOut, **error_responses(403, 404)},
    operation_id="reset_member_password",
    summary="Give a member a new temporary password (in the response, once)",
)
def reset_password(request: AuthedRequest, membership_id: uuid.UUID) -> dict:
    membership = people.get_membership(membership_id, by=request.auth)
    password = people.reset_password(membership, by=request.auth)
    return {"membership_id": membership.pk, "temporary_password": password}


@router.post(
    "/members/{uuid:membership_id}/reset-mfa",
    response={200: MfaResetOut, **error_responses(403, 404)},
    operation_id="reset_member_mfa",
    summary="Remove a member's two-step login so they enrol again (lost phone)",
)
def reset_mfa(request: AuthedRequest, membership_id: uuid.UUID) -> dict:
    membership = people.get_membership(membership_id, by=request.auth)
    removed = people.reset_mfa(membership, by=request.auth)
    return {"membership_id": membership.pk, "removed_authenticators": removed}


@router.get(
    "/teams",
    response={200: list[TeamOut], **error_responses(403)},
    operation_id="list_teams",
    summary="Teams of the organisations I administer",
)
def list_teams(request: AuthedRequest) -> list[Team]:
    teams: list[Team] = []
    for organisation in people.list_managed_organisations(by=request.auth):
        teams += people.list_teams(organisation, by=request.auth)
    return teams


@router.post(
    "/teams",
    response={201: TeamOut, **error_responses(403, 404, 409)},
    operation_id="create_team",
    summary="Create a team",
)
def create_team(request: AuthedRequest, payload: TeamIn) -> Status[Team]:
    organisation = _organisation(request.auth, payload.organisation_id)
    return Status(201, people.create_team(organisation, by=request.auth, name=payload.name))


@router.patch(
    "/teams/{uuid:team_id}",
    response={200: TeamOut, **error_responses(404, 409)},
    operation_id="rename_team",
    summary="Rename a team",
)
def rename_team(request: AuthedRequest, team_id: uuid.UUID, payload: TeamPatchIn) -> Team:
    team = people.get_team(team_id, by=request.auth)
    return people.rename_team(team, by=request.auth, name=payload.name)
