"""The care intake: resumable sealed draft, skippable questions, interpreter, safety."""

from __future__ import annotations

import pytest

from reclaim.care import services
from reclaim.care.intake import STEPS
from reclaim.care.models import IntakeDraft, Task, TaskKind
from reclaim.core.errors import Conflict, NotFound, ValidationFailed
from tests.core.rawdb import read_column


def test_every_choice_question_offers_prefer_not_to_say_and_sensitive_ones_say_why():
    for step in STEPS:
        for question in step.questions:
            if not question.is_text:
                assert "prefer_not_to_say" in [code for code, _ in question.all_choices()]
    safety = STEPS[0].questions
    assert all(question.why for question in safety)


def test_the_intake_saves_each_step_sealed_and_resumes_where_it_stopped(caseworker, survivor):
    draft = services.open_intake(survivor, by=caseworker)
    assert draft.step == "safety"
    services.save_intake_step(
        draft,
        by=caseworker,
        step="safety",
        answers={"feels_safe_now": "somewhat", "safe_place_tonight": "prefer_not_to_say"},
        interpreter_used=True,
        interpreter_language="es",
    )
    services.save_intake_step(
        draft, by=caseworker, step="priorities", answers={"what_matters_most": "Seeing my kids"}
    )
    raw = read_column(IntakeDraft, "answers", draft.pk)
    assert b"kids" not in raw and b"somewhat" not in raw
    resumed = services.open_intake(survivor, by=caseworker)
    assert resumed.pk == draft.pk
    assert resumed.step == "priorities"
    assert resumed.answers["safety"]["feels_safe_now"] == "somewhat"
    assert resumed.interpreter_used is True
    assert resumed.interpreter_language == "es"


def test_a_step_may_be_skipped_entirely(caseworker, survivor):
    draft = services.open_intake(survivor, by=caseworker)
    saved = services.save_intake_step(draft, by=caseworker, step="safety", answers={})
    assert saved.answers == {"safety": {}}
    assert saved.step == "housing"


@pytest.mark.parametrize(
    ("step", "answers", "field"),
    [
        ("safety", {"feels_safe_now": "maybe"}, "answers.feels_safe_now"),
        ("safety", {"trafficking_story": "x"}, "answers.trafficking_story"),
        ("nowhere", {}, "step"),
    ],
)
def test_bad_answers_name_the_field_and_change_nothing(caseworker, survivor, step, answers, field):
    draft = services.open_intake(survivor, by=caseworker)
    with pytest.raises(ValidationFailed) as error:
        services.save_intake_step(draft, by=caseworker, step=step, answers=answers)
    assert error.value.field == field
    assert services.open_intake(survivor, by=caseworker).answers == {}


def test_not_feeling_safe_raises_a_safety_follow_up_on_completion(caseworker, survivor):
    draft = services.open_intake(survivor, by=caseworker)
    services.save_intake_step(draft, by=caseworker, step="safety", answers={"feels_safe_now": "no"})
    services.complete_intake(draft, by=caseworker)
    assert Task.objects.get().kind == TaskKind.SAFETY_FOLLOW_UP
    with pytest.raises(Conflict):
        services.complete_intake(draft, by=caseworker)
    assert services.open_intake(survivor, by=caseworker).pk != draft.pk


def test_a_completed_intake_cannot_be_changed(caseworker, survivor):
    draft = services.complete_intake(services.open_intake(survivor, by=caseworker), by=caseworker)
    with pytest.raises(Conflict):
        services.save_intake_step(draft, by=caseworker, step="safety", answers={})
    assert not Task.objects.exists()


@pytest.mark.parametrize("persona", ["other_caseworker", "outsider", "partner_staff"])
def test_out_of_scope_users_cannot_open_the_intake(request, caseworker, survivor, persona):
    draft = services.open_intake(survivor, by=caseworker)
    user = request.getfixturevalue(persona)
    with pytest.raises(NotFound):
        services.open_intake(survivor, by=user)
    with pytest.raises(NotFound):
        services.get_intake(draft.pk, by=user)
    assert IntakeDraft.objects.count() == 1


def test_a_survivor_has_at_most_one_unfinished_intake(caseworker, survivor):
    from django.db import IntegrityError, transaction

    draft = services.open_intake(survivor, by=caseworker)
    with pytest.raises(IntegrityError), transaction.atomic():
        IntakeDraft.objects.create(
            survivor=survivor, organisation_id=survivor.organisation_id, step="safety"
        )
    services.complete_intake(draft, by=caseworker)
    assert services.open_intake(survivor, by=caseworker).pk != draft.pk
