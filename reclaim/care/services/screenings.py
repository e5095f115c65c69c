"""Validated screenings (PHQ-9, GAD-7, PCL-5): record, decline, read; safety follow-up."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from reclaim.core import permissions as perm
from reclaim.core.errors import ValidationFailed
from reclaim.core.validation import check_aware, clean_text
from reclaim.survivors import services as survivor_services

from .. import scoring
from ..instruments import INSTRUMENTS, LANGUAGES
from ..models import Screening, ScreeningStatus, Task, TaskKind
from ._common import (
    check_interpreter,
    event,
    get_scoped,
    require_on_survivor,
    rows_of_survivor,
    seal_with,
)

REASON_BYTES = 1000


def _instrument(code: Any) -> Any:
    if code not in INSTRUMENTS:
        raise ValidationFailed(
            f"instrument: choose one of {', '.join(sorted(INSTRUMENTS))}.", field="instrument"
        )
    return INSTRUMENTS[code]


def _language(language: Any) -> str:
    if language not in LANGUAGES:
        raise ValidationFailed(
            f"language: the screening is available in {', '.join(LANGUAGES)}.", field="language"
        )
    return str(language)


def _when(at: datetime.datetime | None) -> datetime.datetime:
    at = check_aware(at, field="administered_at") if at is not None else timezone.now()
    if at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationFailed("administered_at: cannot be in the future.", field="administered_at")
    return at


def responsible_case_manager(survivor: Any, *, by: Any) -> Any:
    """Who gets follow-up tasks: the case manager of the survivor's open case, else `by`."""
    for case in survivor_services.list_cases(survivor, by=by):
        if case.closed_on is None and case.assigned_to is not None:
            return case.assigned_to
    return by


def record_screening(
    survivor: Any,
    *,
    by: Any,
    instrument: str,
    version: str,
    language: str,
    answers: Sequence[int],
    administered_at: datetime.datetime | None = None,
    interpreter_used: bool | None = None,
    interpreter_language: str = "",
) -> Screening:
    """Score and record a completed screening; item answers are sealed.

    Refuses unknown instruments, another instrument version, missing or out-of-range items
    (naming `answers.<n>`). A PHQ-9 with item 9 above 0 raises an urgent safety follow-up task
    for the case manager in the same transaction. Requires care.record; audits
    "care.screening.record" (and "care.task.create" for the follow-up).
    """
    require_on_survivor(by, perm.CARE_RECORD, survivor)
    chosen = _instrument(instrument)
    if version != chosen.version:
        raise ValidationFailed(
            f"version: answers are for {version!r}, but {chosen.name} here is {chosen.version!r}.",
            field="version",
        )
    lang = _language(language)
    result = scoring.score(chosen.code, answers)
    at = _when(administered_at)
    used, interpreter = check_interpreter(interpreter_used, interpreter_language)
    with transaction.atomic():
        screening = Screening(
            survivor=survivor,
            organisation_id=survivor.organisation_id,
            instrument=chosen.code,
            version=chosen.version,
            language=lang,
            status=ScreeningStatus.COMPLETED,
            total=result.total,
            band=result.band,
            details=result.details(),
            safety_flag=result.safety_flag,
            administered_at=at,
            recorded_by=by,
            interpreter_used=used,
            interpreter_language=interpreter,
        )
        seal_with(survivor, screening)
        screening.answers = list(answers)
        screening.save()
        event(
            "care.screening.record",
            by=by,
            survivor=survivor,
            target=screening,
            fields=["answers", "total", "band"],
            context={"instrument": chosen.code, "safety_flag": result.safety_flag},
        )
        if result.safety_flag:
            task = Task.objects.create(
                survivor=survivor,
                organisation_id=survivor.organisation_id,
                kind=TaskKind.SAFETY_FOLLOW_UP,
                assignee=responsible_case_manager(survivor, by=by),
                due_at=timezone.now(),
                urgent=True,
                screening=screening,
            )
            event(
                "care.task.create",
                by=by,
                survivor=survivor,
                target=task,
                context={"kind": TaskKind.SAFETY_FOLLOW_UP},
            )
    return screening


def decline_screening(
    survivor: Any,
    *,
    by: Any,
    instrument: str,
    reason: str | None = None,
    language: str = "en",
) -> Screening:
    """Record that the survivor chose not to take a screening (with an optional reason).

    A decline is a choice, not missing data: it is listed, never scored or charted.
    Requires care.record; audits "care.screening.decline".
    """
    require_on_survivor(by, perm.CARE_RECORD, survivor)
    chosen = _instrument(instrument)
    lang = _language(language)
    text = None
    if reason not in (None, ""):
        text = clean_text(reason, field="reason", max_bytes=REASON_BYTES, multiline=True) or None
    with transaction.atomic():
        screening = Screening(
            survivor=survivor,
            organisation_id=survivor.organisation_id,
            instrument=chosen.code,
            version=chosen.version,
            language=lang,
            status=ScreeningStatus.DECLINED,
            administered_at=timezone.now(),
            recorded_by=by,
        )
        seal_with(survivor, screening)
        screening.decline_reason = text
        screening.save()
        event(
            "care.screening.decline",
            by=by,
            survivor=survivor,
            target=screening,
            fields=["decline_reason"] if text else [],
            context={"instrument": chosen.code},
        )
    return screening


def list_screenings(survivor: Any, *, by: Any) -> list[Screening]:
    """Screenings and declines, newest first (totals and bands; answers stay sealed). Audited."""
    in_scope = rows_of_survivor(Screening, survivor, by=by, action=perm.CARE_VIEW)
    with transaction.atomic():
        rows = list(in_scope)
        event("care.screening.list", by=by, survivor=survivor, fields=["total", "band"])
    seal_with(survivor, *rows)
    return rows


def get_screening(screening_id: Any, *, by: Any) -> Screening:
    """One screening with its item answers opened. Requires care.view; audits the read."""
    screening = get_scoped(Screening, screening_id, by=by, action=perm.CARE_VIEW)
    with transaction.atomic():
        event(
            "care.screening.read",
            by=by,
            survivor=screening.survivor,
            target=screening,
            fields=["answers", "decline_reason"],
        )
    seal_with(screening.survivor, screening)
    return screening
