"""API schemas for survivor records, cases, contact preferences, consents and break-the-glass.

Input schemas refuse unknown fields; picklists are the TextChoices of `picklists.py`, so the
OpenAPI document lists their values. Every profile field may be null ("prefer not to say").
"""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, StringConstraints

from reclaim.core.schemas import (
    AwareDateTime,
    BirthDate,
    InputSchema,
    Line,
    LongText,
    PastDate,
    ShortLine,
)

from .picklists import (
    CaseStatus,
    ClosureReason,
    ConsentMethod,
    ConsentPurpose,
    ControlMethod,
    ExploitationType,
    Gender,
    TraffickingStatus,
)

CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2}$"),
    Field(description="ISO 3166-1 alpha-2 country code, e.g. MX."),
]
LanguageCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2,3}$"),
    Field(description="ISO 639-1, 639-2 or 639-3 language code, e.g. es."),
]
# The data categories of DESIGN invariant 5 (reclaim.core.fields.DATA_CATEGORIES).
DataCategory = Literal[
    "identity",
    "contact",
    "location",
    "health",
    "mental_health",
    "legal_immigration",
    "trafficking_history",
    "education",
    "employment",
    "financial",
]
Language = Literal["en", "es"]


# --- survivor profile ---------------------------------------------------------------------


class ProfileIn(InputSchema):
    """Profile fields. Leave a field out to keep it; send null to clear it."""

    alias: Line | None = Field(None, description="The name the survivor chose for the record.")
    legal_name: Line | None = None
    preferred_name: Line | None = None
    pronouns: Line | None = None
    date_of_birth: BirthDate | None = None
    gender: Gender | None = None
    languages: list[LanguageCode] | None = Field(None, max_length=20)
    citizenship: list[CountryCode] | None = Field(None, max_length=10)
    country_of_origin: CountryCode | None = None
    phone: Line | None = None
    email: Line | None = None
    address: Line | None = None
    code_word: Line | None = Field(
        None, description="A word the survivor uses to confirm it is them."
    )
    intake_date: PastDate | None = Field(None, description="Default: today.")


class SurvivorCreateIn(ProfileIn):
    organisation_id: uuid.UUID | None = Field(
        None, description="Needed only when you may open records in several organisations."
    )
    assign_to: uuid.UUID | None = Field(
        None,
        description="A case manager of the organisation (needs case.assign). Default: you, "
        "if you are a case manager.",
    )


class DuplicateCheckIn(InputSchema):
    legal_name: Line
    date_of_birth: BirthDate
    organisation_id: uuid.UUID | None = None


class DuplicatesOut(Schema):
    possible_duplicates: list[str] = Field(
        description="References of records with the same legal name and date of birth."
    )


class SurvivorOut(Schema):
    id: uuid.UUID
    reference: str
    organisation_id: uuid.UUID
    intake_date: datetime.date
    alias: str | None
    legal_name: str | None
    preferred_name: str | None
    pronouns: str | None
    date_of_birth: datetime.date | None
    gender: str | None
    languages: list[str] | None
    citizenship: list[str] | None
    country_of_origin: str | None
    phone: str | None
    email: str | None
    address: str | None
    code_word: str | None
    updated_at: datetime.datetime


class SurvivorSummaryOut(Schema):
    id: uuid.UUID
    reference: str
    alias: str = Field(description="The alias, preferred name or reference: what to show.")
    intake_date: datetime.date


class CaseloadOut(Schema):
    items: list[SurvivorSummaryOut]
    limit: int
    offset: int
    has_more: bool


class SearchIn(InputSchema):
    query: Line = Field(description="A reference, an alias, or a legal name (exact).")
    date_of_birth: BirthDate | None = Field(None, description="With a legal name.")


class SearchOut(Schema):
    results: list[SurvivorSummaryOut]
    outside_caseload: list[str] = Field(
        description="References of matches outside your caseload; open one with break-the-glass."
    )


class EraseIn(InputSchema):
    reason: Line = Field(description="Why, without personal details.")


class ErasedOut(Schema):
    id: uuid.UUID
    reference: str
    erased_at: datetime.datetime


# --- safe contact -------------------------------------------------------------------------


class ContactPreferenceIn(InputSchema):
    may_contact: bool = Field(strict=True)
    vague_only: bool = Field(
        True, strict=True, description="Messages must not name the organisation or the reason."
    )
    safe_times: Line | None = None


class ContactPreferenceOut(Schema):
    id: uuid.UUID
    channel: str
    may_contact: bool
    vague_only: bool
    safe_times: str | None
    updated_at: datetime.datetime


# --- cases --------------------------------------------------------------------------------


class CasePatchIn(InputSchema):
    """Leave a field out to keep it. Closing needs a closure reason."""

    # Not nullable: an explicit null is refused, a missing field is kept.
    status: CaseStatus = Field(None)  # type: ignore[assignment]
    closure_reason: ClosureReason | Literal[""] | None = None
    assigned_to: uuid.UUID | None = Field(None, description="A case manager; null unassigns.")
    trafficking_status: TraffickingStatus | None = Field(None, description="Never required.")
    exploitation_types: list[ExploitationType] | None = Field(None, max_length=20)
    control_methods: list[ControlMethod] | None = Field(None, max_length=20)


class CaseOut(Schema):
    id: uuid.UUID
    survivor_id: uuid.UUID
    organisation_id: uuid.UUID
    status: str
    opened_on: datetime.date
    closed_on: datetime.date | None
    closure_reason: str
    assigned_to_id: uuid.UUID | None
    trafficking_status: str | None
    exploitation_types: list[str] | None
    control_methods: list[str] | None
    updated_at: datetime.datetime


# --- consent ------------------------------------------------------------------------------


class ConsentIn(InputSchema):
    recipient_id: uuid.UUID = Field(description="The organisation that may receive the data.")
    purpose: ConsentPurpose
    categories: list[DataCategory] = Field(min_length=1, max_length=10)
    method: ConsentMethod
    given_at: AwareDateTime | None = Field(None, description="Default: now.")
    expires_at: AwareDateTime | None = Field(None, description="Default: the configured period.")
    witness_name: ShortLine = Field("", description="Needed for verbal consent.")


class ConsentOut(Schema):
    id: uuid.UUID
    survivor_id: uuid.UUID
    recipient_id: uuid.UUID
    recipient_name: str
    purpose: str
    categories: list[str]
    method: str
    witness_name: str
    given_at: datetime.datetime
    expires_at: datetime.datetime
    revoked_at: datetime.datetime | None
    state: Literal["active", "expired", "revoked"]
    summary: str = Field(description="The consent in plain words (language from `lang`).")


# --- break-the-glass ----------------------------------------------------------------------


class BreakGlassOpenIn(InputSchema):
    reference: ShortLine = Field(description="The record's reference, e.g. R-ABC2345.")
    reason: LongText = Field(description="Why you need this record now (at least 20 characters).")


class BreakGlassOpenedOut(Schema):
    survivor_id: uuid.UUID


class BreakGlassReviewIn(InputSchema):
    note: LongText = ""


class BreakGlassOut(Schema):
    id: uuid.UUID
    user_id: uuid.UUID
    organisation_id: uuid.UUID
    survivor_id: uuid.UUID
    reason: str
    granted_at: datetime.datetime
    expires_at: datetime.datetime
    reviewed_at: datetime.datetime | None
    reviewed_by_id: uuid.UUID | None
    review_note: str
