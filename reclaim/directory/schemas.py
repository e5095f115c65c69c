"""API input and output of the directory (/api/v1/directory)."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, StringConstraints

from reclaim.core.schemas import InputSchema, Line, LongText

ServiceTypeCode = Annotated[str, StringConstraints(max_length=40, pattern=r"^[a-z_]+$")]
LanguageCode = Annotated[str, StringConstraints(max_length=16, pattern=r"^[A-Za-z-]+$")]
NeedCode = Annotated[str, StringConstraints(max_length=40, pattern=r"^[a-z_]+$")]
Status = Literal["active", "inactive", "defunct", "temporarily closed"]
GenderEligibility = Literal["all", "women", "men"]
CapacityUnit = Literal["beds", "slots"]


class ServiceOut(Schema):
    id: uuid.UUID
    name: str
    description: str
    status: str
    organization_id: uuid.UUID | None
    organization_name: str
    platform_organisation_id: uuid.UUID | None = Field(
        description="The Reclaim organisation that receives referrals for it, if any."
    )
    service_types: list[str]
    languages: list[str]
    url: str
    email: str
    eligibility_description: str
    gender_eligibility: str
    minimum_age: int | None
    maximum_age: int | None
    capacity_available: int | None
    capacity_unit: str
    capacity_updated_at: datetime.datetime | None
    capacity_fresh: bool = Field(description="Reported in the last 7 days.")
    wait_time_days: int | None
    trauma_informed: bool
    survivor_led: bool
    serves_trafficking_survivors: bool
    lgbtq_affirming: bool
    interpretation_available: bool
    female_staff_available: bool
    immigration_status_required: bool
    free_of_charge: bool | None
    distance_km: float | None = Field(None, description="From the point searched from.")


class ServicePageOut(Schema):
    items: list[ServiceOut]
    total: int = Field(
        description="How many services match; a word search counts up to 1,000 (see `more`)."
    )
    more: bool = Field(
        False, description="True when more than `total` services match (word searches only)."
    )
    limit: int
    offset: int


class ServiceIn(InputSchema):
    """A service's fields; on PATCH leave a field out to keep it."""

    name: Annotated[str, StringConstraints(max_length=255)] | None = None
    alternate_name: Annotated[str, StringConstraints(max_length=255)] | None = None
    description: LongText | None = None
    url: Line | None = None
    email: Line | None = None
    status: Status | None = None
    eligibility_description: LongText | None = None
    application_process: LongText | None = None
    fees_description: LongText | None = None
    interpretation_services: LongText | None = None
    wait_time: Line | None = None
    organization_id: uuid.UUID | None = None
    service_types: list[ServiceTypeCode] | None = Field(None, max_length=20)
    languages: list[LanguageCode] | None = Field(None, max_length=30)
    gender_eligibility: GenderEligibility | None = None
    minimum_age: int | None = Field(None, ge=0, le=150)
    maximum_age: int | None = Field(None, ge=0, le=150)
    wait_time_days: int | None = Field(None, ge=0, le=3650)
    capacity_unit: CapacityUnit | None = None
    trauma_informed: bool | None = None
    survivor_led: bool | None = None
    serves_trafficking_survivors: bool | None = None
    lgbtq_affirming: bool | None = None
    interpretation_available: bool | None = None
    female_staff_available: bool | None = None
    immigration_status_required: bool | None = None
    free_of_charge: bool | None = None


class CapacityIn(InputSchema):
    available: int | None = Field(
        description="Open beds or places now; null when not known.", ge=0, le=100_000
    )
    unit: CapacityUnit | None = None


class OrganizationLinkIn(InputSchema):
    platform_organisation_id: uuid.UUID | None = Field(
        description="The Reclaim organisation that receives referrals; null to unlink."
    )


class OrganizationOut(Schema):
    id: uuid.UUID
    name: str
    platform_organisation_id: uuid.UUID | None


class ServiceTypeOut(Schema):
    code: str
    label: str
    needs: list[str] = Field(description="Needs-domain codes this type of service meets.")


class MatchIn(InputSchema):
    """Needs and preferences. Every preference may be left out ("prefer not to say")."""

    survivor_id: uuid.UUID | None = Field(
        None,
        description="Audit the match on this record; without needs, use its latest "
        "needs assessment (scores 1-2).",
    )
    needs: list[NeedCode] | None = Field(None, max_length=20)
    languages: list[LanguageCode] = Field(default_factory=list, max_length=5)
    gender: Literal["woman", "man"] | None = None
    age: int | None = Field(None, ge=0, le=120)
    women_only: bool = False
    female_staff: bool = False
    survivor_led: bool = False
    lgbtq_affirming: bool = False
    needs_open_capacity: bool = False
    free_only: bool = False
    has_immigration_status: bool | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    max_distance_km: float | None = Field(None, gt=0, le=20_000)


class ReasonOut(Schema):
    code: str
    text: str


class RankedOut(Schema):
    service: ServiceOut
    score: int
    needs_met: list[str]
    reasons: list[ReasonOut]


class ExcludedOut(Schema):
    service: ServiceOut
    reasons: list[ReasonOut]


class MatchOut(Schema):
    needs: list[str]
    ranked: list[RankedOut]
    excluded: list[ExcludedOut]
    ranked_total: int = Field(description="How many services fit; `ranked` holds the best.")
    excluded_total: int = Field(
        description="How many were left out; `excluded` holds the first by name."
    )


class RejectionOut(Schema):
    where: str
    reason: str


class ImportSummaryOut(Schema):
    created: dict[str, int]
    updated: dict[str, int]
    rejected: list[RejectionOut]
    warnings: list[str]
