"""Care pages with the Django test client: each renders, each form posts, errors show inline."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from reclaim.care import services
from reclaim.care.models import Assessment, CaseNote, Domain, Goal, IntakeDraft, Screening, Task
from tests.ui.conftest import logged_in


@pytest.fixture
def cw(caseworker):
    return logged_in(caseworker)


def _base(survivor):
    return f"/care/survivors/{survivor.pk}/"


def test_overview_renders_every_section(cw, caseworker, survivor):
    services.record_assessment(survivor, by=caseworker, scores={"housing": 1})
    services.add_note(survivor, by=caseworker, body="Likes morning calls")
    response = cw.get(_base(survivor))
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("Current needs", "Screenings", "Service plan", "Appointments", "Case notes"):
        assert text in body
    assert "Likes morning calls" in body
    assert "1 · In crisis" in body
    assert "Marisol" not in response.headers.get("Content-Disposition", "")


def test_assessment_form_saves_scores_and_shows_errors_next_to_the_field(cw, survivor):
    page = cw.get(_base(survivor) + "assessment/")
    assert page.status_code == 200
    assert 'name="score_housing"' in page.content.decode()
    today = timezone.localdate().isoformat()
    bad = cw.post(
        _base(survivor) + "assessment/",
        {"assessed_on": today, "score_housing": "skip", "note_housing": "a note"},
    )
    assert bad.status_code == 422
    assert "Score the domain (or N/A) first." in bad.content.decode()
    assert not Assessment.objects.exists()
    good = cw.post(
        _base(survivor) + "assessment/",
        {
            "assessed_on": today,
            "score_housing": "2",
            "score_food": "na",
            "interpreter_used": "yes",
            "interpreter_language": "es",
        },
    )
    assert good.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.interpreter_language == "es"
    assert {s.domain.code: s.score for s in assessment.scores.all()} == {
        "housing": 2,
        "food": None,
    }


def test_screening_page_asks_in_spanish_with_attribution(cw, survivor):
    response = cw.get(_base(survivor) + "screening/?instrument=phq9&lang=es")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Poco interés o placer en hacer cosas" in body
    assert "Pfizer" in body
    assert 'value="phq9-2001"' in body


def test_item9_screening_puts_a_banner_on_the_care_page_and_the_record(cw, caseworker, survivor):
    data = {f"item_{n}": "0" for n in range(1, 10)}
    data.update(item_9="1", version="phq9-2001", language="en")
    response = cw.post(_base(survivor) + "screening/?instrument=phq9", data)
    assert response.status_code == 302
    assert Task.objects.get().urgent is True
    care = cw.get(_base(survivor)).content.decode()
    assert 'role="alert"' in care and "Safety follow-up needed today." in care
    record = cw.get(f"/survivors/{survivor.pk}/").content.decode()
    assert "Safety follow-up needed today" in record


def test_a_missing_item_is_shown_next_to_it_and_nothing_is_saved(cw, survivor):
    data = {f"item_{n}": "1" for n in range(1, 7)}
    data.update(version="gad7-2006", language="en")
    response = cw.post(_base(survivor) + "screening/?instrument=gad7", data)
    assert response.status_code == 422
    assert "Answer this item" in response.content.decode()
    assert not Screening.objects.exists()


def test_wrong_version_is_refused(cw, survivor):
    data = {f"item_{n}": "1" for n in range(1, 8)}
    data.update(version="gad7-1990", language="en")
    response = cw.post(_base(survivor) + "screening/?instrument=gad7", data)
    assert response.status_code == 422
    assert not Screening.objects.exists()


def test_declining_a_screening_from_the_page(cw, survivor):
    response = cw.post(
        _base(survivor) + "screening/decline/",
        {"instrument": "pcl5", "language": "es", "reason": "Hoy no"},
    )
    assert response.status_code == 302
    declined = Screening.objects.get()
    assert (declined.status, declined.language, declined.decline_reason) == (
        "declined",
        "es",
        "Hoy no",
    )


def test_plan_page_adds_a_goal_and_refuses_one_without_text(cw, survivor):
    assert cw.get(_base(survivor) + "plan/").status_code == 200
    bad = cw.post(_base(survivor) + "plan/", {"text": "", "first_step_owner": "survivor"})
    assert bad.status_code == 422
    assert not Goal.objects.exists()
    good = cw.post(
        _base(survivor) + "plan/",
        {
            "text": "Get my papers back",
            "domain_code": "documents_id",
            "survivor_agreed": "on",
            "first_step": "Call the consulate",
            "first_step_owner": "case_manager",
        },
    )
    assert good.status_code == 302
    goal = Goal.objects.get()
    page = cw.get(_base(survivor) + "plan/").content.decode()
    assert "Get my papers back" in page and "Call the consulate" in page
    cw.post(
        f"/care/goals/{goal.pk}/",
        {f"{goal.pk}-text": "Get my passport back", f"{goal.pk}-status": "in_progress"},
    )
    history = cw.get(f"/care/goals/{goal.pk}/history/").content.decode()
    assert "Get my papers back" in history and "Get my passport back" in history


def test_intake_walks_through_steps_with_progress_and_resumes(cw, survivor):
    started = cw.post(_base(survivor) + "intake/")
    assert started.status_code == 302
    draft = IntakeDraft.objects.get()
    page = cw.get(started["Location"]).content.decode()
    assert "Step 1 of 5" in page and "Why we ask" in page and "Prefer not to say" in page
    saved = cw.post(
        f"/care/intake/{draft.pk}/?step=safety",
        {"feels_safe_now": "prefer_not_to_say", "action": "pause"},
    )
    assert saved.status_code == 302
    resumed = cw.post(_base(survivor) + "intake/")
    assert resumed["Location"].endswith("?step=housing")
    for step in ("housing", "health", "support", "priorities"):
        cw.post(f"/care/intake/{draft.pk}/?step={step}", {"action": "next"})
    review = cw.get(f"/care/intake/{draft.pk}/review/").content.decode()
    assert "Skipped" in review
    cw.post(f"/care/intake/{draft.pk}/review/")
    draft.refresh_from_db()
    assert draft.completed_at is not None


def test_progress_page_has_charts_and_tables(cw, caseworker, survivor):
    services.record_assessment(
        survivor, by=caseworker, scores={"housing": 1}, assessed_on=datetime.date(2026, 1, 2)
    )
    services.record_assessment(survivor, by=caseworker, scores={"housing": 3})
    services.record_screening(
        survivor,
        by=caseworker,
        instrument="gad7",
        version="gad7-2006",
        language="en",
        answers=[2, 2, 2, 2, 0, 0, 0],
    )
    page = cw.get(_base(survivor) + "progress/").content.decode()
    assert "chart.svg?chart=domains" in page and "chart.svg?chart=gad7" in page
    assert "<table" in page and "Mild" in page


@pytest.mark.parametrize("chart", ["domains", "gad7"])
def test_the_chart_is_script_free_svg_whose_styles_carry_the_csp_nonce(
    cw, caseworker, survivor, chart
):
    services.record_assessment(survivor, by=caseworker, scores={"housing": 2})
    services.record_screening(
        survivor,
        by=caseworker,
        instrument="gad7",
        version="gad7-2006",
        language="en",
        answers=[1, 1, 1, 1, 1, 1, 1],
    )
    response = cw.get(_base(survivor) + f"progress/chart.svg?chart={chart}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    assert "<script" not in svg.lower()
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'<style nonce="{nonce}"' in svg
    assert "unsafe-inline" not in policy
    assert "http://pygal" not in svg


def test_my_tasks_lists_and_completes_with_htmx(cw, caseworker, survivor):
    task = services.add_follow_up(
        survivor,
        by=caseworker,
        due_at=timezone.now() - datetime.timedelta(days=1),
        details="Bring the form",
    )
    page = cw.get("/care/tasks/").content.decode()
    assert "Overdue" in page and "Bring the form" in page
    fragment = cw.post(f"/care/tasks/{task.pk}/done/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert 'id="task-lists"' in fragment.content.decode()
    task.refresh_from_db()
    assert task.done_at is not None


def test_notes_and_appointments_post_from_the_overview(cw, survivor):
    base = _base(survivor)
    assert (
        cw.post(base + "notes/", {"body": "Called", "sensitivity": "restricted"}).status_code == 302
    )
    assert CaseNote.objects.get().sensitivity == "restricted"
    bad = cw.post(
        base + "appointments/",
        {"kind": "legal", "starts_at": "2030-01-01T10:00", "ends_at": "2030-01-01T09:00"},
    )
    assert bad.status_code == 422
    assert "Must be after the start." in bad.content.decode()
    good = cw.post(
        base + "appointments/",
        {
            "kind": "legal",
            "starts_at": "2030-01-01T10:00",
            "ends_at": "2030-01-01T11:00",
            "place": "Room 4",
        },
    )
    assert good.status_code == 302
    assert "Room 4" in cw.get(base).content.decode()


def test_admin_adds_renames_and_retires_domains(org_admin, home_org):
    admin = logged_in(org_admin)
    assert admin.get("/care/domains/").status_code == 200
    added = admin.post("/care/domains/", {"code": "pets", "label": "Pets", "category": "education"})
    assert added.status_code == 302
    pets = Domain.objects.get(organisation=home_org, code="pets")
    admin.post(f"/care/domains/{pets.pk}/", {f"{pets.pk}-label": "Animals", "action": "rename"})
    admin.post(f"/care/domains/{pets.pk}/", {"action": "retire"})
    pets.refresh_from_db()
    assert (pets.label, pets.is_retired) == ("Animals", True)


def test_caseworker_cannot_open_domain_settings(cw):
    assert cw.get("/care/domains/").status_code == 403


def test_care_pages_have_no_inline_script_or_style_and_load_nothing_from_elsewhere(
    cw, caseworker, survivor
):
    services.record_assessment(survivor, by=caseworker, scores={"housing": 2})
    goal = services.add_goal(survivor, by=caseworker, text="A job")
    draft = services.open_intake(survivor, by=caseworker)
    pages = [
        _base(survivor),
        _base(survivor) + "assessment/",
        _base(survivor) + "screening/?instrument=pcl5",
        _base(survivor) + "plan/",
        _base(survivor) + "progress/",
        f"/care/goals/{goal.pk}/history/",
        f"/care/intake/{draft.pk}/",
        f"/care/intake/{draft.pk}/review/",
        "/care/tasks/",
    ]
    for url in pages:
        response = cw.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert " style=" not in html, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert not re.search(r'(?:src|href)="(?:https?:)?//', html), url
        assert "Marisol" not in html.split("<title>")[1].split("</title>")[0], url
