"""Service plan: goals in the survivor's words, steps, agreement, and versioned history."""

from __future__ import annotations

import pytest

from reclaim.care import services
from reclaim.care.models import Goal, GoalStep, GoalVersion
from reclaim.core.errors import NotFound, ValidationFailed
from tests.core.rawdb import read_column


def _goal(survivor, by, **kw):
    values = {
        "text": "Have my own room by summer",
        "domain_code": "housing",
        "steps": [{"text": "Visit the housing office", "owner": "survivor"}],
        **kw,
    }
    return services.add_goal(survivor, by=by, **values)


def test_a_goal_is_sealed_with_its_steps_and_first_version(caseworker, survivor):
    goal = _goal(survivor, caseworker, survivor_agreed=True)
    assert b"own room" not in read_column(Goal, "text", goal.pk)
    step = GoalStep.objects.get(goal=goal)
    assert b"housing office" not in read_column(GoalStep, "text", step.pk)
    [version] = services.goal_history(goal, by=caseworker)
    assert version.version == 1
    assert version.snapshot["text"] == "Have my own room by summer"
    assert version.snapshot["steps"][0]["owner"] == "survivor"
    assert version.snapshot["survivor_agreed_at"] is not None


def test_every_change_is_a_new_version_and_old_ones_stay_readable(caseworker, survivor):
    goal = _goal(survivor, caseworker)
    services.update_goal(goal, by=caseworker, changes={"text": "A room for me and my son"})
    services.update_goal(goal, by=caseworker, changes={"status": "in_progress"})
    step = services.get_step(GoalStep.objects.get(goal=goal).pk, by=caseworker)
    services.update_step(step, by=caseworker, changes={"status": "done"})
    services.add_step(goal, by=caseworker, step={"text": "Call landlord", "owner": "case_manager"})
    history = services.goal_history(goal, by=caseworker)
    assert [v.version for v in history] == [5, 4, 3, 2, 1]
    assert [v.change for v in history] == [
        "step_added",
        "step_updated",
        "updated",
        "updated",
        "created",
    ]
    assert history[-1].snapshot["text"] == "Have my own room by summer"
    assert history[0].snapshot["text"] == "A room for me and my son"
    assert [s["status"] for s in history[0].snapshot["steps"]] == ["done", "to_do"]


def test_an_unchanged_update_makes_no_version(caseworker, survivor):
    goal = _goal(survivor, caseworker)
    services.update_goal(goal, by=caseworker, changes={"text": "Have my own room by summer"})
    assert GoalVersion.objects.filter(goal=goal).count() == 1


def test_agreement_is_recorded_and_can_be_withdrawn(caseworker, survivor):
    goal = _goal(survivor, caseworker)
    assert goal.survivor_agreed_at is None
    services.update_goal(goal, by=caseworker, changes={"survivor_agreed": True})
    assert goal.survivor_agreed_at is not None
    services.update_goal(goal, by=caseworker, changes={"survivor_agreed": False})
    assert goal.survivor_agreed_at is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"domain_code": "moon"}, "domain_code"),
        ({"steps": [{"text": "", "owner": "survivor"}]}, "steps.1.text"),
        ({"steps": [{"text": "Call", "owner": "nobody"}]}, "steps.1.owner"),
        ({"target_date": "soon"}, "target_date"),
    ],
)
def test_bad_goals_name_the_field_and_save_nothing(caseworker, survivor, changes, field):
    with pytest.raises(ValidationFailed) as error:
        _goal(survivor, caseworker, **changes)
    assert error.value.field == field
    assert not Goal.objects.exists()
    assert not GoalVersion.objects.exists()


@pytest.mark.parametrize("persona", ["other_caseworker", "outsider", "partner_staff"])
def test_out_of_scope_users_cannot_change_a_goal(request, caseworker, survivor, persona):
    goal = _goal(survivor, caseworker)
    with pytest.raises(NotFound):
        services.get_goal(goal.pk, by=request.getfixturevalue(persona))
    with pytest.raises(NotFound):
        services.update_goal(
            goal, by=request.getfixturevalue(persona), changes={"status": "dropped"}
        )
    goal.refresh_from_db()
    assert goal.status == "not_started"
    assert GoalVersion.objects.filter(goal=goal).count() == 1
