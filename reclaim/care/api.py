"""Care records at /api/v1/care: domains, needs, assessments, screenings, plan, notes,
appointments, tasks, intake and progress.

Each endpoint reads its input, calls the service, serialises. A survivor id is resolved
through `survivors.services.get_survivor` (out of scope answers 404, audited as a denial by
reclaim/api.py); every care read and write is audited by the care services.
"""

from __future__ import annotations

import uuid
from typing import Any

from ninja import Router, Status

from reclaim.core import access
from reclaim.core import permissions as perm
from reclaim.core.errors import Forbidden, ValidationFailed
from reclaim.core.models import Organisation
from reclaim.core.schemas import AuthedRequest, error_responses
from reclaim.survivors import services as survivor_services

from . import services
from .instruments import INSTRUMENTS
from .models import Appointment, Assessment, CaseNote, Goal, GoalStep, IntakeDraft, Screening
from .schemas import (
    AlertsOut,
    AppointmentIn,
    AppointmentOut,
    AppointmentPatchIn,
    AssessmentIn,
    AssessmentOut,
    DeclineIn,
    DomainIn,
    DomainOut,
    DomainPatchIn,
    FollowUpIn,
    GoalIn,
    GoalOut,
    GoalPatchIn,
    GoalVersionOut,
    InstrumentOut,
    IntakeOut,
    IntakeStepIn,
    MyTasksOut,
    NeedOut,
    NoteIn,
    NoteOut,
    NotesOut,
    ProgressOut,
    ScreeningDetailOut,
    ScreeningIn,
    ScreeningOut,
    StepIn,
    StepOut,
    StepPatchIn,
    TaskOut,
)

router = Router(tags=["care"])
SURVIVOR = "/survivors/{uuid:survivor_id}"


def _survivor(request: AuthedRequest, survivor_id: uuid.UUID) -> Any:
    return survivor_services.get_survivor(survivor_id, by=request.auth)


def _organisation_id(organisation_id: uuid.UUID | None, *, by: Any, action: str) -> uuid.UUID:
    """The named organisation, or the only one where the caller may do `action`."""
    if organisation_id is not None:
        if not Organisation.objects.filter(pk=organisation_id).exists():
            raise ValidationFailed(
                "organisation_id: no such organisation.", field="organisation_id"
            )
        return organisation_id
    candidates = access.organisations_where(by, action)
    if not candidates:
        raise Forbidden(denied=access.denial(by, action, target_type="core.organisation"))
    if len(candidates) > 1:
        raise ValidationFailed("organisation_id: choose the organisation.", field="organisation_id")
    return candidates[0]


def _domain(domain: Any) -> dict[str, Any]:
    return {
        "id": domain.pk,
        "code": domain.code,
        "label": domain.label,
        "category": domain.category,
        "retired": domain.is_retired,
    }


def _assessment(assessment: Assessment) -> dict[str, Any]:
    return {
        "id": assessment.pk,
        "assessed_on": assessment.assessed_on,
        "interpreter_used": assessment.interpreter_used,
        "interpreter_language": assessment.interpreter_language,
        "scores": [
            {
                "code": row.domain.code,
                "label": row.domain.label,
                "category": row.domain.category,
                "score": row.score,
                "note": row.note,
            }
            for row in assessment.scores.all()
        ],
    }


def _goal(goal: Goal) -> dict[str, Any]:
    return {
        "id": goal.pk,
        "text": goal.text,
        "domain_code": goal.domain.code if goal.domain else None,
        "status": goal.status,
        "target_date": goal.target_date,
        "survivor_agreed_at": goal.survivor_agreed_at,
        "version": goal.version,
        "steps": [_step(step) for step in goal.steps.all()],
    }


def _step(step: GoalStep) -> dict[str, Any]:
    return {
        "id": step.pk,
        "text": step.text,
        "owner": step.owner,
        "target_date": step.target_date,
        "status": step.status,
    }


def _intake(draft: IntakeDraft) -> dict[str, Any]:
    return {
        "id": draft.pk,
        "step": draft.step,
        "answers": draft.answers or {},
        "interpreter_used": draft.interpreter_used,
        "interpreter_language": draft.interpreter_language,
        "completed_at": draft.completed_at,
        "updated_at": draft.updated_at,
    }


# --- domains and instruments ----------------------------------------------------------------


@router.get(
    "/domains",
    response={200: list[DomainOut], **error_responses(403)},
    operation_id="list_care_domains",
    summary="The organisation's needs domains (standard ones to start)",
)
def list_domains(
    request: AuthedRequest, organisation_id: uuid.UUID | None = None, include_retired: bool = False
) -> list[dict[str, Any]]:
    org = _organisation_id(organisation_id, by=request.auth, action=perm.CARE_VIEW)
    domains = services.list_domains(org, by=request.auth, include_retired=include_retired)
    return [_domain(domain) for domain in domains]


@router.post(
    "/domains",
    response={201: DomainOut, **error_responses(403, 409)},
    operation_id="add_care_domain",
    summary="Add a needs domain (organisation admins)",
)
def add_domain(request: AuthedRequest, payload: DomainIn) -> Status[dict[str, Any]]:
    org_id = _organisation_id(payload.organisation_id, by=request.auth, action=perm.CARE_CONFIGURE)
    organisation = Organisation.objects.get(pk=org_id)
    domain = services.add_domain(
        organisation,
        by=request.auth,
        code=payload.code,
        label=payload.label,
        category=payload.category,
    )
    return Status(201, _domain(domain))


@router.patch(
    "/domains/{uuid:domain_id}",
    response={200: DomainOut, **error_responses(403, 404)},
    operation_id="update_care_domain",
    summary="Rename or retire a domain (history is kept)",
)
def update_domain(
    request: AuthedRequest, domain_id: uuid.UUID, payload: DomainPatchIn
) -> dict[str, Any]:
    domain = services.get_domain(domain_id, by=request.auth)
    if payload.label is None and payload.retired is None:
        raise ValidationFailed("body: give a new label or retired.", field="body")
    if payload.label is not None:
        domain = services.rename_domain(domain, by=request.auth, label=payload.label)
    if payload.retired is not None:
        domain = services.set_domain_retired(domain, by=request.auth, retired=payload.retired)
    return _domain(domain)


@router.get(
    "/instruments",
    response={200: list[InstrumentOut], **error_responses()},
    operation_id="list_screening_instruments",
    summary="PHQ-9, GAD-7 and PCL-5: published wording (en, es), versions, attribution",
)
def list_instruments(request: AuthedRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": i.code,
            "name": i.name,
            "version": i.version,
            "stem": i.stem,
            "options": {lang: list(values) for lang, values in i.options.items()},
            "items": {lang: list(values) for lang, values in i.items.items()},
            "attribution": i.attribution,
        }
        for i in INSTRUMENTS.values()
    ]


# --- tasks (mine) -------------------------------------------------------------------------


@router.get(
    "/tasks",
    response={200: MyTasksOut, **error_responses()},
    operation_id="list_my_tasks",
    summary="My open tasks: overdue, today and the next two weeks",
)
def list_my_tasks(request: AuthedRequest) -> dict[str, list[Any]]:
    return services.my_tasks(by=request.auth)


@router.post(
    "/tasks/{uuid:task_id}/complete",
    response={200: TaskOut, **error_responses(403, 404)},
    operation_id="complete_task",
    summary="Mark a task done",
)
def complete_task(request: AuthedRequest, task_id: uuid.UUID) -> Any:
    task = services.get_task(task_id, by=request.auth)
    return services.complete_task(task, by=request.auth)


# --- objects by their own id --------------------------------------------------------------


@router.get(
    "/screenings/{uuid:screening_id}",
    response={200: ScreeningDetailOut, **error_responses(404, 410)},
    operation_id="get_screening",
    summary="One screening with its item answers (the read is audited)",
)
def get_screening(request: AuthedRequest, screening_id: uuid.UUID) -> Screening:
    return services.get_screening(screening_id, by=request.auth)


@router.patch(
    "/goals/{uuid:goal_id}",
    response={200: GoalOut, **error_responses(403, 404, 410)},
    operation_id="update_goal",
    summary="Change a goal; every change is a new version",
)
def update_goal(request: AuthedRequest, goal_id: uuid.UUID, payload: GoalPatchIn) -> Any:
    goal = services.get_goal(goal_id, by=request.auth, action=perm.CARE_RECORD)
    goal = services.update_goal(
        goal, by=request.auth, changes=payload.model_dump(exclude_unset=True)
    )
    return _goal(services.get_goal(goal.pk, by=request.auth))


@router.post(
    "/goals/{uuid:goal_id}/steps",
    response={201: StepOut, **error_responses(403, 404, 410)},
    operation_id="add_goal_step",
    summary="Add a step to a goal",
)
def add_step(request: AuthedRequest, goal_id: uuid.UUID, payload: StepIn) -> Status[Any]:
    goal = services.get_goal(goal_id, by=request.auth, action=perm.CARE_RECORD)
    step = services.add_step(goal, by=request.auth, step=payload.model_dump(exclude_none=True))
    return Status(201, _step(step))


@router.get(
    "/goals/{uuid:goal_id}/history",
    response={200: list[GoalVersionOut], **error_responses(404, 410)},
    operation_id="goal_history",
    summary="Every version of a goal, newest first",
)
def goal_history(request: AuthedRequest, goal_id: uuid.UUID) -> list[Any]:
    goal = services.get_goal(goal_id, by=request.auth)
    return services.goal_history(goal, by=request.auth)


@router.patch(
    "/steps/{uuid:step_id}",
    response={200: StepOut, **error_responses(403, 404, 410)},
    operation_id="update_goal_step",
    summary="Change a step (a new version of its goal)",
)
def update_step(request: AuthedRequest, step_id: uuid.UUID, payload: StepPatchIn) -> Any:
    step = services.get_step(step_id, by=request.auth)
    step = services.update_step(
        step, by=request.auth, changes=payload.model_dump(exclude_unset=True)
    )
    return _step(step)


@router.patch(
    "/appointments/{uuid:appointment_id}",
    response={200: AppointmentOut, **error_responses(403, 404, 410)},
    operation_id="update_appointment",
    summary="Reschedule, move, or mark attended / missed / cancelled",
)
def update_appointment(
    request: AuthedRequest, appointment_id: uuid.UUID, payload: AppointmentPatchIn
) -> Appointment:
    appointment = services.get_appointment(appointment_id, by=request.auth)
    return services.update_appointment(
        appointment, by=request.auth, changes=payload.model_dump(exclude_unset=True)
    )


@router.put(
    "/intakes/{uuid:intake_id}/steps/{step_code}",
    response={200: IntakeOut, **error_responses(403, 404, 409, 410)},
    operation_id="save_intake_step",
    summary="Save one step of the care intake (every question may be skipped)",
)
def save_intake_step(
    request: AuthedRequest, intake_id: uuid.UUID, step_code: str, payload: IntakeStepIn
) -> dict[str, Any]:
    draft = services.get_intake(intake_id, by=request.auth)
    draft = services.save_intake_step(
        draft,
        by=request.auth,
        step=step_code,
        answers=payload.answers,
        interpreter_used=payload.interpreter_used,
        interpreter_language=payload.interpreter_language,
    )
    return _intake(draft)


@router.post(
    "/intakes/{uuid:intake_id}/complete",
    response={200: IntakeOut, **error_responses(403, 404, 409, 410)},
    operation_id="complete_intake",
    summary="Finish the care intake",
)
def complete_intake(request: AuthedRequest, intake_id: uuid.UUID) -> dict[str, Any]:
    draft = services.get_intake(intake_id, by=request.auth)
    return _intake(services.complete_intake(draft, by=request.auth))


# --- one survivor -------------------------------------------------------------------------


@router.get(
    SURVIVOR + "/needs",
    response={200: list[NeedOut], **error_responses(403, 404, 410)},
    operation_id="current_needs",
    summary="Domains of the latest assessment, most urgent first (1-2 are needs)",
)
def current_needs(request: AuthedRequest, survivor_id: uuid.UUID) -> list[dict[str, Any]]:
    return services.current_needs(_survivor(request, survivor_id), by=request.auth)


@router.get(
    SURVIVOR + "/assessments",
    response={200: list[AssessmentOut], **error_responses(403, 404, 410)},
    operation_id="list_assessments",
    summary="Every needs assessment, newest first",
)
def list_assessments(request: AuthedRequest, survivor_id: uuid.UUID) -> list[dict[str, Any]]:
    survivor = _survivor(request, survivor_id)
    return [_assessment(a) for a in services.list_assessments(survivor, by=request.auth)]


@router.post(
    SURVIVOR + "/assessments",
    response={201: AssessmentOut, **error_responses(403, 404, 410)},
    operation_id="record_assessment",
    summary="Record a needs assessment completed with the survivor",
)
def record_assessment(
    request: AuthedRequest, survivor_id: uuid.UUID, payload: AssessmentIn
) -> Status[dict[str, Any]]:
    survivor = _survivor(request, survivor_id)
    assessment = services.record_assessment(
        survivor,
        by=request.auth,
        scores=payload.scores,
        notes=payload.notes,
        assessed_on=payload.assessed_on,
        interpreter_used=payload.interpreter_used,
        interpreter_language=payload.interpreter_language,
    )
    return Status(201, _assessment(assessment))


@router.get(
    SURVIVOR + "/progress",
    response={200: ProgressOut, **error_responses(403, 404, 410)},
    operation_id="care_progress",
    summary="Domain scores and screening totals over time",
)
def progress(request: AuthedRequest, survivor_id: uuid.UUID) -> dict[str, Any]:
    return services.progress_data(_survivor(request, survivor_id), by=request.auth)


@router.get(
    SURVIVOR + "/screenings",
    response={200: list[ScreeningOut], **error_responses(403, 404, 410)},
    operation_id="list_screenings",
    summary="Screenings and declines, newest first (totals and bands)",
)
def list_screenings(request: AuthedRequest, survivor_id: uuid.UUID) -> list[Screening]:
    return services.list_screenings(_survivor(request, survivor_id), by=request.auth)


@router.post(
    SURVIVOR + "/screenings",
    response={201: ScreeningOut, **error_responses(403, 404, 410)},
    operation_id="record_screening",
    summary="Record a completed screening; PHQ-9 item 9 above 0 raises a safety follow-up",
)
def record_screening(
    request: AuthedRequest, survivor_id: uuid.UUID, payload: ScreeningIn
) -> Status[Screening]:
    screening = services.record_screening(
        _survivor(request, survivor_id),
        by=request.auth,
        instrument=payload.instrument,
        version=payload.version,
        language=payload.language,
        answers=payload.answers,  # type: ignore[arg-type]
        administered_at=payload.administered_at,
        interpreter_used=payload.interpreter_used,
        interpreter_language=payload.interpreter_language,
    )
    return Status(201, screening)


@router.post(
    SURVIVOR + "/screenings/decline",
    response={201: ScreeningOut, **error_responses(403, 404, 410)},
    operation_id="decline_screening",
    summary="Record that the survivor chose not to take a screening",
)
def decline_screening(
    request: AuthedRequest, survivor_id: uuid.UUID, payload: DeclineIn
) -> Status[Screening]:
    screening = services.decline_screening(
        _survivor(request, survivor_id),
        by=request.auth,
        instrument=payload.instrument,
        reason=payload.reason,
        language=payload.language,
    )
    return Status(201, screening)


@router.get(
    SURVIVOR + "/goals",
    response={200: list[GoalOut], **error_responses(403, 404, 410)},
    operation_id="list_goals",
    summary="The service plan: goals with their steps",
)
def list_goals(request: AuthedRequest, survivor_id: uuid.UUID) -> list[dict[str, Any]]:
    survivor = _survivor(request, survivor_id)
    return [_goal(goal) for goal in services.list_goals(survivor, by=request.auth)]


@router.post(
    SURVIVOR + "/goals",
    response={201: GoalOut, **error_responses(403, 404, 410)},
    operation_id="add_goal",
    summary="Add a goal in the survivor's own words",
)
def add_goal(request: AuthedRequest, survivor_id: uuid.UUID, payload: GoalIn) -> Status[Any]:
    survivor = _survivor(request, survivor_id)
    goal = services.add_goal(
        survivor,
        by=request.auth,
        text=payload.text,
        domain_code=payload.domain_code,
        target_date=payload.target_date,
        survivor_agreed=payload.survivor_agreed,
        steps=[step.model_dump(exclude_none=True) for step in payload.steps],
    )
    return Status(201, _goal(services.get_goal(goal.pk, by=request.auth)))


@router.get(
    SURVIVOR + "/notes",
    response={200: NotesOut, **error_responses(403, 404, 410)},
    operation_id="list_notes",
    summary="Case notes you may read (restricted notes need the extra permission)",
)
def list_notes(request: AuthedRequest, survivor_id: uuid.UUID) -> dict[str, Any]:
    listed = services.list_notes(_survivor(request, survivor_id), by=request.auth)
    return {"notes": listed.notes, "hidden_restricted": listed.hidden_restricted}


@router.post(
    SURVIVOR + "/notes",
    response={201: NoteOut, **error_responses(403, 404, 410)},
    operation_id="add_note",
    summary="Write a case note (standard or restricted)",
)
def add_note(request: AuthedRequest, survivor_id: uuid.UUID, payload: NoteIn) -> Status[CaseNote]:
    note = services.add_note(
        _survivor(request, survivor_id),
        by=request.auth,
        body=payload.body,
        sensitivity=payload.sensitivity,
    )
    return Status(201, note)


@router.get(
    SURVIVOR + "/appointments",
    response={200: list[AppointmentOut], **error_responses(403, 404, 410)},
    operation_id="list_appointments",
    summary="Appointments, soonest first",
)
def list_appointments(request: AuthedRequest, survivor_id: uuid.UUID) -> list[Appointment]:
    return services.list_appointments(_survivor(request, survivor_id), by=request.auth)


@router.post(
    SURVIVOR + "/appointments",
    response={201: AppointmentOut, **error_responses(403, 404, 410)},
    operation_id="schedule_appointment",
    summary="Schedule an appointment (a reminder goes to the case manager's tasks)",
)
def schedule_appointment(
    request: AuthedRequest, survivor_id: uuid.UUID, payload: AppointmentIn
) -> Status[Appointment]:
    appointment = services.schedule_appointment(
        _survivor(request, survivor_id),
        by=request.auth,
        kind=payload.kind,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        place=payload.place,
    )
    return Status(201, appointment)


@router.post(
    SURVIVOR + "/tasks",
    response={201: TaskOut, **error_responses(403, 404, 410)},
    operation_id="add_follow_up",
    summary="Add a follow-up task for the survivor's case manager",
)
def add_follow_up(
    request: AuthedRequest, survivor_id: uuid.UUID, payload: FollowUpIn
) -> Status[Any]:
    task = services.add_follow_up(
        _survivor(request, survivor_id),
        by=request.auth,
        due_at=payload.due_at,
        details=payload.details,
        urgent=payload.urgent,
    )
    return Status(201, task)


@router.get(
    SURVIVOR + "/alerts",
    response={200: AlertsOut, **error_responses(403, 404, 410)},
    operation_id="care_alerts",
    summary="Open safety follow-ups for this survivor",
)
def alerts(request: AuthedRequest, survivor_id: uuid.UUID) -> dict[str, int]:
    open_tasks = services.open_safety_follow_ups(_survivor(request, survivor_id), by=request.auth)
    return {"safety_follow_ups": len(open_tasks)}


@router.post(
    SURVIVOR + "/intake",
    response={200: IntakeOut, **error_responses(403, 404, 410)},
    operation_id="open_intake",
    summary="Start the care intake, or resume the unfinished one",
)
def open_intake(request: AuthedRequest, survivor_id: uuid.UUID) -> dict[str, Any]:
    return _intake(services.open_intake(_survivor(request, survivor_id), by=request.auth))
