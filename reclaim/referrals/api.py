"""Referrals at /api/v1/referrals: prepare, send, answer, cancel, read the packet, FHIR, notices.

Each endpoint reads its input, calls one service, serialises. A referral outside both of the
caller's sides answers 404; the packet after a consent ends answers 403 with no packet data.
Errors are mapped once in reclaim/api.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from ninja import Body, P, QueryEx, Router, Status

from reclaim.core.errors import ValidationFailed
from reclaim.core.models import Organisation
from reclaim.core.schemas import AuthedRequest, error_responses
from reclaim.survivors import services as survivors

from . import fhir, notifications, services
from .lifecycle import SENDER
from .models import Notification, Referral
from .schemas import (
    CancelIn,
    MarkedReadOut,
    NotificationListOut,
    PacketOut,
    ReferralDetailOut,
    ReferralIn,
    ReferralListOut,
    RespondIn,
)

router = Router(tags=["referrals"])


def referral_out(
    referral: Referral,
    *,
    by: Any,
    seen_from: frozenset[str] | None = None,
    consent_allows: bool | None = None,
) -> dict[str, Any]:
    if seen_from is None:
        seen_from = services.sides(referral, by=by)
    if consent_allows is None:
        consent_allows = services.consent_allows(referral)
    return {
        "id": referral.pk,
        "survivor_id": referral.survivor_id if SENDER in seen_from else None,
        "organisation_id": referral.organisation_id,
        "organisation_name": referral.organisation.name,
        "recipient_id": referral.recipient_id,
        "recipient_name": referral.recipient.name,
        "service_id": referral.service_id,
        "service_name": referral.service_name,
        "purpose": referral.purpose,
        "categories": referral.categories,
        "status": referral.status,
        "created_at": referral.created_at,
        "sent_at": referral.sent_at,
        "responded_at": referral.responded_at,
        "updated_at": referral.updated_at,
        "overdue": services.is_overdue(referral),
        "consent_allows": consent_allows,
        "sides": sorted(seen_from),
    }


def _detail(referral: Referral, *, by: Any) -> dict[str, Any]:
    return {
        **referral_out(referral, by=by),
        "history": services.list_history(referral, by=by),
    }


def _notification(row: Notification) -> dict[str, Any]:
    return {
        "id": row.pk,
        "kind": row.kind,
        "text": notifications.notification_text(row.kind),
        "referral_id": row.referral_id,
        "created_at": row.created_at,
        "read_at": row.read_at,
    }


# --- notifications (declared before /{referral_id}) -----------------------------------------


@router.get(
    "/notifications",
    response={200: NotificationListOut, **error_responses()},
    operation_id="list_referral_notifications",
    summary="My referral notifications (generic wording, ids only)",
)
def list_my_notifications(request: AuthedRequest) -> dict[str, Any]:
    rows = notifications.list_notifications(by=request.auth)
    return {
        "unread": notifications.count_unread_notifications(by=request.auth),
        "items": [_notification(row) for row in rows],
    }


@router.post(
    "/notifications/read",
    response={200: MarkedReadOut, **error_responses()},
    operation_id="mark_referral_notifications_read",
    summary="Mark all my referral notifications as read",
)
def mark_my_notifications_read(request: AuthedRequest) -> dict[str, Any]:
    return {"marked": notifications.mark_notifications_read(by=request.auth)}


# --- referrals ------------------------------------------------------------------------------


@router.get(
    "/",
    response={200: ReferralListOut, **error_responses()},
    operation_id="list_referrals",
    summary="Referrals my organisations sent or received",
    description="`box` is `sent`, `received` or `all`; `survivor_id` narrows to one record "
    "(sender side). Newest first, `limit` (at most "
    f"{services.LIST_LIMIT}) at a time from `offset`; `has_more` says whether another page "
    "follows. Each item says whether it is overdue and whether consent still allows sharing.",
)
def list_referrals(
    request: AuthedRequest,
    box: str = "all",
    survivor_id: uuid.UUID | None = None,
    limit: QueryEx[int, P(ge=1, le=services.LIST_LIMIT)] = 50,
    offset: QueryEx[int, P(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    survivor = (
        survivors.get_survivor(survivor_id, by=request.auth, purpose="view")
        if survivor_id
        else None
    )
    rows = services.list_referrals(
        by=request.auth, box=box, survivor=survivor, limit=limit + 1, offset=offset
    )
    shown = rows[:limit]
    seen_from = services.sides_of_many(shown, by=request.auth, box=box)
    allowed = services.consent_allows_each(shown)
    return {
        "items": [
            referral_out(
                row, by=request.auth, seen_from=seen_from[row.pk], consent_allows=allowed[row.pk]
            )
            for row in shown
        ],
        "limit": limit,
        "offset": offset,
        "has_more": len(rows) > limit,
    }


@router.post(
    "/",
    response={201: ReferralDetailOut, **error_responses(403, 404)},
    operation_id="create_referral",
    summary="Prepare a referral (and send it at once with `send: true`)",
    description="Name the recipient organisation, or a directory service whose organisation "
    "receives it. Sending needs a valid consent covering that organisation, the categories "
    "and the purpose (403 `consent_required` otherwise; the draft is kept).",
)
def create_referral(request: AuthedRequest, payload: ReferralIn) -> Status[dict[str, Any]]:
    survivor = survivors.get_survivor(payload.survivor_id, by=request.auth, purpose="view")
    recipient = None
    if payload.recipient_id is not None:
        recipient = Organisation.objects.filter(pk=payload.recipient_id).first()
        if recipient is None:
            raise ValidationFailed("recipient_id: no such organisation.", field="recipient_id")
    referral = services.prepare_referral(
        survivor,
        by=request.auth,
        categories=payload.categories,
        recipient=recipient,
        service_id=payload.service_id,
        purpose=str(payload.purpose),
    )
    if payload.send:
        referral = services.send_referral(referral, by=request.auth, via="api")
    return Status(201, _detail(referral, by=request.auth))


@router.get(
    "/{uuid:referral_id}",
    response={200: ReferralDetailOut, **error_responses(404)},
    operation_id="get_referral",
    summary="One referral with its history (no survivor data)",
)
def get_referral(request: AuthedRequest, referral_id: uuid.UUID) -> dict[str, Any]:
    referral = services.get_referral(referral_id, by=request.auth)
    return _detail(referral, by=request.auth)


@router.get(
    "/{uuid:referral_id}/packet",
    response={200: PacketOut, **error_responses(403, 404, 410)},
    operation_id="get_referral_packet",
    summary="The share packet: only the consented categories, checked at this read",
    description="The recipient may read it while the referral is open and a valid consent "
    "covers it; after revocation or expiry the answer is 403 `consent_required`. Audited.",
)
def get_packet(request: AuthedRequest, referral_id: uuid.UUID) -> dict[str, Any]:
    referral = services.get_referral(referral_id, by=request.auth)
    packet = services.read_packet(referral, by=request.auth)
    return {
        "referral_id": referral.pk,
        "categories": packet.categories,
        "profile": [vars(item) for item in packet.profile],
        "case": [vars(item) for item in packet.case],
        "contact_preferences": packet.contact_preferences,
        "needs": packet.needs,
        "goals": packet.goals,
        "screenings": packet.screenings,
    }


@router.post(
    "/{uuid:referral_id}/send",
    response={200: ReferralDetailOut, **error_responses(403, 404, 409)},
    operation_id="send_referral",
    summary="Send a draft (sender side; needs a valid consent)",
)
def send(request: AuthedRequest, referral_id: uuid.UUID) -> dict[str, Any]:
    referral = services.get_referral(referral_id, by=request.auth)
    referral = services.send_referral(referral, by=request.auth, via="api")
    return _detail(referral, by=request.auth)


@router.post(
    "/{uuid:referral_id}/cancel",
    response={200: ReferralDetailOut, **error_responses(403, 404, 409)},
    operation_id="cancel_referral",
    summary="Cancel a referral that is not finished (sender side, with a reason code)",
)
def cancel(request: AuthedRequest, referral_id: uuid.UUID, payload: CancelIn) -> dict[str, Any]:
    referral = services.get_referral(referral_id, by=request.auth)
    referral = services.cancel_referral(
        referral, by=request.auth, reason=str(payload.reason), note=payload.note, via="api"
    )
    return _detail(referral, by=request.auth)


@router.post(
    "/{uuid:referral_id}/status",
    response={200: ReferralDetailOut, **error_responses(403, 404, 409)},
    operation_id="respond_to_referral",
    summary="Answer or update a referral (recipient side)",
    description="Statuses follow the FHIR Task codes; only the allowed next steps are "
    "accepted (409 `transition_not_allowed` otherwise). Declining (`rejected`) and `failed` "
    "need a reason code.",
)
def respond(request: AuthedRequest, referral_id: uuid.UUID, payload: RespondIn) -> dict[str, Any]:
    referral = services.get_referral(referral_id, by=request.auth)
    referral = services.respond_to_referral(
        referral,
        by=request.auth,
        status=payload.status,
        reason=str(payload.reason or ""),
        note=payload.note,
        via="api",
    )
    return _detail(referral, by=request.auth)


@router.get(
    "/{uuid:referral_id}/fhir",
    response={200: dict[str, Any], **error_responses(403, 404, 410)},
    operation_id="export_referral_fhir",
    summary="The referral as a FHIR R4 Bundle (ServiceRequest + Task + Consent)",
    description="Validated with fhir.resources (R4B). Same access as the packet. Audited.",
)
def export_fhir(request: AuthedRequest, referral_id: uuid.UUID) -> dict[str, Any]:
    referral = services.get_referral(referral_id, by=request.auth)
    return fhir.export_referral(referral, by=request.auth)


@router.post(
    "/{uuid:referral_id}/fhir/task",
    response={200: ReferralDetailOut, **error_responses(403, 404, 409)},
    operation_id="import_referral_fhir_task",
    summary="Status update from a partner system, as a FHIR R4 Task",
    description="For partner systems that are not Reclaim: send the Task JSON with a write "
    "token of a partner staff user of the recipient organisation. `Task.status` maps to the "
    "referral status; our transition table applies; `Task.statusReason` gives the reason "
    "when declining or failing.",
)
def import_fhir_task(
    request: AuthedRequest, referral_id: uuid.UUID, payload: Body[dict[str, Any]]
) -> dict[str, Any]:
    referral = services.get_referral(referral_id, by=request.auth)
    referral = fhir.import_task(referral, by=request.auth, payload=payload)
    return _detail(referral, by=request.auth)
