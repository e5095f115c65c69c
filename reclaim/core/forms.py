"""Forms for the core staff pages, and the text rules every staff form shares."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .errors import DomainError, ValidationFailed
from .validation import MAX_TEXT_BYTES, clean_text


class SafeTextForm(forms.Form):
    """Refuses NUL bytes, control characters and oversize text in every text field.

    Subclasses list multi-line fields in `multiline_fields`; the byte limit is the field's
    own `max_length` in bytes when set, else 10 kB.
    """

    multiline_fields: tuple[str, ...] = ()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, field in self.fields.items():
            value = cleaned.get(name)
            if not isinstance(field, forms.CharField) or not isinstance(value, str):
                continue
            try:
                cleaned[name] = clean_text(
                    value,
                    field=name,
                    max_bytes=MAX_TEXT_BYTES,
                    multiline=name in self.multiline_fields,
                )
            except ValidationFailed as exc:
                self.add_error(name, exc.detail)
        return cleaned

    def add_service_error(self, exc: DomainError) -> None:
        """Show a service's ValidationFailed next to the field it names (or on top)."""
        field = exc.field if exc.field in self.fields else None
        self.add_error(field, _plain_detail(exc))


def _plain_detail(exc: DomainError) -> str:
    # Service messages read "field: problem"; next to the field the prefix is noise.
    if exc.field and exc.detail.startswith(f"{exc.field}: "):
        return exc.detail[len(exc.field) + 2 :].capitalize()
    return exc.detail


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The last minute of a local calendar day, as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59)))


class AccessTokenForm(SafeTextForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Something you will recognise, like the name of the integration."),
    )
    can_write = forms.BooleanField(
        label=_("Allow changes (write access)"),
        required=False,
        help_text=_("Leave unticked for a read-only token."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].help_text = gettext(
            "Leave empty for 90 days. Tokens last at most %(days)s days."
        ) % {"days": settings.RECLAIM_TOKEN_MAX_DAYS}

    def expires_at(self) -> datetime.datetime | None:
        day = self.cleaned_data.get("expires_on")
        return end_of_day(day) if day else None
