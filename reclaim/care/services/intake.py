"""The care intake: start or resume a sealed draft, save one step at a time, complete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from reclaim.core import access
from reclaim.core import permissions as perm
from reclaim.core.errors import Conflict, ValidationFailed
from reclaim.core.validation import check_choice, clean_text

from ..intake import STEP_CODES, STEPS_BY_CODE, TEXT_ANSWER_BYTES
from ..models import IntakeDraft, Task, TaskKind
from ._common import (
    check_interpreter,
    event,
    get_scoped,
    require_on_survivor,
    rows_of_survivor,
    seal_with,
)
from .screenings import responsible_case_manager


def open_intake(survivor: Any, *, by: Any) -> IntakeDraft:
    """The survivor's unfinished intake, or a new one at the first step. Requires care.record."""
    require_on_survivor(by, perm.CARE_RECORD, survivor)
    try:
        return _open_intake(survivor, by=by)
    except IntegrityError:  # someone started it at the same moment: resume theirs
        return _open_intake(survivor, by=by)


def _open_intake(survivor: Any, *, by: Any) -> IntakeDraft:
    with transaction.atomic():
        draft = (
            access.scope(by, IntakeDraft)
            .filter(survivor=survivor, completed_at__isnull=True)
            .select_for_update()
            .first()
        )
        if draft is None:
            draft = IntakeDraft(
                survivor=survivor,
                organisation_id=survivor.organisation_id,
                started_by=by,
                step=STEP_CODES[0],
            )
            seal_with(survivor, draft)
            draft.answers = {}
            draft.save()
            event("care.intake.start", by=by, survivor=survivor, target=draft)
        else:
            event("care.intake.resume", by=by, survivor=survivor, target=draft, fields=["answers"])
    seal_with(survivor, draft)
    return draft


def get_intake(draft_id: Any, *, by: Any) -> IntakeDraft:
    draft = get_scoped(IntakeDraft, draft_id, by=by, action=perm.CARE_RECORD)
    seal_with(draft.survivor, draft)
    return draft


def clean_step_answers(step: str, answers: Mapping[str, Any]) -> dict[str, str]:
    """Answers of one step: known questions only; choice codes or the survivor's own words.

    A question left out (or empty) is skipped, which is always allowed.
    """
    if step not in STEPS_BY_CODE:
        raise ValidationFailed(f"step: choose one of {', '.join(STEP_CODES)}.", field="step")
    questions = {q.code: q for q in STEPS_BY_CODE[step].questions}
    cleaned: dict[str, str] = {}
    for code, value in answers.items():
        field = f"answers.{code}"
        question = questions.get(code)
        if question is None:
            raise ValidationFailed(f"{field}: is not a question of this step.", field=field)
        if value in (None, ""):
            continue
        if question.is_text:
            text = clean_text(value, field=field, max_bytes=TEXT_ANSWER_BYTES, multiline=True)
            if text:
                cleaned[code] = text
        else:
            cleaned[code] = check_choice(value, [c for c, _ in question.all_choices()], field=field)
    return cleaned


def save_intake_step(
    draft: IntakeDraft,
    *,
    by: Any,
    step: str,
    answers: Mapping[str, Any],
    interpreter_used: bool | None = None,
    interpreter_language: str = "",
) -> IntakeDraft:
    """Save one step's answers into the sealed draft and move on to the next step.

    Steps may be revisited; the draft remembers the furthest step reached. Requires
    care.record; audits "care.intake.save" with the question codes answered (no values).
    """
    access.require(by, perm.CARE_RECORD, draft)
    if draft.completed_at is not None:
        raise Conflict("This intake is already complete.")
    cleaned = clean_step_answers(step, answers)
    used, language = check_interpreter(interpreter_used, interpreter_language)
    with transaction.atomic():
        locked = IntakeDraft.objects.select_for_update().select_related("survivor").get(pk=draft.pk)
        seal_with(locked.survivor, locked)
        stored = dict(locked.answers or {})
        stored[step] = cleaned
        locked.answers = stored
        index = STEP_CODES.index(step)
        following = STEP_CODES[min(index + 1, len(STEP_CODES) - 1)]
        if STEP_CODES.index(following) > STEP_CODES.index(locked.step):
            locked.step = following
        if used is not None:
            locked.interpreter_used = used
        if language:
            locked.interpreter_language = language
        locked.save()
        event(
            "care.intake.save",
            by=by,
            survivor=locked.survivor,
            target=locked,
            fields=["answers"],
            context={"step": step, "answered": sorted(cleaned)},
        )
    seal_with(locked.survivor, locked)
    return locked


def complete_intake(draft: IntakeDraft, *, by: Any) -> IntakeDraft:
    """Finish the intake. If the survivor said they do not feel safe, or have no safe place
    tonight, an urgent safety follow-up goes to their case manager in the same transaction."""
    access.require(by, perm.CARE_RECORD, draft)
    with transaction.atomic():
        locked = IntakeDraft.objects.select_for_update().select_related("survivor").get(pk=draft.pk)
        if locked.completed_at is not None:
            raise Conflict("This intake is already complete.")
        seal_with(locked.survivor, locked)
        safety = (locked.answers or {}).get("safety", {})
        unsafe = safety.get("feels_safe_now") == "no" or safety.get("safe_place_tonight") == "no"
        locked.completed_at = timezone.now()
        locked.save(update_fields=["completed_at", "updated_at"])
        event(
            "care.intake.complete",
            by=by,
            survivor=locked.survivor,
            target=locked,
            context={"safety_follow_up": unsafe},
        )
        if unsafe:
            task = Task.objects.create(
                survivor=locked.survivor,
                organisation_id=locked.organisation_id,
                kind=TaskKind.SAFETY_FOLLOW_UP,
                assignee=responsible_case_manager(locked.survivor, by=by),
                due_at=timezone.now(),
                urgent=True,
            )
            event(
                "care.task.create",
                by=by,
                survivor=locked.survivor,
                target=task,
                context={"kind": TaskKind.SAFETY_FOLLOW_UP},
            )
    seal_with(locked.survivor, locked)
    return locked


def list_intakes(survivor: Any, *, by: Any) -> list[IntakeDraft]:
    """Intakes of the survivor, newest first, answers opened. Requires care.view; audited."""
    in_scope = rows_of_survivor(IntakeDraft, survivor, by=by, action=perm.CARE_VIEW)
    with transaction.atomic():
        rows = list(in_scope)
        event("care.intake.list", by=by, survivor=survivor, fields=["answers"])
    seal_with(survivor, *rows)
    return rows
