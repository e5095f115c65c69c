"""The directory and referrals in the benchmark.

The directory is built the way an organisation would build it: HSDS 3.0 documents (the demo
directory's services, copied with fresh ids, names and places spread over a region) written
to JSON files of 5,000 services and imported with `import_hsds`, as `reclaim import-hsds`
does; the import itself (reading the files included) is the timed "hsds_import" row.
Matching and full-text search are then timed through the directory services,
and referrals (prepare + send, the partner's next step, the partner's packet read) through the
referral services, with the consents the core dataset already holds.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reclaim.core import access
from reclaim.directory.matching import Preferences
from reclaim.directory.models import Service
from reclaim.directory.services import demo as directory_demo
from reclaim.directory.services.hsds_io import export_services, import_hsds
from reclaim.directory.services.search import Point, SearchFilters, search_services
from reclaim.directory.services.service_matching import match_services
from reclaim.referrals import services as referrals
from reclaim.survivors import services as survivor_services
from reclaim.survivors.models import Consent

from .generate import Dataset

DIRECTORY_SERVICES = {"tiny": 60, "small": 2_000, "network": 100_000}
IMPORT_FILE_SERVICES = 5_000
IMPORT_TARGET_PER_S = 5_000.0
MATCH_P95_MS = 30.0
SEARCH_P95_MS = 20.0
# A region the size of a state around the demo city: services spread over ~500 km.
CENTRE = (29.76, -95.37)
SPREAD_DEGREES = 2.5
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SEARCH_WORDS = ("shelter", "legal", "counseling", "clinic", "housing", "job", "english", "trauma")
Say = Callable[[str], Any]


def has_directory(dataset: Dataset) -> bool:
    return Service.objects.filter(name__startswith=f"bench-{dataset.tag} ").exists()


def _templates() -> list[dict[str, Any]]:
    return [directory_demo._document(spec) for spec in directory_demo.SERVICES]


def synthetic_documents(
    count: int, *, rng: random.Random, tag: str, first: int = 0
) -> list[dict[str, Any]]:
    """`count` HSDS service documents: demo services with fresh ids, numbered names, moved."""
    templates = _templates()
    documents = []
    for number in range(first, first + count):
        template = templates[number % len(templates)]
        fresh: dict[str, str] = {}

        def renew(match: re.Match[str], fresh: dict[str, str] = fresh) -> str:
            return fresh.setdefault(match.group(0), str(uuid.uuid4()))

        text = UUID_PATTERN.sub(renew, _dumps(template))
        document = _loads(text)
        document["name"] = f"bench-{tag} {template['name']} {number}"
        document["organization"]["name"] = (
            f"bench-{tag} {template['organization']['name']} {number // 3}"
        )
        latitude = CENTRE[0] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES)
        longitude = CENTRE[1] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES)
        for link in document.get("service_at_locations", []):
            link["location"]["latitude"] = round(latitude, 5)
            link["location"]["longitude"] = round(longitude, 5)
        documents.append(document)
    return documents


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str)


def _loads(text: str) -> Any:
    return json.loads(text)


def import_directory(dataset: Dataset, *, say: Say, database: str) -> dict[str, Any]:
    """Import the scale's directory from files of 5,000 services; the timing is a result row."""
    rng = random.Random(20261127)
    count = DIRECTORY_SERVICES.get(dataset.scale.name, 500)
    elapsed = 0.0
    created = rejected = 0
    with tempfile.TemporaryDirectory(prefix="reclaim-bench-hsds-") as folder:
        for start in range(0, count, IMPORT_FILE_SERVICES):
            size = min(IMPORT_FILE_SERVICES, count - start)
            path = Path(folder) / f"directory-{start}.json"
            documents = synthetic_documents(size, rng=rng, tag=dataset.tag, first=start)
            path.write_text(json.dumps(documents), encoding="utf-8")
            del documents
            began = time.perf_counter()
            summary = import_hsds(path)
            elapsed += time.perf_counter() - began
            path.unlink()
            created += summary.created.get("service", 0) + summary.updated.get("service", 0)
            rejected += len(summary.rejected)
            if start and start % 20_000 == 0:
                say(f"  directory: {start:,}/{count:,} services imported…")
    if rejected:
        raise RuntimeError(f"the synthetic directory had {rejected} rejected records")
    per_s = created / elapsed if elapsed else 0.0
    say(f"  directory: {created:,} services imported in {elapsed:.1f} s ({per_s:,.0f}/s)")
    target = f"≥ {IMPORT_TARGET_PER_S:,.0f} services/s"
    return _one_shot_row(
        "hsds_import", database, created, elapsed, target, per_s >= IMPORT_TARGET_PER_S
    )


def _one_shot_row(
    operation: str, database: str, services: int, elapsed: float, target: str, passed: Any
) -> dict[str, Any]:
    """A result row for an operation timed once over the whole directory (services/s)."""
    per_s = services / elapsed if elapsed else 0.0
    return {
        "operation": operation,
        "database": database,
        "p50_ms": None,
        "p95_ms": None,
        "p99_ms": None,
        "ops_per_s": round(per_s, 1),
        "unit": "services/s",
        "iterations": 1,
        "services": services,
        "elapsed_s": round(elapsed, 1),
        "target": target,
        "pass": passed,
    }


def time_export(dataset: Dataset, *, say: Say, database: str) -> dict[str, Any]:
    """The whole directory as HSDS service objects (what `reclaim export-hsds` writes)."""
    started = time.perf_counter()
    count = len(export_services())
    elapsed = time.perf_counter() - started
    per_s = count / elapsed if elapsed else 0.0
    say(f"  directory: {count:,} services exported in {elapsed:.1f} s ({per_s:,.0f}/s)")
    return _one_shot_row("hsds_export", database, count, elapsed, "—", None)


# --- timed operations ---------------------------------------------------------------------------


def network_operations(dataset: Dataset) -> list[Any]:
    from . import network_baselines as baselines
    from .loadtest import _partner_user
    from .operations import READ_OVERHEAD_MAX, AuditedEvent, Operation, Target, audited_read_sql

    persona = dataset.user(dataset.persona_id)
    partner_user = _partner_user(dataset)
    rng = random.Random(7)
    points = [
        Point(
            CENTRE[0] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES),
            CENTRE[1] + rng.uniform(-SPREAD_DEGREES, SPREAD_DEGREES),
        )
        for _ in range(50)
    ]
    need_sets = [
        ("housing",),
        ("legal_immigration",),
        ("mental_health", "housing"),
        ("employment",),
    ]
    preference_sets = [
        Preferences(languages=("es",), gender="woman", max_distance_km=50.0),
        Preferences(languages=("en",), needs_open_capacity=True, max_distance_km=80.0),
        Preferences(survivor_led=True, free_only=True),
    ]

    def match_top10(i: int) -> None:
        access.forget_memberships(persona)
        match = match_services(
            need_sets[i % len(need_sets)],
            preference_sets[i % len(preference_sets)],
            by=persona,
            near=points[i % len(points)],
        )
        match.result.ranked[:10]

    def search_fts(i: int) -> None:
        access.forget_memberships(persona)
        search_services(
            SearchFilters(query=SEARCH_WORDS[i % len(SEARCH_WORDS)]), by=persona, limit=10
        )

    operations = [
        Operation(
            "directory_match_top10",
            match_top10,
            baselines.match_top10_sql(need_sets, preference_sets, points),
            Target(p95_ms=MATCH_P95_MS),
        ),
        Operation(
            "directory_search_fts",
            search_fts,
            baselines.search_fts_sql(SEARCH_WORDS),
            Target(p95_ms=SEARCH_P95_MS),
        ),
    ]

    # Referrals: survivors of the persona whose consent to the partner covers a referral.
    consents = list(
        Consent.objects.filter(
            survivor__cases__assigned_to_id=persona.id,
            recipient_id=dataset.partner_id,
            purpose="referral",
            revoked_at__isnull=True,
        )
        .values_list("survivor_id", "categories")
        .distinct()[:200]
    )
    if not consents:
        return operations
    partner = dataset.partner_id
    from reclaim.core.models import Organisation

    recipient = Organisation.objects.get(pk=partner)
    survivors = {pk: survivor_services.get_survivor(pk, by=persona) for pk, _categories in consents}
    sent: list[Any] = []

    def refer(i: int) -> None:
        access.forget_memberships(persona)
        survivor_id, categories = consents[i % len(consents)]
        draft = referrals.prepare_referral(
            survivors[survivor_id], by=persona, categories=categories, recipient=recipient
        )
        sent.append(referrals.send_referral(draft, by=persona))

    steps = ("received", "accepted", "in-progress", "completed")

    def partner_step(i: int) -> None:
        access.forget_memberships(partner_user)
        referral = sent[i % len(sent)]
        referral = referrals.get_referral(referral.pk, by=partner_user)
        current = steps.index(referral.status) + 1 if referral.status in steps else 0
        if current < len(steps):
            referrals.respond_to_referral(referral, by=partner_user, status=steps[current])

    def read_packet(i: int) -> None:
        access.forget_memberships(partner_user)
        referral = referrals.get_referral(sent[i % len(sent)].pk, by=partner_user)
        referrals.read_packet(referral, by=partner_user)

    def packet_event(i: int) -> AuditedEvent:
        # The real event also lists the packet's field names: a few hundred bytes more hashed.
        referral = sent[i % len(sent)]
        return AuditedEvent(
            "referral.packet.read",
            partner_user.pk,
            referral.recipient_id,
            referral.survivor_id,
            "referrals.referral",
            str(referral.pk),
            context=(("categories", sorted(referral.categories)), ("side", "recipient")),
        )

    create_send_sql = baselines.CreateSendSql(consents, survivors, by=persona, recipient_id=partner)
    operations += [
        Operation(
            "referral_create_send",
            refer,
            create_send_sql,
            Target(),
            context=create_send_sql.cleaned_up,
        ),
        Operation(
            "referral_partner_step",
            partner_step,
            baselines.partner_step_sql(sent, steps, by=partner_user),
            Target(),
        ),
        Operation(
            "referral_packet_read",
            read_packet,
            audited_read_sql(baselines.packet_read_sql(sent, by=partner_user), packet_event),
            Target(overhead=READ_OVERHEAD_MAX),
            read_only=baselines.packet_read_sql(sent),
        ),
    ]
    return operations
