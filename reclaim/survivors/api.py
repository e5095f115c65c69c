"""Survivor records at /api/v1/survivors: caseload, search, profile, contact, cases, consents.

Each endpoint reads its input, calls the service, serialises. Out of scope answers 404 (and is
audited as a denial by reclaim/api.py); an erased record answers 410.
"""

from __future__ import annotations

import uuid
from typing import Any

from ninja import P, QueryEx, Router, Status

from reclaim.core import access
from reclaim.core import permissions as perm
from reclaim.core.errors import Forbidden, ValidationFailed
from reclaim.core.models import Membership, Organisation, User
from reclaim.core.schemas import AuditEventOut, AuthedRequest, error_responses

from . import services
from .models import Case, Consent, SafeContactPreference, Survivor
from .picklists import ContactChannel
from .schemas import (
    BreakGlassOpenedOut,
    BreakGlassOpenIn,
    BreakGlassOut,
    BreakGlassReviewIn,
    CaseloadOut,
    CaseOut,
    CasePatchIn,
    ConsentIn,
    ConsentOut,
    ContactPreferenceIn,
    ContactPreferenceOut,
    DuplicateCheckIn,
    DuplicatesOut,
    ErasedOut,
    EraseIn,
    Language,
    ProfileIn,
    SearchIn,
    SearchOut,
    SurvivorCreateIn,
    SurvivorOut,
)

router = Router(tags=["survivors"])

MAX_PAGE = 100


# --- edge helpers: turn ids in the request into the objects the services take ---------------


def _organisation(organisation_id: uuid.UUID | None, *, by: User, field: str) -> Organisation:
    """The named organisation, or the only one where the caller may open records."""
    if organisation_id is None:
        candidates = access.organisations_where(by, perm.SURVIVOR_CREATE)
        if not candidates:
            raise Forbidden(
                denied=access.denial(by, perm.SURVIVOR_CREATE, target_type="core.organisation")
            )
        if len(candidates) > 1:
            raise ValidationFailed(f"{field}: choose the organisation.", field=field)
        organisation_id = candidates[0]
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        raise ValidationFailed(f"{field}: no such organisation.", field=field)
    return organisation


def _member(user_id: uuid.UUID | None, organisation_id: Any, *, field: str) -> User | None:
    """An active member of the organisation; the service checks the role."""
    if user_id is None:
        return None
    membership = (
        Membership.objects.select_related("user")
        .filter(user_id=user_id, organisation_id=organisation_id, is_active=True)
        .first()
    )
    if membership is None or not membership.user.is_active:
        raise ValidationFailed(f"{field}: is not a member of this organisation.", field=field)
    return membership.user


def _summary(survivor: Survivor) -> dict[str, Any]:
    return {
        "id": survivor.pk,
        "reference": survivor.reference,
        "alias": services.display_alias(survivor),
        "intake_date": survivor.intake_date,
    }


def _profile(survivor: Survivor) -> dict[str, Any]:
    return {
        "id": survivor.pk,
        "reference": survivor.reference,
        "organisation_id": survivor.organisation_id,
        "updated_at": survivor.updated_at,
        **services.read_profile(survivor),
    }


def _consent(consent: Consent, lang: str) -> dict[str, Any]:
    return {
        "id": consent.pk,
        "survivor_id": consent.survivor_id,
        "recipient_id": consent.recipient_id,
        "recipient_name": consent.recipient.name,
        "purpose": consent.purpose,
        "categories": consent.categories,
        "method": consent.method,
        "witness_name": consent.witness_name,
        "given_at": consent.given_at,
        "expires_at": consent.expires_at,
        "revoked_at": consent.revoked_at,
        "state": services.consent_state(consent),
        "summary": services.consent_summary(consent, lang),
    }


# --- caseload, search, create ---------------------------------------------------------------


@router.get(
    "/",
    response={200: CaseloadOut, **error_responses()},
    operation_id="list_caseload",
    summary="My caseload, or every record I may see",
    description=f"Newest intake first. `limit` is at most {MAX_PAGE}; `has_more` says whether "
    "another page follows.",
)
def list_caseload(
    request: AuthedRequest,
    mine_only: bool = True,
    limit: QueryEx[int, P(ge=1, le=MAX_PAGE)] = 50,
    offset: QueryEx[int, P(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    rows = services.list_caseload(
        by=request.auth, mine_only=mine_only, limit=limit + 1, offset=offset
    )
    return {
        "items": [_summary(row) for row in rows[:limit]],
        "limit": limit,
        "offset": offset,
        "has_more": len(rows) > limit,
    }


@router.post(
    "/search",
    response={200: SearchOut, **error_responses(403)},
    operation_id="search_survivors",
    summary="Find a record by reference, alias, or legal name and date of birth",
)
def search(request: AuthedRequest, payload: SearchIn) -> dict[str, Any]:
    result = services.search_survivors(
        by=request.auth, query=payload.query, date_of_birth=payload.date_of_birth
    )
    return {
        "results": [_summary(row) for row in result.visible],
        "outside_caseload": result.outside_caseload,
    }


@router.post(
    "/duplicate-check",
    response={200: DuplicatesOut, **error_responses(403)},
    operation_id="check_duplicates",
    summary="Before intake: records with the same legal name and date of birth",
    description="Answers references only (no personal data), including records outside your "
    "caseload. Call it before `create_survivor`, which does not check duplicates itself.",
)
def duplicate_check(request: AuthedRequest, payload: DuplicateCheckIn) -> dict[str, Any]:
    organisation = _organisation(payload.organisation_id, by=request.auth, field="organisation_id")
    references = services.find_possible_duplicates(
        by=request.auth,
        organisation=organisation,
        legal_name=payload.legal_name,
        date_of_birth=payload.date_of_birth,
    )
    return {"possible_duplicates": references}


@router.post(
    "/",
    response={201: SurvivorOut, **error_responses(403)},
    operation_id="create_survivor",
    summary="Open a record and its first case",
    description="Every profile field is optional. Check for duplicates first with "
    "`POST /api/v1/survivors/duplicate-check` (this call does not).",
)
def create(request: AuthedRequest, payload: SurvivorCreateIn) -> Status[dict[str, Any]]:
    organisation = _organisation(payload.organisation_id, by=request.auth, field="organisation_id")
    survivor = services.create_survivor(
        by=request.auth,
        organisation=organisation,
        profile=payload.model_dump(exclude_unset=True, exclude={"organisation_id", "assign_to"}),
        assign_to=_member(payload.assign_to, organisation.pk, field="assign_to"),
    )
    return Status(201, _profile(survivor))


# --- break-the-glass (before /{id} routes; the ids are UUIDs so they cannot clash) ----------


@router.get(
    "/break-glass",
    response={200: list[BreakGlassOut], **error_responses(403)},
    operation_id="list_break_glass",
    summary="Emergency accesses waiting for review (supervisors)",
)
def list_break_glass(request: AuthedRequest, include_reviewed: bool = False) -> list[Any]:
    return services.list_break_glass_for_review(by=request.auth, include_reviewed=include_reviewed)


@router.post(
    "/break-glass",
    response={201: BreakGlassOpenedOut, **error_responses(403, 404)},
    operation_id="open_break_glass",
    summary="Open a record outside my caseload for one hour, with a reason",
    description="The access is audited and reviewed by a supervisor.",
)
def open_break_glass(request: AuthedRequest, payload: BreakGlassOpenIn) -> Status[dict]:
    survivor = services.open_break_glass(payload.reference, by=request.auth, reason=payload.reason)
    return Status(201, {"survivor_id": survivor.pk})


@router.post(
    "/break-glass/{uuid:grant_id}/review",
    response={200: BreakGlassOut, **error_responses(403, 404, 409)},
    operation_id="review_break_glass",
    summary="Mark an emergency access as reviewed (supervisors)",
)
def review_break_glass(
    request: AuthedRequest, grant_id: uuid.UUID, payload: BreakGlassReviewIn
) -> Any:
    return services.review_break_glass(grant_id, by=request.auth, note=payload.note)


# --- cases and consents by their own id -----------------------------------------------------


@router.patch(
    "/cases/{uuid:case_id}",
    response={200: CaseOut, **error_responses(403, 404)},
    operation_id="update_case",
    summary="Change a case: status, closure, assignment, trafficking details",
)
def update_case(request: AuthedRequest, case_id: uuid.UUID, payload: CasePatchIn) -> Case:
    case = services.get_case(case_id, by=request.auth)
    changes = payload.model_dump(exclude_unset=True)
    if "assigned_to" in changes:
        changes["assigned_to"] = _member(
            changes["assigned_to"], case.organisation_id, field="assigned_to"
        )
    services.update_case(case, by=request.auth, changes=changes)
    return case


@router.post(
    "/consents/{uuid:consent_id}/revoke",
    response={200: ConsentOut, **error_responses(403, 404)},
    operation_id="revoke_consent",
    summary="Revoke a consent at once",
)
def revoke_consent(request: AuthedRequest, consent_id: uuid.UUID, lang: Language = "en") -> Any:
    consent = services.get_consent(consent_id, by=request.auth)
    return _consent(services.revoke_consent(consent, by=request.auth), lang)


# --- one survivor ---------------------------------------------------------------------------

SURVIVOR = "/{uuid:survivor_id}"


@router.get(
    SURVIVOR,
    response={200: SurvivorOut, **error_responses(404, 409, 410)},
    operation_id="get_survivor",
    summary="A survivor's profile (the read is audited)",
)
def get_survivor(request: AuthedRequest, survivor_id: uuid.UUID) -> dict[str, Any]:
    return _profile(services.get_survivor(survivor_id, by=request.auth))


@router.patch(
    SURVIVOR,
    response={200: SurvivorOut, **error_responses(403, 404, 409, 410)},
    operation_id="update_survivor",
    summary="Change profile fields (leave a field out to keep it, null to clear it)",
)
def update_survivor(request: AuthedRequest, survivor_id: uuid.UUID, payload: ProfileIn) -> Any:
    survivor = services.get_survivor(survivor_id, by=request.auth)
    services.update_profile(
        survivor, by=request.auth, changes=payload.model_dump(exclude_unset=True)
    )
    return _profile(survivor)


@router.get(
    SURVIVOR + "/contact-preferences",
    response={200: list[ContactPreferenceOut], **error_responses(404, 409)},
    operation_id="list_contact_preferences",
    summary="How the survivor may be reached safely, per channel",
)
def list_contact_preferences(request: AuthedRequest, survivor_id: uuid.UUID) -> list[Any]:
    survivor = services.get_survivor(survivor_id, by=request.auth)
    return services.list_contact_preferences(survivor, by=request.auth)


@router.put(
    SURVIVOR + "/contact-preferences/{channel}",
    response={200: ContactPreferenceOut, **error_responses(403, 404, 409)},
    operation_id="set_contact_preference",
    summary="Set how the survivor may be reached on one channel",
)
def set_contact_preference(
    request: AuthedRequest,
    survivor_id: uuid.UUID,
    channel: ContactChannel,
    payload: ContactPreferenceIn,
) -> SafeContactPreference:
    survivor = services.get_survivor(survivor_id, by=request.auth)
    return services.set_contact_preference(
        survivor,
        by=request.auth,
        channel=str(channel.value),
        may_contact=payload.may_contact,
        vague_only=payload.vague_only,
        safe_times=payload.safe_times,
    )


@router.get(
    SURVIVOR + "/cases",
    response={200: list[CaseOut], **error_responses(404, 409)},
    operation_id="list_cases",
    summary="The survivor's cases (enrolments)",
)
def list_cases(request: AuthedRequest, survivor_id: uuid.UUID) -> list[Case]:
    survivor = services.get_survivor(survivor_id, by=request.auth)
    return services.list_cases(survivor, by=request.auth)


@router.get(
    SURVIVOR + "/consents",
    response={200: list[ConsentOut], **error_responses(404)},
    operation_id="list_consents",
    summary="The survivor's consents to share, with their state and a plain summary",
)
def list_consents(request: AuthedRequest, survivor_id: uuid.UUID, lang: Language = "en") -> list:
    survivor = services.get_survivor(survivor_id, by=request.auth)
    return [_consent(row, lang) for row in services.list_consents(survivor, by=request.auth)]


@router.post(
    SURVIVOR + "/consents",
    response={201: ConsentOut, **error_responses(403, 404, 410)},
    operation_id="record_consent",
    summary="Record a consent to share data categories with another organisation",
    description="Expiry is mandatory (default: the configured period). Verbal consent needs a "
    "witness.",
)
def record_consent(
    request: AuthedRequest, survivor_id: uuid.UUID, payload: ConsentIn, lang: Language = "en"
) -> Status[dict[str, Any]]:
    survivor = services.get_survivor(survivor_id, by=request.auth)
    recipient = Organisation.objects.filter(pk=payload.recipient_id).first()
    if recipient is None:
        raise ValidationFailed("recipient_id: no such organisation.", field="recipient_id")
    consent = services.record_consent(
        survivor,
        by=request.auth,
        recipient=recipient,
        purpose=payload.purpose,
        categories=payload.categories,
        method=payload.method,
        given_at=payload.given_at,
        expires_at=payload.expires_at,
        witness_name=payload.witness_name,
    )
    return Status(201, _consent(consent, lang))


@router.get(
    SURVIVOR + "/audit",
    response={200: list[AuditEventOut], **error_responses(403, 404)},
    operation_id="survivor_audit_trail",
    summary="Who did what with this record (supervisors and admins)",
)
def survivor_audit(
    request: AuthedRequest, survivor_id: uuid.UUID, limit: QueryEx[int, P(ge=1, le=500)] = 200
) -> list[Any]:
    survivor = services.get_survivor(survivor_id, by=request.auth)
    return services.survivor_audit_trail(survivor, by=request.auth, limit=limit)


@router.post(
    SURVIVOR + "/erase",
    response={200: ErasedOut, **error_responses(403, 404, 410)},
    operation_id="erase_survivor",
    summary="Erase a record for good (organisation admins): its key is destroyed",
)
def erase(request: AuthedRequest, survivor_id: uuid.UUID, payload: EraseIn) -> Survivor:
    survivor = services.get_survivor(survivor_id, by=request.auth)
    return services.erase_survivor(survivor, by=request.auth, reason=payload.reason)
