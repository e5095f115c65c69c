"""Forms for the staff pages of the survivor record. Every question may be left empty."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reclaim.core.fields import DATA_CATEGORIES
from reclaim.core.forms import SafeTextForm, end_of_day
from reclaim.core.models import Organisation

from .picklists import (
    DATA_CATEGORY_LABELS,
    CaseStatus,
    ClosureReason,
    ConsentMethod,
    ConsentPurpose,
    ContactChannel,
    ControlMethod,
    ExploitationType,
    Gender,
    TraffickingStatus,
    country_codes,
)

NOT_SAID = ("", _("Prefer not to say / not asked"))
WHY_IDENTITY = _(
    "Why we ask: to find the right record and avoid duplicates. Leave empty if the person "
    "prefers not to say."
)
SHARE_ONLY_IF_CHOSEN = _(
    "Only if the survivor chooses to share. Never needed to receive a service."
)


def _split_codes(value: str) -> list[str]:
    return [code.strip() for code in value.replace(";", ",").split(",") if code.strip()]


def _country_choices() -> list[tuple[str, Any]]:
    return [NOT_SAID, *sorted(country_codes().items(), key=lambda item: item[1])]


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProfileForm(SafeTextForm):
    """Every profile field of services.PROFILE_FIELDS; only the intake date is needed."""

    multiline_fields = ("address",)

    alias = forms.CharField(
        label=_("Alias"),
        required=False,
        max_length=200,
        help_text=_("The name used on screens. It can be a made-up name the survivor chooses."),
    )
    preferred_name = forms.CharField(label=_("Preferred name"), required=False, max_length=200)
    pronouns = forms.CharField(label=_("Pronouns"), required=False, max_length=100)
    legal_name = forms.CharField(
        label=_("Legal name"), required=False, max_length=300, help_text=WHY_IDENTITY
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=_date_widget(), help_text=WHY_IDENTITY
    )
    gender = forms.ChoiceField(
        label=_("Gender"), required=False, choices=[NOT_SAID, *Gender.choices]
    )
    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        max_length=200,
        help_text=_(
            "ISO language codes separated by commas, for example: es, en, tl. So we can offer "
            "an interpreter."
        ),
    )
    citizenship = forms.CharField(
        label=_("Citizenship"),
        required=False,
        max_length=200,
        help_text=_(
            "ISO country codes separated by commas, for example: MX, US. Why we ask: it can "
            "open legal help or benefits. Leave empty if the person prefers not to say."
        ),
    )
    country_of_origin = forms.ChoiceField(
        label=_("Country of origin"), required=False, choices=_country_choices
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "tel"}),
        help_text=_("Only a number that is safe to use. Set how to use it under safe contact."),
    )
    email = forms.CharField(
        label=_("Email"), required=False, max_length=300, widget=forms.EmailInput()
    )
    address = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why we ask: to send letters or visit, only if it is safe."),
    )
    code_word = forms.CharField(
        label=_("Code word"),
        required=False,
        max_length=200,
        help_text=_("A word the survivor says on the phone so we know it is really them."),
    )
    intake_date = forms.DateField(label=_("Intake date"), widget=_date_widget())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["intake_date"].initial = timezone.localdate()

    @staticmethod
    def initial_from(profile: dict[str, Any]) -> dict[str, Any]:
        initial = {name: value for name, value in profile.items() if value is not None}
        for name in ("languages", "citizenship"):
            if profile.get(name):
                initial[name] = ", ".join(profile[name])
        return initial

    def profile(self) -> dict[str, Any]:
        """The cleaned values as the service expects them (empty means "not said")."""
        data = self.cleaned_data
        profile: dict[str, Any] = {}
        for name in self.base_fields:
            if name in ("organisation", "create_anyway"):
                continue
            value = data.get(name)
            if name in ("languages", "citizenship"):
                value = _split_codes(value or "")
            profile[name] = value if value not in ("", []) else None
        return profile


class NewSurvivorForm(ProfileForm):
    organisation = forms.ChoiceField(label=_("Organisation"))
    create_anyway = forms.BooleanField(
        label=_("I checked these records; this is a different person. Create anyway."),
        required=False,
    )

    field_order = ["organisation"]

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = {str(org.pk): org for org in organisations}
        cast(forms.ChoiceField, self.fields["organisation"]).choices = [
            (pk, org.name) for pk, org in self.organisations.items()
        ]
        if len(organisations) == 1:
            self.fields["organisation"].initial = str(organisations[0].pk)
            self.fields["organisation"].widget = forms.HiddenInput()

    def offer_create_anyway(self, offer: bool) -> None:
        """The "create anyway" box is shown only next to a duplicate warning."""
        if not offer:
            self.fields["create_anyway"].widget = forms.HiddenInput()

    def chosen_organisation(self) -> Organisation:
        return self.organisations[self.cleaned_data["organisation"]]


class ContactPreferenceForm(SafeTextForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices)
    may_contact = forms.BooleanField(
        label=_("We may contact the survivor this way"), required=False
    )
    vague_only = forms.BooleanField(
        label=_("Keep messages vague (do not name us or the reason)"), required=False, initial=True
    )
    safe_times = forms.CharField(
        label=_("Safe times"),
        required=False,
        max_length=500,
        help_text=_("For example: weekdays after 6 pm. Leave empty if not known."),
    )


class CaseForm(SafeTextForm):
    status = forms.ChoiceField(label=_("Case status"), choices=CaseStatus.choices)
    closure_reason = forms.ChoiceField(
        label=_("Why the case is closing"),
        required=False,
        choices=[("", _("Not closing")), *ClosureReason.choices],
        help_text=_("Needed only when the status is closed."),
    )
    trafficking_status = forms.ChoiceField(
        label=_("Trafficking status"),
        required=False,
        choices=[NOT_SAID, *TraffickingStatus.choices],
        help_text=SHARE_ONLY_IF_CHOSEN,
    )
    exploitation_types = forms.MultipleChoiceField(
        label=_("Types of exploitation"),
        required=False,
        choices=ExploitationType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=SHARE_ONLY_IF_CHOSEN,
    )
    control_methods = forms.MultipleChoiceField(
        label=_("Methods of control"),
        required=False,
        choices=ControlMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=SHARE_ONLY_IF_CHOSEN,
    )

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "status": data["status"],
            "closure_reason": data["closure_reason"],
            "trafficking_status": data["trafficking_status"] or None,
            "exploitation_types": list(data["exploitation_types"]),
            "control_methods": list(data["control_methods"]),
        }


def default_consent_expiry() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=365)


class ConsentForm(SafeTextForm):
    recipient = forms.ModelChoiceField(
        label=_("Who may see the information"), queryset=Organisation.objects.none()
    )
    purpose = forms.ChoiceField(label=_("What for"), choices=ConsentPurpose.choices)
    categories = forms.MultipleChoiceField(
        label=_("Which information"),
        choices=[(name, DATA_CATEGORY_LABELS[name]) for name in DATA_CATEGORIES],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only what the survivor agreed to share."),
    )
    method = forms.ChoiceField(label=_("How the survivor agreed"), choices=ConsentMethod.choices)
    witness_name = forms.CharField(
        label=_("Witness name"),
        required=False,
        max_length=120,
        help_text=_("Needed for verbal consent: the staff member who heard it."),
    )
    expires_on = forms.DateField(
        label=_("Consent ends on"),
        widget=_date_widget(),
        help_text=_("Every consent ends. Twelve months unless the survivor wants less."),
    )

    def __init__(self, *args: Any, home_organisation_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Organisations are the network directory, not survivor data.
        recipient = self.fields["recipient"]
        recipient.queryset = Organisation.objects.exclude(pk=home_organisation_id).order_by("name")  # type: ignore[attr-defined]
        self.fields["expires_on"].initial = default_consent_expiry()

    def expires_at(self) -> datetime.datetime:
        return end_of_day(self.cleaned_data["expires_on"])


class BreakGlassForm(SafeTextForm):
    multiline_fields = ("reason",)

    reference = forms.CharField(label=_("Reference"), max_length=12, widget=forms.HiddenInput())
    reason = forms.CharField(
        label=_("Why you need this record now"),
        min_length=20,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "At least 20 characters. Your supervisor reviews every emergency access. You get "
            "one hour."
        ),
    )


class SearchForm(SafeTextForm):
    query = forms.CharField(
        label=_("Reference, alias or legal name"),
        max_length=500,
        help_text=_("Exact match only. For a legal name, add the date of birth."),
    )
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=_date_widget())


class EraseForm(SafeTextForm):
    reason = forms.CharField(
        label=_("Reason for erasure"),
        min_length=5,
        max_length=500,
        help_text=_("For example: survivor's request. Do not write personal details here."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that erasure deletes this record's data for ever."),
    )


class ReviewForm(SafeTextForm):
    multiline_fields = ("note",)

    note = forms.CharField(
        label=_("Review note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
