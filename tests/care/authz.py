"""The care app's rows of the authorisation matrix (tests/test_authorization_matrix.py).

Care data has the record's scope: the caseworker (and team), the home organisation's
supervisor and admin; the other caseworker, the partner's supervisor ("outsider") and partner
staff get 404. Domains are organisation configuration: staff of an organisation read its
domains; only organisation admins change them.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from tests.authz_common import FORBIDDEN, NOT_FOUND, OK, expect

POLICY = {
    "care_record": expect(
        OK, other_caseworker=NOT_FOUND, outsider=NOT_FOUND, partner_staff=NOT_FOUND
    ),
    "care_staff": expect(OK),
    # Reading domains needs care.view in some organisation (partner staff have none).
    "care_domains": expect(OK, partner_staff=FORBIDDEN),
    "care_configure": expect(FORBIDDEN, org_admin=OK),
    "care_domain_edit": expect(
        FORBIDDEN, org_admin=OK, outsider=NOT_FOUND, partner_staff=NOT_FOUND
    ),
}

_S = "/api/v1/care/survivors/{survivor_id}"
_P = "care/survivors/<uuid:survivor_id>/"
MATRIX = {
    ("GET", "care/tasks/"): "care_staff",
    ("POST", "care/tasks/<uuid:task_id>/done/"): "care_record",
    ("GET", "care/domains/"): "care_configure",
    ("POST", "care/domains/<uuid:domain_id>/"): "care_domain_edit",
    ("GET", _P): "care_record",
    ("POST", _P + "notes/"): "care_record",
    ("POST", _P + "appointments/"): "care_record",
    ("POST", _P + "follow-ups/"): "care_record",
    ("GET", _P + "assessment/"): "care_record",
    ("GET", _P + "screening/"): "care_record",
    ("POST", _P + "screening/decline/"): "care_record",
    ("GET", _P + "plan/"): "care_record",
    ("POST", _P + "intake/"): "care_record",
    ("GET", _P + "progress/"): "care_record",
    ("GET", _P + "progress/chart.svg"): "care_record",
    ("POST", "care/appointments/<uuid:appointment_id>/"): "care_record",
    ("POST", "care/goals/<uuid:goal_id>/"): "care_record",
    ("POST", "care/goals/<uuid:goal_id>/steps/"): "care_record",
    ("GET", "care/goals/<uuid:goal_id>/history/"): "care_record",
    ("POST", "care/steps/<uuid:step_id>/"): "care_record",
    ("GET", "care/intake/<uuid:intake_id>/review/"): "care_record",
    ("GET", "care/intake/<uuid:intake_id>/"): "care_record",
    ("GET", "/api/v1/care/domains"): "care_domains",
    ("POST", "/api/v1/care/domains"): "care_configure",
    ("PATCH", "/api/v1/care/domains/{domain_id}"): "care_domain_edit",
    ("GET", "/api/v1/care/instruments"): "care_staff",
    ("GET", "/api/v1/care/tasks"): "care_staff",
    ("POST", "/api/v1/care/tasks/{task_id}/complete"): "care_record",
    ("GET", "/api/v1/care/screenings/{screening_id}"): "care_record",
    ("PATCH", "/api/v1/care/goals/{goal_id}"): "care_record",
    ("POST", "/api/v1/care/goals/{goal_id}/steps"): "care_record",
    ("GET", "/api/v1/care/goals/{goal_id}/history"): "care_record",
    ("PATCH", "/api/v1/care/steps/{step_id}"): "care_record",
    ("PATCH", "/api/v1/care/appointments/{appointment_id}"): "care_record",
    ("PUT", "/api/v1/care/intakes/{intake_id}/steps/{step_code}"): "care_record",
    ("POST", "/api/v1/care/intakes/{intake_id}/complete"): "care_record",
    ("GET", _S + "/needs"): "care_record",
    ("GET", _S + "/assessments"): "care_record",
    ("POST", _S + "/assessments"): "care_record",
    ("GET", _S + "/progress"): "care_record",
    ("GET", _S + "/screenings"): "care_record",
    ("POST", _S + "/screenings"): "care_record",
    ("POST", _S + "/screenings/decline"): "care_record",
    ("GET", _S + "/goals"): "care_record",
    ("POST", _S + "/goals"): "care_record",
    ("GET", _S + "/notes"): "care_record",
    ("POST", _S + "/notes"): "care_record",
    ("GET", _S + "/appointments"): "care_record",
    ("POST", _S + "/appointments"): "care_record",
    ("POST", _S + "/tasks"): "care_record",
    ("GET", _S + "/alerts"): "care_record",
    ("POST", _S + "/intake"): "care_record",
}

BODIES = {
    ("POST", "/api/v1/care/domains"): {
        "organisation_id": "{home_org_id}",
        "code": "pets",
        "label": "Pets",
        "category": "education",
    },
    ("PATCH", "/api/v1/care/domains/{domain_id}"): {"label": "Home"},
    ("PATCH", "/api/v1/care/goals/{goal_id}"): {"status": "in_progress"},
    ("POST", "/api/v1/care/goals/{goal_id}/steps"): {"text": "Call", "owner": "survivor"},
    ("PATCH", "/api/v1/care/steps/{step_id}"): {"status": "done"},
    ("PATCH", "/api/v1/care/appointments/{appointment_id}"): {"status": "attended"},
    ("PUT", "/api/v1/care/intakes/{intake_id}/steps/{step_code}"): {"answers": {}},
    ("POST", _S + "/assessments"): {"scores": {"housing": 2}},
    ("POST", _S + "/screenings"): {
        "instrument": "phq9",
        "version": "phq9-2001",
        "language": "en",
        "answers": [0, 0, 0, 0, 0, 0, 0, 0, 0],
    },
    ("POST", _S + "/screenings/decline"): {"instrument": "gad7"},
    ("POST", _S + "/goals"): {"text": "A job I like"},
    ("POST", _S + "/notes"): {"body": "Met today"},
    ("POST", _S + "/appointments"): {
        "kind": "legal",
        "starts_at": "2030-01-01T10:00:00Z",
        "ends_at": "2030-01-01T11:00:00Z",
    },
    ("POST", _S + "/tasks"): {"due_at": "2030-01-01T10:00:00Z"},
}


def make_ids(people: dict[str, Any], ids: dict[str, Any]) -> dict[str, Any]:
    from reclaim.care import services
    from reclaim.care.models import Domain, GoalStep

    caseworker, survivor = people["caseworker"], people["survivor"]
    services.ensure_domains(survivor.organisation_id)
    goal = services.add_goal(
        survivor,
        by=caseworker,
        text="Marisol wants a flat",
        domain_code="housing",
        steps=[{"text": "Visit office", "owner": "survivor"}],
    )
    screening = services.record_screening(
        survivor,
        by=caseworker,
        instrument="gad7",
        version="gad7-2006",
        language="en",
        answers=[1, 1, 1, 1, 1, 1, 1],
    )
    start = timezone.now() + datetime.timedelta(days=3)
    appointment = services.schedule_appointment(
        survivor,
        by=caseworker,
        kind="medical",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
    )
    task = services.add_follow_up(survivor, by=caseworker, due_at=timezone.now())
    intake = services.open_intake(survivor, by=caseworker)
    return {
        "home_org_id": survivor.organisation_id,
        "domain_id": Domain.objects.get(organisation_id=survivor.organisation_id, code="food").pk,
        "goal_id": goal.pk,
        "step_id": GoalStep.objects.get(goal=goal).pk,
        "screening_id": screening.pk,
        "appointment_id": appointment.pk,
        "task_id": task.pk,
        "intake_id": intake.pk,
        "step_code": "safety",
    }
