"""Forms for the care pages. Every intake question may be skipped; screenings may be declined."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reclaim.core.fields import DATA_CATEGORIES
from reclaim.core.forms import SafeTextForm

from .instruments import Instrument
from .intake import Step
from .models import (
    AppointmentKind,
    AppointmentStatus,
    Domain,
    GoalStatus,
    Score,
    Sensitivity,
    StepOwner,
    StepStatus,
)

NOT_DISCUSSED = "skip"
NOT_APPLICABLE = "na"
INTERPRETER_CHOICES = (("", _("Not recorded")), ("yes", _("Yes")), ("no", _("No")))


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class InterpreterFields(SafeTextForm):
    """Whether an interpreter was used and in which language (for joint conversations)."""

    interpreter_used = forms.ChoiceField(
        label=_("Was an interpreter used?"), choices=INTERPRETER_CHOICES, required=False
    )
    interpreter_language = forms.CharField(
        label=_("Interpreter's language"),
        required=False,
        max_length=12,
        help_text=_("A language code, for example es, pt or tl."),
    )

    def interpreter(self) -> tuple[bool | None, str]:
        used = self.cleaned_data.get("interpreter_used") or ""
        return (
            {"yes": True, "no": False}.get(used),
            self.cleaned_data.get("interpreter_language") or "",
        )


class AssessmentForm(InterpreterFields):
    """One radio group per active domain: 1-5, N/A, or not discussed; an optional note."""

    multiline_fields: tuple[str, ...] = ()
    assessed_on = forms.DateField(label=_("Date of the conversation"), widget=_date_widget())

    def __init__(self, *args: Any, domains: list[Domain], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.domains = domains
        self.fields["assessed_on"].initial = timezone.localdate()
        choices = [
            (NOT_DISCUSSED, _("Not discussed")),
            *[(str(value), f"{value} · {label}") for value, label in Score.choices],
            (NOT_APPLICABLE, _("Does not apply (N/A)")),
        ]
        notes = []
        for domain in domains:
            self.fields[f"score_{domain.code}"] = forms.ChoiceField(
                label=domain.label,
                choices=choices,
                initial=NOT_DISCUSSED,
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"note_{domain.code}"] = forms.CharField(
                label=_("Note (optional)"),
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            notes.append(f"note_{domain.code}")
        self.multiline_fields = tuple(notes)

    def domain_rows(self) -> list[tuple[Domain, Any, Any]]:
        return [(d, self[f"score_{d.code}"], self[f"note_{d.code}"]) for d in self.domains]

    def scores_and_notes(self) -> tuple[dict[str, int | None], dict[str, str]]:
        scores: dict[str, int | None] = {}
        notes: dict[str, str] = {}
        for domain in self.domains:
            value = self.cleaned_data.get(f"score_{domain.code}") or NOT_DISCUSSED
            note = self.cleaned_data.get(f"note_{domain.code}") or ""
            if value == NOT_DISCUSSED:
                if note:
                    self.add_error(f"note_{domain.code}", _("Score the domain (or N/A) first."))
                continue
            scores[domain.code] = None if value == NOT_APPLICABLE else int(value)
            if note:
                notes[domain.code] = note
        return scores, notes


class ScreeningForm(InterpreterFields):
    """The instrument's items, in the chosen language, exactly as published."""

    def __init__(self, *args: Any, instrument: Instrument, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        options = instrument.options[language]
        choices = [(str(value), f"{value} · {label}") for value, label in enumerate(options)]
        for number, text in enumerate(instrument.items[language], start=1):
            self.fields[f"item_{number}"] = forms.ChoiceField(
                label=f"{number}. {text}",
                choices=choices,
                widget=forms.RadioSelect,
                required=True,
                error_messages={
                    "required": _(
                        "Answer this item, or record below that the survivor prefers not to "
                        "take this screening."
                    )
                },
            )
        # The interpreter questions come after the items.
        for name in ("interpreter_used", "interpreter_language"):
            self.fields[name] = self.fields.pop(name)

    def answers(self) -> list[int]:
        return [
            int(self.cleaned_data[f"item_{n}"]) for n in range(1, self.instrument.item_count + 1)
        ]


class DeclineForm(SafeTextForm):
    multiline_fields = ("reason",)
    reason = forms.CharField(
        label=_("Reason (optional, in the survivor's words)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class GoalForm(SafeTextForm):
    multiline_fields = ("text", "first_step")
    text = forms.CharField(
        label=_("The goal, in the survivor's own words"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    domain_code = forms.ChoiceField(label=_("Domain"), required=False)
    target_date = forms.DateField(label=_("Target date"), required=False, widget=_date_widget())
    survivor_agreed = forms.BooleanField(
        label=_("The survivor agrees with this goal"), required=False
    )
    first_step = forms.CharField(
        label=_("First step (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    first_step_owner = forms.ChoiceField(
        label=_("Who does the first step"), choices=StepOwner.choices, required=False
    )

    def __init__(self, *args: Any, domains: list[Domain], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["domain_code"].choices = [  # type: ignore[attr-defined]
            ("", _("No domain")),
            *[(d.code, d.label) for d in domains],
        ]


class GoalUpdateForm(SafeTextForm):
    multiline_fields = ("text",)
    text = forms.CharField(
        label=_("The goal, in the survivor's own words"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    status = forms.ChoiceField(label=_("Status"), choices=GoalStatus.choices)
    survivor_agreed = forms.BooleanField(label=_("The survivor agrees"), required=False)


class StepForm(SafeTextForm):
    multiline_fields = ("text",)
    text = forms.CharField(
        label=_("Step"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner = forms.ChoiceField(label=_("Who does it"), choices=StepOwner.choices)
    target_date = forms.DateField(label=_("Target date"), required=False, widget=_date_widget())


class StepStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=StepStatus.choices)


class NoteForm(SafeTextForm):
    multiline_fields = ("body",)
    body = forms.CharField(
        label=_("Note"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )
    sensitivity = forms.ChoiceField(
        label=_("Who may read it"),
        choices=[
            (Sensitivity.STANDARD, _("Standard: the care team")),
            (Sensitivity.RESTRICTED, _("Restricted: me, supervisors and admins only")),
        ],
        initial=Sensitivity.STANDARD,
        help_text=_("Restricted notes are left out of exports and of the survivor's own export."),
    )


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


class AppointmentForm(SafeTextForm):
    multiline_fields = ("place",)
    kind = forms.ChoiceField(label=_("Type"), choices=AppointmentKind.choices)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=_datetime_widget())
    ends_at = forms.DateTimeField(label=_("Ends"), widget=_datetime_widget())
    place = forms.CharField(
        label=_("Place"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only what is safe to write down."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in ("starts_at", "ends_at"):
            cleaned[name] = _aware(cleaned.get(name))
        return cleaned


class AppointmentStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=AppointmentStatus.choices)


class FollowUpForm(SafeTextForm):
    multiline_fields = ("details",)
    due_at = forms.DateTimeField(label=_("Due"), widget=_datetime_widget())
    details = forms.CharField(
        label=_("What to do"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    urgent = forms.BooleanField(label=_("Urgent"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        cleaned["due_at"] = _aware(cleaned.get("due_at"))
        return cleaned


class IntakeStepForm(InterpreterFields):
    """The questions of one intake step. Nothing is required."""

    def __init__(self, *args: Any, step: Step, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.step = step
        multiline = []
        for question in step.questions:
            if question.is_text:
                self.fields[question.code] = forms.CharField(
                    label=question.label,
                    required=False,
                    max_length=4000,
                    widget=forms.Textarea(attrs={"rows": 3}),
                    help_text=question.why,
                )
                multiline.append(question.code)
            else:
                self.fields[question.code] = forms.ChoiceField(
                    label=question.label,
                    required=False,
                    choices=question.all_choices(),
                    widget=forms.RadioSelect,
                    help_text=question.why,
                )
        self.multiline_fields = tuple(multiline)
        # The interpreter questions come last on every step.
        for name in ("interpreter_used", "interpreter_language"):
            self.fields[name] = self.fields.pop(name)

    def answers(self) -> dict[str, str]:
        return {q.code: self.cleaned_data.get(q.code) or "" for q in self.step.questions}


class DomainForm(SafeTextForm):
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Lower-case letters, digits and _. It never changes."),
    )
    label = forms.CharField(label=_("Name"), max_length=100)
    category = forms.ChoiceField(
        label=_("Data category"),
        choices=[(c, c) for c in DATA_CATEGORIES],
        help_text=_("Decides when scores in this domain may be shared with consent."),
    )


class DomainRenameForm(SafeTextForm):
    label = forms.CharField(label=_("Name"), max_length=100)


class ScreeningLanguageForm(forms.Form):
    lang = forms.ChoiceField(choices=(("en", "English"), ("es", "Español")), required=False)
