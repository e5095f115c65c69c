"""The service plan: goals in the survivor's own words, steps, agreement, full history.

Every change to a goal or its steps writes a new GoalVersion (a sealed snapshot of the goal
as it stands after the change), so the plan's history can be read back version by version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from reclaim.core import access
from reclaim.core import permissions as perm
from reclaim.core.errors import ValidationFailed
from reclaim.core.validation import check_choice, clean_text

from ..models import Domain, Goal, GoalStatus, GoalStep, GoalVersion, StepOwner, StepStatus
from ._common import event, get_scoped, optional_date, require_on_survivor, seal_with
from .domains import ensure_domains

TEXT_BYTES = 2000
GOAL_FIELDS = ("text", "domain_code", "status", "target_date", "survivor_agreed")
STEP_FIELDS = ("text", "owner", "target_date", "status")


def _text(value: Any, *, field: str) -> str:
    if value is None:
        raise ValidationFailed(f"{field}: write it in the survivor's own words.", field=field)
    text = clean_text(value, field=field, max_bytes=TEXT_BYTES, multiline=True)
    if not text:
        raise ValidationFailed(f"{field}: write it in the survivor's own words.", field=field)
    return text


def _domain(organisation_id: Any, code: Any) -> Domain | None:
    if code in (None, ""):
        return None
    ensure_domains(organisation_id)
    domain = Domain.objects.filter(organisation_id=organisation_id, code=code).first()
    if domain is None:
        raise ValidationFailed(
            "domain_code: this organisation has no such domain.", field="domain_code"
        )
    if domain.is_retired:
        raise ValidationFailed("domain_code: this domain is retired.", field="domain_code")
    return domain


def _clean_step(step: Mapping[str, Any], *, prefix: str) -> dict[str, Any]:
    unknown = sorted(set(step) - set(STEP_FIELDS))
    if unknown:
        raise ValidationFailed(
            f"{prefix}.{unknown[0]}: is not a step field.", field=f"{prefix}.{unknown[0]}"
        )
    return {
        "text": _text(step.get("text"), field=f"{prefix}.text"),
        "owner": check_choice(step.get("owner"), StepOwner.values, field=f"{prefix}.owner"),
        "target_date": optional_date(step.get("target_date"), field=f"{prefix}.target_date"),
        "status": check_choice(
            step.get("status") or StepStatus.TO_DO, StepStatus.values, field=f"{prefix}.status"
        ),
    }


def snapshot(goal: Goal, steps: Iterable[GoalStep]) -> dict[str, Any]:
    return {
        "text": goal.text,
        "domain_code": goal.domain.code if goal.domain else None,
        "status": goal.status,
        "target_date": goal.target_date.isoformat() if goal.target_date else None,
        "survivor_agreed_at": goal.survivor_agreed_at.isoformat()
        if goal.survivor_agreed_at
        else None,
        "steps": [
            {
                "id": str(step.pk),
                "text": step.text,
                "owner": step.owner,
                "target_date": step.target_date.isoformat() if step.target_date else None,
                "status": step.status,
            }
            for step in steps
        ],
    }


def _new_version(goal: Goal, *, by: Any, change: str) -> GoalVersion:
    steps = list(GoalStep.objects.filter(goal=goal))
    seal_with(goal.survivor, *steps)
    version = GoalVersion(
        survivor_id=goal.survivor_id,
        organisation_id=goal.organisation_id,
        goal=goal,
        version=goal.version,
        change=change,
        changed_by=by,
    )
    seal_with(goal.survivor, version)
    version.snapshot = snapshot(goal, steps)
    version.save()
    return version


def add_goal(
    survivor: Any,
    *,
    by: Any,
    text: str,
    domain_code: str | None = None,
    target_date: Any = None,
    survivor_agreed: bool = False,
    steps: Iterable[Mapping[str, Any]] = (),
) -> Goal:
    """Add a goal in the survivor's words, with optional steps. Version 1 is kept.

    Requires care.record. A goal needs text; steps need text and an owner. Audits
    "care.goal.add".
    """
    require_on_survivor(by, perm.CARE_RECORD, survivor)
    cleaned_text = _text(text, field="text")
    domain = _domain(survivor.organisation_id, domain_code)
    day = optional_date(target_date, field="target_date")
    cleaned_steps = [_clean_step(step, prefix=f"steps.{n}") for n, step in enumerate(steps, 1)]
    with transaction.atomic():
        goal = Goal(
            survivor=survivor,
            organisation_id=survivor.organisation_id,
            domain=domain,
            target_date=day,
            survivor_agreed_at=timezone.now() if survivor_agreed else None,
            created_by=by,
        )
        seal_with(survivor, goal)
        goal.text = cleaned_text
        goal.save()
        for position, values in enumerate(cleaned_steps, 1):
            step = GoalStep(
                survivor=survivor,
                organisation_id=survivor.organisation_id,
                goal=goal,
                position=position * 10,
                owner=values["owner"],
                target_date=values["target_date"],
                status=values["status"],
            )
            seal_with(survivor, step)
            step.text = values["text"]
            step.save()
        _new_version(goal, by=by, change="created")
        event(
            "care.goal.add",
            by=by,
            survivor=survivor,
            target=goal,
            fields=["text", "status", "target_date", "survivor_agreed_at"],
            context={"steps": len(cleaned_steps)},
        )
    return goal


def list_goals(survivor: Any, *, by: Any) -> list[Goal]:
    """The plan: goals with their steps, oldest first. Requires care.view; audited."""
    require_on_survivor(by, perm.CARE_VIEW, survivor)
    with transaction.atomic():
        goals = list(
            access.scope(by, Goal)
            .filter(survivor=survivor)
            .select_related("domain", "survivor")
            .prefetch_related("steps")
        )
        event("care.goal.list", by=by, survivor=survivor, fields=["text"])
    seal_with(survivor, *goals, *[step for goal in goals for step in goal.steps.all()])
    return goals


def get_goal(goal_id: Any, *, by: Any, action: str = perm.CARE_VIEW) -> Goal:
    goal = get_scoped(Goal, goal_id, by=by, action=action)
    seal_with(goal.survivor, goal)
    return goal


def update_goal(goal: Goal, *, by: Any, changes: Mapping[str, Any]) -> Goal:
    """Change a goal (text, domain, status, target date, the survivor's agreement).

    Each effective change makes a new version. Requires care.record; audits the field names.
    """
    access.require(by, perm.CARE_RECORD, goal)
    unknown = sorted(set(changes) - set(GOAL_FIELDS))
    if unknown:
        raise ValidationFailed(f"{unknown[0]}: is not a goal field.", field=unknown[0])
    updates: dict[str, Any] = {}
    if "text" in changes:
        updates["text"] = _text(changes["text"], field="text")
    if "domain_code" in changes:
        updates["domain"] = _domain(goal.organisation_id, changes["domain_code"])
    if "status" in changes:
        updates["status"] = check_choice(changes["status"], GoalStatus.values, field="status")
    if "target_date" in changes:
        updates["target_date"] = optional_date(changes["target_date"], field="target_date")
    if "survivor_agreed" in changes:
        agreed = changes["survivor_agreed"]
        if not isinstance(agreed, bool):
            raise ValidationFailed(
                "survivor_agreed: must be true or false.", field="survivor_agreed"
            )
        if agreed != (goal.survivor_agreed_at is not None):
            updates["survivor_agreed_at"] = timezone.now() if agreed else None
    with transaction.atomic():
        locked = (
            Goal.objects.select_for_update(of=("self",))
            .select_related("survivor", "domain")
            .get(pk=goal.pk)
        )
        seal_with(locked.survivor, locked)
        changed = []
        for name, value in updates.items():
            if getattr(locked, name) != value:
                setattr(locked, name, value)
                changed.append(name)
        if changed:
            locked.version += 1
            locked.save(update_fields=[*changed, "version", "updated_at"])
            _new_version(locked, by=by, change="updated")
            event(
                "care.goal.update",
                by=by,
                survivor=locked.survivor,
                target=locked,
                fields=changed,
                context={"version": locked.version},
            )
    goal.refresh_from_db()
    return goal


def add_step(goal: Goal, *, by: Any, step: Mapping[str, Any]) -> GoalStep:
    """Add a step to a goal (a new version). Requires care.record; audited."""
    access.require(by, perm.CARE_RECORD, goal)
    values = _clean_step(step, prefix="step")
    with transaction.atomic():
        locked = (
            Goal.objects.select_for_update(of=("self",))
            .select_related("survivor", "domain")
            .get(pk=goal.pk)
        )
        seal_with(locked.survivor, locked)
        last = GoalStep.objects.filter(goal=locked).order_by("-position").first()
        row = GoalStep(
            survivor_id=locked.survivor_id,
            organisation_id=locked.organisation_id,
            goal=locked,
            position=(last.position if last else 0) + 10,
            owner=values["owner"],
            target_date=values["target_date"],
            status=values["status"],
        )
        seal_with(locked.survivor, row)
        row.text = values["text"]
        row.save()
        locked.version += 1
        locked.save(update_fields=["version", "updated_at"])
        _new_version(locked, by=by, change="step_added")
        event("care.goal.step_add", by=by, survivor=locked.survivor, target=row, fields=["text"])
    goal.refresh_from_db()
    return row


def get_step(step_id: Any, *, by: Any) -> GoalStep:
    step = get_scoped(GoalStep, step_id, by=by, action=perm.CARE_RECORD)
    seal_with(step.survivor, step)
    return step


def update_step(step: GoalStep, *, by: Any, changes: Mapping[str, Any]) -> GoalStep:
    """Change a step (text, owner, target date, status): a new version of its goal."""
    access.require(by, perm.CARE_RECORD, step)
    merged = {
        "text": step.text,
        "owner": step.owner,
        "target_date": step.target_date,
        "status": step.status,
        **changes,
    }
    values = _clean_step(merged, prefix="step")
    with transaction.atomic():
        goal = (
            Goal.objects.select_for_update(of=("self",))
            .select_related("survivor", "domain")
            .get(pk=step.goal_id)
        )
        seal_with(goal.survivor, goal)
        locked = GoalStep.objects.get(pk=step.pk)
        seal_with(goal.survivor, locked)
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        if changed:
            for name in changed:
                setattr(locked, name, values[name])
            locked.save(update_fields=changed)
            goal.version += 1
            goal.save(update_fields=["version", "updated_at"])
            _new_version(goal, by=by, change="step_updated")
            event(
                "care.goal.step_update",
                by=by,
                survivor=goal.survivor,
                target=locked,
                fields=changed,
            )
    step.refresh_from_db()
    seal_with(goal.survivor, step)
    return step


def goal_history(goal: Goal, *, by: Any) -> list[GoalVersion]:
    """Every version of a goal, newest first, snapshots opened. Requires care.view; audited."""
    access.require(by, perm.CARE_VIEW, goal)
    with transaction.atomic():
        versions = list(
            access.scope(by, GoalVersion).filter(goal=goal).select_related("changed_by")
        )
        event("care.goal.history", by=by, survivor=goal.survivor, target=goal, fields=["snapshot"])
    seal_with(goal.survivor, *versions)
    return versions
