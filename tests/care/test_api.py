"""The care JSON API: each call goes through the services; bad input is a 422 naming the field."""

from __future__ import annotations

import pytest

from reclaim.care.models import Appointment, Assessment, Goal, Screening
from reclaim.core.models import AuditEvent
from reclaim.core.services import create_access_token


@pytest.fixture
def api(client):
    def call(user, method, path, body=None):
        token = create_access_token(by=user, name="t", can_write=True).secret
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return getattr(client, method)(f"/api/v1/care{path}", **kwargs)

    return call


def test_assessment_round_trip_and_needs(api, caseworker, survivor):
    base = f"/survivors/{survivor.pk}"
    response = api(
        caseworker,
        "post",
        base + "/assessments",
        {"scores": {"housing": 1, "income": 4, "food": None}, "notes": {"housing": "sofa"}},
    )
    assert response.status_code == 201, response.content
    assert {s["code"]: s["score"] for s in response.json()["scores"]} == {
        "housing": 1,
        "income": 4,
        "food": None,
    }
    needs = api(caseworker, "get", base + "/needs").json()
    assert [n["code"] for n in needs] == ["housing", "income", "food"]
    listed = api(caseworker, "get", base + "/assessments").json()
    assert [s["note"] for s in listed[0]["scores"] if s["code"] == "housing"] == ["sofa"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scores": {"housing": 9}}, "scores.housing"),
        ({"scores": {"unicorns": 2}}, "scores.unicorns"),
        ({"scores": {}}, "scores"),
    ],
)
def test_bad_assessments_are_422_naming_the_field(api, caseworker, survivor, body, field):
    response = api(caseworker, "post", f"/survivors/{survivor.pk}/assessments", body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"version": "phq9-old"}, "version"),
        ({"answers": [0, 0, 0]}, "answers"),
        ({"answers": [0, 0, None, 0, 0, 0, 0, 0, 0]}, "answers.3"),
        ({"answers": [0, 0, 0, 0, 0, 0, 0, 0, 7]}, "answers.9"),
    ],
)
def test_bad_screenings_are_422_naming_the_field(api, caseworker, survivor, changes, field):
    body = {
        "instrument": "phq9",
        "version": "phq9-2001",
        "language": "en",
        "answers": [0] * 9,
        **changes,
    }
    response = api(caseworker, "post", f"/survivors/{survivor.pk}/screenings", body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Screening.objects.exists()


def test_phq9_item9_shows_in_alerts_and_my_tasks(api, caseworker, survivor):
    body = {
        "instrument": "phq9",
        "version": "phq9-2001",
        "language": "es",
        "answers": [0, 0, 0, 0, 0, 0, 0, 0, 2],
    }
    created = api(caseworker, "post", f"/survivors/{survivor.pk}/screenings", body)
    assert created.status_code == 201
    assert created.json()["safety_flag"] is True
    assert "answers" not in created.json()
    alerts = api(caseworker, "get", f"/survivors/{survivor.pk}/alerts").json()
    assert alerts == {"safety_follow_ups": 1}
    tasks = api(caseworker, "get", "/tasks").json()
    [task] = tasks["today"]
    assert task["kind"] == "safety_follow_up" and task["urgent"] is True
    done = api(caseworker, "post", f"/tasks/{task['id']}/complete")
    assert done.status_code == 200
    assert api(caseworker, "get", f"/survivors/{survivor.pk}/alerts").json() == {
        "safety_follow_ups": 0
    }
    detail = api(caseworker, "get", f"/screenings/{created.json()['id']}").json()
    assert detail["answers"] == [0, 0, 0, 0, 0, 0, 0, 0, 2]


def test_goal_without_text_is_refused_and_history_grows(api, caseworker, survivor):
    base = f"/survivors/{survivor.pk}"
    refused = api(caseworker, "post", base + "/goals", {"text": "  "})
    assert refused.status_code == 422
    assert refused.json()["field"] == "text"
    assert not Goal.objects.exists()
    goal = api(caseworker, "post", base + "/goals", {"text": "Learn to drive"}).json()
    api(caseworker, "patch", f"/goals/{goal['id']}", {"survivor_agreed": True})
    api(caseworker, "post", f"/goals/{goal['id']}/steps", {"text": "Theory", "owner": "survivor"})
    history = api(caseworker, "get", f"/goals/{goal['id']}/history").json()
    assert [v["version"] for v in history] == [3, 2, 1]
    assert history[0]["snapshot"]["steps"][0]["text"] == "Theory"


def test_appointment_end_before_start_is_422(api, caseworker, survivor):
    response = api(
        caseworker,
        "post",
        f"/survivors/{survivor.pk}/appointments",
        {
            "kind": "medical",
            "starts_at": "2030-01-01T10:00:00Z",
            "ends_at": "2030-01-01T09:00:00Z",
        },
    )
    assert response.status_code == 422
    assert response.json()["field"] == "ends_at"
    assert not Appointment.objects.exists()


def test_retired_domain_is_422_for_a_new_assessment(api, caseworker, org_admin, survivor):
    domains = api(org_admin, "get", "/domains").json()
    food = next(d for d in domains if d["code"] == "food")
    retired = api(org_admin, "patch", f"/domains/{food['id']}", {"retired": True})
    assert retired.json()["retired"] is True
    response = api(
        caseworker, "post", f"/survivors/{survivor.pk}/assessments", {"scores": {"food": 2}}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "scores.food"


def test_intake_flow_over_the_api(api, caseworker, survivor):
    opened = api(caseworker, "post", f"/survivors/{survivor.pk}/intake").json()
    saved = api(
        caseworker,
        "put",
        f"/intakes/{opened['id']}/steps/safety",
        {"answers": {"feels_safe_now": "prefer_not_to_say"}, "interpreter_used": False},
    )
    assert saved.status_code == 200
    assert saved.json()["step"] == "housing"
    bad = api(caseworker, "put", f"/intakes/{opened['id']}/steps/safety", {"answers": {"x": "1"}})
    assert bad.status_code == 422 and bad.json()["field"] == "answers.x"
    resumed = api(caseworker, "post", f"/survivors/{survivor.pk}/intake").json()
    assert resumed["id"] == opened["id"]
    assert resumed["answers"]["safety"] == {"feels_safe_now": "prefer_not_to_say"}


def test_partner_staff_get_404_and_the_denial_is_audited(api, partner_staff, survivor):
    before = AuditEvent.objects.filter(action="access.denied").count()
    response = api(partner_staff, "get", f"/survivors/{survivor.pk}/needs")
    assert response.status_code == 404
    assert b"Marisol" not in response.content
    assert AuditEvent.objects.filter(action="access.denied").count() == before + 1


def test_restricted_notes_are_hidden_from_a_teammate(api, caseworker, teammate, survivor):
    base = f"/survivors/{survivor.pk}/notes"
    api(caseworker, "post", base, {"body": "Private", "sensitivity": "restricted"})
    api(caseworker, "post", base, {"body": "Open"})
    listed = api(teammate, "get", base).json()
    assert [n["body"] for n in listed["notes"]] == ["Open"]
    assert listed["hidden_restricted"] == 1
