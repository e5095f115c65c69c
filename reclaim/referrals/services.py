"""Every rule and every write for referrals: prepare, send, respond, cancel, read the packet.

Two sides see a referral. The sender side (case manager of the survivor, their supervisors and
admins) reaches it through the survivor record's scope (`access.scope`); the recipient side
(partner staff, supervisors and admins of the recipient organisation) through
`access.received_scope`, and reads the share packet only while a consent allows it, checked at
every read and never cached. Everyone else gets NotFound. Each function runs in one
transaction, audits inside it (ids and categories only) and takes the acting user as `by`.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from reclaim.core import access, audit
from reclaim.core import permissions as perm
from reclaim.core.errors import (
    ConsentRequired,
    Forbidden,
    NotFound,
    RecordErased,
    ValidationFailed,
)
from reclaim.core.models import Organisation
from reclaim.core.validation import check_choice, clean_text
from reclaim.directory import services as directory
from reclaim.survivors import services as survivors
from reclaim.survivors.picklists import ConsentPurpose

from . import lifecycle, notifications
from .errors import PacketClosed, TransitionNotAllowed
from .lifecycle import RECIPIENT, SENDER, ReasonCode, ReferralStatus
from .models import Referral, ReferralEvent
from .packets import Packet, build_packet

DEFAULT_OVERDUE_DAYS = 5
NOTE_BYTES = 500
LIST_LIMIT = 200


def overdue_days() -> int:
    return int(getattr(settings, "RECLAIM_REFERRAL_OVERDUE_DAYS", DEFAULT_OVERDUE_DAYS))


def is_overdue(referral: Referral, at: datetime.datetime | None = None) -> bool:
    """Sent and not answered within RECLAIM_REFERRAL_OVERDUE_DAYS (default 5)."""
    return lifecycle.is_overdue(
        referral.status, referral.sent_at, at or timezone.now(), overdue_days()
    )


def consent_allows(referral: Referral, at: datetime.datetime | None = None) -> bool:
    """Whether a valid consent covers this recipient, these categories and purpose right now."""
    return survivors.allows(
        referral.survivor_id, referral.recipient_id, referral.categories, referral.purpose, at
    )


def consent_allows_each(
    referrals: list[Referral], at: datetime.datetime | None = None
) -> dict[Any, bool]:
    """`consent_allows` for a whole list (by referral id), from one query."""
    answers = survivors.allows_each(
        [(row.survivor_id, row.recipient_id, row.categories, row.purpose) for row in referrals],
        at,
    )
    return {row.pk: allowed for row, allowed in zip(referrals, answers, strict=True)}


# --- who sees a referral ------------------------------------------------------------------


def _sent_scope(by: Any) -> QuerySet[Referral]:
    return access.scope(by, Referral).filter(
        organisation_id__in=access.organisations_where(by, perm.REFERRAL_VIEW)
    )


def _received_scope(by: Any) -> QuerySet[Referral]:
    # A draft has not been sent: the recipient does not know it exists.
    return access.received_scope(by, Referral, action=perm.REFERRAL_RECEIVE).exclude(
        status=ReferralStatus.DRAFT
    )


def sides(referral: Referral, *, by: Any) -> frozenset[str]:
    """The sides (sender, recipient) from which this user sees the referral; empty: neither.

    The scopes' conditions on the row itself are read from the loaded referral: the recipient
    side is wholly that (`_received_scope`: the recipient organisation and not a draft), so it
    costs no query; the sender side asks the database only when the sending organisation is
    one of the user's, since it also depends on the survivor record's scope.
    """
    found = set()
    if referral.organisation_id in access.organisations_where(by, perm.REFERRAL_VIEW) and (
        _sent_scope(by).filter(pk=referral.pk).exists()
    ):
        found.add(SENDER)
    if referral.status != ReferralStatus.DRAFT and referral.recipient_id in (
        access.organisations_where(by, perm.REFERRAL_RECEIVE)
    ):
        found.add(RECIPIENT)
    return frozenset(found)


def sides_of_many(
    referrals: list[Referral], *, by: Any, box: str = "all"
) -> dict[Any, frozenset[str]]:
    """`sides` for a whole list in at most two queries. Rows listed from one box (by
    list_referrals) are known to be seen from that side; only the other is asked."""
    ids = [row.pk for row in referrals]
    if box == "sent":
        sent = set(ids)
    else:
        sent = set(_sent_scope(by).filter(pk__in=ids).values_list("pk", flat=True))
    if box == "received":
        received = set(ids)
    else:
        received = set(_received_scope(by).filter(pk__in=ids).values_list("pk", flat=True))
    return {
        pk: frozenset({SENDER} if pk in sent else set())
        | ({RECIPIENT} if pk in received else set())
        for pk in ids
    }


def _not_found(by: Any, action: str, referral_id: Any) -> NotFound:
    return NotFound(
        denied=access.denial(
            by, action, target_type="referrals.referral", target_id=str(referral_id)
        )
    )


def get_referral(referral_id: Any, *, by: Any) -> Referral:
    """One referral this user sees from either side, or NotFound (also for missing ids)."""
    visible = _sent_scope(by) | _received_scope(by)
    # With its survivor: every caller reads it (erasure, packet, the detail page).
    referral = (
        visible.filter(pk=referral_id)
        .select_related("organisation", "recipient", "survivor")
        .first()
    )
    if referral is None:
        raise _not_found(by, perm.REFERRAL_VIEW, referral_id)
    return referral


def list_referrals(
    *, by: Any, box: str = "all", survivor: Any = None, limit: int = LIST_LIMIT, offset: int = 0
) -> list[Referral]:
    """Referrals sent by the user's organisations ("sent"), addressed to them ("received"), or
    both ("all"); for one survivor when given. Newest first. Audits one "referral.list"."""
    box = check_choice(box, ("all", "sent", "received"), field="box")
    if survivor is not None:
        access.require(by, perm.REFERRAL_VIEW, survivor)
    parts = []
    if box in ("all", "sent"):
        parts.append(_sent_scope(by))
    if box in ("all", "received") and survivor is None:
        parts.append(_received_scope(by))
    if not parts:
        return []
    rows_qs = parts[0] if len(parts) == 1 else parts[0] | parts[1]
    if survivor is not None:
        rows_qs = rows_qs.filter(survivor_id=survivor.pk)
    with transaction.atomic():
        rows = list(
            rows_qs.select_related("organisation", "recipient").order_by("-created_at", "-id")[
                offset : offset + limit
            ]
        )
        audit.record(
            "referral.list",
            actor=by,
            subject_id=survivor.pk if survivor is not None else None,
            organisation_id=survivor.organisation_id if survivor is not None else None,
            context={"box": box, "shown": len(rows)},
        )
    return rows


def list_history(referral: Referral, *, by: Any) -> list[ReferralEvent]:
    """Every step of the referral, oldest first; both sides see the same history."""
    if not sides(referral, by=by):
        raise _not_found(by, perm.REFERRAL_VIEW, referral.pk)
    return list(referral.events.select_related("by", "by_organisation").order_by("at", "id"))


# --- preparing and sending ----------------------------------------------------------------


def describe_service(service_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """The organisation that receives referrals for a directory service, and the service name."""
    try:
        summary = directory.service_summary(directory.get_service(service_id))
    except NotFound:
        raise ValidationFailed("service_id: no such service.", field="service_id") from None
    organisation_id = summary.get("platform_organisation_id")
    if not organisation_id:
        raise ValidationFailed(
            "service_id: this service does not take referrals through Reclaim.",
            field="service_id",
        )
    return uuid.UUID(str(organisation_id)), str(summary.get("name") or "")[:200]


def prepare_referral(
    survivor: Any,
    *,
    by: Any,
    categories: Iterable[str],
    recipient: Organisation | None = None,
    service_id: uuid.UUID | None = None,
    purpose: str = ConsentPurpose.REFERRAL,
    at: datetime.datetime | None = None,
) -> Referral:
    """Create a draft referral of a survivor to an organisation (or a directory service).

    Requires referral.send on the survivor. Nothing is shared yet: the recipient sees a
    referral only once it is sent. Audits "referral.create" with the recipient and categories.
    """
    access.require(by, perm.REFERRAL_SEND, survivor)
    if survivor.is_erased:
        raise RecordErased()
    service_name = ""
    if service_id is not None:
        organisation_id, service_name = describe_service(service_id)
        if recipient is not None and recipient.pk != organisation_id:
            raise ValidationFailed(
                "recipient_id: the service belongs to another organisation.",
                field="recipient_id",
            )
        recipient = Organisation.objects.filter(pk=organisation_id).first()
        if recipient is None:
            raise ValidationFailed(
                "service_id: this service does not take referrals through Reclaim.",
                field="service_id",
            )
    if recipient is None:
        raise ValidationFailed("recipient_id: choose an organisation.", field="recipient_id")
    if recipient.pk == survivor.organisation_id:
        raise ValidationFailed("recipient_id: choose another organisation.", field="recipient_id")
    cleaned = survivors.clean_categories(categories)
    purpose = check_choice(purpose, ConsentPurpose.values, field="purpose")
    at = at or timezone.now()
    with transaction.atomic():
        referral = Referral.objects.create(
            survivor_id=survivor.pk,
            organisation_id=survivor.organisation_id,
            recipient=recipient,
            service_id=service_id,
            service_name=service_name,
            purpose=purpose,
            categories=cleaned,
            status=ReferralStatus.DRAFT,
            created_by=by,
            created_at=at,
            updated_at=at,
        )
        ReferralEvent.objects.create(
            referral=referral,
            from_status="",
            to_status=ReferralStatus.DRAFT,
            at=at,
            by=by,
            by_organisation_id=survivor.organisation_id,
        )
        audit.record(
            "referral.create",
            actor=by,
            organisation_id=survivor.organisation_id,
            subject_id=survivor.pk,
            target=referral,
            context={
                "recipient": recipient.pk,
                "categories": cleaned,
                "purpose": purpose,
                "service": service_id,
            },
        )
    return referral


def send_referral(
    referral: Referral, *, by: Any, via: str = "web", at: datetime.datetime | None = None
) -> Referral:
    """Send a draft: the recipient organisation sees it in its inbox and is notified.

    Sender side only (referral.send). Raises ConsentRequired (403) unless one valid consent
    covers the recipient, the categories and the purpose right now.
    """
    return _transition(
        referral,
        by=by,
        side=SENDER,
        target=ReferralStatus.REQUESTED,
        via=via,
        at=at,
        needs_consent=True,
    )


def cancel_referral(
    referral: Referral,
    *,
    by: Any,
    reason: str,
    note: str = "",
    via: str = "web",
    at: datetime.datetime | None = None,
) -> Referral:
    """Withdraw a referral that is not finished yet (sender side, referral.send), with a reason
    code. The recipient is notified and can no longer read the packet."""
    return _transition(
        referral,
        by=by,
        side=SENDER,
        target=ReferralStatus.CANCELLED,
        reason=reason,
        note=note,
        via=via,
        at=at,
    )


def respond_to_referral(
    referral: Referral,
    *,
    by: Any,
    status: str,
    reason: str = "",
    note: str = "",
    via: str = "web",
    at: datetime.datetime | None = None,
) -> Referral:
    """The recipient's steps: received, accepted, rejected (declined), in-progress, on-hold,
    completed, failed. Recipient side only (referral.respond); declining and failing need a
    reason code. Moving a referral forward needs a consent that still allows sharing (else
    ConsentRequired); declining or failing it never does. The sender is notified."""
    status = check_choice(status, ReferralStatus.values, field="status")
    return _transition(
        referral,
        by=by,
        side=RECIPIENT,
        target=status,
        reason=reason,
        note=note,
        via=via,
        at=at,
        needs_consent=status not in (ReferralStatus.REJECTED, ReferralStatus.FAILED),
    )


_SIDE_ACTIONS = {SENDER: perm.REFERRAL_SEND, RECIPIENT: perm.REFERRAL_RESPOND}


def _require_side(referral: Referral, *, by: Any, side: str) -> None:
    """NotFound if the user does not see the referral at all, Forbidden if not from `side`."""
    seen_from = sides(referral, by=by)
    action = _SIDE_ACTIONS[side]
    if not seen_from:
        raise _not_found(by, action, referral.pk)
    organisation_id = referral.organisation_id if side == SENDER else referral.recipient_id
    if side not in seen_from or not access.can(by, action, organisation_id):
        raise Forbidden(
            denied={**access.denial(by, action, referral), "organisation_id": organisation_id}
        )


def require_sender(referral: Referral, *, by: Any) -> None:
    """NotFound unless the user sees the referral; Forbidden unless they may act as sender."""
    _require_side(referral, by=by, side=SENDER)


def require_recipient(referral: Referral, *, by: Any) -> None:
    """NotFound unless the user sees the referral; Forbidden unless they may answer it."""
    _require_side(referral, by=by, side=RECIPIENT)


def _transition(
    referral: Referral,
    *,
    by: Any,
    side: str,
    target: str,
    reason: str = "",
    note: str = "",
    via: str = "web",
    at: datetime.datetime | None = None,
    needs_consent: bool = False,
) -> Referral:
    _require_side(referral, by=by, side=side)
    at = at or timezone.now()
    reason = check_choice(reason, ["", *ReasonCode.values], field="reason") if reason else ""
    note = clean_text(note or "", field="note", max_bytes=NOTE_BYTES)
    via = check_choice(via, ReferralEvent.Via.values, field="via")
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        try:
            lifecycle.check_transition(locked.status, target, side, reason=reason)
        except lifecycle.TransitionNotAllowed as refused:
            if refused.why == "a reason is needed":
                raise ValidationFailed(
                    "reason: say why (choose a reason).", field="reason"
                ) from None
            raise TransitionNotAllowed(
                f"status: cannot go from {locked.status} to {target} ({refused.why}).",
                field="status",
            ) from None
        if needs_consent and locked.survivor.is_erased:
            raise RecordErased()
        if needs_consent and not consent_allows(locked, at):
            raise ConsentRequired(
                field="consent",
                denied={
                    **access.denial(by, f"referral.{target}", locked),
                    "organisation_id": locked.organisation_id
                    if side == SENDER
                    else locked.recipient_id,
                },
            )
        _apply_transition(
            locked, by=by, side=side, target=target, reason=reason, note=note, via=via, at=at
        )
    referral.refresh_from_db()
    return referral


def _apply_transition(
    locked: Referral,
    *,
    by: Any,
    side: str,
    target: str,
    reason: str,
    note: str,
    via: str,
    at: datetime.datetime,
) -> None:
    """Move a locked referral whose move was checked: status, event, audit, notification."""
    previous = locked.status
    locked.status = target
    locked.updated_at = at
    changed = ["status", "updated_at"]
    if target == ReferralStatus.REQUESTED:
        locked.sent_at = at
        changed.append("sent_at")
    if target in lifecycle.RESPONSES and locked.responded_at is None:
        locked.responded_at = at
        changed.append("responded_at")
    locked.save(update_fields=changed)
    organisation_id = locked.organisation_id if side == SENDER else locked.recipient_id
    ReferralEvent.objects.create(
        referral=locked,
        from_status=previous,
        to_status=target,
        at=at,
        by=by,
        by_organisation_id=organisation_id,
        reason=reason,
        reason_note=note,
        via=via,
    )
    audit.record(
        "referral.transition",
        actor=by,
        organisation_id=organisation_id,
        subject_id=locked.survivor_id,
        target=locked,
        context={"from": previous, "to": target, "reason": reason or None, "via": via},
    )
    # The recipient never saw a draft, so a withdrawn draft is nobody's news.
    if previous != ReferralStatus.DRAFT or target != ReferralStatus.CANCELLED:
        notifications.notify_other_side(locked, side=side, by=by, at=at)


def cancel_referrals_of_erased_survivor(
    survivor_id: Any, *, by: Any, at: datetime.datetime, **_signal: Any
) -> int:
    """Cancel every unfinished referral of a survivor being erased (reason consent_ended).

    Runs inside the erasure's transaction (the `survivor_erased` signal), so it needs no
    permission of its own: erasing is the decision. The partner is notified, and loses the
    packet at once. Returns how many were cancelled.
    """
    cancelled = 0
    for locked in Referral.objects.select_for_update().filter(survivor_id=survivor_id):
        try:
            lifecycle.check_transition(
                locked.status, ReferralStatus.CANCELLED, SENDER, reason=ReasonCode.CONSENT_ENDED
            )
        except lifecycle.TransitionNotAllowed:
            continue  # finished already
        _apply_transition(
            locked,
            by=by,
            side=SENDER,
            target=ReferralStatus.CANCELLED,
            reason=ReasonCode.CONSENT_ENDED,
            note="",
            via=ReferralEvent.Via.SYSTEM,
            at=at,
        )
        cancelled += 1
    return cancelled


# --- the share packet ---------------------------------------------------------------------


def read_packet(referral: Referral, *, by: Any, at: datetime.datetime | None = None) -> Packet:
    """Exactly what the referral shares, built now from the consented categories only.

    The sender side reads it as a preview (they see the record anyway). The recipient side
    reads it only while the referral is open and a valid consent covers the recipient, the
    categories and the purpose at this moment; otherwise ConsentRequired or PacketClosed (403),
    with nothing of the packet in the error. Every read is audited (ids and categories only);
    denials are audited by the edge.
    """
    at = at or timezone.now()
    seen_from = sides(referral, by=by)
    if not seen_from:
        raise _not_found(by, "referral.packet", referral.pk)
    side = SENDER if SENDER in seen_from else RECIPIENT
    if referral.survivor.is_erased:
        raise RecordErased()  # said first: erasure also closed the referral
    if side == RECIPIENT:
        denied = {
            **access.denial(by, "referral.packet", referral),
            "organisation_id": referral.recipient_id,
        }
        if referral.status not in lifecycle.OPEN:
            raise PacketClosed(denied=denied)
        if not consent_allows(referral, at):
            raise ConsentRequired(denied=denied)
    with transaction.atomic():
        packet = build_packet(referral.survivor, referral.categories)
        audit.record(
            "referral.packet.read" if side == RECIPIENT else "referral.packet.preview",
            actor=by,
            organisation_id=referral.recipient_id
            if side == RECIPIENT
            else referral.organisation_id,
            subject_id=referral.survivor_id,
            target=referral,
            fields=packet.field_names,
            context={"categories": packet.categories, "side": side},
        )
    return packet


def record_consent_for_referral(
    referral: Referral,
    *,
    by: Any,
    method: str,
    witness_name: str = "",
    expires_at: datetime.datetime | None = None,
) -> Any:
    """Record the survivor's consent to share exactly this referral's categories with its
    recipient for its purpose (survivors.record_consent: consent.record, audited there)."""
    _require_side(referral, by=by, side=SENDER)
    survivor = survivors.get_survivor(referral.survivor_id, by=by, purpose="consent")
    return survivors.record_consent(
        survivor,
        by=by,
        recipient=referral.recipient,
        purpose=referral.purpose,
        categories=referral.categories,
        method=method,
        witness_name=witness_name,
        expires_at=expires_at,
    )
