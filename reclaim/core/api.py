"""Account endpoints at /api/v1/: who am I, personal access tokens, sessions, the audit trail."""

from __future__ import annotations

import uuid

from ninja import P, QueryEx, Router, Status
from ninja.security import django_auth

from . import access, services
from .models import AccessToken
from .schemas import (
    AuditEventOut,
    AuthedRequest,
    DoneOut,
    IssuedTokenOut,
    MeOut,
    TokenIn,
    TokenOut,
    error_responses,
)

router = Router(tags=["account"])


@router.get(
    "/me",
    response={200: MeOut, **error_responses()},
    operation_id="get_me",
    summary="Who am I: the calling user and their organisations and roles",
)
def me(request: AuthedRequest) -> dict:
    user = request.auth
    return {
        "id": user.pk,
        "username": user.username,
        "memberships": [
            {
                "organisation_id": membership.organisation_id,
                "organisation_name": membership.organisation.name,
                "role": membership.role,
            }
            for membership in access.memberships(user)
        ],
    }


@router.get(
    "/tokens",
    response={200: list[TokenOut], **error_responses()},
    operation_id="list_tokens",
    summary="My personal access tokens (never their secrets)",
)
def list_tokens(request: AuthedRequest) -> list[AccessToken]:
    return services.list_access_tokens(by=request.auth)


@router.post(
    "/tokens",
    auth=django_auth,
    response={201: IssuedTokenOut, **error_responses(403)},
    operation_id="create_token",
    summary="Create a personal access token (browser session only)",
    description=(
        "Returns the secret once; only its digest is stored. Only from a browser session of a "
        "staff member who logged in with two-step login: a token cannot mint tokens. Read-only "
        "unless `can_write` is true; expires by default after 90 days, at most after a year."
    ),
)
def create_token(request: AuthedRequest, payload: TokenIn) -> Status[dict]:
    issued = services.create_access_token(
        by=request.auth,
        name=payload.name,
        can_write=payload.can_write,
        expires_at=payload.expires_at,
    )
    return Status(
        201, {**TokenOut.model_validate(issued.token).model_dump(), "secret": issued.secret}
    )


@router.delete(
    "/tokens/{uuid:token_id}",
    response={200: TokenOut, **error_responses(403, 404)},
    operation_id="revoke_token",
    summary="Revoke one of my tokens at once",
)
def revoke_token(request: AuthedRequest, token_id: uuid.UUID) -> AccessToken:
    return services.revoke_access_token(token_id, by=request.auth)


@router.post(
    "/sessions/logout-everywhere",
    response={200: DoneOut, **error_responses(403)},
    operation_id="log_out_everywhere",
    summary="End all my sessions and revoke all my tokens",
)
def log_out_everywhere(request: AuthedRequest) -> dict:
    services.log_out_everywhere(by=request.auth)
    return {"ok": True}


@router.get(
    "/audit",
    response={200: list[AuditEventOut], **error_responses(403)},
    operation_id="organisation_audit_trail",
    summary="Recent audit events of my organisations (supervisors and admins)",
    description="Newest first. Events name records and fields, never values. "
    "Page back with `before_seq` (the smallest `seq` you have).",
)
def organisation_audit(
    request: AuthedRequest,
    limit: QueryEx[int, P(ge=1, le=500)] = 100,
    before_seq: QueryEx[int | None, P(ge=1)] = None,
) -> list:
    return services.organisation_audit_trail(by=request.auth, limit=limit, before_seq=before_seq)
