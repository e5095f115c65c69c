"""The care intake conversation: short steps, one topic each, every question skippable.

Nothing here asks for the trafficking story; the survivor decides what to share. Each
sensitive question says why we ask. Answers are codes (or the survivor's own words for the
two open questions), saved as a sealed draft after every step so the talk can pause.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

PREFER_NOT = "prefer_not_to_say"
PREFER_NOT_LABEL = _("Prefer not to say")


@dataclass(frozen=True)
class Question:
    code: str
    label: Any
    why: Any = ""
    # (code, label) pairs; "prefer not to say" is added to every choice question.
    choices: tuple[tuple[str, Any], ...] = ()

    @property
    def is_text(self) -> bool:
        return not self.choices

    def all_choices(self) -> tuple[tuple[str, Any], ...]:
        return (*self.choices, (PREFER_NOT, PREFER_NOT_LABEL))


@dataclass(frozen=True)
class Step:
    code: str
    title: Any
    intro: Any
    questions: tuple[Question, ...]


_YES_NO_UNSURE = (("yes", _("Yes")), ("no", _("No")), ("unsure", _("Not sure")))

STEPS: tuple[Step, ...] = (
    Step(
        "safety",
        _("Safety now"),
        _("We start with how safe you feel today. You can skip any question."),
        (
            Question(
                "feels_safe_now",
                _("Do you feel safe right now?"),
                _("Why we ask: if you are not safe, we can act on it today, before anything else."),
                (("yes", _("Yes")), ("somewhat", _("Somewhat")), ("no", _("No"))),
            ),
            Question(
                "safe_place_tonight",
                _("Do you have a safe place to stay tonight?"),
                _("Why we ask: so we can find emergency shelter if you need it."),
                _YES_NO_UNSURE,
            ),
        ),
    ),
    Step(
        "housing",
        _("Housing"),
        _("A few questions about where you live."),
        (
            Question(
                "housing_situation",
                _("Where are you living now?"),
                _(
                    "Why we ask: to see whether housing help would be useful. "
                    "We do not need an address."
                ),
                (
                    ("own_or_rented", _("My own or rented home")),
                    ("with_others", _("With friends or family")),
                    ("shelter", _("A shelter")),
                    ("temporary", _("Somewhere temporary")),
                    ("none", _("Nowhere stable")),
                ),
            ),
            Question(
                "housing_worry",
                _("Are you worried about losing where you live?"),
                "",
                _YES_NO_UNSURE,
            ),
        ),
    ),
    Step(
        "health",
        _("Health"),
        _("Your health, in general terms. No details are needed."),
        (
            Question(
                "health_needs_now",
                _("Do you need to see a doctor or nurse soon?"),
                _("Why we ask: so we can arrange care. You do not need to say why."),
                _YES_NO_UNSURE,
            ),
            Question(
                "needs_medication",
                _("Do you need help getting medicine?"),
                _("Why we ask: some medicines cannot wait; we can help you get them."),
                _YES_NO_UNSURE,
            ),
            Question(
                "wants_emotional_support",
                _("Would you like to talk to someone about how you are feeling?"),
                _("Why we ask: counseling is available if and when you want it."),
                (("yes", _("Yes")), ("later", _("Maybe later")), ("no", _("No"))),
            ),
        ),
    ),
    Step(
        "support",
        _("Support and needs"),
        _("What would help you most."),
        (
            Question(
                "has_support_people",
                _("Is there someone you trust that you can turn to?"),
                "",
                _YES_NO_UNSURE,
            ),
            Question(
                "urgent_needs",
                _("Which need is most urgent for you?"),
                "",
                (
                    ("food", _("Food")),
                    ("money", _("Money")),
                    ("documents", _("Documents or ID")),
                    ("legal", _("Legal help")),
                    ("work", _("Work")),
                    ("childcare", _("Childcare")),
                    ("none", _("None right now")),
                ),
            ),
        ),
    ),
    Step(
        "priorities",
        _("Your priorities"),
        _("In your own words. You can leave this empty."),
        (
            Question(
                "what_matters_most",
                _("What matters most to you right now?"),
                _("Why we ask: your plan will be built around what you say here."),
            ),
            Question(
                "anything_else",
                _("Is there anything else you want us to know?"),
                _("Only if you want to. You never need to tell us what happened to you."),
            ),
        ),
    ),
)
STEP_CODES = tuple(step.code for step in STEPS)
STEPS_BY_CODE = {step.code: step for step in STEPS}
TEXT_ANSWER_BYTES = 4000


def next_step(code: str) -> str | None:
    index = STEP_CODES.index(code)
    return STEP_CODES[index + 1] if index + 1 < len(STEP_CODES) else None
