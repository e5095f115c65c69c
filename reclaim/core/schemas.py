"""API schemas for accounts, tokens and the audit trail, and the input types every app reuses.

Input rules mirror `core.validation` (the services check again): text is limited in bytes and
may not carry NUL bytes or control characters; datetimes need a time zone; dates of birth are
not in the future. A rejected value answers 422 with `{"detail": "<field>: <why>", "code"}`.
"""

from __future__ import annotations

import datetime
import unicodedata
import uuid
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from .models import Role, User
from .validation import MAX_TEXT_BYTES

_LINE_BREAKS = {"\n", "\r", "\t"}


def _text_checker(max_bytes: int, multiline: bool) -> Any:
    def check(value: str) -> str:
        if "\x00" in value:
            raise PydanticCustomError("text_nul", "contains a NUL byte.")
        allowed = _LINE_BREAKS if multiline else set()
        for char in value:
            # Cs: lone surrogates, which JSON can carry but no database can store.
            if char not in allowed and unicodedata.category(char) in {"Cc", "Cs"}:
                raise PydanticCustomError("text_control", "contains a control character.")
        if len(value.encode("utf-8", "surrogatepass")) > max_bytes:
            raise PydanticCustomError(
                "text_too_long", "is longer than {max_bytes} bytes.", {"max_bytes": max_bytes}
            )
        return value

    return check


def _text_limits(max_bytes: int, *, multiline: bool = False) -> tuple[Any, ...]:
    kind = "Text" if multiline else "One line of text"
    return (
        # A character limit first (cheap, and shown in OpenAPI); the byte limit is the rule.
        StringConstraints(max_length=max_bytes),
        AfterValidator(_text_checker(max_bytes, multiline)),
        Field(description=f"{kind}, at most {max_bytes} bytes of UTF-8."),
    )


def _not_in_future(value: datetime.date) -> datetime.date:
    if value > timezone.localdate():
        raise PydanticCustomError("date_future", "cannot be in the future.")
    return value


def _born_after_1900(value: datetime.date) -> datetime.date:
    if value.year < 1900:
        raise PydanticCustomError("date_too_early", "is before 1900.")
    return value


# The shared input types. Every text field of every input schema uses one of them.
# Strings limited in UTF-8 bytes, without NUL bytes or control characters; LongText also
# allows line breaks and tabs.
Line = Annotated[str, *_text_limits(MAX_TEXT_BYTES)]
LongText = Annotated[str, *_text_limits(MAX_TEXT_BYTES, multiline=True)]
ShortLine = Annotated[str, *_text_limits(100)]
PastDate = Annotated[datetime.date, AfterValidator(_not_in_future)]
BirthDate = Annotated[
    datetime.date,
    AfterValidator(_not_in_future),
    AfterValidator(_born_after_1900),
    Field(description="YYYY-MM-DD; not in the future."),
]
AwareDateTime = Annotated[
    AwareDatetime, Field(description="ISO 8601 with a time zone, e.g. 2026-01-31T09:00:00Z.")
]


class AuthedRequest(HttpRequest):
    """The request an endpoint sees: `auth` is the user of the token or the session."""

    auth: User


class InputSchema(Schema):
    """Base of every request body: unknown fields are refused, picklists become plain values."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class ErrorOut(Schema):
    detail: str
    code: str
    field: str | None = None


def error_responses(*statuses: int) -> dict[int, Any]:
    """The error answers an operation may give, for the OpenAPI document."""
    return dict.fromkeys(sorted({401, 422, *statuses}), ErrorOut)


# --- account ------------------------------------------------------------------------------


class MembershipOut(Schema):
    organisation_id: uuid.UUID
    organisation_name: str
    role: Role


class MeOut(Schema):
    id: uuid.UUID
    username: str
    memberships: list[MembershipOut]


class TokenIn(InputSchema):
    name: ShortLine
    can_write: bool = Field(False, strict=True)
    expires_at: AwareDateTime | None = Field(
        None, description="When the token stops working; default 90 days, at most a year."
    )


class TokenOut(Schema):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    can_write: bool
    created_at: datetime.datetime
    expires_at: datetime.datetime
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


class IssuedTokenOut(TokenOut):
    secret: str = Field(description="Shown once; only a digest is stored. Keep it safe.")


class DoneOut(Schema):
    ok: bool = True


# --- audit --------------------------------------------------------------------------------


class AuditEventOut(Schema):
    """One audit event: who did what to which record, and which fields; never the values."""

    seq: int
    at: datetime.datetime
    actor_id: uuid.UUID | None
    action: str
    target_type: str
    target_id: str
    fields: list[str]
