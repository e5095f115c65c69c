"""The referral lifecycle as data: statuses, who may move a referral, and where to.

Statuses are the FHIR R4 Task status codes used by the Gravity Project SDOH referral pattern,
so an export and an imported partner update need no translation table. The transition table is
pure (no database): `allowed_targets` and `check_transition` are all the rules there are.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", _("Draft (not sent)")
    REQUESTED = "requested", _("Sent, waiting for an answer")
    RECEIVED = "received", _("Received")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Declined")
    IN_PROGRESS = "in-progress", _("In progress")
    ON_HOLD = "on-hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Could not be completed")


class ReasonCode(models.TextChoices):
    """Why a referral was declined, cancelled or failed. Codes, so no personal data is needed."""

    NO_CAPACITY = "no_capacity", _("No capacity right now")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible for this service")
    SERVICE_NOT_OFFERED = "service_not_offered", _("This service is not offered")
    UNABLE_TO_CONTACT = "unable_to_contact", _("Could not reach the person safely")
    SURVIVOR_WITHDREW = "survivor_withdrew", _("The survivor changed their mind")
    NEED_MET_ELSEWHERE = "need_met_elsewhere", _("The need was met elsewhere")
    SENT_IN_ERROR = "sent_in_error", _("Sent by mistake")
    CONSENT_ENDED = "consent_ended", _("The consent to share ended")
    OTHER = "other", _("Other")


SENDER = "sender"
RECIPIENT = "recipient"
SIDES = (SENDER, RECIPIENT)

S = ReferralStatus
# (from, to) -> the side that may make the move. Anything not listed is not allowed.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.REQUESTED): SENDER,
    (S.DRAFT, S.CANCELLED): SENDER,
    (S.REQUESTED, S.CANCELLED): SENDER,
    (S.RECEIVED, S.CANCELLED): SENDER,
    (S.ACCEPTED, S.CANCELLED): SENDER,
    (S.IN_PROGRESS, S.CANCELLED): SENDER,
    (S.ON_HOLD, S.CANCELLED): SENDER,
    (S.REQUESTED, S.RECEIVED): RECIPIENT,
    (S.REQUESTED, S.ACCEPTED): RECIPIENT,
    (S.REQUESTED, S.REJECTED): RECIPIENT,
    (S.RECEIVED, S.ACCEPTED): RECIPIENT,
    (S.RECEIVED, S.REJECTED): RECIPIENT,
    (S.ACCEPTED, S.IN_PROGRESS): RECIPIENT,
    (S.ACCEPTED, S.ON_HOLD): RECIPIENT,
    (S.ACCEPTED, S.COMPLETED): RECIPIENT,
    (S.ACCEPTED, S.FAILED): RECIPIENT,
    (S.IN_PROGRESS, S.ON_HOLD): RECIPIENT,
    (S.IN_PROGRESS, S.COMPLETED): RECIPIENT,
    (S.IN_PROGRESS, S.FAILED): RECIPIENT,
    (S.ON_HOLD, S.IN_PROGRESS): RECIPIENT,
    (S.ON_HOLD, S.FAILED): RECIPIENT,
}
TERMINAL = frozenset({S.REJECTED, S.COMPLETED, S.CANCELLED, S.FAILED})
# These end the referral early, so the other side is told why (a code, optionally a note).
NEEDS_REASON = frozenset({S.REJECTED, S.CANCELLED, S.FAILED})
# The recipient's first answer: after it, a referral is no longer waiting (nor overdue).
RESPONSES = frozenset({S.RECEIVED, S.ACCEPTED, S.REJECTED})
# While the recipient works on it the packet stays readable (consent permitting).
OPEN = frozenset(set(S) - TERMINAL - {S.DRAFT})


class TransitionNotAllowed(Exception):
    """Raised by `check_transition`; services turn it into the domain error of the same name."""

    def __init__(self, current: str, target: str, side: str, why: str) -> None:
        self.current = current
        self.target = target
        self.side = side
        self.why = why
        super().__init__(why)


def allowed_targets(current: str, side: str) -> frozenset[str]:
    """The statuses this side may move a referral to from `current`."""
    return frozenset(to for (frm, to), who in TRANSITIONS.items() if frm == current and who == side)


def side_for(current: str, target: str) -> str | None:
    """Which side owns the move, or None when nobody may make it."""
    return TRANSITIONS.get((current, target))


def check_transition(current: str, target: str, side: str, *, reason: str = "") -> None:
    """Refuse a move that is not in the table, made by the wrong side, or missing its reason."""
    if target not in S.values:
        raise TransitionNotAllowed(current, target, side, "unknown status")
    owner = side_for(current, target)
    if owner is None:
        raise TransitionNotAllowed(current, target, side, "not a next step from this status")
    if owner != side:
        raise TransitionNotAllowed(current, target, side, f"only the {owner} may do this")
    if target in NEEDS_REASON and reason not in ReasonCode.values:
        raise TransitionNotAllowed(current, target, side, "a reason is needed")


def is_overdue(
    status: str,
    sent_at: datetime.datetime | None,
    now: datetime.datetime,
    overdue_days: int,
) -> bool:
    """Sent and still waiting for the recipient's first answer after `overdue_days` days."""
    if status != S.REQUESTED or sent_at is None:
        return False
    return now - sent_at >= datetime.timedelta(days=overdue_days)
