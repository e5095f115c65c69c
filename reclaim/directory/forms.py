"""Forms of the directory pages. Every preference in "Find services" may be left unsaid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reclaim.care.domains import STANDARD_DOMAINS
from reclaim.core.forms import SafeTextForm
from reclaim.core.models import Organisation

from .matching import Preferences
from .models import CapacityUnit, GenderEligibility, ServiceStatus
from .taxonomy import SERVICE_TYPES

NOT_SAID = ("", _("Prefer not to say / not asked"))


def _type_choices() -> list[tuple[str, Any]]:
    return [(term.code, term.label) for term in SERVICE_TYPES]


def _split_codes(value: str) -> list[str]:
    return [code.strip().lower() for code in value.replace(";", ",").split(",") if code.strip()]


class _PointFields(SafeTextForm):
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180
    )
    max_distance_km = forms.FloatField(
        label=_("Within (km)"), required=False, min_value=0.1, max_value=20_000
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        has_lat = cleaned.get("latitude") is not None
        has_lon = cleaned.get("longitude") is not None
        if has_lat != has_lon:
            self.add_error(
                "longitude" if has_lat else "latitude",
                _("Give both latitude and longitude, or neither."),
            )
        if cleaned.get("max_distance_km") is not None and not (has_lat and has_lon):
            self.add_error("max_distance_km", _("Give a starting point to limit the distance."))
        return cleaned


class DirectorySearchForm(_PointFields):
    field_order = ("q", "service_type", "language", "open_capacity")
    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    service_type = forms.ChoiceField(
        label=_("Type of service"),
        required=False,
        choices=[("", _("Any type"))],
    )
    language = forms.CharField(
        label=_("Language code"),
        required=False,
        max_length=16,
        help_text=_("For example es for Spanish."),
    )
    open_capacity = forms.BooleanField(label=_("Only with open places"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_type"].choices = [("", _("Any type")), *_type_choices()]  # type: ignore[attr-defined]

    def clean_language(self) -> str:
        value: str = self.cleaned_data.get("language", "").strip().lower()
        if value and not value.replace("-", "").isalpha():
            raise forms.ValidationError(_("Use a language code such as es or en."))
        return value


class FindServicesForm(_PointFields):
    """Needs (pre-filled from the latest assessment) and preferences, all optional."""

    field_order = (
        "needs",
        "languages",
        "gender",
        "age",
        "women_only",
        "female_staff",
        "survivor_led",
        "lgbtq_affirming",
        "needs_open_capacity",
        "free_only",
        "has_immigration_status",
    )

    needs = forms.MultipleChoiceField(
        label=_("Needs"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[],
    )
    languages = forms.CharField(
        label=_("Languages the survivor speaks"),
        required=False,
        max_length=100,
        help_text=_("Language codes, most preferred first, separated by commas (es, en)."),
    )
    gender = forms.ChoiceField(
        label=_("Gender, for services open to one gender"),
        required=False,
        choices=[NOT_SAID, ("woman", _("Woman")), ("man", _("Man"))],
    )
    age = forms.IntegerField(label=_("Age"), required=False, min_value=0, max_value=120)
    women_only = forms.BooleanField(label=_("Prefers a women-only service"), required=False)
    female_staff = forms.BooleanField(label=_("Prefers women staff"), required=False)
    survivor_led = forms.BooleanField(label=_("Prefers a survivor-led service"), required=False)
    lgbtq_affirming = forms.BooleanField(
        label=_("Prefers an LGBTQ+ affirming service"), required=False
    )
    needs_open_capacity = forms.BooleanField(
        label=_("Leave out services that report no open places"), required=False
    )
    free_only = forms.BooleanField(label=_("Only free services"), required=False)
    has_immigration_status = forms.ChoiceField(
        label=_("Has an immigration status"),
        required=False,
        choices=[NOT_SAID, ("yes", _("Yes")), ("no", _("No"))],
        help_text=_("Only used to leave out services that require one."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["needs"].choices = [  # type: ignore[attr-defined]
            (domain.code, domain.label) for domain in STANDARD_DOMAINS
        ]

    def clean_languages(self) -> list[str]:
        codes = _split_codes(self.cleaned_data.get("languages", ""))
        if len(codes) > 5:
            raise forms.ValidationError(_("Give at most five languages."))
        if any(not code.replace("-", "").isalpha() or len(code) > 16 for code in codes):
            raise forms.ValidationError(_("Use language codes such as es or en."))
        return codes

    @staticmethod
    def initial_from(preferences: Preferences, needs: list[str]) -> dict[str, Any]:
        return {
            "needs": needs,
            "languages": ", ".join(preferences.languages),
            "gender": preferences.gender or "",
            "age": preferences.age,
        }

    def preferences(self) -> Preferences:
        data = self.cleaned_data
        status = data.get("has_immigration_status")
        return Preferences(
            languages=tuple(data.get("languages") or ()),
            gender=data.get("gender") or None,
            age=data.get("age"),
            women_only=bool(data.get("women_only")),
            female_staff=bool(data.get("female_staff")),
            survivor_led=bool(data.get("survivor_led")),
            lgbtq_affirming=bool(data.get("lgbtq_affirming")),
            max_distance_km=data.get("max_distance_km"),
            needs_open_capacity=bool(data.get("needs_open_capacity")),
            free_only=bool(data.get("free_only")),
            has_immigration_status=None if not status else status == "yes",
        )


class ServiceForm(SafeTextForm):
    """A directory editor's form for one service."""

    multiline_fields = ("description", "eligibility_description", "application_process")

    name = forms.CharField(label=_("Name"), max_length=255)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)
    status = forms.ChoiceField(label=_("Status"), choices=ServiceStatus.choices)
    service_types = forms.MultipleChoiceField(
        label=_("Types of service"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[],
    )
    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        max_length=200,
        help_text=_("Language codes separated by commas (es, en, uk)."),
    )
    url = forms.CharField(label=_("Website"), required=False, max_length=500)
    email = forms.CharField(label=_("Email"), required=False, max_length=254)
    eligibility_description = forms.CharField(
        label=_("Who can use it"), required=False, widget=forms.Textarea
    )
    application_process = forms.CharField(
        label=_("How to apply"), required=False, widget=forms.Textarea
    )
    gender_eligibility = forms.ChoiceField(label=_("Open to"), choices=GenderEligibility.choices)
    minimum_age = forms.IntegerField(
        label=_("Minimum age"), required=False, min_value=0, max_value=150
    )
    maximum_age = forms.IntegerField(
        label=_("Maximum age"), required=False, min_value=0, max_value=150
    )
    wait_time_days = forms.IntegerField(
        label=_("Usual wait (days)"), required=False, min_value=0, max_value=3650
    )
    capacity_unit = forms.ChoiceField(label=_("Capacity counted in"), choices=CapacityUnit.choices)
    free_of_charge = forms.NullBooleanField(
        label=_("Free of charge"),
        required=False,
        widget=forms.NullBooleanSelect,
    )
    trauma_informed = forms.BooleanField(label=_("Trauma-informed certified"), required=False)
    survivor_led = forms.BooleanField(label=_("Survivor-led"), required=False)
    serves_trafficking_survivors = forms.BooleanField(
        label=_("Serves trafficking survivors"), required=False
    )
    lgbtq_affirming = forms.BooleanField(label=_("LGBTQ+ affirming"), required=False)
    interpretation_available = forms.BooleanField(
        label=_("Interpretation available"), required=False
    )
    female_staff_available = forms.BooleanField(label=_("Women staff available"), required=False)
    immigration_status_required = forms.BooleanField(
        label=_("Requires an immigration status"), required=False
    )
    platform_organisation = forms.ModelChoiceField(
        label=_("Receives referrals in Reclaim as"),
        required=False,
        queryset=Organisation.objects.none(),
        help_text=_("The Reclaim organisation that receives referrals for this provider."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_types"].choices = _type_choices()  # type: ignore[attr-defined]
        self.fields["platform_organisation"].queryset = Organisation.objects.order_by("name")  # type: ignore[attr-defined]

    def clean_languages(self) -> list[str]:
        codes = _split_codes(self.cleaned_data.get("languages", ""))
        if any(not code.replace("-", "").isalpha() or len(code) > 16 for code in codes):
            raise forms.ValidationError(_("Use language codes such as es or en."))
        return codes

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("platform_organisation", None)
        return data

    @staticmethod
    def initial_from(view: dict[str, Any], service: Any) -> dict[str, Any]:
        organization = service.organization
        return {
            **{key: value for key, value in view.items() if key != "languages"},
            "name": service.name,
            "description": service.description,
            "application_process": service.application_process,
            "service_types": view["service_types"],
            "languages": ", ".join(view["languages"]),
            "platform_organisation": organization.platform_organisation_id
            if organization
            else None,
        }


class CapacityForm(forms.Form):
    available = forms.IntegerField(
        label=_("Open beds or places now"),
        required=False,
        min_value=0,
        max_value=100_000,
        help_text=_("Leave empty if you do not know."),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("HSDS file"),
        help_text=_("An HSDS 3.0 JSON file, or a .zip of an HSDS CSV datapackage."),
    )
