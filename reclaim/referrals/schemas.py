"""API schemas for referrals, their history, share packets and notifications.

Input schemas refuse unknown fields; statuses are the FHIR Task status codes and reasons are
codes (no personal data needed). Notes are one short line that both organisations read: staff
are asked not to put personal details in them.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, StringConstraints

from reclaim.core.schemas import InputSchema
from reclaim.survivors.picklists import ConsentPurpose
from reclaim.survivors.schemas import DataCategory

from .lifecycle import ReasonCode, ReferralStatus

Note = Annotated[
    str,
    StringConstraints(max_length=500),
    Field(description="Optional short note for the other organisation; no personal details."),
]


class ReferralIn(InputSchema):
    survivor_id: uuid.UUID
    recipient_id: uuid.UUID | None = Field(
        None, description="The receiving organisation; optional when `service_id` names it."
    )
    service_id: uuid.UUID | None = Field(
        None, description="A directory service; its organisation receives the referral."
    )
    categories: list[DataCategory] = Field(min_length=1, max_length=10)
    purpose: ConsentPurpose = ConsentPurpose.REFERRAL
    send: bool = Field(
        False, strict=True, description="Send at once (needs a consent that covers it)."
    )


class CancelIn(InputSchema):
    reason: ReasonCode
    note: Note = ""


class RespondIn(InputSchema):
    status: Literal[
        "received", "accepted", "rejected", "in-progress", "on-hold", "completed", "failed"
    ]
    reason: ReasonCode | None = Field(None, description="Needed to decline or fail.")
    note: Note = ""


class ReferralEventOut(Schema):
    from_status: str
    to_status: ReferralStatus
    at: datetime.datetime
    by_id: uuid.UUID | None
    by_organisation_id: uuid.UUID | None
    reason: str
    reason_note: str
    via: str


class ReferralOut(Schema):
    """A referral without any survivor data (that is in the packet)."""

    id: uuid.UUID
    survivor_id: uuid.UUID | None = Field(
        description="Only for the sending organisation; null for the recipient."
    )
    organisation_id: uuid.UUID
    organisation_name: str
    recipient_id: uuid.UUID
    recipient_name: str
    service_id: uuid.UUID | None
    service_name: str
    purpose: str
    categories: list[str]
    status: ReferralStatus
    created_at: datetime.datetime
    sent_at: datetime.datetime | None
    responded_at: datetime.datetime | None
    updated_at: datetime.datetime
    overdue: bool = Field(description="Sent and not answered within the configured days.")
    consent_allows: bool = Field(description="Whether a valid consent covers sharing now.")
    sides: list[str] = Field(description="How you see it: sender, recipient or both.")


class ReferralDetailOut(ReferralOut):
    history: list[ReferralEventOut]


class ReferralListOut(Schema):
    items: list[ReferralOut]
    limit: int
    offset: int
    has_more: bool


class SharedFieldOut(Schema):
    name: str
    category: str
    value: Any


class PacketOut(Schema):
    referral_id: uuid.UUID
    categories: list[str]
    profile: list[SharedFieldOut]
    case: list[SharedFieldOut]
    contact_preferences: list[dict[str, Any]]
    needs: list[Any]
    goals: list[Any]
    screenings: list[Any]


class NotificationOut(Schema):
    id: uuid.UUID
    kind: str
    text: str
    referral_id: uuid.UUID | None
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class NotificationListOut(Schema):
    unread: int
    items: list[NotificationOut]


class MarkedReadOut(Schema):
    marked: int
