"""Care data for the benchmark: a background of needs assessments for every survivor (bulk
inserts, the "service events" of the network scale) and a few survivors with five years of
monthly assessments and screenings recorded through the real services, whose progress page is
timed.
"""

from __future__ import annotations

import datetime
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from reclaim.care import services as care
from reclaim.care.domains import STANDARD_DOMAINS
from reclaim.care.models import Assessment, Domain, DomainScore, Screening
from reclaim.care.services.domains import ensure_domains
from reclaim.survivors import services as survivor_services
from reclaim.survivors.models import Case, Survivor

from .generate import Dataset

PROGRESS_MONTHS = 60  # five years of monthly assessments and screenings
PROGRESS_SURVIVORS = {"tiny": 3, "small": 10, "network": 20}
BATCH = 5_000
SURVIVORS_PER_BATCH = 1_000
PROGRESS_P95_MS = 50.0
Say = Callable[[str], Any]


def has_care_data(dataset: Dataset) -> bool:
    return Screening.objects.filter(organisation_id__in=dataset.organisation_ids).exists()


def progress_survivor_ids(dataset: Dataset) -> list[uuid.UUID]:
    """The persona's survivors that carry the five-year history (oldest first)."""
    return list(
        Screening.objects.filter(recorded_by_id=dataset.persona_id)
        .order_by("survivor_id")
        .values_list("survivor_id", flat=True)
        .distinct()
    )


def generate_care(dataset: Dataset, *, say: Say, seed: int = 20261127) -> dict[str, float]:
    """Background assessments in bulk, then the detailed histories through the services."""
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    for organisation_id in dataset.organisation_ids:
        ensure_domains(organisation_id)
    domains = {
        organisation_id: list(
            Domain.objects.filter(organisation_id=organisation_id).values_list("id", flat=True)
        )
        for organisation_id in dataset.organisation_ids
    }
    written = _background_assessments(dataset, domains, rng, say)
    timings["care_background"] = round(time.perf_counter() - started, 3)
    say(f"  care: {written:,} background assessment rows ({timings['care_background']:.1f} s)")

    started = time.perf_counter()
    persona = dataset.user(dataset.persona_id)
    caseload = list(
        Case.objects.filter(assigned_to_id=persona.id)
        .order_by("survivor_id")
        .values_list("survivor_id", flat=True)
    )
    chosen = caseload[: PROGRESS_SURVIVORS.get(dataset.scale.name, 3)]
    for survivor_id in chosen:
        survivor = survivor_services.get_survivor(survivor_id, by=persona)
        _five_years(survivor, persona, rng)
    timings["care_histories"] = round(time.perf_counter() - started, 3)
    say(
        f"  care: {len(chosen)} survivors with {PROGRESS_MONTHS} monthly assessments and "
        f"screenings, through the services ({timings['care_histories']:.1f} s)"
    )
    return timings


def _background_assessments(
    dataset: Dataset, domains: dict[uuid.UUID, list[uuid.UUID]], rng: random.Random, say: Say
) -> int:
    """One assessment per survivor with every standard domain scored (no notes, so nothing to
    seal): the bulk of rows a progress query has to find its survivor's rows among."""
    today = timezone.localdate()
    written = 0
    survivors = (
        Survivor.objects.filter(organisation_id__in=dataset.organisation_ids)
        .order_by("pk")
        .values_list("pk", "organisation_id")
    )
    batch: list[tuple[uuid.UUID, uuid.UUID]] = []
    for row in survivors.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == SURVIVORS_PER_BATCH:
            before = written
            written += _write_background(batch, domains, dataset, today, rng)
            batch = []
            if written // 500_000 != before // 500_000:
                say(f"  care: {written:,} rows…")
    if batch:
        written += _write_background(batch, domains, dataset, today, rng)
    return written


def _write_background(
    batch: list[tuple[uuid.UUID, uuid.UUID]],
    domains: dict[uuid.UUID, list[uuid.UUID]],
    dataset: Dataset,
    today: datetime.date,
    rng: random.Random,
) -> int:
    now = timezone.now()
    assessments: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    for survivor_id, organisation_id in batch:
        assessment = {
            "id": uuid.uuid4(),
            "survivor_id": survivor_id,
            "organisation_id": organisation_id,
            "created_at": now,
            "assessed_on": today - datetime.timedelta(days=rng.randrange(1, 365)),
            "recorded_by_id": dataset.persona_id,
            "interpreter_used": None,
            "interpreter_language": "",
        }
        assessments.append(assessment)
        for domain_id in domains[organisation_id]:
            scores.append(
                {
                    "id": uuid.uuid4(),
                    "survivor_id": survivor_id,
                    "organisation_id": organisation_id,
                    "created_at": now,
                    "assessment_id": assessment["id"],
                    "domain_id": domain_id,
                    "score": rng.choice((None, 1, 2, 2, 3, 3, 3, 4, 4, 5)),
                    "note": None,  # no note: nothing to seal
                }
            )
    with transaction.atomic():
        _insert_rows(Assessment, assessments)
        _insert_rows(DomainScore, scores)
    return len(assessments) + len(scores)


def _insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Bulk rows by column: COPY on PostgreSQL, executemany on SQLite (the ORM's per-object
    bulk_create is ten times slower for the millions of rows of the network scale)."""
    fields = [field for field in model._meta.concrete_fields]
    missing = {field.attname for field in fields} - set(rows[0])
    if missing:
        raise ValueError(f"{model.__name__} rows lack {sorted(missing)}")
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([row[field.attname] for field in fields])
        return
    marks = ", ".join(["%s"] * len(fields))
    values = [
        [field.get_db_prep_save(row[field.attname], connection) for field in fields] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)


def _five_years(survivor: Survivor, persona: Any, rng: random.Random) -> None:
    """Monthly assessments, PHQ-9 and GAD-7 over five years, recorded as a case manager would."""
    today = timezone.localdate()
    codes = [domain.code for domain in STANDARD_DOMAINS]
    level = {code: rng.randint(1, 3) for code in codes}
    for month in range(PROGRESS_MONTHS, 0, -1):
        day = today - datetime.timedelta(days=30 * month)
        for code in codes:  # most domains improve slowly, with setbacks
            level[code] = max(1, min(5, level[code] + rng.choice((-1, 0, 0, 1, 1))))
        care.record_assessment(survivor, by=persona, scores=dict(level), assessed_on=day)
        at = datetime.datetime.combine(day, datetime.time(10), tzinfo=datetime.UTC)
        # Item 9 stays 0 so the histories raise no safety follow-ups.
        phq9 = [rng.randint(0, 3) for _ in range(8)] + [0]
        gad7 = [rng.randint(0, 3) for _ in range(7)]
        care.record_screening(
            survivor,
            by=persona,
            instrument="phq9",
            version=_version("phq9"),
            language="en",
            answers=phq9,
            administered_at=at,
        )
        care.record_screening(
            survivor,
            by=persona,
            instrument="gad7",
            version=_version("gad7"),
            language="en",
            answers=gad7,
            administered_at=at,
        )


def _version(instrument: str) -> str:
    from reclaim.care.instruments import INSTRUMENTS

    return str(INSTRUMENTS[instrument].version)


# --- the timed operation ------------------------------------------------------------------------


def care_operations(dataset: Dataset) -> list[Any]:
    from reclaim.core import access

    from .operations import (
        READ_OVERHEAD_MAX,
        AuditedEvent,
        Operation,
        Target,
        _fetch,
        _main_id,
        _visible_to,
        audited_read_sql,
    )

    persona = dataset.user(dataset.persona_id)
    chosen = progress_survivor_ids(dataset)
    if not chosen:
        return []
    survivors = [survivor_services.get_survivor(pk, by=persona) for pk in chosen]
    assessment = Assessment._meta.db_table
    score = DomainScore._meta.db_table
    domain = Domain._meta.db_table
    screening = Screening._meta.db_table

    def progress_page(i: int) -> None:
        access.forget_memberships(persona)
        care.progress_data(survivors[i % len(survivors)], by=persona)

    def progress_page_sql(i: int) -> None:
        survivor_id = _main_id(chosen[i % len(chosen)])
        _fetch(
            f"SELECT a.assessed_on, d.code, s.score FROM {score} s "
            f"JOIN {assessment} a ON a.id = s.assessment_id JOIN {domain} d ON d.id = s.domain_id "
            "WHERE s.survivor_id = %s ORDER BY a.assessed_on",
            [survivor_id],
        )
        _fetch(
            f"SELECT instrument, administered_at, total, band FROM {screening} "
            "WHERE survivor_id = %s AND status = 'completed' ORDER BY administered_at",
            [survivor_id],
        )

    visible, visible_params = _visible_to(persona.id, "v")

    def progress_page_visible_sql(i: int) -> None:
        survivor_id = _main_id(chosen[i % len(chosen)])
        _fetch(
            f"SELECT 1 FROM {Survivor._meta.db_table} v WHERE v.id = %s AND {visible}",
            [survivor_id, *visible_params],
        )
        progress_page_sql(i)

    def progress_event(i: int) -> AuditedEvent:
        survivor = survivors[i % len(survivors)]
        return AuditedEvent(
            "care.progress.read",
            persona.id,
            survivor.organisation_id,
            survivor.id,
            "survivors.survivor",
            str(survivor.id),
            fields=("band", "score", "total"),
        )

    return [
        Operation(
            "progress_page_5y",
            progress_page,
            audited_read_sql(progress_page_visible_sql, progress_event),
            Target(p95_ms=PROGRESS_P95_MS, overhead=READ_OVERHEAD_MAX),
            read_only=progress_page_sql,
        )
    ]
