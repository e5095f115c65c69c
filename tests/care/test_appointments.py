"""Appointments with reminders in the task list, and the "My tasks" grouping."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from reclaim.care import services
from reclaim.care.models import Appointment, Task, TaskKind
from reclaim.core.errors import NotFound, ValidationFailed
from tests.core.rawdb import read_column


def _at(days: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


def test_scheduling_seals_the_place_and_adds_a_reminder_a_day_before(caseworker, survivor):
    start = _at(5)
    appointment = services.schedule_appointment(
        survivor,
        by=caseworker,
        kind="legal",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        place="Legal aid office, 3rd floor",
    )
    assert b"Legal aid" not in read_column(Appointment, "place", appointment.pk)
    reminder = Task.objects.get(appointment=appointment)
    assert reminder.kind == TaskKind.APPOINTMENT_REMINDER
    assert reminder.assignee == caseworker
    assert reminder.due_at == start - datetime.timedelta(days=1)


def test_end_before_start_is_refused_naming_ends_at(caseworker, survivor):
    start = _at(2)
    with pytest.raises(ValidationFailed) as error:
        services.schedule_appointment(
            survivor, by=caseworker, kind="medical", starts_at=start, ends_at=start
        )
    assert error.value.field == "ends_at"
    assert not Appointment.objects.exists()
    assert not Task.objects.exists()


def test_cancelling_closes_the_reminder(caseworker, survivor):
    start = _at(3)
    appointment = services.schedule_appointment(
        survivor, by=caseworker, kind="housing", starts_at=start, ends_at=_at(3.1)
    )
    services.update_appointment(appointment, by=caseworker, changes={"status": "cancelled"})
    assert Task.objects.get(appointment=appointment).done_at is not None


def test_moving_an_appointment_moves_its_reminder(caseworker, survivor):
    appointment = services.schedule_appointment(
        survivor, by=caseworker, kind="counseling", starts_at=_at(3), ends_at=_at(3.1)
    )
    new_start = _at(10)
    services.update_appointment(
        appointment,
        by=caseworker,
        changes={"starts_at": new_start, "ends_at": new_start + datetime.timedelta(hours=1)},
    )
    assert Task.objects.get(appointment=appointment).due_at == new_start - datetime.timedelta(
        days=1
    )


def test_my_tasks_groups_overdue_today_and_upcoming(caseworker, survivor):
    overdue = services.add_follow_up(survivor, by=caseworker, due_at=_at(-2), details="Call back")
    upcoming = services.add_follow_up(survivor, by=caseworker, due_at=_at(4))
    today = services.add_follow_up(survivor, by=caseworker, due_at=timezone.now(), urgent=True)
    groups = services.my_tasks(by=caseworker)
    assert groups["overdue"] == [overdue]
    assert groups["today"] == [today]
    assert groups["upcoming"] == [upcoming]
    services.complete_task(services.get_task(overdue.pk, by=caseworker), by=caseworker)
    assert services.my_tasks(by=caseworker)["overdue"] == []


def test_other_peoples_tasks_are_not_in_my_list(caseworker, other_caseworker, survivor):
    services.add_follow_up(survivor, by=caseworker, due_at=_at(-1))
    groups = services.my_tasks(by=other_caseworker)
    assert groups == {"overdue": [], "today": [], "upcoming": []}


@pytest.mark.parametrize("persona", ["other_caseworker", "outsider", "partner_staff"])
def test_out_of_scope_users_cannot_touch_appointments_or_tasks(
    request, caseworker, survivor, persona
):
    user = request.getfixturevalue(persona)
    appointment = services.schedule_appointment(
        survivor, by=caseworker, kind="legal", starts_at=_at(1), ends_at=_at(1.1)
    )
    with pytest.raises(NotFound):
        services.get_appointment(appointment.pk, by=user)
    with pytest.raises(NotFound):
        services.get_task(Task.objects.get().pk, by=user)
    with pytest.raises(NotFound):
        services.schedule_appointment(
            survivor, by=user, kind="legal", starts_at=_at(1), ends_at=_at(1.1)
        )
    assert Appointment.objects.count() == 1
