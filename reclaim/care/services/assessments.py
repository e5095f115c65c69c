"""Needs assessments: each domain scored 1-5 (or N/A) with the survivor; progress over time."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from reclaim.core import access, plain_sql
from reclaim.core import permissions as perm
from reclaim.core.errors import ValidationFailed
from reclaim.core.validation import clean_text

from ..models import Assessment, Domain, DomainScore, Score, Screening, ScreeningStatus
from ._common import check_date, check_interpreter, event, require_on_survivor, seal_with
from .domains import ensure_domains

NOTE_BYTES = 4000
# Scores 1-2 are needs (directory matching reads these).
NEED_THRESHOLD = 2


def _clean_scores(
    organisation_id: Any, scores: Mapping[str, Any], notes: Mapping[str, Any]
) -> list[tuple[Domain, int | None, str | None]]:
    if not isinstance(scores, Mapping) or not scores:
        raise ValidationFailed(
            "scores: score at least one domain (or mark it N/A).", field="scores"
        )
    ensure_domains(organisation_id)
    domains = {d.code: d for d in Domain.objects.filter(organisation_id=organisation_id)}
    for code in notes:
        if code not in scores:
            raise ValidationFailed(
                f"notes.{code}: a note needs a score (or N/A) for that domain.",
                field=f"notes.{code}",
            )
    cleaned = []
    for code, value in scores.items():
        field = f"scores.{code}"
        domain = domains.get(code)
        if domain is None:
            raise ValidationFailed(f"{field}: this organisation has no such domain.", field=field)
        if domain.is_retired:
            raise ValidationFailed(
                f"{field}: this domain is retired; past scores are kept but new assessments "
                "cannot use it.",
                field=field,
            )
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5
        ):
            raise ValidationFailed(f"{field}: must be 1-5, or empty for N/A.", field=field)
        note = notes.get(code)
        if note not in (None, ""):
            note = clean_text(note, field=f"notes.{code}", max_bytes=NOTE_BYTES, multiline=True)
        cleaned.append((domain, value, note or None))
    return cleaned


def record_assessment(
    survivor: Any,
    *,
    by: Any,
    scores: Mapping[str, int | None],
    notes: Mapping[str, str] | None = None,
    assessed_on: datetime.date | None = None,
    interpreter_used: bool | None = None,
    interpreter_language: str = "",
) -> Assessment:
    """Record an assessment completed jointly with the survivor.

    `scores` maps domain codes to 1-5, or None for N/A; domains left out were not discussed.
    Requires care.record. Refuses unknown or retired domains and scores out of range, naming
    the field; nothing is saved unless everything is valid. Audits "care.assessment.record".
    """
    require_on_survivor(by, perm.CARE_RECORD, survivor)
    day = check_date(assessed_on or timezone.localdate(), field="assessed_on", not_future=True)
    used, language = check_interpreter(interpreter_used, interpreter_language)
    cleaned = _clean_scores(survivor.organisation_id, scores, notes or {})
    with transaction.atomic():
        assessment = Assessment.objects.create(
            survivor=survivor,
            organisation_id=survivor.organisation_id,
            assessed_on=day,
            recorded_by=by,
            interpreter_used=used,
            interpreter_language=language,
        )
        rows = [
            DomainScore(
                survivor=survivor,
                organisation_id=survivor.organisation_id,
                assessment=assessment,
                domain=domain,
                score=value,
            )
            for domain, value, _note in cleaned
        ]
        seal_with(survivor, *rows)
        for row, (_domain, _value, note) in zip(rows, cleaned, strict=True):
            row.note = note
        DomainScore.objects.bulk_create(rows)
        event(
            "care.assessment.record",
            by=by,
            survivor=survivor,
            target=assessment,
            fields=["score", *(["note"] if any(n for _d, _v, n in cleaned) else [])],
            context={"domains": len(rows)},
        )
    return assessment


def list_assessments(survivor: Any, *, by: Any) -> list[Assessment]:
    """Every assessment of the survivor, newest first, with their scores. Audited."""
    require_on_survivor(by, perm.CARE_VIEW, survivor)
    with transaction.atomic():
        assessments = list(
            access.scope(by, Assessment)
            .filter(survivor=survivor)
            .prefetch_related("scores__domain")
        )
        event("care.assessment.list", by=by, survivor=survivor, fields=["score", "note"])
    seal_with(survivor, *[s for a in assessments for s in a.scores.all()])
    return assessments


def _latest_scores(survivor: Any) -> list[DomainScore]:
    """The scores of the survivor's latest assessment (none without one), each with its
    domain, in one query of plain SQL: a partner's packet read and the needs page call it,
    and the ORM spent more CPU composing this query than the database spent running it."""
    qn = connection.ops.quote_name
    sql = (
        f"SELECT {plain_sql.columns(DomainScore, 's')}, {plain_sql.columns(Domain, 'd')} "  # noqa: S608
        f"FROM {qn(DomainScore._meta.db_table)} s "
        f"INNER JOIN {qn(Domain._meta.db_table)} d ON d.id = s.domain_id "
        f"WHERE s.assessment_id = (SELECT a.id FROM {qn(Assessment._meta.db_table)} a "
        "WHERE a.survivor_id = %s ORDER BY a.assessed_on DESC, a.created_at DESC LIMIT 1)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [plain_sql.uuid_param(survivor.pk)])
        rows = cursor.fetchall()
    width = plain_sql.width(DomainScore)
    scores = []
    for row in rows:
        score = plain_sql.instance(DomainScore, row[:width])
        score.domain = plain_sql.instance(Domain, row[width:])
        scores.append(score)
    return scores


def _urgency(row: DomainScore) -> tuple[int, int, str]:
    # Most urgent first: lowest score, N/A last, then the organisation's domain order.
    return (row.score if row.score is not None else 99, row.domain.position, row.domain.code)


def need_row(row: DomainScore) -> dict[str, Any]:
    return {
        "code": row.domain.code,
        "label": row.domain.label,
        "score": row.score,
        "category": row.domain.category,
    }


def current_needs(survivor: Any, *, by: Any) -> list[dict[str, Any]]:
    """The domains of the survivor's latest assessment, most urgent first.

    Each item is {code, label, score (1-5, or None for N/A), category}; scores 1-2 are needs.
    Requires care.view on the record (else NotFound / Forbidden). Audits "care.needs.read"
    (score fields only; notes are not read).
    """
    require_on_survivor(by, perm.CARE_VIEW, survivor)
    with transaction.atomic():
        rows = sorted(_latest_scores(survivor), key=_urgency)
        event("care.needs.read", by=by, survivor=survivor, fields=["score"])
    return [need_row(row) for row in rows]


def score_label(score: int | None) -> str:
    return str(Score(score).label) if score is not None else "N/A"


def progress_data(survivor: Any, *, by: Any) -> dict[str, Any]:
    """Domain scores and screening totals over time, for the progress chart and table.

    {"assessments": [dates, oldest first],
     "domains": [{code, label, category, points: [{date, score}]}],
     "screenings": [{instrument, points: [{date, total, band}]}]}
    Declined screenings are not points (declining is not a score). Requires care.view;
    audits "care.progress.read".
    """
    require_on_survivor(by, perm.CARE_VIEW, survivor)
    with transaction.atomic():
        assessments = list(
            access.scope(by, Assessment)
            .filter(survivor=survivor)
            .order_by("assessed_on", "created_at")
            .values_list("pk", "assessed_on")
        )
        # Plain tuples, not model rows: five years of monthly assessments is ~1,000 scores.
        # Each score with its assessment's date (one id fewer to convert per row), in date
        # order, so each domain's points come out in order.
        scores = list(
            access.scope(by, DomainScore)
            .filter(survivor=survivor)
            .order_by("assessment__assessed_on", "assessment__created_at")
            .values_list("domain_id", "assessment__assessed_on", "score")
        )
        screenings = list(
            access.scope(by, Screening)
            .filter(survivor=survivor, status=ScreeningStatus.COMPLETED)
            .order_by("administered_at")
            .values_list("instrument", "administered_at", "total", "band")
        )
        event("care.progress.read", by=by, survivor=survivor, fields=["score", "total", "band"])
    # Grouped by domain id in one pass (ids hash slowly: no sort keyed on them per score).
    points_of: dict[Any, list[dict[str, Any]]] = {}
    for domain_id, assessed_on, score in scores:
        points = points_of.get(domain_id)
        if points is None:
            points = points_of[domain_id] = []
        points.append({"date": assessed_on, "score": score})
    domains: dict[str, dict[str, Any]] = {}
    for domain in Domain.objects.filter(pk__in=list(points_of)).order_by("position", "code"):
        entry = domains.get(domain.code)
        if entry is None:  # once per code: its label is a translation lookup
            entry = domains[domain.code] = {
                "code": domain.code,
                "label": domain.label,
                "category": domain.category,
                "retired": domain.is_retired,
                "points": points_of[domain.pk],
            }
        else:  # another domain row with this code: merged, back in date order
            entry["points"] = sorted(
                entry["points"] + points_of[domain.pk], key=lambda point: point["date"]
            )
    by_instrument: dict[str, list[dict[str, Any]]] = {}
    for instrument, at, total, band in screenings:
        by_instrument.setdefault(instrument, []).append(
            {"date": timezone.localdate(at), "total": total, "band": band}
        )
    return {
        "assessments": [day for _pk, day in assessments],
        "domains": list(domains.values()),
        "screenings": [
            {"instrument": code, "points": points} for code, points in sorted(by_instrument.items())
        ],
    }
