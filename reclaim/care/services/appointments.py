"""Appointments (counseling, medical, housing, legal) and the case manager's task list.

Scheduling an appointment puts a reminder in the case manager's task list; cancelling it
closes the reminder. "My tasks" shows what is overdue, due today and coming up.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from reclaim.core import access, audit
from reclaim.core import permissions as perm
from reclaim.core.errors import ValidationFailed
from reclaim.core.fields import attach_data_keys
from reclaim.core.validation import check_aware, check_choice, clean_text

from ..models import Appointment, AppointmentKind, AppointmentStatus, Task, TaskKind
from ._common import event, get_scoped, require_on_survivor, rows_of_survivor, seal_with
from .screenings import responsible_case_manager

PLACE_BYTES = 1000
DETAILS_BYTES = 2000
REMINDER_BEFORE = datetime.timedelta(days=1)
APPOINTMENT_FIELDS = ("kind", "starts_at", "ends_at", "place", "status")


def _times(starts_at: Any, ends_at: Any) -> tuple[datetime.datetime, datetime.datetime]:
    if not isinstance(starts_at, datetime.datetime):
        raise ValidationFailed("starts_at: must be a date and time.", field="starts_at")
    if not isinstance(ends_at, datetime.datetime):
        raise ValidationFailed("ends_at: must be a date and time.", field="ends_at")
    check_aware(starts_at, field="starts_at")
    check_aware(ends_at, field="ends_at")
    if ends_at <= starts_at:
        raise ValidationFailed("ends_at: must be after the start.", field="ends_at")
    return starts_at, ends_at


def _place(value: Any) -> str | None:
    if value in (None, ""):
        return None
    return clean_text(value, field="place", max_bytes=PLACE_BYTES, multiline=True) or None


def _reminder_due(starts_at: datetime.datetime) -> datetime.datetime:
    # A day before; at once if that has passed; never after the appointment itself.
    return min(max(starts_at - REMINDER_BEFORE, timezone.now()), starts_at)


def schedule_appointment(
    survivor: Any,
    *,
    by: Any,
    kind: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    place: str | None = None,
) -> Appointment:
    """Schedule an appointment; a reminder goes to the case manager's task list a day before.

    Refuses an end before the start (`ends_at`) and naive times. Requires care.record;
    audits "care.appointment.schedule" (the place is sealed, never in the audit).
    """
    require_on_survivor(by, perm.CARE_RECORD, survivor)
    kind = check_choice(kind, AppointmentKind.values, field="kind")
    start, end = _times(starts_at, ends_at)
    where = _place(place)
    with transaction.atomic():
        appointment = Appointment(
            survivor=survivor,
            organisation_id=survivor.organisation_id,
            kind=kind,
            starts_at=start,
            ends_at=end,
            created_by=by,
        )
        seal_with(survivor, appointment)
        appointment.place = where
        appointment.save()
        reminder = Task.objects.create(
            survivor=survivor,
            organisation_id=survivor.organisation_id,
            kind=TaskKind.APPOINTMENT_REMINDER,
            assignee=responsible_case_manager(survivor, by=by),
            due_at=_reminder_due(start),
            appointment=appointment,
        )
        event(
            "care.appointment.schedule",
            by=by,
            survivor=survivor,
            target=appointment,
            fields=["kind", "starts_at", "ends_at", *(["place"] if where else [])],
            context={"reminder": str(reminder.pk)},
        )
    return appointment


def list_appointments(survivor: Any, *, by: Any) -> list[Appointment]:
    """The survivor's appointments, soonest first. Requires care.view; audited."""
    in_scope = rows_of_survivor(Appointment, survivor, by=by, action=perm.CARE_VIEW)
    with transaction.atomic():
        rows = list(in_scope)
        event("care.appointment.list", by=by, survivor=survivor, fields=["place"])
    seal_with(survivor, *rows)
    return rows


def get_appointment(appointment_id: Any, *, by: Any) -> Appointment:
    appointment = get_scoped(Appointment, appointment_id, by=by, action=perm.CARE_RECORD)
    seal_with(appointment.survivor, appointment)
    return appointment


def update_appointment(
    appointment: Appointment, *, by: Any, changes: Mapping[str, Any]
) -> Appointment:
    """Reschedule, move, or mark attended / missed / cancelled. Moving the start moves the
    reminder; ending the appointment (cancelled, attended, missed) closes it."""
    access.require(by, perm.CARE_RECORD, appointment)
    unknown = sorted(set(changes) - set(APPOINTMENT_FIELDS))
    if unknown:
        raise ValidationFailed(f"{unknown[0]}: is not an appointment field.", field=unknown[0])
    updates: dict[str, Any] = {}
    if "kind" in changes:
        updates["kind"] = check_choice(changes["kind"], AppointmentKind.values, field="kind")
    if "starts_at" in changes or "ends_at" in changes:
        start, end = _times(
            changes.get("starts_at", appointment.starts_at),
            changes.get("ends_at", appointment.ends_at),
        )
        updates["starts_at"], updates["ends_at"] = start, end
    if "place" in changes:
        updates["place"] = _place(changes["place"])
    if "status" in changes:
        updates["status"] = check_choice(
            changes["status"], AppointmentStatus.values, field="status"
        )
    with transaction.atomic():
        locked = (
            Appointment.objects.select_for_update()
            .select_related("survivor")
            .get(pk=appointment.pk)
        )
        seal_with(locked.survivor, locked)
        changed = [name for name, value in updates.items() if getattr(locked, name) != value]
        if changed:
            for name in changed:
                setattr(locked, name, updates[name])
            locked.save(update_fields=changed)
            reminders = Task.objects.filter(appointment=locked, done_at__isnull=True)
            if locked.status != AppointmentStatus.SCHEDULED:
                reminders.update(done_at=timezone.now(), done_by=by)
            elif "starts_at" in changed:
                reminders.update(due_at=_reminder_due(locked.starts_at))
            event(
                "care.appointment.update",
                by=by,
                survivor=locked.survivor,
                target=locked,
                fields=changed,
            )
    appointment.refresh_from_db()
    seal_with(locked.survivor, appointment)
    return appointment


# --- tasks ------------------------------------------------------------------------------


def add_follow_up(
    survivor: Any,
    *,
    by: Any,
    due_at: datetime.datetime,
    details: str | None = None,
    urgent: bool = False,
) -> Task:
    """A follow-up task for the survivor's case manager. Requires care.record; audited."""
    require_on_survivor(by, perm.CARE_RECORD, survivor)
    if not isinstance(due_at, datetime.datetime):
        raise ValidationFailed("due_at: must be a date and time.", field="due_at")
    check_aware(due_at, field="due_at")
    text = None
    if details not in (None, ""):
        text = clean_text(details, field="details", max_bytes=DETAILS_BYTES, multiline=True) or None
    with transaction.atomic():
        task = Task(
            survivor=survivor,
            organisation_id=survivor.organisation_id,
            kind=TaskKind.FOLLOW_UP,
            assignee=responsible_case_manager(survivor, by=by),
            due_at=due_at,
            urgent=bool(urgent),
        )
        seal_with(survivor, task)
        task.details = text
        task.save()
        event(
            "care.task.create",
            by=by,
            survivor=survivor,
            target=task,
            fields=["details"] if text else [],
            context={"kind": TaskKind.FOLLOW_UP},
        )
    return task


def get_task(task_id: Any, *, by: Any) -> Task:
    return get_scoped(Task, task_id, by=by, action=perm.CARE_RECORD)


def complete_task(task: Task, *, by: Any) -> Task:
    """Mark a task done (once; doing it again changes nothing). Requires care.record."""
    access.require(by, perm.CARE_RECORD, task)
    with transaction.atomic():
        updated = Task.objects.filter(pk=task.pk, done_at__isnull=True).update(
            done_at=timezone.now(), done_by=by
        )
        if updated:
            event(
                "care.task.complete",
                by=by,
                survivor=task.survivor,
                target=task,
                fields=["done_at"],
                context={"kind": task.kind},
            )
    task.refresh_from_db()
    return task


def my_tasks(*, by: Any, at: datetime.datetime | None = None) -> dict[str, list[Task]]:
    """The user's open tasks in their scope: {"overdue", "today", "upcoming"} (next 14 days).

    Urgent first within each group. Audited as one "care.task.list" event.
    """
    at = at or timezone.now()
    today = timezone.localdate(at)
    start_of_today = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    start_of_tomorrow = start_of_today + datetime.timedelta(days=1)
    with transaction.atomic():
        open_tasks = list(
            access.scope(by, Task)
            .filter(assignee=by, done_at__isnull=True, due_at__lt=at + datetime.timedelta(days=14))
            .select_related("survivor", "appointment")
            .order_by("-urgent", "due_at")
        )
        audit.record("care.task.list", actor=by, context={"shown": len(open_tasks)})
    attach_data_keys([task.survivor for task in open_tasks])
    groups: dict[str, list[Task]] = {"overdue": [], "today": [], "upcoming": []}
    for task in open_tasks:
        if task.due_at < start_of_today:
            groups["overdue"].append(task)
        elif task.due_at < start_of_tomorrow:
            groups["today"].append(task)
        else:
            groups["upcoming"].append(task)
    return groups


def open_safety_follow_ups(survivor: Any, *, by: Any) -> list[Task]:
    """Open safety follow-ups for the survivor (whoever they are assigned to): the banner."""
    return list(
        rows_of_survivor(Task, survivor, by=by, action=perm.CARE_VIEW).filter(
            kind=TaskKind.SAFETY_FOLLOW_UP, done_at__isnull=True
        )
    )
