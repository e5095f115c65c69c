"""What a consented referral packet may carry from the care record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..instruments import INSTRUMENTS
from ..models import Goal, Screening, ScreeningStatus
from ._common import seal_with
from .assessments import _latest_scores, _urgency, need_row


def packet_contents(survivor: Any, *, categories: Iterable[str]) -> dict[str, Any]:
    """Needs and goals of the survivor limited to the consented data categories.

    Called ONLY by `reclaim.referrals.services`, after it has checked the caller's access to
    the referral and that a live consent covers these categories; this function checks
    neither and writes no audit event (the referral's share event covers it). Returns
    {"needs": [{code, label, score, category}], "goals": [{text, domain_code, status,
    target_date, survivor_agreed, steps: [{text, owner, target_date, status}]}]} for domains
    whose category is consented (goals follow their domain; a goal without a domain is never
    shared). Never notes. With "mental_health" consented it adds "screenings": the latest
    total and band per instrument, never item answers.
    """
    allowed = set(categories)
    needs = [
        need_row(row)
        for row in sorted(_latest_scores(survivor), key=_urgency)
        if row.domain.category in allowed
    ]
    goals = list(
        Goal.objects.filter(survivor=survivor, domain__category__in=allowed)
        .select_related("domain")
        .prefetch_related("steps")
    )
    seal_with(survivor, *goals, *[step for goal in goals for step in goal.steps.all()])
    contents: dict[str, Any] = {
        "needs": needs,
        "goals": [
            {
                "text": goal.text,
                "domain_code": goal.domain.code if goal.domain else None,
                "status": goal.status,
                "target_date": goal.target_date,
                "survivor_agreed": goal.survivor_agreed_at is not None,
                "steps": [
                    {
                        "text": step.text,
                        "owner": step.owner,
                        "target_date": step.target_date,
                        "status": step.status,
                    }
                    for step in goal.steps.all()
                ],
            }
            for goal in goals
        ],
    }
    if "mental_health" in allowed:
        latest: dict[str, dict[str, Any]] = {}
        completed = Screening.objects.filter(
            survivor=survivor, status=ScreeningStatus.COMPLETED
        ).order_by("-administered_at")
        for instrument, version, total, band, at in completed.values_list(
            "instrument", "version", "total", "band", "administered_at"
        ):
            latest.setdefault(
                instrument,
                {
                    "instrument": instrument,
                    "name": INSTRUMENTS[instrument].name,
                    "version": version,
                    "total": total,
                    "band": band,
                    "date": at.date(),
                },
            )
        contents["screenings"] = sorted(latest.values(), key=lambda row: row["instrument"])
    return contents
