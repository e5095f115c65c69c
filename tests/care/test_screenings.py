"""Recording, declining and reading screenings; the PHQ-9 item 9 safety follow-up."""

from __future__ import annotations

import pytest

from reclaim.care import services
from reclaim.care.models import Screening, Task, TaskKind
from reclaim.core.errors import NotFound, ValidationFailed
from reclaim.core.models import AuditEvent
from tests.core.rawdb import read_column


def _phq9(survivor, by, answers, **kw):
    values = {"instrument": "phq9", "version": "phq9-2001", "language": "en", **kw}
    return services.record_screening(survivor, by=by, answers=answers, **values)


def test_a_screening_is_scored_and_its_answers_sealed(caseworker, survivor, phq9_safe):
    screening = _phq9(survivor, caseworker, phq9_safe, language="es")
    assert (screening.total, screening.band, screening.safety_flag) == (6, "mild", False)
    assert screening.version == "phq9-2001"
    assert screening.language == "es"
    raw = read_column(Screening, "answers", screening.pk)
    assert b"[1," not in raw and b"1,1,2" not in raw
    assert services.get_screening(screening.pk, by=caseworker).answers == phq9_safe
    assert not Task.objects.exists()


def test_phq9_item9_above_zero_raises_an_urgent_safety_task_for_the_case_manager(
    caseworker, supervisor, survivor, phq9_item9
):
    screening = _phq9(survivor, supervisor, phq9_item9)
    task = Task.objects.get()
    assert task.kind == TaskKind.SAFETY_FOLLOW_UP
    assert task.urgent is True
    assert task.assignee == caseworker  # the survivor's case manager, not the supervisor
    assert task.screening == screening
    assert services.open_safety_follow_ups(survivor, by=caseworker) == [task]
    assert AuditEvent.objects.filter(action="care.task.create").count() == 1


def test_completing_the_safety_task_clears_the_banner(caseworker, survivor, phq9_item9):
    _phq9(survivor, caseworker, phq9_item9)
    task = services.get_task(Task.objects.get().pk, by=caseworker)
    services.complete_task(task, by=caseworker)
    assert services.open_safety_follow_ups(survivor, by=caseworker) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"version": "phq9-1999"}, "version"),
        ({"instrument": "beck"}, "instrument"),
        ({"language": "fr"}, "language"),
        ({"answers": [0] * 8}, "answers"),
        ({"answers": [0, 0, 0, 0, 5, 0, 0, 0, 0]}, "answers.5"),
        ({"answers": [0, 0, None, 0, 0, 0, 0, 0, 0]}, "answers.3"),
        ({"instrument": "gad7", "version": "gad7-2006", "answers": [0] * 9}, "answers"),
    ],
)
def test_bad_screenings_name_the_field_and_save_nothing(caseworker, survivor, changes, field):
    values = {
        "instrument": "phq9",
        "version": "phq9-2001",
        "language": "en",
        "answers": [0] * 9,
        **changes,
    }
    with pytest.raises(ValidationFailed) as error:
        services.record_screening(survivor, by=caseworker, **values)
    assert error.value.field == field
    assert not Screening.objects.exists()


def test_declining_is_recorded_with_a_sealed_reason_and_is_not_a_score(caseworker, survivor):
    declined = services.decline_screening(
        survivor, by=caseworker, instrument="pcl5", reason="Not today, too tired"
    )
    assert declined.status == "declined"
    assert declined.total is None
    assert b"tired" not in read_column(Screening, "decline_reason", declined.pk)
    assert services.list_screenings(survivor, by=caseworker)[0].decline_reason == (
        "Not today, too tired"
    )
    assert services.progress_data(survivor, by=caseworker)["screenings"] == []


def test_pcl5_stores_the_cluster_result(caseworker, survivor):
    answers = [2] * 20
    screening = services.record_screening(
        survivor,
        by=caseworker,
        instrument="pcl5",
        version="pcl5-2013",
        language="en",
        answers=answers,
    )
    assert screening.total == 40
    assert screening.details == {
        "clusters": {"B": True, "C": True, "D": True, "E": True},
        "provisional_ptsd": True,
        "cut_point_met": True,
    }


@pytest.mark.parametrize("persona", ["other_caseworker", "outsider", "partner_staff"])
def test_out_of_scope_users_cannot_read_answers(request, caseworker, survivor, phq9_safe, persona):
    screening = _phq9(survivor, caseworker, phq9_safe)
    with pytest.raises(NotFound):
        services.get_screening(screening.pk, by=request.getfixturevalue(persona))
