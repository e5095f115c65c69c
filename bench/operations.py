"""The operations staff do all day, through the real code paths, each beside a raw-SQL baseline.

Service-level operations call the survivors services exactly as a view would (access layer,
decryption, audit event in the same transaction); the acting user's membership cache is dropped
before each call, as a new request would. HTTP operations go through Django's test client (every
middleware, sessions, CSP, templates) and are only included when their URLs exist.

Each baseline is the shortest raw SQL that does the same database work: it fetches the same
rows (and the data keys from the keystore), and for an audited read it also applies the
visibility rule as a condition and appends the audit event, in one transaction, as every read
of survivor data must. It does no decryption. The ratio of the two is what our code costs on
top of the database. An audited read's read alone is timed too (`read_only`, the "x read-only"
column): the earlier runs' baseline, kept so the runs compare.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections, models, transaction
from django.test import Client, override_settings
from django.urls import Resolver404, resolve
from django.utils import timezone

from reclaim.core import access, audit
from reclaim.core import services as core_services
from reclaim.core.fields import encrypted_fields
from reclaim.core.models import AuditEvent, AuditHead, DataKey, Membership, Organisation
from reclaim.core.routers import KEYSTORE_DB
from reclaim.survivors import services
from reclaim.survivors.models import Case, Consent, Survivor

from .generate import Dataset

# Targets from the issues.
OPEN_PROFILE_P95_MS = {"sqlite": 20.0, "postgresql": 25.0}
CASELOAD_P95_MS = 30.0
READ_OVERHEAD_MAX = 3.0
VERIFY_EVENTS_PER_S = 200_000.0
PAGE_SIZE = 50


@dataclass(frozen=True)
class Target:
    p95_ms: float | None = None
    overhead: float | None = None
    min_per_s: float | None = None

    def describe(self, unit: str = "ops/s") -> str:
        parts = []
        if self.p95_ms is not None:
            parts.append(f"p95 ≤ {self.p95_ms:g} ms")
        if self.overhead is not None:
            parts.append(f"≤ {self.overhead:g}x SQL")
        if self.min_per_s is not None:
            parts.append(f"≥ {self.min_per_s:,.0f} {unit}")
        return ", ".join(parts) or "—"

    def verdicts(self, *, p95_ms: float, overhead: float | None, per_s: float) -> list[bool]:
        """One verdict per part of the target, in the order describe() names them."""
        checks = []
        if self.p95_ms is not None:
            checks.append(p95_ms <= self.p95_ms)
        if self.overhead is not None and overhead is not None:
            checks.append(overhead <= self.overhead)
        if self.min_per_s is not None:
            checks.append(per_s >= self.min_per_s)
        return checks

    def check(self, *, p95_ms: float, overhead: float | None, per_s: float) -> bool | None:
        """True/False against the whole target, None when the operation has none."""
        checks = self.verdicts(p95_ms=p95_ms, overhead=overhead, per_s=per_s)
        return all(checks) if checks else None


@dataclass
class Operation:
    """One timed operation. `run(i)` does it once (i picks the row); it may return a unit count
    (events checked) for throughput in other units than calls."""

    name: str
    run: Callable[[int], Any]
    baseline: Callable[[int], Any] | None
    target: Target
    unit: str = "ops/s"
    # Entered around warm-up and timing (settings overrides for the HTTP stack).
    context: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext
    iterations: int | None = None  # None: the scale's
    warmup: int | None = None
    setup_error: str | None = None
    # The read alone in raw SQL, when `baseline` also does an audited read's write.
    read_only: Callable[[int], Any] | None = None


# --- raw SQL helpers --------------------------------------------------------------------------


def _main_id(value: uuid.UUID) -> Any:
    return Survivor._meta.pk.get_db_prep_value(value, connection)  # type: ignore[union-attr]


def _key_id(value: uuid.UUID) -> Any:
    return DataKey._meta.pk.get_db_prep_value(value, connections[KEYSTORE_DB])  # type: ignore[union-attr]


def _fetch(sql: str, params: list[Any], *, using: str = "default") -> list[tuple[Any, ...]]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _fetch_keys(owner_ids: list[uuid.UUID]) -> None:
    if not owner_ids:
        return
    marks = ", ".join(["%s"] * len(owner_ids))
    _fetch(
        f"SELECT owner_id, master_version, wrapped FROM {DataKey._meta.db_table} "
        f"WHERE owner_id IN ({marks})",
        [_key_id(owner) for owner in owner_ids],
        using=KEYSTORE_DB,
    )


def _owner_ids(rows: list[tuple[Any, ...]]) -> list[uuid.UUID]:
    return [uuid.UUID(str(row[0])) for row in rows]


# --- the same database work as an audited read -------------------------------------------------
#
# Every read of survivor data writes an audit event in its own transaction: that write is part
# of the result, not overhead of our code. So the baseline an audited read is held to does the
# same database work in hand-written SQL: the rows the user may see (the visibility rule as a
# condition), the data keys, and the event appended to the hash chain (lock the head, insert,
# move the head), in one transaction. The read alone is still timed ("read-only SQL").


@dataclass(frozen=True)
class AuditedEvent:
    """What the event of one audited call names (the text is hashed, so its size counts)."""

    action: str
    actor_id: Any
    organisation_id: Any = None
    subject_id: Any = None
    target_type: str = ""
    target_id: str = ""
    fields: tuple[str, ...] = ()
    context: tuple[tuple[str, Any], ...] = ()


def append_audit_event_sql(event: AuditedEvent) -> None:
    """Append one event to the chain in hand-written SQL, inside the caller's transaction.

    The hash is the chain's own (`audit.canonical_event`), so the chain still verifies.
    """
    event_table = AuditEvent._meta.db_table
    head_table = AuditHead._meta.db_table
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {head_table} WHERE id = 1{lock}")
        head_seq, head_hash = cursor.fetchone()
        seq, at = head_seq + 1, timezone.now()
        fields, context = sorted(event.fields), dict(event.context)
        canonical = audit.canonical_event(
            seq=seq,
            at=at,
            actor_id=event.actor_id,
            organisation_id=event.organisation_id,
            subject_id=event.subject_id,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            fields=fields,
            context=context,
        )
        digest = audit.chain_hash(head_hash, canonical)
        values = {
            "seq": seq,
            "at": at,
            "actor_id": event.actor_id,
            "organisation_id": event.organisation_id,
            "subject_id": event.subject_id,
            "action": event.action,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "fields": fields,
            "context": context,
            "prev_hash": head_hash,
            "hash": digest,
        }
        params = [
            _concrete_field(AuditEvent, name).get_db_prep_save(value, connection)
            for name, value in values.items()
        ]
        insert = (
            f"INSERT INTO {event_table} ({', '.join(values)}) "
            f"VALUES ({', '.join(['%s'] * len(values))})"
        )
        move = f"UPDATE {head_table} SET seq = %s, hash = %s WHERE id = 1"
        if connection.vendor == "postgresql":  # one round trip, as the chain's own append
            cursor.execute(f"WITH moved AS ({move} RETURNING 1) {insert}", [seq, digest, *params])
        else:
            cursor.execute(insert, params)
            cursor.execute(move, [seq, digest])


def audited_read_sql(
    read: Callable[[int], Any], event: Callable[[int], AuditedEvent]
) -> Callable[[int], None]:
    """The baseline of an audited read: `read` (raw SQL) and its event, in one transaction."""

    def run(i: int) -> None:
        with transaction.atomic():
            read(i)
            append_audit_event_sql(event(i))

    return run


def _visible_to(user_id: uuid.UUID, survivor: str = "s") -> tuple[str, list[Any]]:
    """The visibility rule for a case manager, as one condition: an active membership in the
    survivor's organisation and a case assigned to them. The rule also lets teammates see each
    other's cases; the operations only read the persona's own, so this shorter form is enough."""
    membership = Membership._meta.db_table
    sql = (
        f"{survivor}.organisation_id IN (SELECT m.organisation_id FROM {membership} m "
        f"WHERE m.user_id = %s AND m.is_active) AND EXISTS (SELECT 1 FROM {CASE} c "
        f"WHERE c.survivor_id = {survivor}.id AND c.assigned_to_id = %s)"
    )
    return sql, [_main_id(user_id), _main_id(user_id)]


SURVIVOR = Survivor._meta.db_table
CASE = Case._meta.db_table
CONSENT = Consent._meta.db_table


# --- the operations ---------------------------------------------------------------------------


@dataclass
class Fixture:
    """Rows the operations rotate through, fetched once (outside the timings)."""

    persona: Any
    partner: Organisation
    caseload_ids: list[uuid.UUID]
    survivors: list[Survivor]
    references: list[str]
    aliases: list[tuple[uuid.UUID, str]]
    consented: list[tuple[uuid.UUID, str]]


def load_fixture(dataset: Dataset) -> Fixture:
    persona = dataset.user(dataset.persona_id)
    caseload_ids = list(
        Case.objects.filter(assigned_to_id=persona.id)
        .order_by("survivor_id")
        .values_list("survivor_id", flat=True)
    )
    survivors = [services.get_survivor(sid, by=persona) for sid in caseload_ids]
    consented = list(
        Consent.objects.filter(survivor_id__in=caseload_ids, recipient_id=dataset.partner_id)
        .order_by("survivor_id")
        .values_list("survivor_id", "purpose")
    )
    return Fixture(
        persona=persona,
        partner=Organisation.objects.get(pk=dataset.partner_id),
        caseload_ids=caseload_ids,
        survivors=survivors,
        references=[row.reference for row in survivors],
        aliases=[(row.organisation_id, row.alias) for row in survivors if row.alias],
        consented=consented or [(caseload_ids[0], "referral")],
    )


def build(dataset: Dataset, *, vendor: str | None = None) -> list[Operation]:
    """Every operation for this dataset, service level first, then HTTP if the URLs exist."""
    vendor = vendor or connection.vendor
    from . import care, network

    fixture = load_fixture(dataset)
    return [
        *service_operations(fixture, vendor),
        *care.care_operations(dataset),
        *network.network_operations(dataset),
        audit_verify_operation(dataset),
        *http_operations(fixture, vendor),
    ]


def service_operations(fx: Fixture, vendor: str) -> list[Operation]:
    user = fx.persona
    ids = fx.caseload_ids
    profile_target = Target(
        p95_ms=OPEN_PROFILE_P95_MS.get(vendor, 25.0), overhead=READ_OVERHEAD_MAX
    )

    def open_profile(i: int) -> None:
        access.forget_memberships(user)
        survivor = services.get_survivor(ids[i % len(ids)], by=user)
        services.read_profile(survivor)

    def open_profile_sql(i: int) -> None:
        owner = ids[i % len(ids)]
        _fetch(f"SELECT * FROM {SURVIVOR} WHERE id = %s", [_main_id(owner)])
        _fetch_keys([owner])

    visible, visible_params = _visible_to(user.id)
    profile_fields = tuple(f.name for f in encrypted_fields(Survivor))

    def open_visible_profile_sql(i: int) -> None:
        owner = ids[i % len(ids)]
        _fetch(
            f"SELECT s.* FROM {SURVIVOR} s WHERE s.id = %s AND {visible}",
            [_main_id(owner), *visible_params],
        )
        _fetch_keys([owner])

    def profile_event(i: int) -> AuditedEvent:
        survivor = fx.survivors[i % len(ids)]
        return AuditedEvent(
            "survivor.view",
            user.id,
            survivor.organisation_id,
            survivor.id,
            "survivors.survivor",
            str(survivor.id),
            fields=profile_fields,
        )

    def caseload_page(i: int) -> None:
        access.forget_memberships(user)
        for row in services.list_caseload(by=user, limit=PAGE_SIZE):
            services.display_alias(row)

    def caseload_page_sql(i: int) -> None:
        rows = _fetch(
            f"SELECT s.* FROM {SURVIVOR} s INNER JOIN {CASE} c ON c.survivor_id = s.id "
            "WHERE c.assigned_to_id = %s AND s.erased_at IS NULL "
            f"ORDER BY s.intake_date DESC, s.reference ASC LIMIT {PAGE_SIZE}",
            [_main_id(user.id)],
        )
        _fetch_keys(_owner_ids(rows))

    def caseload_event(i: int) -> AuditedEvent:
        context = (("mine_only", False), ("shown", PAGE_SIZE))
        return AuditedEvent("survivor.list", user.id, fields=("alias",), context=context)

    def search_reference(i: int) -> None:
        access.forget_memberships(user)
        for row in services.search_survivors(by=user, query=fx.references[i % len(ids)]).visible:
            services.display_alias(row)

    def search_reference_sql(i: int) -> None:
        rows = _fetch(
            f"SELECT * FROM {SURVIVOR} WHERE reference = %s AND erased_at IS NULL",
            [fx.references[i % len(ids)]],
        )
        _fetch_keys(_owner_ids(rows))

    # A search says which matches the user may open (the rest count as outside the caseload).
    def search_reference_visible_sql(i: int) -> None:
        rows = _fetch(
            f"SELECT s.*, {visible} FROM {SURVIVOR} s "
            "WHERE s.reference = %s AND s.erased_at IS NULL",
            [*visible_params, fx.references[i % len(ids)]],
        )
        _fetch_keys(_owner_ids([row for row in rows if row[-1]]))

    def search_event(i: int) -> AuditedEvent:
        context = (("found", 1), ("outside_caseload", 0))
        return AuditedEvent("survivor.search", user.id, context=context)

    def search_alias(i: int) -> None:
        access.forget_memberships(user)
        _org, alias = fx.aliases[i % len(fx.aliases)]
        for row in services.search_survivors(by=user, query=alias).visible:
            services.display_alias(row)

    # The baseline is handed the blind index (computing the HMAC is part of our overhead).
    from reclaim.core import crypto

    alias_indexes = [
        (org, crypto.blind_index("alias", str(org), alias)) for org, alias in fx.aliases
    ]

    def search_alias_sql(i: int) -> None:
        org, index = alias_indexes[i % len(alias_indexes)]
        rows = _fetch(
            f"SELECT * FROM {SURVIVOR} WHERE organisation_id = %s AND alias_index = %s "
            "AND erased_at IS NULL",
            [_main_id(org), index],
        )
        _fetch_keys(_owner_ids(rows))

    def search_alias_visible_sql(i: int) -> None:
        org, index = alias_indexes[i % len(alias_indexes)]
        rows = _fetch(
            f"SELECT s.*, {visible} FROM {SURVIVOR} s "
            "WHERE s.organisation_id = %s AND s.alias_index = %s AND s.erased_at IS NULL",
            [*visible_params, _main_id(org), index],
        )
        _fetch_keys(_owner_ids([row for row in rows if row[-1]]))

    def record_consent(i: int) -> None:
        access.forget_memberships(user)
        services.record_consent(
            fx.survivors[i % len(ids)],
            by=user,
            recipient=fx.partner,
            purpose="service_coordination",
            categories=["identity", "contact"],
            method="written",
        )

    def record_consent_sql(i: int) -> None:
        survivor = fx.survivors[i % len(ids)]
        now = timezone.now()
        values = {
            "id": uuid.uuid4(),
            "survivor_id": survivor.id,
            "organisation_id": survivor.organisation_id,
            "recipient_id": fx.partner.id,
            "purpose": "service_coordination",
            "categories": ["contact", "identity"],
            "method": "written",
            "witness_name": "",
            "given_at": now,
            "expires_at": now + datetime.timedelta(days=365),
            "revoked_at": None,
            "revoked_by_id": None,
            "recorded_by_id": user.id,
            "created_at": now,
        }
        params = [
            _concrete_field(Consent, name).get_db_prep_save(value, connection)
            for name, value in values.items()
        ]
        columns = ", ".join(values)
        marks = ", ".join(["%s"] * len(values))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {CONSENT} ({columns}) VALUES ({marks})", params)

    @contextlib.contextmanager
    def consents_removed_afterwards() -> Iterator[None]:
        """Delete the consents this operation and its baseline record. Otherwise each run
        left about 600 more with the partner, and on a reused dataset the consent checks
        timed next read more rows every run."""
        started = timezone.now()
        try:
            yield
        finally:
            Consent.objects.filter(
                recorded_by_id=user.id,
                recipient_id=fx.partner.id,
                purpose="service_coordination",
                created_at__gte=started,
            ).delete()

    def allows(i: int) -> bool:
        survivor_id, purpose = fx.consented[i % len(fx.consented)]
        return services.allows(survivor_id, fx.partner.id, ["identity"], purpose)

    def allows_sql(i: int) -> None:
        survivor_id, purpose = fx.consented[i % len(fx.consented)]
        now = Consent._meta.get_field("given_at").get_db_prep_value(timezone.now(), connection)
        _fetch(
            f"SELECT categories FROM {CONSENT} WHERE survivor_id = %s AND recipient_id = %s "
            "AND purpose = %s AND given_at <= %s AND expires_at > %s "
            "AND NOT (revoked_at IS NOT NULL AND revoked_at <= %s)",
            [_main_id(survivor_id), _main_id(fx.partner.id), purpose, now, now, now],
        )

    caseload_target = Target(p95_ms=CASELOAD_P95_MS, overhead=READ_OVERHEAD_MAX)
    read_target = Target(overhead=READ_OVERHEAD_MAX)
    return [
        Operation(
            "open_profile",
            open_profile,
            audited_read_sql(open_visible_profile_sql, profile_event),
            profile_target,
            read_only=open_profile_sql,
        ),
        Operation(
            "caseload_page_50",
            caseload_page,
            # The join with the user's cases is the visibility rule for a case manager.
            audited_read_sql(caseload_page_sql, caseload_event),
            caseload_target,
            read_only=caseload_page_sql,
        ),
        Operation(
            "search_reference",
            search_reference,
            audited_read_sql(search_reference_visible_sql, search_event),
            read_target,
            read_only=search_reference_sql,
        ),
        Operation(
            "search_alias",
            search_alias,
            audited_read_sql(search_alias_visible_sql, search_event),
            read_target,
            read_only=search_alias_sql,
        ),
        Operation(
            "record_consent",
            record_consent,
            record_consent_sql,
            Target(),
            context=consents_removed_afterwards,
        ),
        Operation("consent_allows", allows, allows_sql, read_target),
    ]


def _concrete_field(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def audit_verify_operation(dataset: Dataset) -> Operation:
    def verify(i: int) -> int:
        result = audit.verify_chain()
        if not result.ok:
            raise RuntimeError(f"audit chain broken at {result.first_bad_seq}: {result.problem}")
        return result.checked

    columns = ", ".join(str(f.column) for f in AuditEvent._meta.concrete_fields)

    def verify_sql(i: int) -> int:
        count = 0
        # A server-side cursor on PostgreSQL, as QuerySet.iterator() uses.
        with transaction.atomic(), connection.chunked_cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {AuditEvent._meta.db_table} ORDER BY seq")
            while rows := cursor.fetchmany(20_000):
                count += len(rows)
        return count

    runs = dataset.scale.verify_runs
    return Operation(
        "audit_verify",
        verify,
        verify_sql,
        Target(min_per_s=VERIFY_EVENTS_PER_S),
        unit="events/s",
        iterations=runs,
        warmup=1,
    )


# --- through the HTTP stack -------------------------------------------------------------------


def _resolves(*paths: str) -> str | None:
    for path in paths:
        try:
            resolve(path)
        except Resolver404:
            continue
        return path
    return None


@contextlib.contextmanager
def relaxed_mfa() -> Iterator[None]:
    """Staff without TOTP may browse (as in the demo); nothing else is changed."""
    with override_settings(RECLAIM_DEMO_RELAX_MFA=True):
        yield


def _getter(client: Client, paths: list[str], **headers: str) -> Callable[[int], None]:
    def get(i: int) -> None:
        path = paths[i % len(paths)]
        response = client.get(path, secure=True, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path.split('/')[1]}/… answered {response.status_code}")

    return get


def http_operations(fx: Fixture, vendor: str) -> list[Operation]:
    """The profile and caseload pages and the JSON API, only where the URLs exist."""
    ids = fx.caseload_ids
    found: list[tuple[str, list[str], bool, Target, Callable[[int], Any]]] = []
    profile_target = Target(p95_ms=OPEN_PROFILE_P95_MS.get(vendor, 25.0))
    caseload_target = Target(p95_ms=CASELOAD_P95_MS)
    by_id = service_baselines(fx)
    if _resolves(f"/survivors/{ids[0]}/"):
        paths = [f"/survivors/{sid}/" for sid in ids]
        found.append(("http_profile_page", paths, False, profile_target, by_id["profile"]))
    if _resolves("/caseload/"):
        found.append(("http_caseload_page", ["/caseload/"], False, caseload_target, by_id["page"]))
    api_list = _resolves("/api/v1/survivors/", "/api/v1/survivors")
    if api_list:
        found.append(("api_list_survivors", [api_list], True, caseload_target, by_id["page"]))
    api_detail = _resolves(f"/api/v1/survivors/{ids[0]}", f"/api/v1/survivors/{ids[0]}/")
    if api_detail:
        suffix = "/" if api_detail.endswith("/") else ""
        paths = [f"/api/v1/survivors/{sid}{suffix}" for sid in ids]
        found.append(("api_get_survivor", paths, True, profile_target, by_id["profile"]))
    if not found:
        return []

    operations = []
    with relaxed_mfa():
        browser = Client()
        browser.force_login(fx.persona)
        token = ""
        if any(uses_token for _n, _p, uses_token, _t, _b in found):
            token = core_services.create_access_token(
                by=fx.persona, name="bench", can_write=False
            ).secret
    api_client = Client()
    for name, paths, uses_token, target, baseline in found:
        if uses_token:
            run = _getter(api_client, paths, Authorization=f"Bearer {token}")
        else:
            run = _getter(browser, paths)
        operations.append(Operation(name, run, baseline, target, context=relaxed_mfa))
    return operations


def service_baselines(fx: Fixture) -> dict[str, Callable[[int], Any]]:
    """The same raw SQL as the service-level operations, for the HTTP rows."""
    ops = {op.name: op.baseline for op in service_operations(fx, connection.vendor)}
    return {"profile": ops["open_profile"], "page": ops["caseload_page_50"]}  # type: ignore[dict-item]
