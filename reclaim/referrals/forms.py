"""Forms for the referral pages. Notes are short and read by both organisations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from reclaim.core.fields import DATA_CATEGORIES
from reclaim.core.forms import SafeTextForm, end_of_day
from reclaim.core.models import Organisation
from reclaim.survivors.picklists import DATA_CATEGORY_LABELS, ConsentMethod, ConsentPurpose

from .lifecycle import ReasonCode, ReferralStatus

NOTE_HELP = _("Optional. Both organisations read it: no names or personal details.")


def _category_choices() -> list[tuple[str, Any]]:
    return [(name, DATA_CATEGORY_LABELS[name]) for name in DATA_CATEGORIES]


class ReferralForm(SafeTextForm):
    """Who receives the referral and which kinds of information go with it."""

    recipient = forms.ModelChoiceField(
        label=_("Organisation that receives the referral"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Choose an organisation"),
    )
    service = forms.UUIDField(required=False, widget=forms.HiddenInput)
    categories = forms.MultipleChoiceField(
        label=_("What the survivor agrees to share"),
        choices=_category_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Share only what this service needs. You will see everything before sending."),
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=ConsentPurpose.choices, initial=ConsentPurpose.REFERRAL
    )

    def __init__(self, *args: Any, recipients: Iterable[Organisation] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["recipient"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Organisation.objects.filter(pk__in=[org.pk for org in recipients])


class CancelForm(SafeTextForm):
    reason = forms.ChoiceField(label=_("Why are you cancelling?"), choices=ReasonCode.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=500, help_text=NOTE_HELP)


class RespondForm(SafeTextForm):
    """The recipient's next step; only the steps the lifecycle allows now are offered."""

    status = forms.ChoiceField(label=_("Next step"))
    reason = forms.ChoiceField(
        label=_("Reason (needed to decline or when it could not be completed)"),
        choices=[("", _("No reason needed")), *ReasonCode.choices],
        required=False,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500, help_text=NOTE_HELP)

    def __init__(self, *args: Any, targets: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (value, label) for value, label in ReferralStatus.choices if value in set(targets)
        ]


class ReferralConsentForm(SafeTextForm):
    """The survivor's consent to exactly this referral (recipient, categories, purpose)."""

    method = forms.ChoiceField(
        label=_("How the survivor gave consent"), choices=ConsentMethod.choices
    )
    witness_name = forms.CharField(
        label=_("Witness (for verbal consent)"), required=False, max_length=120
    )
    expires_on = forms.DateField(
        label=_("Consent ends on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for the usual length."),
    )

    def expires_at(self) -> Any:
        day = self.cleaned_data.get("expires_on")
        return end_of_day(day) if day else None
