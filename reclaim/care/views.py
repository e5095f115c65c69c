"""Staff pages of the care record. Each view parses its input, calls one service, renders.

URLs carry opaque UUIDs only. Domain errors become pages through `shows_domain_errors`; a
service's ValidationFailed is shown next to the field it names.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from reclaim.core import access
from reclaim.core import permissions as perm
from reclaim.core.errors import ValidationFailed
from reclaim.core.models import Organisation
from reclaim.core.views import permission_denied, shows_domain_errors
from reclaim.survivors import services as survivor_services

from . import charts, services
from .forms import (
    AppointmentForm,
    AppointmentStatusForm,
    AssessmentForm,
    DeclineForm,
    DomainForm,
    DomainRenameForm,
    FollowUpForm,
    GoalForm,
    GoalUpdateForm,
    IntakeStepForm,
    NoteForm,
    ScreeningForm,
    StepForm,
    StepStatusForm,
)
from .instruments import INSTRUMENTS, LANGUAGES, band_label
from .intake import STEP_CODES, STEPS, STEPS_BY_CODE

ERROR = 422


def _survivor(request: HttpRequest, survivor_id: Any) -> Any:
    return survivor_services.get_survivor(survivor_id, by=request.user)


def _language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang") or (get_language() or "en")[:2]
    return wanted if wanted in LANGUAGES else "en"


def _base(request: HttpRequest, survivor: Any) -> dict[str, Any]:
    return {
        "survivor": survivor,
        "alias": survivor_services.display_alias(survivor),
        "safety_alerts": services.open_safety_follow_ups(survivor, by=request.user),
        "can_record": access.can(request.user, perm.CARE_RECORD, survivor.organisation_id),
    }


def _to_overview(survivor: Any, anchor: str = "") -> HttpResponse:
    response = redirect("care_overview", survivor_id=survivor.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


# --- overview -----------------------------------------------------------------------------


def _overview_context(request: HttpRequest, survivor: Any, **forms: Any) -> dict[str, Any]:
    user = request.user
    notes = services.list_notes(survivor, by=user)
    screenings = services.list_screenings(survivor, by=user)
    return {
        **_base(request, survivor),
        "needs": services.current_needs(survivor, by=user),
        "screenings": [
            (row, INSTRUMENTS[row.instrument].name, band_label(row.band)) for row in screenings
        ],
        "instruments": INSTRUMENTS.values(),
        "goals": services.list_goals(survivor, by=user),
        "notes": notes.notes,
        "hidden_restricted": notes.hidden_restricted,
        "appointments": services.list_appointments(survivor, by=user),
        "note_form": forms.get("note_form") or NoteForm(),
        "appointment_form": forms.get("appointment_form") or AppointmentForm(),
        "follow_up_form": forms.get("follow_up_form") or FollowUpForm(),
        "status_choices": AppointmentStatusForm.base_fields["status"].choices,  # type: ignore[attr-defined]
    }


@never_cache
@login_required
@shows_domain_errors
def overview(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    """The care record on one page: safety, needs, screenings, plan, appointments, notes."""
    survivor = _survivor(request, survivor_id)
    return render(request, "care/overview.html", _overview_context(request, survivor))


@never_cache
@login_required
@require_POST
@shows_domain_errors
def add_note(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    survivor = _survivor(request, survivor_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(
                survivor,
                by=request.user,
                body=form.cleaned_data["body"],
                sensitivity=form.cleaned_data["sensitivity"],
            )
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The note was saved."))
            return _to_overview(survivor, "notes")
    context = _overview_context(request, survivor, note_form=form)
    return render(request, "care/overview.html", context, status=ERROR)


@never_cache
@login_required
@require_POST
@shows_domain_errors
def schedule_appointment(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    survivor = _survivor(request, survivor_id)
    form = AppointmentForm(request.POST)
    if form.is_valid():
        try:
            services.schedule_appointment(survivor, by=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The appointment was added, with a reminder."))
            return _to_overview(survivor, "appointments")
    context = _overview_context(request, survivor, appointment_form=form)
    return render(request, "care/overview.html", context, status=ERROR)


@never_cache
@login_required
@require_POST
@shows_domain_errors
def update_appointment(request: HttpRequest, appointment_id: Any) -> HttpResponse:
    appointment = services.get_appointment(appointment_id, by=request.user)
    form = AppointmentStatusForm(request.POST)
    if form.is_valid():
        services.update_appointment(
            appointment, by=request.user, changes={"status": form.cleaned_data["status"]}
        )
        messages.success(request, _("The appointment was updated."))
    else:
        messages.error(request, _("Choose a status."))
    return _to_overview(appointment.survivor, "appointments")


@never_cache
@login_required
@require_POST
@shows_domain_errors
def add_follow_up(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    survivor = _survivor(request, survivor_id)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.add_follow_up(survivor, by=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The follow-up is in the task list."))
            return _to_overview(survivor, "appointments")
    context = _overview_context(request, survivor, follow_up_form=form)
    return render(request, "care/overview.html", context, status=ERROR)


# --- needs assessment ---------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def new_assessment(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    """Score the domains together with the survivor; any domain may be left out."""
    survivor = _survivor(request, survivor_id)
    domains = services.list_domains(survivor.organisation_id, by=request.user)
    form = AssessmentForm(request.POST or None, domains=domains)
    if request.method == "POST" and form.is_valid():
        scores, notes = form.scores_and_notes()
        if not form.errors:
            used, language = form.interpreter()
            try:
                services.record_assessment(
                    survivor,
                    by=request.user,
                    scores=scores,
                    notes=notes,
                    assessed_on=form.cleaned_data["assessed_on"],
                    interpreter_used=used,
                    interpreter_language=language,
                )
            except ValidationFailed as exc:
                _add_error(form, exc)
            else:
                messages.success(request, _("The assessment was saved."))
                return _to_overview(survivor, "needs")
    context = {**_base(request, survivor), "form": form}
    return render(request, "care/assessment.html", context, status=ERROR if form.errors else 200)


def _add_error(form: Any, exc: ValidationFailed) -> None:
    # Service fields are "scores.<code>" / "notes.<code>"; the form's are "score_<code>".
    field = (exc.field or "").replace("scores.", "score_").replace("notes.", "note_")
    form.add_error(field if field in form.fields else None, exc.detail)


# --- screenings ---------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def screening(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    """Ask a screening (`?instrument=phq9|gad7|pcl5`) in English or Spanish, as published."""
    survivor = _survivor(request, survivor_id)
    chosen = INSTRUMENTS.get(request.GET.get("instrument", "phq9"))
    if chosen is None:
        raise Http404
    language = request.POST.get("language") or _language(request)
    language = language if language in LANGUAGES else "en"
    form = ScreeningForm(request.POST or None, instrument=chosen, language=language)
    if request.method == "POST" and form.is_valid():
        used, interpreter = form.interpreter()
        try:
            services.record_screening(
                survivor,
                by=request.user,
                instrument=chosen.code,
                version=request.POST.get("version", ""),
                language=language,
                answers=form.answers(),
                interpreter_used=used,
                interpreter_language=interpreter,
            )
        except ValidationFailed as exc:
            _add_item_error(form, exc)
        else:
            messages.success(request, _("The screening was saved."))
            return _to_overview(survivor, "screenings")
    context = {
        **_base(request, survivor),
        "form": form,
        "decline_form": DeclineForm(),
        "instrument": chosen,
        "language": language,
        "stem": chosen.stem[language],
        "other_language": "es" if language == "en" else "en",
    }
    return render(request, "care/screening.html", context, status=ERROR if form.errors else 200)


def _add_item_error(form: Any, exc: ValidationFailed) -> None:
    field = (exc.field or "").replace("answers.", "item_")
    form.add_error(field if field in form.fields else None, exc.detail)


@never_cache
@login_required
@require_POST
@shows_domain_errors
def decline_screening(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    survivor = _survivor(request, survivor_id)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.decline_screening(
                survivor,
                by=request.user,
                instrument=request.POST.get("instrument", ""),
                reason=form.cleaned_data["reason"],
                language=request.POST.get("language") or "en",
            )
        except ValidationFailed as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("The survivor's choice not to take it was recorded."))
    else:
        messages.error(request, _("The reason is too long or has characters we cannot store."))
    return _to_overview(survivor, "screenings")


# --- service plan -------------------------------------------------------------------------


def _plan_context(request: HttpRequest, survivor: Any, **forms: Any) -> dict[str, Any]:
    domains = services.list_domains(survivor.organisation_id, by=request.user)
    goals = services.list_goals(survivor, by=request.user)
    return {
        **_base(request, survivor),
        "goals": [
            (
                goal,
                GoalUpdateForm(
                    initial={
                        "text": goal.text,
                        "status": goal.status,
                        "survivor_agreed": goal.survivor_agreed_at is not None,
                    },
                    prefix=str(goal.pk),
                ),
                StepForm(prefix=f"step-{goal.pk}"),
            )
            for goal in goals
        ],
        "goal_form": forms.get("goal_form") or GoalForm(domains=domains),
        "step_status_choices": StepStatusForm.base_fields["status"].choices,  # type: ignore[attr-defined]
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def plan(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    """The service plan; a POST adds a goal in the survivor's own words."""
    survivor = _survivor(request, survivor_id)
    if request.method == "POST":
        domains = services.list_domains(survivor.organisation_id, by=request.user)
        form = GoalForm(request.POST, domains=domains)
        if form.is_valid():
            data = form.cleaned_data
            steps = []
            if data["first_step"]:
                steps = [{"text": data["first_step"], "owner": data["first_step_owner"]}]
            try:
                services.add_goal(
                    survivor,
                    by=request.user,
                    text=data["text"],
                    domain_code=data["domain_code"] or None,
                    target_date=data["target_date"],
                    survivor_agreed=data["survivor_agreed"],
                    steps=steps,
                )
            except ValidationFailed as exc:
                renamed = {"steps.1.text": "first_step", "steps.1.owner": "first_step_owner"}
                field = renamed.get(exc.field or "", exc.field or "")
                form.add_error(field if field in form.fields else None, exc.detail)
            else:
                messages.success(request, _("The goal was added to the plan."))
                return redirect("care_plan", survivor_id=survivor.pk)
        context = _plan_context(request, survivor, goal_form=form)
        return render(request, "care/plan.html", context, status=ERROR)
    return render(request, "care/plan.html", _plan_context(request, survivor))


@never_cache
@login_required
@require_POST
@shows_domain_errors
def update_goal(request: HttpRequest, goal_id: Any) -> HttpResponse:
    goal = services.get_goal(goal_id, by=request.user, action=perm.CARE_RECORD)
    form = GoalUpdateForm(request.POST, prefix=str(goal.pk))
    if form.is_valid():
        try:
            services.update_goal(goal, by=request.user, changes=form.cleaned_data)
        except ValidationFailed as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("The goal was updated."))
    else:
        messages.error(request, _("The goal needs text in the survivor's own words."))
    return redirect("care_plan", survivor_id=goal.survivor_id)


@never_cache
@login_required
@require_POST
@shows_domain_errors
def add_step(request: HttpRequest, goal_id: Any) -> HttpResponse:
    goal = services.get_goal(goal_id, by=request.user, action=perm.CARE_RECORD)
    form = StepForm(request.POST, prefix=f"step-{goal.pk}")
    if form.is_valid():
        services.add_step(goal, by=request.user, step=form.cleaned_data)
        messages.success(request, _("The step was added."))
    else:
        messages.error(request, _("A step needs text and who does it."))
    return redirect("care_plan", survivor_id=goal.survivor_id)


@never_cache
@login_required
@require_POST
@shows_domain_errors
def update_step(request: HttpRequest, step_id: Any) -> HttpResponse:
    step = services.get_step(step_id, by=request.user)
    form = StepStatusForm(request.POST)
    if form.is_valid():
        services.update_step(step, by=request.user, changes=form.cleaned_data)
        messages.success(request, _("The step was updated."))
    else:
        messages.error(request, _("Choose a status."))
    return redirect("care_plan", survivor_id=step.survivor_id)


@never_cache
@login_required
@shows_domain_errors
def goal_history(request: HttpRequest, goal_id: Any) -> HttpResponse:
    """Every version of one goal, newest first."""
    goal = services.get_goal(goal_id, by=request.user)
    versions = services.goal_history(goal, by=request.user)
    context = {
        **_base(request, goal.survivor),
        "goal": goal,
        "versions": versions,
    }
    return render(request, "care/goal_history.html", context)


# --- intake -------------------------------------------------------------------------------


def _to_step(intake_id: Any, step: str) -> HttpResponse:
    response = redirect("care_intake_step", intake_id=intake_id)
    response["Location"] += f"?step={step}"
    return response


@never_cache
@login_required
@require_POST
@shows_domain_errors
def start_intake(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    """Start the care intake, or resume the unfinished one where it stopped."""
    draft = services.open_intake(_survivor(request, survivor_id), by=request.user)
    return _to_step(draft.pk, draft.step)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def intake_step(request: HttpRequest, intake_id: Any) -> HttpResponse:
    """One topic per page (`?step=`), a progress indicator, "why we ask", save and resume."""
    draft = services.get_intake(intake_id, by=request.user)
    step = request.GET.get("step") or draft.step
    if step not in STEPS_BY_CODE:
        raise Http404
    saved = (draft.answers or {}).get(step, {})
    initial = {
        **saved,
        "interpreter_used": {True: "yes", False: "no"}.get(draft.interpreter_used, ""),  # type: ignore[arg-type]
        "interpreter_language": draft.interpreter_language,
    }
    form = IntakeStepForm(request.POST or None, step=STEPS_BY_CODE[step], initial=initial)
    if request.method == "POST" and form.is_valid():
        used, language = form.interpreter()
        try:
            services.save_intake_step(
                draft,
                by=request.user,
                step=step,
                answers=form.answers(),
                interpreter_used=used,
                interpreter_language=language,
            )
        except ValidationFailed as exc:
            field = (exc.field or "").removeprefix("answers.")
            form.add_error(field if field in form.fields else None, exc.detail)
        else:
            if request.POST.get("action") == "pause":
                messages.success(request, _("Saved. You can continue the intake later."))
                return redirect("care_overview", survivor_id=draft.survivor_id)
            following = STEP_CODES.index(step) + 1
            if following < len(STEP_CODES):
                return _to_step(draft.pk, STEP_CODES[following])
            return redirect("care_intake_review", intake_id=draft.pk)
    index = STEP_CODES.index(step)
    context = {
        **_base(request, draft.survivor),
        "draft": draft,
        "form": form,
        "step": STEPS_BY_CODE[step],
        "steps": STEPS,
        "number": index + 1,
        "total": len(STEPS),
        "previous": STEP_CODES[index - 1] if index else None,
    }
    return render(request, "care/intake_step.html", context, status=ERROR if form.errors else 200)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def intake_review(request: HttpRequest, intake_id: Any) -> HttpResponse:
    """What was shared, step by step, and the button that completes the intake."""
    draft = services.get_intake(intake_id, by=request.user)
    if request.method == "POST":
        services.complete_intake(draft, by=request.user)
        messages.success(request, _("The intake is complete."))
        return redirect("care_overview", survivor_id=draft.survivor_id)
    answers = draft.answers or {}
    summary = []
    for step in STEPS:
        rows = []
        for question in step.questions:
            value = answers.get(step.code, {}).get(question.code)
            if value and not question.is_text:
                value = dict(question.all_choices()).get(value, value)
            rows.append((question.label, value))
        summary.append((step, rows))
    context = {**_base(request, draft.survivor), "draft": draft, "summary": summary}
    return render(request, "care/intake_review.html", context)


# --- progress -----------------------------------------------------------------------------


@never_cache
@login_required
@shows_domain_errors
def progress(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    """Charts of domain scores and screening totals over time, and the same data as tables."""
    survivor = _survivor(request, survivor_id)
    data = services.progress_data(survivor, by=request.user)
    dates = data["assessments"]
    table = [
        (domain, [{p["date"]: p["score"] for p in domain["points"]}.get(day, "") for day in dates])
        for domain in data["domains"]
    ]
    screenings = [
        (
            INSTRUMENTS[entry["instrument"]].name,
            entry["instrument"],
            [(p["date"], p["total"], band_label(p["band"])) for p in entry["points"]],
        )
        for entry in data["screenings"]
    ]
    context = {
        **_base(request, survivor),
        "dates": dates,
        "table": table,
        "screenings": screenings,
    }
    return render(request, "care/progress.html", context)


@never_cache
@login_required
@shows_domain_errors
def progress_chart(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    """The chart as SVG (`?chart=domains|phq9|gad7|pcl5`), without any script, same origin."""
    chart = request.GET.get("chart", "domains")
    if chart != "domains" and chart not in INSTRUMENTS:
        raise Http404
    survivor = _survivor(request, survivor_id)
    data = services.progress_data(survivor, by=request.user)
    nonce = str(get_nonce(request))
    if chart == "domains":
        svg = charts.domains_chart(
            data, title=_("Needs over time (1 in crisis to 5 empowered)"), nonce=nonce
        )
    else:
        svg = charts.screening_chart(data, chart, title=INSTRUMENTS[chart].name, nonce=nonce)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = "inline"
    return response


# --- my tasks -----------------------------------------------------------------------------


@never_cache
@login_required
@vary_on_headers("HX-Request")
@shows_domain_errors
def my_tasks(request: HttpRequest) -> HttpResponse:
    """Overdue, today and upcoming tasks of the signed-in case manager."""
    groups = services.my_tasks(by=request.user)
    rows = {
        name: [(task, survivor_services.display_alias(task.survivor)) for task in tasks]
        for name, tasks in groups.items()
    }
    template = "care/tasks.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        template += "#task-lists"
    return render(request, template, {"groups": rows})


@never_cache
@login_required
@require_POST
@shows_domain_errors
def complete_task(request: HttpRequest, task_id: Any) -> HttpResponse:
    task = services.get_task(task_id, by=request.user)
    services.complete_task(task, by=request.user)
    if getattr(request, "htmx", None):
        return my_tasks(request)
    messages.success(request, _("Done."))
    return redirect("care_tasks")


# --- domains (organisation admins) --------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def domains(request: HttpRequest) -> HttpResponse:
    """The organisation's needs domains: add, rename, retire (history is kept)."""
    organisation_ids = access.organisations_where(request.user, perm.CARE_CONFIGURE)
    if not organisation_ids:
        return permission_denied(request)
    organisation = Organisation.objects.get(pk=organisation_ids[0])
    form = DomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_domain(organisation, by=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The domain was added."))
            return redirect("care_domains")
    rows = services.list_domains(organisation.pk, by=request.user, include_retired=True)
    context = {
        "organisation": organisation,
        "domains": [
            (d, DomainRenameForm(initial={"label": d.label}, prefix=str(d.pk))) for d in rows
        ],
        "form": form,
    }
    return render(request, "care/domains.html", context, status=ERROR if form.errors else 200)


@never_cache
@login_required
@require_POST
@shows_domain_errors
def change_domain(request: HttpRequest, domain_id: Any) -> HttpResponse:
    domain = services.get_domain(domain_id, by=request.user)
    action = request.POST.get("action")
    if action in ("retire", "restore"):
        services.set_domain_retired(domain, by=request.user, retired=action == "retire")
        messages.success(request, _("The domain was updated. Past scores are kept."))
        return redirect("care_domains")
    form = DomainRenameForm(request.POST, prefix=str(domain.pk))
    if form.is_valid():
        try:
            services.rename_domain(domain, by=request.user, label=form.cleaned_data["label"])
        except ValidationFailed as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("The domain was renamed."))
    else:
        access.require_in_organisation(request.user, perm.CARE_CONFIGURE, domain.organisation_id)
        messages.error(request, _("Give the domain a name."))
    return redirect("care_domains")
