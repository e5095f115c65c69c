"""Screening scoring against the published rules, by example and with hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reclaim.care import scoring
from reclaim.care.instruments import INSTRUMENTS
from reclaim.core.errors import ValidationFailed

phq9_answers = st.lists(st.integers(0, 3), min_size=9, max_size=9)
gad7_answers = st.lists(st.integers(0, 3), min_size=7, max_size=7)
pcl5_answers = st.lists(st.integers(0, 4), min_size=20, max_size=20)


def _published_phq9_band(total: int) -> str:
    if total <= 4:
        return "minimal"
    if total <= 9:
        return "mild"
    if total <= 14:
        return "moderate"
    if total <= 19:
        return "moderately_severe"
    return "severe"


def _published_gad7_band(total: int) -> str:
    if total <= 4:
        return "minimal"
    if total <= 9:
        return "mild"
    if total <= 14:
        return "moderate"
    return "severe"


@given(phq9_answers)
def test_phq9_total_band_and_safety_flag_follow_the_published_rules(answers):
    result = scoring.score_phq9(answers)
    assert result.total == sum(answers)
    assert 0 <= result.total <= 27
    assert result.band == _published_phq9_band(result.total)
    assert result.safety_flag is (answers[8] > 0)


@given(gad7_answers)
def test_gad7_total_and_band_follow_the_published_rules(answers):
    result = scoring.score_gad7(answers)
    assert result.total == sum(answers)
    assert result.band == _published_gad7_band(result.total)
    assert result.safety_flag is False


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_edges(total, band):
    answers = [0] * 9
    remaining = total
    for index in range(8):  # keep item 9 at 0 unless needed
        answers[index] = min(3, remaining)
        remaining -= answers[index]
    answers[8] = remaining
    assert scoring.score_phq9(answers).band == band


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_edges(total, band):
    answers = [0] * 7
    remaining = total
    for index in range(7):
        answers[index] = min(3, remaining)
        remaining -= answers[index]
    assert scoring.score_gad7(answers).band == band


def _cluster_met(answers, items, needed):
    return sum(1 for n in items if answers[n - 1] >= 2) >= needed


@given(pcl5_answers)
def test_pcl5_clusters_provisional_result_and_cut_point(answers):
    result = scoring.score_pcl5(answers)
    expected = {
        "B": _cluster_met(answers, range(1, 6), 1),
        "C": _cluster_met(answers, range(6, 8), 1),
        "D": _cluster_met(answers, range(8, 15), 2),
        "E": _cluster_met(answers, range(15, 21), 2),
    }
    assert result.total == sum(answers)
    assert result.clusters == expected
    assert result.provisional_ptsd is all(expected.values())
    assert result.cut_point_met is (sum(answers) >= 33)
    assert result.band == ("at_or_above_cut_point" if sum(answers) >= 33 else "below_cut_point")


def test_pcl5_item_rated_1_is_not_a_symptom():
    answers = [1] * 20
    result = scoring.score_pcl5(answers)
    assert result.clusters == {"B": False, "C": False, "D": False, "E": False}
    assert result.provisional_ptsd is False


def test_pcl5_minimal_provisional_pattern():
    answers = [0] * 20
    answers[0] = 2  # B: item 1
    answers[5] = 2  # C: item 6
    answers[7] = answers[8] = 2  # D: items 8, 9
    answers[14] = answers[15] = 2  # E: items 15, 16
    result = scoring.score_pcl5(answers)
    assert result.provisional_ptsd is True
    assert result.total == 12
    assert result.cut_point_met is False
    answers[15] = 1  # E now has one symptom only
    assert scoring.score_pcl5(answers).provisional_ptsd is False


@given(st.lists(st.integers(0, 3), max_size=12).filter(lambda a: len(a) != 9))
def test_phq9_refuses_the_wrong_number_of_items(answers):
    with pytest.raises(ValidationFailed) as error:
        scoring.score_phq9(answers)
    assert error.value.field == "answers"


@given(st.integers(0, 8), st.one_of(st.integers(4, 100), st.integers(-100, -1)))
def test_phq9_refuses_an_item_out_of_range_naming_it(position, value):
    answers = [0] * 9
    answers[position] = value
    with pytest.raises(ValidationFailed) as error:
        scoring.score_phq9(answers)
    assert error.value.field == f"answers.{position + 1}"


@pytest.mark.parametrize("bad", [None, "2", 1.5, True])
def test_a_missing_or_non_number_item_is_refused(bad):
    answers = [0] * 7
    answers[3] = bad
    with pytest.raises(ValidationFailed) as error:
        scoring.score_gad7(answers)
    assert error.value.field == "answers.4"


def test_instruments_have_items_in_both_languages_and_attribution():
    for instrument in INSTRUMENTS.values():
        assert len(instrument.items["en"]) == len(instrument.items["es"])
        assert len(instrument.options["en"]) == instrument.max_item + 1
        assert len(instrument.options["es"]) == instrument.max_item + 1
        assert instrument.attribution
    assert INSTRUMENTS["phq9"].item_count == 9
    assert INSTRUMENTS["gad7"].item_count == 7
    assert INSTRUMENTS["pcl5"].item_count == 20
    assert "Pfizer" in INSTRUMENTS["phq9"].attribution
