"""Care pages. Every URL names records by opaque UUIDs only."""

from django.urls import path

from . import views

S = "care/survivors/<uuid:survivor_id>/"

urlpatterns = [
    path("care/tasks/", views.my_tasks, name="care_tasks"),
    path("care/tasks/<uuid:task_id>/done/", views.complete_task, name="care_task_done"),
    path("care/domains/", views.domains, name="care_domains"),
    path("care/domains/<uuid:domain_id>/", views.change_domain, name="care_domain_change"),
    path(S, views.overview, name="care_overview"),
    path(S + "notes/", views.add_note, name="care_note_add"),
    path(S + "appointments/", views.schedule_appointment, name="care_appointment_add"),
    path(S + "follow-ups/", views.add_follow_up, name="care_follow_up_add"),
    path(S + "assessment/", views.new_assessment, name="care_assessment"),
    # The instrument is a query parameter (?instrument=phq9): ids only in paths.
    path(S + "screening/", views.screening, name="care_screening"),
    path(S + "screening/decline/", views.decline_screening, name="care_screening_decline"),
    path(S + "plan/", views.plan, name="care_plan"),
    path(S + "intake/", views.start_intake, name="care_intake_start"),
    path(S + "progress/", views.progress, name="care_progress"),
    path(S + "progress/chart.svg", views.progress_chart, name="care_progress_chart"),
    path(
        "care/appointments/<uuid:appointment_id>/",
        views.update_appointment,
        name="care_appointment_update",
    ),
    path("care/goals/<uuid:goal_id>/", views.update_goal, name="care_goal_update"),
    path("care/goals/<uuid:goal_id>/steps/", views.add_step, name="care_step_add"),
    path("care/goals/<uuid:goal_id>/history/", views.goal_history, name="care_goal_history"),
    path("care/steps/<uuid:step_id>/", views.update_step, name="care_step_update"),
    path("care/intake/<uuid:intake_id>/review/", views.intake_review, name="care_intake_review"),
    # ?step=housing; without it, the step where the intake stopped.
    path("care/intake/<uuid:intake_id>/", views.intake_step, name="care_intake_step"),
]
