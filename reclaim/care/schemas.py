"""API input and output of the care app. Services check every rule again; these only shape."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from ninja import Schema
from pydantic import Field

from reclaim.core.schemas import AwareDateTime, InputSchema, Line, LongText, ShortLine

# --- domains ------------------------------------------------------------------------------


class DomainOut(Schema):
    id: uuid.UUID
    code: str
    label: str
    category: str
    retired: bool


class DomainIn(InputSchema):
    organisation_id: uuid.UUID | None = Field(
        None, description="Needed only if you administer more than one organisation."
    )
    code: ShortLine = Field(description="Lower-case letters, digits and _; stable forever.")
    label: ShortLine
    category: ShortLine = Field(description="The data category that decides sharing.")


class DomainPatchIn(InputSchema):
    label: ShortLine | None = None
    retired: bool | None = Field(None, strict=True, description="Retire or bring back.")


# --- assessments --------------------------------------------------------------------------


class NeedOut(Schema):
    code: str
    label: str
    score: int | None = Field(description="1 In crisis … 5 Empowered; null is N/A.")
    category: str


class AssessmentIn(InputSchema):
    scores: dict[str, int | None] = Field(
        description="Domain code → 1-5, or null for N/A. Leave out domains not discussed."
    )
    notes: dict[str, LongText] = Field(default_factory=dict, description="Domain code → note.")
    assessed_on: datetime.date | None = Field(None, description="Default: today.")
    interpreter_used: bool | None = Field(None, strict=True)
    interpreter_language: ShortLine = ""


class DomainScoreOut(Schema):
    code: str
    label: str
    category: str
    score: int | None
    note: str | None


class AssessmentOut(Schema):
    id: uuid.UUID
    assessed_on: datetime.date
    interpreter_used: bool | None
    interpreter_language: str
    scores: list[DomainScoreOut]


class ProgressOut(Schema):
    assessments: list[datetime.date]
    domains: list[dict[str, Any]]
    screenings: list[dict[str, Any]]


# --- screenings ---------------------------------------------------------------------------


class InstrumentOut(Schema):
    code: str
    name: str
    version: str
    stem: dict[str, str]
    options: dict[str, list[str]]
    items: dict[str, list[str]]
    attribution: str


class ScreeningIn(InputSchema):
    instrument: ShortLine = Field(description="phq9, gad7 or pcl5.")
    version: ShortLine = Field(description="The instrument version the answers are for.")
    language: ShortLine = Field(description="en or es: the language it was asked in.")
    answers: list[int | None] = Field(max_length=40, description="One number per item, in order.")
    administered_at: AwareDateTime | None = None
    interpreter_used: bool | None = Field(None, strict=True)
    interpreter_language: ShortLine = ""


class DeclineIn(InputSchema):
    instrument: ShortLine
    language: ShortLine = "en"
    reason: LongText | None = Field(None, description="Optional, in the survivor's words.")


class ScreeningOut(Schema):
    id: uuid.UUID
    instrument: str
    version: str
    language: str
    status: str
    total: int | None
    band: str
    details: dict[str, Any]
    safety_flag: bool
    administered_at: datetime.datetime


class ScreeningDetailOut(ScreeningOut):
    answers: list[int] | None
    decline_reason: str | None


# --- plan ---------------------------------------------------------------------------------


class StepIn(InputSchema):
    text: LongText
    owner: ShortLine = Field(description="survivor, case_manager or partner.")
    target_date: datetime.date | None = None
    status: ShortLine | None = Field(None, description="to_do, done or dropped.")


class StepPatchIn(InputSchema):
    text: LongText = Field(None)  # type: ignore[assignment]
    owner: ShortLine = Field(None)  # type: ignore[assignment]
    target_date: datetime.date | None = None
    status: ShortLine = Field(None)  # type: ignore[assignment]


class GoalIn(InputSchema):
    text: LongText = Field(description="In the survivor's own words.")
    domain_code: ShortLine | None = None
    target_date: datetime.date | None = None
    survivor_agreed: bool = Field(False, strict=True)
    steps: list[StepIn] = Field(default_factory=list, max_length=30)


class GoalPatchIn(InputSchema):
    text: LongText = Field(None)  # type: ignore[assignment]
    domain_code: ShortLine | None = None
    status: ShortLine = Field(None)  # type: ignore[assignment]
    target_date: datetime.date | None = None
    survivor_agreed: bool = Field(None, strict=True)  # type: ignore[assignment]


class StepOut(Schema):
    id: uuid.UUID
    text: str
    owner: str
    target_date: datetime.date | None
    status: str


class GoalOut(Schema):
    id: uuid.UUID
    text: str
    domain_code: str | None
    status: str
    target_date: datetime.date | None
    survivor_agreed_at: datetime.datetime | None
    version: int
    steps: list[StepOut]


class GoalVersionOut(Schema):
    version: int
    change: str
    changed_by_id: uuid.UUID | None
    created_at: datetime.datetime
    snapshot: dict[str, Any]


# --- notes --------------------------------------------------------------------------------


class NoteIn(InputSchema):
    body: LongText
    sensitivity: ShortLine = Field("standard", description="standard or restricted.")


class NoteOut(Schema):
    id: uuid.UUID
    author_id: uuid.UUID | None
    sensitivity: str
    body: str
    created_at: datetime.datetime


class NotesOut(Schema):
    notes: list[NoteOut]
    hidden_restricted: int = Field(description="Restricted notes you may not read.")


# --- appointments and tasks ---------------------------------------------------------------


class AppointmentIn(InputSchema):
    kind: ShortLine = Field(description="counseling, medical, housing, legal or other.")
    starts_at: AwareDateTime
    ends_at: AwareDateTime
    place: Line | None = None


class AppointmentPatchIn(InputSchema):
    kind: ShortLine = Field(None)  # type: ignore[assignment]
    starts_at: AwareDateTime = Field(None)  # type: ignore[assignment]
    ends_at: AwareDateTime = Field(None)  # type: ignore[assignment]
    place: Line | None = None
    status: ShortLine = Field(None)  # type: ignore[assignment]


class AppointmentOut(Schema):
    id: uuid.UUID
    kind: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str | None
    status: str


class FollowUpIn(InputSchema):
    due_at: AwareDateTime
    details: LongText | None = None
    urgent: bool = Field(False, strict=True)


class TaskOut(Schema):
    id: uuid.UUID
    survivor_id: uuid.UUID
    kind: str
    urgent: bool
    due_at: datetime.datetime
    appointment_id: uuid.UUID | None
    screening_id: uuid.UUID | None
    done_at: datetime.datetime | None


class MyTasksOut(Schema):
    overdue: list[TaskOut]
    today: list[TaskOut]
    upcoming: list[TaskOut]


class AlertsOut(Schema):
    safety_follow_ups: int = Field(description="Open safety follow-ups: act on them today.")


# --- intake -------------------------------------------------------------------------------


class IntakeStepIn(InputSchema):
    answers: dict[str, Line | None] = Field(
        default_factory=dict, description="Question code → choice code or own words; skip any."
    )
    interpreter_used: bool | None = Field(None, strict=True)
    interpreter_language: ShortLine = ""


class IntakeOut(Schema):
    id: uuid.UUID
    step: str
    answers: dict[str, dict[str, str]]
    interpreter_used: bool | None
    interpreter_language: str
    completed_at: datetime.datetime | None
    updated_at: datetime.datetime
