"""Input rules shared by forms, API schemas and services, so each says the same thing."""

from __future__ import annotations

import datetime
import unicodedata

from django.utils import timezone

from .errors import ValidationFailed

MAX_TEXT_BYTES = 10_000
_ALLOWED_CONTROL = {"\n", "\r", "\t"}


def clean_text(
    value: object, *, field: str, max_bytes: int = MAX_TEXT_BYTES, multiline=False
) -> str:
    """Strip, and refuse NUL bytes, control characters and oversize text, naming the field."""
    if not isinstance(value, str):
        raise ValidationFailed(f"{field}: must be text.", field=field)
    if len(value.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ValidationFailed(f"{field}: is longer than {max_bytes} bytes.", field=field)
    if "\x00" in value:
        raise ValidationFailed(f"{field}: contains a NUL byte.", field=field)
    allowed = _ALLOWED_CONTROL if multiline else set()
    for char in value:
        if char not in allowed and unicodedata.category(char) in {"Cc", "Cs"}:
            raise ValidationFailed(f"{field}: contains a control character.", field=field)
    return value.strip()


def check_birth_date(value: datetime.date, *, field: str = "date_of_birth") -> datetime.date:
    today = timezone.localdate()
    if value > today:
        raise ValidationFailed(f"{field}: cannot be in the future.", field=field)
    if value.year < 1900:
        raise ValidationFailed(f"{field}: is before 1900.", field=field)
    return value


def check_aware(value: datetime.datetime, *, field: str) -> datetime.datetime:
    if timezone.is_naive(value):
        raise ValidationFailed(
            f"{field}: needs a time zone (for example 2026-01-31T09:00:00Z).", field=field
        )
    return value


def check_choice(value: object, choices: object, *, field: str) -> str:
    allowed = {str(choice) for choice in choices}  # type: ignore[attr-defined]
    if value not in allowed:
        raise ValidationFailed(f"{field}: {value!r} is not one of the allowed values.", field=field)
    return str(value)
