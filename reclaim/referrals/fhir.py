"""FHIR R4 exchange of referrals (Gravity Project SDOH referral pattern).

Export: a Bundle of ServiceRequest (what is asked), Task (where it stands; our statuses are the
Task status codes) and Consent (why sharing is allowed), validated with fhir.resources (R4B).
The subject is named only by an opaque per-referral identifier; what the survivor agreed to
share travels as the packet, never more. Import: a partner system that is not Reclaim sends a
Task; we validate it, map its status and apply our own transition table (the library does not).
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pydantic
from django.db import transaction
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.task import Task

from reclaim.core import audit
from reclaim.core.errors import ValidationFailed

from . import services
from .lifecycle import RECIPIENT, SENDER, ReasonCode, ReferralStatus
from .models import Referral

SYSTEM = "https://reclaim.example.org/fhir"
SUBJECT_SYSTEM = f"{SYSTEM}/referral-subject"
CATEGORY_SYSTEM = f"{SYSTEM}/data-category"
PURPOSE_SYSTEM = f"{SYSTEM}/consent-purpose"
REASON_SYSTEM = f"{SYSTEM}/referral-reason"
TASK_NAMESPACE = uuid.UUID("6f1d3c52-7c1a-4b8e-9a57-2f1f4d1b9e10")

# ServiceRequest.status for each referral status (Gravity: the request stays active while the
# Task moves; it ends as completed or revoked).
SERVICE_REQUEST_STATUS = {
    ReferralStatus.DRAFT: "draft",
    ReferralStatus.REQUESTED: "active",
    ReferralStatus.RECEIVED: "active",
    ReferralStatus.ACCEPTED: "active",
    ReferralStatus.IN_PROGRESS: "active",
    ReferralStatus.ON_HOLD: "on-hold",
    ReferralStatus.COMPLETED: "completed",
    ReferralStatus.REJECTED: "revoked",
    ReferralStatus.CANCELLED: "revoked",
    ReferralStatus.FAILED: "revoked",
}
# FHIR Task statuses we do not use: a partner sending one gets a clear 422.
UNSUPPORTED_TASK_STATUSES = frozenset({"ready", "entered-in-error"})


def _instant(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(datetime.UTC).isoformat(timespec="seconds")


def _organisation(organisation: Any) -> dict[str, Any]:
    return {"reference": f"Organization/{organisation.pk}", "display": organisation.name}


def _urn(value: Any) -> str:
    return f"urn:uuid:{value}"


def _need_text(need: Any) -> str:
    if isinstance(need, dict):
        for key in ("label", "title", "name", "domain", "text"):
            if need.get(key):
                return str(need[key])
    return str(need)


def _active_consent(referral: Referral, at: datetime.datetime) -> Any:
    """The consent row behind `services.consent_allows`, for the Consent resource."""
    wanted = set(referral.categories)
    candidates = (
        referral.survivor.consents.filter(
            recipient_id=referral.recipient_id,
            purpose=referral.purpose,
            given_at__lte=at,
            expires_at__gt=at,
        )
        .exclude(revoked_at__lte=at)
        .order_by("-given_at")
    )
    return next((row for row in candidates if wanted <= set(row.categories)), None)


def build_bundle(
    referral: Referral, *, needs: list[Any], consent: Any, at: datetime.datetime
) -> dict[str, Any]:
    """The Bundle as plain JSON (ServiceRequest + Task + Consent), before validation."""
    subject = {"identifier": {"system": SUBJECT_SYSTEM, "value": str(referral.pk)}}
    task_id = uuid.uuid5(TASK_NAMESPACE, str(referral.pk))
    service_request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(referral.pk),
        "status": SERVICE_REQUEST_STATUS[ReferralStatus(referral.status)],
        "intent": "order",
        "code": {"text": referral.service_name or "Referral for services"},
        "subject": subject,
        "authoredOn": _instant(referral.sent_at or referral.created_at),
        "requester": _organisation(referral.organisation),
        "performer": [_organisation(referral.recipient)],
    }
    # Self-sufficiency scores of 1-2 are needs; higher scores are strengths, not reasons.
    reasons = [
        {"text": _need_text(need)}
        for need in needs
        if not isinstance(need, dict) or need.get("score") in (1, 2)
    ]
    if reasons:
        service_request["reasonCode"] = reasons
    last = referral.events.order_by("-at", "-id").first()
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(task_id),
        "status": referral.status,
        "intent": "order",
        "focus": {"reference": _urn(referral.pk)},
        "for": subject,
        "authoredOn": _instant(referral.created_at),
        "lastModified": _instant(referral.updated_at),
        "requester": _organisation(referral.organisation),
        "owner": _organisation(referral.recipient),
    }
    if last is not None and last.reason:
        task["statusReason"] = {
            "coding": [{"system": REASON_SYSTEM, "code": last.reason}],
            "text": str(ReasonCode(last.reason).label),
        }
    entries = [
        {"fullUrl": _urn(referral.pk), "resource": service_request},
        {"fullUrl": _urn(task_id), "resource": task},
    ]
    if consent is not None:
        service_request["supportingInfo"] = [{"reference": _urn(consent.pk)}]
        entries.append(
            {"fullUrl": _urn(consent.pk), "resource": _consent_resource(consent, subject, at)}
        )
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(at),
        "entry": entries,
    }


def _consent_resource(consent: Any, subject: dict[str, Any], at: datetime.datetime) -> dict:
    return {
        "resourceType": "Consent",
        "id": str(consent.pk),
        "status": "active" if consent.is_active_at(at) else "inactive",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                }
            ]
        },
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": subject,
        "dateTime": _instant(consent.given_at),
        "policyRule": {"text": "Written, informed, time-limited consent to share"},
        "provision": {
            "type": "permit",
            "period": {"start": _instant(consent.given_at), "end": _instant(consent.expires_at)},
            "actor": [
                {
                    "role": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                "code": "IRCP",
                            }
                        ]
                    },
                    "reference": {"reference": f"Organization/{consent.recipient_id}"},
                }
            ],
            "purpose": [{"system": PURPOSE_SYSTEM, "code": consent.purpose}],
            "code": [
                {"coding": [{"system": CATEGORY_SYSTEM, "code": category}]}
                for category in consent.categories
            ],
        },
    }


def validate_bundle(data: dict[str, Any]) -> dict[str, Any]:
    """Validate with fhir.resources (R4B) and return the canonical JSON."""
    bundle = Bundle.model_validate(data)
    return json.loads(bundle.model_dump_json())


def export_referral(
    referral: Referral, *, by: Any, at: datetime.datetime | None = None
) -> dict[str, Any]:
    """The referral as a validated FHIR R4 Bundle.

    Same gate as the packet: the sender side always, the recipient side only while the referral
    is open and the consent allows (services.read_packet raises otherwise, and audits the read).
    Audits "referral.export.fhir" with the categories.
    """
    at = at or timezone.now()
    packet = services.read_packet(referral, by=by, at=at)
    side = SENDER if SENDER in services.sides(referral, by=by) else RECIPIENT
    consent = _active_consent(referral, at)
    bundle = validate_bundle(build_bundle(referral, needs=packet.needs, consent=consent, at=at))
    with transaction.atomic():
        audit.record(
            "referral.export.fhir",
            actor=by,
            organisation_id=referral.organisation_id if side == SENDER else referral.recipient_id,
            subject_id=referral.survivor_id,
            target=referral,
            context={"categories": packet.categories, "side": side},
        )
    return bundle


def _first_error(exc: pydantic.ValidationError) -> tuple[str, str]:
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error.get("loc", ())) or "body"
    return field, str(error.get("msg", "is not valid"))


def parse_task(payload: Any) -> Task:
    """A FHIR R4 Task from JSON, or ValidationFailed naming the field."""
    if not isinstance(payload, dict):
        raise ValidationFailed("body: must be a FHIR Task (a JSON object).", field="body")
    if payload.get("resourceType") != "Task":
        raise ValidationFailed("resourceType: must be Task.", field="resourceType")
    try:
        return Task.model_validate(payload)
    except pydantic.ValidationError as exc:
        field, message = _first_error(exc)
        raise ValidationFailed(f"{field}: {message}", field=field) from None


def import_task(
    referral: Referral, *, by: Any, payload: Any, at: datetime.datetime | None = None
) -> Referral:
    """Apply a status update sent by a partner system as a FHIR Task.

    Recipient side only (the token's user must be partner staff, a supervisor or an admin of
    the recipient organisation). The Task's status is mapped to our lifecycle and our
    transition table applies (409 otherwise); a status equal to the current one changes
    nothing. Declines and failures take their reason from Task.statusReason.
    """
    task = parse_task(payload)
    status = str(task.status)
    if status in UNSUPPORTED_TASK_STATUSES or status not in ReferralStatus.values:
        raise ValidationFailed(f"status: {status!r} is not used for referrals.", field="status")
    focus = getattr(getattr(task, "focus", None), "reference", None)
    if focus and _referenced_id(focus) != str(referral.pk):
        raise ValidationFailed("focus: names another referral.", field="focus")
    owner = getattr(getattr(task, "owner", None), "reference", None)
    if owner and _referenced_id(owner) != str(referral.recipient_id):
        raise ValidationFailed(
            "owner: names another organisation than the one the referral was sent to.",
            field="owner",
        )
    reason, note = _status_reason(task)
    services.require_recipient(referral, by=by)
    if status == referral.status:
        return referral
    return services.respond_to_referral(
        referral, by=by, status=status, reason=reason, note=note, via="fhir", at=at
    )


def _referenced_id(reference: Any) -> str:
    """The id in a FHIR reference: "Organization/<id>", "urn:uuid:<id>" or a full URL."""
    text = str(reference)
    if text.startswith("urn:uuid:"):
        return text.removeprefix("urn:uuid:")
    return text.rstrip("/").rsplit("/", 1)[-1]


def _status_reason(task: Task) -> tuple[str, str]:
    concept = getattr(task, "statusReason", None)
    if concept is None:
        return "", ""
    codes = [coding.code for coding in (concept.coding or []) if coding.code]
    reason = next((code for code in codes if code in ReasonCode.values), "")
    note = str(concept.text or "")[:200]
    if not reason and (codes or note):
        reason = ReasonCode.OTHER
    return reason, note
