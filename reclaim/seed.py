"""Demo data for `reclaim demo`: a small anti-trafficking network and ~200 synthetic survivors.

Every person here is made up by a deterministic generator (fixed random seed), so every run
makes the same people. Survivor data goes through the survivor services exactly as staff would
enter it: encrypted with per-survivor keys, scoped and audited. Organisations, teams and accounts
are created with the core models directly, because there is no user-admin service yet.

Seeding is idempotent: organisations, teams and accounts are upserted by name, and survivors are
only topped up to the target count, so running it twice changes nothing the second time.
"""

from __future__ import annotations

import datetime
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from reclaim.core.models import Membership, Organisation, OrganisationType, Role, Team, User
from reclaim.survivors import services as survivors
from reclaim.survivors.models import Case, Consent, Survivor
from reclaim.survivors.picklists import (
    CaseStatus,
    ClosureReason,
    ConsentMethod,
    ConsentPurpose,
    ContactChannel,
    ControlMethod,
    ExploitationType,
    Gender,
    TraffickingStatus,
)

DEMO_PASSWORD = "reclaim-demo-password"
DEFAULT_SURVIVOR_COUNT = 200
RANDOM_SEED = 20_251_127

HOME = "Harbor House"
LEGAL = "Justice Legal Aid"
CLINIC = "Bridges Health Clinic"


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    org_type: str
    description: str
    teams: tuple[str, ...]


ORGANISATIONS = (
    DemoOrganisation(
        HOME,
        OrganisationType.NGO,
        "Emergency shelter, case management and peer mentoring for survivors of trafficking.",
        ("North", "South"),
    ),
    DemoOrganisation(
        LEGAL,
        OrganisationType.LEGAL,
        "Free immigration relief (T visas, U visas), vacatur and civil legal help.",
        ("Immigration",),
    ),
    DemoOrganisation(
        CLINIC,
        OrganisationType.HEALTH,
        "Primary care, trauma-informed counselling and health screenings.",
        ("Outreach",),
    ),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    organisation: str
    team: str | None
    first_name: str
    last_name: str


ACCOUNTS = (
    DemoAccount("admin", Role.ORG_ADMIN, HOME, None, "Alex", "Morgan"),
    DemoAccount("supervisor", Role.SUPERVISOR, HOME, None, "Dana", "Whitfield"),
    DemoAccount("casemanager", Role.CASE_MANAGER, HOME, "North", "Rosa", "Delgado"),
    DemoAccount("casemanager2", Role.CASE_MANAGER, HOME, "North", "Sam", "Okafor"),
    DemoAccount("casemanager3", Role.CASE_MANAGER, HOME, "South", "Lucía", "Ferrer"),
    DemoAccount("legalaid", Role.PARTNER_STAFF, LEGAL, "Immigration", "Priya", "Raman"),
    DemoAccount("clinic", Role.PARTNER_STAFF, CLINIC, "Outreach", "Tomás", "Ibarra"),
    DemoAccount("mentor", Role.MENTOR, HOME, None, "Grace", "Nyambura"),
    DemoAccount("programs", Role.PROGRAM_MANAGER, HOME, None, "Jordan", "Lee"),
    DemoAccount("survivor", Role.SURVIVOR, HOME, None, "", ""),
)
CASE_MANAGERS = ("casemanager", "casemanager2", "casemanager3")
PORTAL_USERNAME = "survivor"


# --- the synthetic survivors (a pure function of the count and the seed) --------------------

SPANISH_FEMALE = (
    "María", "Guadalupe", "Lucía", "Carmen", "Rosa", "Ana", "Isabel", "Valentina", "Camila",
    "Daniela", "Sofía", "Mariana", "Gabriela", "Paola", "Fernanda", "Alejandra", "Juana", "Elena",
)  # fmt: skip
SPANISH_MALE = (
    "José", "Juan", "Luis", "Carlos", "Miguel", "Jorge", "Andrés", "Diego", "Mateo", "Santiago",
    "Alejandro", "Javier", "Rafael", "Óscar", "Héctor", "Emilio",
)  # fmt: skip
SPANISH_SURNAMES = (
    "García", "Martínez", "López", "Hernández", "González", "Pérez", "Rodríguez", "Sánchez",
    "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres",
    "Díaz", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz", "Castillo", "Núñez", "Quintero",
)  # fmt: skip
ENGLISH_FEMALE = (
    "Emily", "Jessica", "Ashley", "Sarah", "Amanda", "Brittany", "Megan", "Rachel", "Grace",
    "Hannah", "Chloe", "Abigail", "Olivia", "Joy", "Faith", "Mary",
)  # fmt: skip
ENGLISH_MALE = (
    "James", "Michael", "David", "Daniel", "Joshua", "Tyler", "Kevin", "Samuel", "Brandon",
    "Anthony", "John", "Peter",
)  # fmt: skip
ENGLISH_SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Jackson", "White", "Harris", "Clark", "Lewis", "Walker",
    "Okonkwo", "Santos", "Reyes", "Mensah",
)  # fmt: skip
# Aliases are what staff call the survivor on screen: chosen words, not real names.
ALIASES = (
    "Paloma", "Estrella", "Alondra", "Luz", "Brisa", "Cielo", "Mar", "Sol", "Aurora", "Nube",
    "Jade", "Sunny", "Robin", "Wren", "River", "Skye", "Birdie", "Hope", "Ivy", "Sage", "Lark",
    "Tigre", "Halcón", "Roble", "Trueno", "Cometa", "Ocean", "Rain", "Fox", "Bear",
)  # fmt: skip
SPANISH_COUNTRIES = ("MX", "GT", "HN", "SV", "CO", "VE", "NI", "PE", "EC", "DO")
ENGLISH_COUNTRIES = ("US", "US", "US", "PH", "NG", "GH", "JM", "GB", "KE")
AREA_CODES = ("206", "212", "305", "312", "415", "503", "602", "713", "786", "915")
SAFE_TIMES = {
    "en": ("Weekdays 10:00-12:00", "After 18:00 only", "Tuesday and Thursday mornings", ""),
    "es": ("Entre semana 10:00-12:00", "Solo después de las 18:00", "Martes por la tarde", ""),
}


@dataclass
class SyntheticSurvivor:
    """One made-up survivor: the profile to enter, and what happens in their case."""

    language: str
    profile: dict[str, Any]
    status: str
    closure_reason: str = ""
    trafficking: dict[str, Any] = field(default_factory=dict)
    contact_channels: list[tuple[str, bool, str]] = field(default_factory=list)
    # (recipient name, state) with state "active", "expired" or "revoked".
    consents: list[tuple[str, str]] = field(default_factory=list)


def synthetic_survivors(
    count: int, *, seed: int = RANDOM_SEED, today: datetime.date | None = None
) -> list[SyntheticSurvivor]:
    """`count` made-up survivors; the same seed always gives the same people, in order."""
    rng = random.Random(seed)  # noqa: S311 (made-up demo people, not secrets)
    today = today or datetime.date(2026, 1, 15)
    return [_synthetic_survivor(rng, index, today) for index in range(count)]


def _synthetic_survivor(rng: random.Random, index: int, today: datetime.date) -> SyntheticSurvivor:
    spanish = rng.random() < 0.6
    language = "es" if spanish else "en"
    feminine = rng.random() < 0.75
    if spanish:
        first = rng.choice(SPANISH_FEMALE if feminine else SPANISH_MALE)
        legal_name = f"{first} {rng.choice(SPANISH_SURNAMES)} {rng.choice(SPANISH_SURNAMES)}"
        country = rng.choice(SPANISH_COUNTRIES)
        languages = ["es", "en"] if rng.random() < 0.35 else ["es"]
    else:
        first = rng.choice(ENGLISH_FEMALE if feminine else ENGLISH_MALE)
        legal_name = f"{first} {rng.choice(ENGLISH_SURNAMES)}"
        country = rng.choice(ENGLISH_COUNTRIES)
        languages = ["en"] if rng.random() < 0.8 else ["en", rng.choice(["fr", "tl", "yo"])]
    intake_date = today - datetime.timedelta(days=rng.randint(3, 3 * 365))
    age_at_intake = rng.randint(17, 58)
    date_of_birth = intake_date - datetime.timedelta(days=age_at_intake * 365 + rng.randint(0, 364))
    gender_roll = rng.random()
    if gender_roll < 0.06:
        gender: str | None = rng.choice(
            [Gender.TRANSGENDER_FEMININE, Gender.NON_CONFORMING, Gender.TRANSGENDER_MASCULINE]
        )
    elif gender_roll < 0.12:
        gender = Gender.PREFER_NOT_TO_SAY
    elif gender_roll < 0.16:
        gender = None  # the question was skipped
    else:
        gender = Gender.FEMININE if feminine else Gender.MASCULINE
    profile: dict[str, Any] = {
        "alias": rng.choice(ALIASES),
        "legal_name": legal_name,
        "date_of_birth": date_of_birth,
        "gender": gender,
        "languages": languages,
        "country_of_origin": country,
        "citizenship": [country],
        # 555-0100..0199 are reserved for fiction in the North American numbering plan.
        "phone": f"+1 {rng.choice(AREA_CODES)} 555 01{rng.randint(0, 99):02d}",
        "intake_date": intake_date,
    }
    if rng.random() < 0.3:
        profile["preferred_name"] = first
    if rng.random() < 0.25:
        profile["email"] = f"survivor{index:03d}@example.org"
    if rng.random() < 0.2:
        pronouns = {Gender.FEMININE.value: "she/her", Gender.MASCULINE.value: "he/him"}
        profile["pronouns"] = pronouns.get(str(gender), "they/them")
    if rng.random() < 0.4:
        profile["code_word"] = rng.choice(["lavanda", "tortuga", "blue kite", "maple", "faro"])

    status_roll = rng.random()
    status, closure_reason = CaseStatus.ACTIVE.value, ""
    if status_roll < 0.2:
        status = CaseStatus.FOLLOW_UP.value
    elif status_roll < 0.33:
        status = CaseStatus.CLOSED.value
        closure_reason = rng.choice(
            [ClosureReason.GOALS_MET, ClosureReason.SURVIVOR_CHOICE, ClosureReason.LOST_CONTACT]
        ).value
    elif status_roll < 0.38:
        status, closure_reason = CaseStatus.CLOSED_REFERRED.value, ClosureReason.REFERRED.value

    trafficking: dict[str, Any] = {}
    # Trafficking details are never required: about a third of records leave them empty.
    if rng.random() < 0.65:
        trafficking = {
            "trafficking_status": rng.choice(
                [TraffickingStatus.ACTUAL, TraffickingStatus.ACTUAL, TraffickingStatus.POSSIBLE]
            ).value,
            "exploitation_types": rng.sample(
                [
                    ExploitationType.FORCED_LABOUR,
                    ExploitationType.SEXUAL_EXPLOITATION,
                    ExploitationType.SERVITUDE,
                    ExploitationType.FORCED_BEGGING,
                ],
                k=rng.randint(1, 2),
            ),
            "control_methods": rng.sample(
                [
                    ControlMethod.DEBT_BONDAGE,
                    ControlMethod.WITHHOLDS_DOCUMENTS,
                    ControlMethod.FALSE_PROMISES,
                    ControlMethod.THREATENS_FAMILY,
                    ControlMethod.PSYCHOLOGICAL_ABUSE,
                ],
                k=rng.randint(1, 3),
            ),
        }

    channels = []
    if rng.random() < 0.85:
        channels.append(
            (ContactChannel.PHONE_CALL.value, rng.random() < 0.8, rng.choice(SAFE_TIMES[language]))
        )
    if rng.random() < 0.5:
        channels.append((ContactChannel.TEXT_MESSAGE.value, rng.random() < 0.7, ""))
    if rng.random() < 0.15:
        channels.append((ContactChannel.VOICEMAIL.value, False, ""))

    consents = []
    for recipient, chance in ((LEGAL, 0.45), (CLINIC, 0.3)):
        if rng.random() < chance:
            state_roll = rng.random()
            state = "expired" if state_roll < 0.15 else "revoked" if state_roll < 0.3 else "active"
            consents.append((recipient, state))

    return SyntheticSurvivor(
        language=language,
        profile=profile,
        status=status,
        closure_reason=closure_reason,
        trafficking=trafficking,
        contact_channels=channels,
        consents=consents,
    )


CONSENT_TERMS = {
    LEGAL: (
        ConsentPurpose.LEGAL_REPRESENTATION,
        ["identity", "contact", "legal_immigration", "trafficking_history"],
    ),
    CLINIC: (ConsentPurpose.REFERRAL, ["identity", "contact", "health"]),
}


# --- writing it ---------------------------------------------------------------------------


@dataclass
class SeedSummary:
    organisations: int
    users: int
    survivors_created: int
    survivors_total: int
    accounts: Sequence[DemoAccount] = ACCOUNTS
    password: str = DEMO_PASSWORD


def seed_demo(
    *,
    survivors_wanted: int = DEFAULT_SURVIVOR_COUNT,
    progress: bool = True,
    stream: Any = None,
) -> SeedSummary:
    """Create (or top up) the demo network. Safe to run again: it never duplicates anything.

    `stream` is where the progress bar goes (a file-like object; stderr by default).
    """
    organisations = {spec.name: _upsert_organisation(spec) for spec in ORGANISATIONS}
    users = {account.username: _upsert_account(account, organisations) for account in ACCOUNTS}
    home = organisations[HOME]
    admin = users["admin"]
    existing = survivors.count_caseload(by=admin, mine_only=False)
    plan = synthetic_survivors(max(survivors_wanted, existing), today=timezone.localdate())
    missing = plan[existing:survivors_wanted]
    case_managers = [users[name] for name in CASE_MANAGERS]
    with tqdm(
        total=len(missing),
        desc="Seeding survivors",
        unit="survivor",
        file=stream or sys.stderr,
        disable=not progress or not missing,
    ) as bar:
        for offset, person in enumerate(missing):
            index = existing + offset
            by = case_managers[index % len(case_managers)]
            _create_survivor(person, by=by, organisation=home, partners=organisations)
            bar.update(1)
    _link_portal_account(users[PORTAL_USERNAME], by=users["casemanager"])
    seed_care(case_managers, rng=random.Random(RANDOM_SEED))  # noqa: S311 (made-up history)
    seed_network(organisations, users)
    return SeedSummary(
        organisations=len(organisations),
        users=len(users),
        survivors_created=len(missing),
        survivors_total=survivors.count_caseload(by=admin, mine_only=False),
    )


# --- care: assessments, screenings, a plan, a note and an appointment for some survivors ---

CARE_SURVIVORS_PER_MANAGER = 12
DEMO_GOALS = (
    ("housing", "Find my own place where I feel safe", "Visit two housing programmes"),
    ("employment", "Get a job where I am treated fairly", "Finish the CV with my mentor"),
    ("legal_immigration", "Know my options to stay", "Meet the legal aid lawyer"),
    ("mental_health", "Sleep better and feel calmer", "Try the counseling group once"),
    ("education", "Improve my English", "Sign up for evening classes"),
)


def seed_care(case_managers: Sequence[User], *, rng: random.Random) -> int:
    """Give the first survivors of each case manager a care history (idempotent: survivors who
    already have an assessment are left alone). Returns how many survivors were given one."""
    from reclaim.care import services as care
    from reclaim.care.domains import STANDARD_DOMAINS
    from reclaim.care.models import Assessment

    seeded = 0
    today = timezone.localdate()
    for manager in case_managers:
        # Ids only, read directly: a second run must find its work done without audited reads.
        chosen = list(
            Case.objects.filter(assigned_to=manager)
            .order_by("opened_on", "survivor_id")
            .values_list("survivor_id", flat=True)[:CARE_SURVIVORS_PER_MANAGER]
        )
        done = set(
            Assessment.objects.filter(survivor_id__in=chosen).values_list("survivor_id", flat=True)
        )
        for survivor_id in chosen:
            if survivor_id in done:
                continue
            survivor = survivors.get_survivor(survivor_id, by=manager)
            with transaction.atomic():
                level = {domain.code: rng.randint(1, 3) for domain in STANDARD_DOMAINS}
                for months_ago in (12, 6, 1):
                    day = today - datetime.timedelta(days=30 * months_ago)
                    care.record_assessment(
                        survivor, by=manager, scores=dict(level), assessed_on=day
                    )
                    for code in level:
                        level[code] = max(1, min(5, level[code] + rng.choice((0, 1, 1, -1))))
                    at = datetime.datetime.combine(day, datetime.time(11), tzinfo=datetime.UTC)
                    care.record_screening(
                        survivor, by=manager, instrument="phq9", version="phq9-2001",
                        language="en", answers=[rng.randint(0, 2) for _ in range(8)] + [0],
                        administered_at=at,
                    )  # fmt: skip
                    care.record_screening(
                        survivor, by=manager, instrument="gad7", version="gad7-2006",
                        language="en", answers=[rng.randint(0, 2) for _ in range(7)],
                        administered_at=at,
                    )  # fmt: skip
                domain_code, goal, step = rng.choice(DEMO_GOALS)
                care.add_goal(
                    survivor,
                    by=manager,
                    text=goal,
                    domain_code=domain_code,
                    target_date=today + datetime.timedelta(days=120),
                    survivor_agreed=True,
                    steps=[
                        {"text": step, "owner": "survivor",
                         "target_date": today + datetime.timedelta(days=30)},
                    ],
                )  # fmt: skip
                care.add_note(
                    survivor,
                    by=manager,
                    body="Met at the drop-in. Talked about priorities for the next month.",
                )
                starts = timezone.now().replace(minute=0, second=0, microsecond=0) + (
                    datetime.timedelta(days=rng.randint(1, 14), hours=rng.randint(1, 6))
                )
                care.schedule_appointment(
                    survivor,
                    by=manager,
                    kind=rng.choice(("counseling", "medical", "housing", "legal")),
                    starts_at=starts,
                    ends_at=starts + datetime.timedelta(hours=1),
                    place="Harbor House, room 2",
                )
            seeded += 1
    return seeded


def seed_network(organisations: dict[str, Organisation], users: dict[str, User]) -> None:
    """The partner directory (providers named like our organisations are linked to them) and a
    few referrals in every state. Each runs once: a second run finds them and writes nothing."""
    from reclaim.directory.models import Service
    from reclaim.directory.services.demo import seed_directory
    from reclaim.referrals.models import Referral
    from reclaim.referrals.seed import seed_referrals

    if not Service.objects.exists():
        seed_directory(organisations.values())
    if not Referral.objects.exists():
        seed_referrals(
            sender=users["casemanager"],
            recipients={
                organisations[LEGAL]: users["legalaid"],
                organisations[CLINIC]: users["clinic"],
            },
        )


def _upsert_organisation(spec: DemoOrganisation) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(
        name=spec.name, defaults={"org_type": spec.org_type, "description": spec.description}
    )
    for team_name in spec.teams:
        Team.objects.get_or_create(organisation=organisation, name=team_name)
    return organisation


def _upsert_account(account: DemoAccount, organisations: dict[str, Organisation]) -> User:
    organisation = organisations[account.organisation]
    user = User.objects.filter(username=account.username).first()
    if user is None:
        user = User(
            username=account.username,
            first_name=account.first_name,
            last_name=account.last_name,
            preferred_language="es" if account.username == "casemanager3" else "en",
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
    team = Team.objects.get(organisation=organisation, name=account.team) if account.team else None
    Membership.objects.get_or_create(
        user=user, organisation=organisation, role=account.role, defaults={"team": team}
    )
    return user


def _create_survivor(
    person: SyntheticSurvivor,
    *,
    by: User,
    organisation: Organisation,
    partners: dict[str, Organisation],
) -> Survivor:
    # One transaction per survivor, so an interrupted run leaves whole records only.
    with transaction.atomic():
        survivor = survivors.create_survivor(
            by=by, organisation=organisation, profile=person.profile
        )
        case = survivors.list_cases(survivor, by=by)[0]
        changes: dict[str, Any] = dict(person.trafficking)
        if person.status != CaseStatus.ACTIVE:
            changes.update(status=person.status, closure_reason=person.closure_reason)
        if changes:
            survivors.update_case(case, by=by, changes=changes)
        for channel, may_contact, safe_times in person.contact_channels:
            survivors.set_contact_preference(
                survivor,
                by=by,
                channel=channel,
                may_contact=may_contact,
                safe_times=safe_times or None,
            )
        for recipient_name, state in person.consents:
            _record_consent(survivor, by=by, recipient=partners[recipient_name], state=state)
    return survivor


def _record_consent(survivor: Survivor, *, by: User, recipient: Organisation, state: str) -> None:
    purpose, categories = CONSENT_TERMS[recipient.name]
    now = timezone.now()
    intake = datetime.datetime.combine(
        survivor.intake_date, datetime.time(10, 0), tzinfo=datetime.UTC
    )
    given_at = min(intake + datetime.timedelta(days=7), now - datetime.timedelta(days=1))
    consent = survivors.record_consent(
        survivor,
        by=by,
        recipient=recipient,
        purpose=purpose,
        categories=categories,
        method=ConsentMethod.WRITTEN if recipient.name == LEGAL else ConsentMethod.ELECTRONIC,
        given_at=given_at,
        expires_at=max(given_at, now) + datetime.timedelta(days=365),
    )
    if state == "revoked":
        survivors.revoke_consent(consent, by=by, at=now - datetime.timedelta(hours=1))
    elif state == "expired":
        # Demo history only: the service rightly refuses a consent that has already expired,
        # so an old one is recorded as valid and then moved into the past.
        expired_at = now - datetime.timedelta(days=10)
        Consent.objects.filter(pk=consent.pk).update(
            given_at=expired_at - datetime.timedelta(days=90), expires_at=expired_at
        )


def _link_portal_account(portal_user: User, *, by: User) -> None:
    """Give the demo survivor account a portal link to the first record of `by`'s caseload."""
    if survivors.count_caseload(by=portal_user, mine_only=False):
        return
    caseload = survivors.list_caseload(by=by, limit=1)
    if not caseload:
        return
    # No service links portal accounts yet; this is the same single-row update an admin makes.
    Survivor.objects.filter(pk=caseload[0].pk, portal_user__isnull=True).update(
        portal_user=portal_user
    )
