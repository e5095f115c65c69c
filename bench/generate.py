"""Synthetic data for the benchmarks: written in bulk, but sealed by the app's own code.

Survivors and cases are model instances with their plaintext assigned, given their data key
with `fields.set_data_key`, and written with `bulk_create`; Django calls each EncryptedField's
`pre_save`, so the ciphertext and its associated data ("table|field|pk|owner") are exactly what
the app writes. Data keys are wrapped with `crypto.seal` under the label `crypto.create_data_key`
uses ("wrap|data:<owner>"). The audit chain is hashed with `audit.canonical_event` and
`audit.chain_hash` and the head is moved at the end, so `reclaim audit verify` accepts it.
A few survivors are then read back through `services.get_survivor` + `read_profile`.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import random
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from reclaim.core import audit, crypto
from reclaim.core.fields import DATA_CATEGORIES, encrypted_fields, set_data_key
from reclaim.core.models import (
    AuditEvent,
    AuditHead,
    DataKey,
    Membership,
    Organisation,
    Role,
    Team,
    User,
)
from reclaim.core.routers import KEYSTORE_DB
from reclaim.survivors import services
from reclaim.survivors.models import Case, Consent, Survivor
from reclaim.survivors.picklists import (
    CaseStatus,
    ClosureReason,
    ConsentMethod,
    ConsentPurpose,
    ControlMethod,
    ExploitationType,
    Gender,
    TraffickingStatus,
)

MARKER = "reclaim-bench"
CASELOAD_MIN, CASELOAD_MAX = 30, 60
PERSONA_CASELOAD = 60  # so the "caseload page of 50" is a full page
TEAM_SIZE = 6
CONSENT_SHARE = 0.3
SURVIVOR_CHUNK = 2000
AUDIT_BATCH = 5000
SAMPLE_SIZE = 5


@dataclass(frozen=True)
class Scale:
    name: str
    organisations: int
    survivors: int
    audit_events: int
    iterations: int
    warmup: int
    verify_runs: int

    def with_overrides(
        self,
        *,
        survivors: int | None = None,
        audit_events: int | None = None,
        iterations: int | None = None,
    ) -> Scale:
        changes: dict[str, Any] = {}
        if survivors is not None:
            changes["survivors"] = survivors
        if audit_events is not None:
            changes["audit_events"] = audit_events
        if iterations is not None:
            changes["iterations"] = iterations
            changes["warmup"] = max(1, min(self.warmup, iterations // 5))
        return dataclasses.replace(self, **changes)


SCALES = {
    "tiny": Scale("tiny", 2, 300, 5_000, iterations=200, warmup=20, verify_runs=5),
    "small": Scale("small", 4, 5_000, 100_000, iterations=1_000, warmup=50, verify_runs=3),
    "network": Scale("network", 20, 100_000, 1_000_000, iterations=1_000, warmup=50, verify_runs=2),
}


@dataclass
class Dataset:
    """What the operations need to find again: ids only, never plaintext (except `samples`)."""

    tag: str
    scale: Scale
    organisation_ids: list[uuid.UUID]
    partner_id: uuid.UUID
    persona_id: uuid.UUID  # a case manager with a full caseload
    supervisor_id: uuid.UUID
    case_manager_ids: list[uuid.UUID]
    survivors: int
    audit_events: int
    timings_s: dict[str, float] = field(default_factory=dict)
    # Expected profiles of a few survivors, to check that they decrypt through the services.
    samples: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    sample_owners: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)

    @property
    def generation_s(self) -> float:
        return round(sum(self.timings_s.values()), 3)

    def user(self, user_id: uuid.UUID) -> User:
        return User.objects.get(pk=user_id)

    def describe(self) -> dict[str, Any]:
        return {
            "scale": self.scale.name,
            "survivors": self.survivors,
            "audit_events": self.audit_events,
            "case_managers": len(self.case_manager_ids),
            "organisations": len(self.organisation_ids),
            "generation_s": self.generation_s,
        }


# --- plausible, entirely made-up people -------------------------------------------------------

FIRST_NAMES = (
    "Marisol", "José", "Ana", "Lucía", "Mateo", "Grace", "Amara", "Chinwe", "Nguyen", "Linh",
    "Olena", "Iryna", "Maria", "Rosa", "Daniela", "Fatima", "Aisha", "Mei", "Jun", "Rahul",
    "Priya", "Kofi", "Esperanza", "Dolores", "Tomás", "Camila", "Joy", "Blessing", "Samuel",
    "Teresa", "Andrés", "Paola", "Yesenia", "Haruka", "Sun", "Ji-woo", "Elena", "Ioana",
)  # fmt: skip
LAST_NAMES = (
    "Quintero", "Vega", "Núñez", "Okafor", "Tran", "Kovalenko", "García", "Hernández", "López",
    "Mensah", "Reyes", "Santos", "Popescu", "Chen", "Kim", "Patel", "Adeyemi", "Flores",
    "Morales", "Castillo", "Ortiz", "Ramos", "Cruz", "Mendoza", "Silva", "Pereira",
)  # fmt: skip
STREETS = ("Harbor", "Maple", "Cedar", "Mission", "Lake", "Union", "Park", "Hill", "River")
CODE_WORDS = ("blue kite", "sunflower", "river stone", "paper boat", "north star", "lantern")
LANGUAGES = ("en", "es", "fr", "pt", "ht", "zh", "vi", "tl", "ru", "uk", "ar", "sw", "ko")
COUNTRIES = ("MX", "GT", "HN", "SV", "PH", "NG", "CN", "VN", "IN", "UA", "HT", "US", "TH", "RO")
PRONOUNS = ("she/her", "he/him", "they/them")
GENDERS = tuple(Gender.values)
TRAFFICKING_STATUSES = tuple(TraffickingStatus.values)
EXPLOITATION_TYPES = tuple(ExploitationType.values)
CONTROL_METHODS = tuple(ControlMethod.values)
PURPOSES = tuple(ConsentPurpose.values)


def _maybe(rng: random.Random, value: Any, skip: float) -> Any:
    """Most questions are sometimes left unanswered ("prefer not to say")."""
    return None if rng.random() < skip else value


def fake_profile(rng: random.Random, number: int, today: datetime.date) -> dict[str, Any]:
    first = rng.choice(FIRST_NAMES)
    legal = f"{first} {rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}"
    return {
        "alias": f"{first} {chr(65 + rng.randrange(26))}.",
        "legal_name": _maybe(rng, legal, 0.15),
        "preferred_name": _maybe(rng, first, 0.5),
        "pronouns": _maybe(rng, rng.choice(PRONOUNS), 0.4),
        "date_of_birth": _maybe(
            rng, datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(16_800)), 0.2
        ),
        "gender": _maybe(rng, rng.choice(GENDERS), 0.2),
        "languages": rng.sample(LANGUAGES, rng.randint(1, 2)),
        "citizenship": _maybe(rng, [rng.choice(COUNTRIES)], 0.3),
        "country_of_origin": _maybe(rng, rng.choice(COUNTRIES), 0.3),
        "phone": _maybe(rng, f"+1 555 {rng.randrange(10**7):07d}", 0.3),
        "email": _maybe(rng, f"person{number}@example.org", 0.6),
        "address": _maybe(
            rng, f"{rng.randrange(1, 9999)} {rng.choice(STREETS)} St, Apt {rng.randrange(300)}", 0.4
        ),
        "code_word": _maybe(rng, rng.choice(CODE_WORDS), 0.5),
        "intake_date": today - datetime.timedelta(days=rng.randrange(1, 1500)),
    }


def _reference(rng: random.Random, used: set[str]) -> str:
    while True:
        reference = "R-" + "".join(rng.choice(services.REFERENCE_ALPHABET) for _ in range(7))
        if reference not in used:
            used.add(reference)
            return reference


def caseload_sizes(rng: random.Random, survivors: int, *, first: int | None) -> list[int]:
    """Split one organisation's survivors into caseloads of 30-60 (the first one fixed)."""
    sizes: list[int] = []
    remaining = survivors
    while remaining > 0:
        size = first if (first and not sizes) else rng.randint(CASELOAD_MIN, CASELOAD_MAX)
        size = min(size, remaining)
        sizes.append(size)
        remaining -= size
    return sizes


# --- the generator ----------------------------------------------------------------------------


class Progress:
    """Prints one line per phase (and a dot per chunk) so long runs show they are alive."""

    def __init__(self, write: Callable[[str], Any] | None) -> None:
        self.write = write

    def say(self, text: str) -> None:
        if self.write is not None:
            self.write(text)


def _timed(timings: dict[str, float], name: str, started: float) -> None:
    timings[name] = round(time.perf_counter() - started, 3)


def generate(
    scale: Scale, *, seed: int = 20261127, say: Callable[[str], Any] | None = None
) -> Dataset:
    """Create a full synthetic dataset of this scale in the configured databases.

    Adds to whatever is there (names carry a random tag); the caller clears the database first
    when it wants a clean run. Returns the ids the operations need.
    """
    progress = Progress(say)
    rng = random.Random(seed)
    tag = secrets.token_hex(3)
    timings: dict[str, float] = {}
    today = timezone.localdate()
    now = timezone.now()

    crypto.verify_master_key()
    AuditHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": audit.GENESIS_HASH})

    # 1. organisations, people, teams and memberships (the ORM, in bulk).
    started = time.perf_counter()
    per_org = [
        scale.survivors // scale.organisations
        + (1 if i < scale.survivors % scale.organisations else 0)
        for i in range(scale.organisations)
    ]
    description = (
        f"{MARKER}|tag={tag}|scale={scale.name}|survivors={scale.survivors}"
        f"|events={scale.audit_events}"
    )
    organisations = [
        Organisation(name=f"Bench {tag} Org {i:03d}", org_type="NGO", description=description)
        for i in range(scale.organisations)
    ]
    partner = Organisation(
        name=f"Bench {tag} Partner Legal Aid", org_type="LegalService", description=description
    )
    Organisation.objects.bulk_create([*organisations, partner])

    unusable = make_password(None)
    users: list[User] = []
    teams: list[Team] = []
    memberships: list[Membership] = []
    caseloads: list[tuple[User, Organisation, int]] = []
    supervisor_ids: list[uuid.UUID] = []
    for index, organisation in enumerate(organisations):
        sizes = caseload_sizes(rng, per_org[index], first=PERSONA_CASELOAD if index == 0 else None)
        org_teams = [
            Team(organisation=organisation, name=f"Team {t}")
            for t in range((len(sizes) + TEAM_SIZE - 1) // TEAM_SIZE)
        ]
        teams += org_teams
        for number, size in enumerate(sizes):
            user = User(username=f"bench-{tag}-o{index:03d}-cm{number:04d}", password=unusable)
            users.append(user)
            memberships.append(
                Membership(
                    user=user,
                    organisation=organisation,
                    role=Role.CASE_MANAGER,
                    team=org_teams[number // TEAM_SIZE],
                )
            )
            caseloads.append((user, organisation, size))
        for suffix, role in (("sup", Role.SUPERVISOR), ("adm", Role.ORG_ADMIN)):
            user = User(username=f"bench-{tag}-o{index:03d}-{suffix}", password=unusable)
            users.append(user)
            memberships.append(Membership(user=user, organisation=organisation, role=role))
            if role == Role.SUPERVISOR:
                supervisor_ids.append(user.id)
    partner_user = User(username=f"bench-{tag}-partner", password=unusable)
    users.append(partner_user)
    memberships.append(Membership(user=partner_user, organisation=partner, role=Role.PARTNER_STAFF))
    User.objects.bulk_create(users, batch_size=1000)
    Team.objects.bulk_create(teams, batch_size=1000)
    Membership.objects.bulk_create(memberships, batch_size=1000)
    _timed(timings, "people", started)
    progress.say(
        f"  people: {len(organisations) + 1} organisations, {len(users)} users, "
        f"{len(caseloads)} case managers ({timings['people']:.1f} s)"
    )

    # 2. survivors with their own data keys, their cases and consents.
    started = time.perf_counter()
    master = crypto.keyring()
    version = master.current_version
    used_references = set(Survivor.objects.values_list("reference", flat=True))
    survivor_ids_by_manager: dict[uuid.UUID, list[uuid.UUID]] = {}
    samples: dict[uuid.UUID, dict[str, Any]] = {}
    sample_owners: dict[uuid.UUID, uuid.UUID] = {}
    pending: list[tuple[Survivor, Case, Consent | None, bytes]] = []
    number = 0
    sample_every = max(1, scale.survivors // SAMPLE_SIZE)
    for manager, organisation, size in caseloads:
        ids = survivor_ids_by_manager.setdefault(manager.id, [])
        for _ in range(size):
            number += 1
            profile = services.clean_profile(fake_profile(rng, number, today))
            survivor, case, consent, key = _build_survivor(
                rng, profile, organisation, manager, partner, _reference(rng, used_references), now
            )
            ids.append(survivor.id)
            if len(samples) < SAMPLE_SIZE and number % sample_every == 1 % sample_every:
                samples[survivor.id] = profile
                sample_owners[survivor.id] = manager.id
            pending.append((survivor, case, consent, key))
            if len(pending) >= SURVIVOR_CHUNK:
                _write_survivors(pending, master, version)
                pending = []
                progress.say(f"  survivors: {number:,}/{scale.survivors:,}")
    if pending:
        _write_survivors(pending, master, version)
    _timed(timings, "survivors", started)
    rate = scale.survivors / max(timings["survivors"], 1e-9)
    progress.say(
        f"  survivors: {scale.survivors:,} sealed and written ({timings['survivors']:.1f} s, "
        f"{rate:,.0f}/s)"
    )

    # 3. the audit chain.
    started = time.perf_counter()
    actors = [
        (manager.id, organisation.id, survivor_ids_by_manager[manager.id])
        for manager, organisation, _size in caseloads
        if survivor_ids_by_manager[manager.id]
    ]
    build_audit_chain(scale.audit_events, actors=actors, rng=rng, now=now, progress=progress)
    _timed(timings, "audit_chain", started)
    progress.say(
        f"  audit chain: {scale.audit_events:,} events ({timings['audit_chain']:.1f} s, "
        f"{scale.audit_events / max(timings['audit_chain'], 1e-9):,.0f}/s)"
    )

    dataset = Dataset(
        tag=tag,
        scale=scale,
        organisation_ids=[org.id for org in organisations],
        partner_id=partner.id,
        persona_id=caseloads[0][0].id,
        supervisor_id=supervisor_ids[0],
        case_manager_ids=[manager.id for manager, _org, _size in caseloads],
        survivors=scale.survivors,
        audit_events=scale.audit_events,
        timings_s=timings,
        samples=samples,
        sample_owners=sample_owners,
    )
    started = time.perf_counter()
    checked = verify_sample(dataset)
    _timed(timings, "read_back", started)
    progress.say(f"  read back {checked} survivors through the services: plaintext matches")
    return dataset


def _build_survivor(
    rng: random.Random,
    profile: dict[str, Any],
    organisation: Organisation,
    manager: User,
    partner: Organisation,
    reference: str,
    now: datetime.datetime,
) -> tuple[Survivor, Case, Consent | None, bytes]:
    key = secrets.token_bytes(32)
    org = str(organisation.id)
    values = {name: value for name, value in profile.items() if name != "intake_date"}
    survivor = Survivor(
        id=uuid.uuid4(),
        organisation=organisation,
        reference=reference,
        intake_date=profile["intake_date"],
        **values,
    )
    # The same blind indexes as services._refresh_indexes (purpose, organisation, values).
    survivor.alias_index = crypto.blind_index("alias", org, values["alias"])
    if values["legal_name"] and values["date_of_birth"]:
        survivor.name_dob_index = crypto.blind_index(
            "name+dob", org, values["legal_name"], values["date_of_birth"].isoformat()
        )
    set_data_key(survivor, key)

    closed = rng.random() < 0.05
    case = Case(
        survivor=survivor,
        organisation=organisation,
        opened_on=profile["intake_date"],
        assigned_to=manager,
        status=CaseStatus.CLOSED
        if closed
        else rng.choice((CaseStatus.ACTIVE,) * 8 + (CaseStatus.FOLLOW_UP,)),
        closure_reason=ClosureReason.GOALS_MET if closed else "",
        trafficking_status=_maybe(rng, rng.choice(TRAFFICKING_STATUSES), 0.4),
        exploitation_types=_maybe(rng, sorted(rng.sample(EXPLOITATION_TYPES, 2)), 0.5),
        control_methods=_maybe(rng, sorted(rng.sample(CONTROL_METHODS, 2)), 0.6),
    )
    set_data_key(case, key)

    consent = None
    if rng.random() < CONSENT_SHARE:
        given_at = now - datetime.timedelta(days=rng.randrange(200), minutes=rng.randrange(1440))
        others = rng.sample([c for c in DATA_CATEGORIES if c != "identity"], rng.randint(0, 3))
        consent = Consent(
            survivor=survivor,
            organisation=organisation,
            recipient=partner,
            purpose=ConsentPurpose.REFERRAL if rng.random() < 0.6 else rng.choice(PURPOSES),
            categories=sorted({"identity", *others}),
            method=rng.choice((ConsentMethod.WRITTEN, ConsentMethod.ELECTRONIC)),
            given_at=given_at,
            expires_at=given_at + datetime.timedelta(days=365),
            recorded_by=manager,
        )
    return survivor, case, consent, key


def _write_survivors(
    pending: list[tuple[Survivor, Case, Consent | None, bytes]],
    master: crypto.MasterKeyring,
    version: int,
) -> None:
    """Keys first (committed to the keystore, as create_survivor does), then the records."""
    wrapping_key = master.key(version)
    keys = [
        DataKey(
            owner_id=survivor.id,
            master_version=version,
            wrapped=crypto.seal(wrapping_key, key, f"wrap|data:{survivor.id}".encode()),
        )
        for survivor, _case, _consent, key in pending
    ]
    with transaction.atomic(using=KEYSTORE_DB):
        DataKey.objects.using(KEYSTORE_DB).bulk_create(keys, batch_size=1000)
    with transaction.atomic():
        # bulk_create calls each EncryptedField.pre_save: sealing happens in the app's code.
        Survivor.objects.bulk_create([row[0] for row in pending], batch_size=500)
        Case.objects.bulk_create([row[1] for row in pending], batch_size=500)
        Consent.objects.bulk_create(
            [row[2] for row in pending if row[2] is not None], batch_size=500
        )


# --- the audit chain --------------------------------------------------------------------------

SURVIVOR_FIELDS = sorted(f.name for f in encrypted_fields(Survivor))
AUDIT_COLUMNS = [str(f.column) for f in AuditEvent._meta.concrete_fields]


def _event_stream(
    count: int,
    *,
    start_seq: int,
    prev_hash: str,
    actors: list[tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]],
    rng: random.Random,
    now: datetime.datetime,
) -> Iterator[dict[str, Any]]:
    """Events of a plausible working year, oldest first, each hashed onto the previous one."""
    step = datetime.timedelta(days=365) / max(count, 1)
    at = now - datetime.timedelta(days=365)
    prev = prev_hash
    for offset in range(1, count + 1):
        at += step
        actor, org, caseload = rng.choice(actors)
        subject = rng.choice(caseload)
        roll = rng.random()
        target_type, target_id = "survivors.survivor", str(subject)
        fields: list[str] = []
        context: dict[str, Any] = {}
        event_org: uuid.UUID | None = org
        event_subject: uuid.UUID | None = subject
        if roll < 0.65:
            action, fields = "survivor.view", SURVIVOR_FIELDS
        elif roll < 0.80:
            action, event_org, event_subject, target_type, target_id = (
                "survivor.list",
                None,
                None,
                "",
                "",
            )
            fields, context = ["alias"], {"shown": min(50, len(caseload)), "mine_only": True}
        elif roll < 0.88:
            action, fields = "survivor.update", sorted(rng.sample(SURVIVOR_FIELDS, 2))
        elif roll < 0.93:
            action, target_type, target_id = (
                "consent.record",
                "survivors.consent",
                str(uuid.uuid4()),
            )
            context = {"recipient": str(org), "categories": ["identity"], "purpose": "referral"}
        elif roll < 0.97:
            action, target_type, target_id = "survivor.search", "", ""
            event_org, event_subject = None, None
            context = {"found": 1, "outside_caseload": 0}
        else:
            action, event_org, event_subject, target_type, target_id = (
                "auth.login",
                None,
                None,
                "",
                "",
            )
        seq = start_seq + offset
        canonical = audit.canonical_event(
            seq=seq,
            at=at,
            actor_id=actor,
            organisation_id=event_org,
            subject_id=event_subject,
            action=action,
            target_type=target_type,
            target_id=target_id,
            fields=fields,
            context=context,
        )
        digest = audit.chain_hash(prev, canonical)
        yield {
            "seq": seq,
            "at": at,
            "actor_id": actor,
            "organisation_id": event_org,
            "subject_id": event_subject,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "fields": list(fields),
            "context": context,
            "prev_hash": prev,
            "hash": digest,
        }
        prev = digest


def build_audit_chain(
    count: int,
    *,
    actors: list[tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]],
    rng: random.Random,
    now: datetime.datetime,
    progress: Progress | None = None,
) -> None:
    """Append `count` events after the current head, in bulk, and move the head (one lock)."""
    if count <= 0:
        return
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().get(pk=1)
        events = _event_stream(
            count, start_seq=head.seq, prev_hash=head.hash, actors=actors, rng=rng, now=now
        )
        last: dict[str, Any] = {}
        if connection.vendor == "postgresql":
            last = _copy_events(events, count, progress)
        else:
            batch: list[AuditEvent] = []
            for event in events:
                batch.append(AuditEvent(**event))
                if len(batch) >= AUDIT_BATCH:
                    AuditEvent.objects.bulk_create(batch, batch_size=AUDIT_BATCH)
                    last = event
                    if progress is not None and event["seq"] % 100_000 < AUDIT_BATCH:
                        progress.say(f"  audit chain: {event['seq'] - head.seq:,}/{count:,}")
                    batch = []
            if batch:
                AuditEvent.objects.bulk_create(batch, batch_size=AUDIT_BATCH)
                last = event
        AuditHead.objects.filter(pk=1).update(seq=last["seq"], hash=last["hash"])


def _copy_events(
    events: Iterator[dict[str, Any]], count: int, progress: Progress | None
) -> dict[str, Any]:
    """PostgreSQL: COPY is several times faster than multi-row INSERTs for a million rows."""
    statement = f"COPY {AuditEvent._meta.db_table} ({', '.join(AUDIT_COLUMNS)}) FROM STDIN"
    last: dict[str, Any] = {}
    written = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for event in events:
            row = dict(event)
            row["fields"] = json.dumps(row["fields"])
            row["context"] = json.dumps(row["context"])
            # AuditEvent's columns are named as its fields (it has no foreign keys).
            copy.write_row([row[column] for column in AUDIT_COLUMNS])
            last = event
            written += 1
            if progress is not None and written % 200_000 == 0:
                progress.say(f"  audit chain: {written:,}/{count:,}")
    return last


# --- reading back -----------------------------------------------------------------------------


def verify_sample(dataset: Dataset) -> int:
    """Open a few generated survivors through the services and compare with what was sealed.

    Raises RuntimeError when a value does not round-trip (the app could not read our data).
    """
    checked = 0
    for survivor_id, expected in dataset.samples.items():
        user = dataset.user(dataset.sample_owners[survivor_id])
        survivor = services.get_survivor(survivor_id, by=user)
        profile = services.read_profile(survivor)
        wanted = {name: expected.get(name) for name in services.PROFILE_FIELDS}
        if profile != wanted:
            different = sorted(name for name in wanted if profile.get(name) != wanted[name])
            raise RuntimeError(f"generated survivor does not read back: fields {different}")
        found = services.search_survivors(by=user, query=survivor.reference).visible
        if survivor_id not in {row.pk for row in found}:
            raise RuntimeError("generated survivor is not found by its reference")
        by_alias = services.search_survivors(by=user, query=profile["alias"]).visible
        if survivor_id not in {row.pk for row in by_alias}:
            raise RuntimeError("generated survivor is not found by its alias (blind index)")
        checked += 1
    return checked


def find_dataset(scale: Scale) -> Dataset | None:
    """A dataset of this scale generated earlier in these databases (for --reuse), or None."""
    marker = Organisation.objects.filter(
        description__startswith=f"{MARKER}|", description__contains=f"|scale={scale.name}|"
    ).first()
    if marker is None:
        return None
    info = dict(part.split("=", 1) for part in marker.description.split("|")[1:])
    if int(info["survivors"]) != scale.survivors or int(info["events"]) != scale.audit_events:
        return None
    tag = info["tag"]
    organisations = list(
        Organisation.objects.filter(name__startswith=f"Bench {tag} Org ")
        .order_by("name")
        .values_list("id", flat=True)
    )
    partner = Organisation.objects.get(name=f"Bench {tag} Partner Legal Aid")
    # An interrupted generation leaves a partial dataset: never reuse one.
    if Survivor.objects.filter(organisation_id__in=organisations).count() != scale.survivors:
        return None
    if AuditHead.objects.get(pk=1).seq < scale.audit_events:
        return None
    managers = list(
        User.objects.filter(username__startswith=f"bench-{tag}-", username__contains="-cm")
        .order_by("username")
        .values_list("id", flat=True)
    )
    supervisor = User.objects.filter(username=f"bench-{tag}-o000-sup").values_list("id", flat=True)
    return Dataset(
        tag=tag,
        scale=scale,
        organisation_ids=organisations,
        partner_id=partner.id,
        persona_id=managers[0],
        supervisor_id=supervisor[0],
        case_manager_ids=managers,
        survivors=scale.survivors,
        audit_events=scale.audit_events,
        timings_s={"reused": 0.0},
    )
