"""Scoring of the validated screenings, as pure functions of the item answers.

The rules are the published ones:
- PHQ-9 (Kroenke, Spitzer & Williams 2001): nine items 0-3, total 0-27; severity
  0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe. Any answer
  above 0 on item 9 (thoughts of self-harm) needs a same-day safety follow-up.
- GAD-7 (Spitzer et al. 2006): seven items 0-3, total 0-21; 0-4 minimal, 5-9 mild,
  10-14 moderate, 15-21 severe.
- PCL-5 (Weathers et al. 2013, National Center for PTSD): twenty items 0-4, total 0-80. An item
  counts as a symptom when rated 2 ("moderately") or more. The DSM-5 provisional result needs
  cluster B (items 1-5) >= 1, C (6-7) >= 1, D (8-14) >= 2 and E (15-20) >= 2. A total of 33 or
  more is the commonly used cut-point, reported alongside.

A screening result is never a diagnosis; the pages say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reclaim.core.errors import ValidationFailed


@dataclass(frozen=True)
class ScreeningResult:
    instrument: str
    total: int
    band: str
    safety_flag: bool = False
    # PCL-5 only: {"B": True, ...}, the DSM-5 provisional result and the cut-point.
    clusters: dict[str, bool] = field(default_factory=dict)
    provisional_ptsd: bool | None = None
    cut_point_met: bool | None = None

    def details(self) -> dict[str, object]:
        if not self.clusters:
            return {}
        return {
            "clusters": dict(self.clusters),
            "provisional_ptsd": self.provisional_ptsd,
            "cut_point_met": self.cut_point_met,
        }


PHQ9_ITEMS, GAD7_ITEMS, PCL5_ITEMS = 9, 7, 20
PHQ9_MAX_ITEM, GAD7_MAX_ITEM, PCL5_MAX_ITEM = 3, 3, 4
# (lowest total of the band, band code), in rising order.
PHQ9_BANDS = (
    (0, "minimal"),
    (5, "mild"),
    (10, "moderate"),
    (15, "moderately_severe"),
    (20, "severe"),
)
GAD7_BANDS = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))
PCL5_CUT_POINT = 33
PCL5_BANDS = ((0, "below_cut_point"), (PCL5_CUT_POINT, "at_or_above_cut_point"))
# DSM-5 clusters: item numbers (1-based) and how many must be rated 2 or more.
PCL5_CLUSTERS: dict[str, tuple[range, int]] = {
    "B": (range(1, 6), 1),
    "C": (range(6, 8), 1),
    "D": (range(8, 15), 2),
    "E": (range(15, 21), 2),
}
PCL5_SYMPTOM_THRESHOLD = 2


def check_answers(
    answers: object, *, items: int, max_item: int, field: str = "answers"
) -> list[int]:
    """The answers as a list of ints, or ValidationFailed naming the first bad item."""
    if not isinstance(answers, list | tuple):
        raise ValidationFailed(f"{field}: must be a list of {items} numbers.", field=field)
    if len(answers) != items:
        raise ValidationFailed(
            f"{field}: needs exactly {items} answers, got {len(answers)}.", field=field
        )
    checked = []
    for number, value in enumerate(answers, start=1):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationFailed(
                f"{field}.{number}: is missing or not a number.", field=f"{field}.{number}"
            )
        if not 0 <= value <= max_item:
            raise ValidationFailed(
                f"{field}.{number}: must be between 0 and {max_item}.", field=f"{field}.{number}"
            )
        checked.append(value)
    return checked


def band_for(total: int, bands: Sequence[tuple[int, str]]) -> str:
    chosen = bands[0][1]
    for lowest, code in bands:
        if total >= lowest:
            chosen = code
    return chosen


def score_phq9(answers: Sequence[int]) -> ScreeningResult:
    items = check_answers(answers, items=PHQ9_ITEMS, max_item=PHQ9_MAX_ITEM)
    total = sum(items)
    return ScreeningResult("phq9", total, band_for(total, PHQ9_BANDS), safety_flag=items[8] > 0)


def score_gad7(answers: Sequence[int]) -> ScreeningResult:
    items = check_answers(answers, items=GAD7_ITEMS, max_item=GAD7_MAX_ITEM)
    total = sum(items)
    return ScreeningResult("gad7", total, band_for(total, GAD7_BANDS))


def pcl5_clusters(items: Sequence[int]) -> dict[str, bool]:
    """Which DSM-5 symptom clusters are met (an item counts when rated 2 or more)."""
    return {
        name: sum(1 for number in numbers if items[number - 1] >= PCL5_SYMPTOM_THRESHOLD) >= needed
        for name, (numbers, needed) in PCL5_CLUSTERS.items()
    }


def score_pcl5(answers: Sequence[int]) -> ScreeningResult:
    items = check_answers(answers, items=PCL5_ITEMS, max_item=PCL5_MAX_ITEM)
    total = sum(items)
    clusters = pcl5_clusters(items)
    return ScreeningResult(
        "pcl5",
        total,
        band_for(total, PCL5_BANDS),
        clusters=clusters,
        provisional_ptsd=all(clusters.values()),
        cut_point_met=total >= PCL5_CUT_POINT,
    )


SCORERS = {"phq9": score_phq9, "gad7": score_gad7, "pcl5": score_pcl5}


def score(instrument: str, answers: Sequence[int]) -> ScreeningResult:
    if instrument not in SCORERS:
        raise ValidationFailed(f"instrument: {instrument!r} is not known.", field="instrument")
    return SCORERS[instrument](answers)
