"""The audit hash chain (DESIGN invariant 2): verification names the first broken event,
signed checkpoints catch a rewritten chain, and events never hold profile values."""

from __future__ import annotations

import datetime
import itertools
import json
import os
import sqlite3
import threading
from concurrent.futures.process import BrokenProcessPool

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import F
from hypothesis import given
from hypothesis import strategies as st

from reclaim.core import audit
from reclaim.core.models import AuditEvent, AuditHead
from reclaim.survivors import services
from tests.core.rawdb import write_column
from tests.factories import make_survivor

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def chain(caseworker, supervisor, home_org, partner_org):
    """A chain of real events: create, read, update, consent, list, search."""
    survivor = make_survivor(caseworker, home_org)
    services.get_survivor(survivor.pk, by=caseworker)
    services.update_profile(survivor, by=caseworker, changes={"pronouns": "she/her"})
    services.record_consent(
        survivor,
        by=caseworker,
        recipient=partner_org,
        purpose="referral",
        categories=["identity", "contact"],
        method="written",
    )
    services.list_caseload(by=caseworker)
    services.search_survivors(by=supervisor, query=survivor.reference)
    head = AuditHead.objects.get(pk=1)
    assert head.seq >= 6
    return head.seq


def swap_seq(first: int, second: int) -> None:
    AuditEvent.objects.filter(seq=first).update(seq=-1)
    AuditEvent.objects.filter(seq=second).update(seq=first)
    AuditEvent.objects.filter(seq=-1).update(seq=second)


def rewrite_chain_from(seq: int, *, move_head: bool = True) -> None:
    """What an attacker with database access does after editing an event: recompute every
    hash from there on and move the head, so the chain alone looks intact again."""
    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else audit.GENESIS_HASH
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        canonical = audit.canonical_event(
            seq=event.seq,
            at=event.at,
            actor_id=event.actor_id,
            organisation_id=event.organisation_id,
            subject_id=event.subject_id,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            fields=event.fields,
            context=event.context,
        )
        digest = audit.chain_hash(prev, canonical)
        AuditEvent.objects.filter(seq=event.seq).update(prev_hash=prev, hash=digest)
        prev = digest
    if move_head:
        AuditHead.objects.filter(pk=1).update(hash=prev)


# --- verify_chain -------------------------------------------------------------------------


def test_fresh_chain_of_real_events_verifies(chain):
    result = audit.verify_chain()

    assert result.ok
    assert result.checked == chain
    assert result.first_bad_seq is None
    assert result.head_seq == chain


def test_verify_reads_the_chain_in_chunks(chain):
    assert audit.verify_chain(chunk_size=2).ok


def test_empty_chain_verifies():
    assert audit.verify_chain().ok


def test_editing_an_events_action_with_raw_sql_breaks_the_chain_there(chain):
    write_column(AuditEvent, "action", 3, "survivor.list")

    result = audit.verify_chain()

    assert not result.ok
    assert result.first_bad_seq == 3


@pytest.mark.parametrize(
    "change",
    [
        {"context": {"shown": 0, "mine_only": True}},
        {"fields": []},
        {"actor_id": None},
        {"target_id": "another"},
        {"at": F("at") + datetime.timedelta(microseconds=1)},
    ],
    ids=["context", "fields", "actor", "target", "timestamp"],
)
def test_editing_any_field_of_an_event_breaks_the_chain_there(chain, change):
    AuditEvent.objects.filter(seq=2).update(**change)

    result = audit.verify_chain()

    assert not result.ok
    assert result.first_bad_seq == 2


def test_deleting_an_event_in_the_middle_names_the_missing_seq(chain):
    AuditEvent.objects.filter(seq=4).delete()

    result = audit.verify_chain()

    assert not result.ok
    assert result.first_bad_seq == 4
    assert "missing" in result.problem


def test_deleting_the_last_event_is_caught_by_the_head(chain):
    AuditEvent.objects.filter(seq=chain).delete()

    result = audit.verify_chain()

    assert not result.ok
    assert result.first_bad_seq == chain
    assert "head" in result.problem


def test_deleting_the_last_event_and_rewinding_the_head_is_caught_by_a_checkpoint(chain, tmp_path):
    key = audit.load_or_create_signing_key(tmp_path / "signing.key")
    checkpoint = audit.make_checkpoint(key)
    last = AuditEvent.objects.get(seq=chain)
    last.delete()
    AuditHead.objects.filter(pk=1).update(seq=chain - 1, hash=last.prev_hash)

    assert audit.verify_chain().ok  # the chain alone cannot see a clean truncation
    assert (
        audit.verify_checkpoint(checkpoint) == f"event {chain} named by the checkpoint is missing"
    )


def test_rewriting_the_last_event_and_its_hash_is_caught_by_the_head(chain):
    AuditEvent.objects.filter(seq=chain).update(context={"shown": 0, "mine_only": False})
    rewrite_chain_from(chain, move_head=False)

    result = audit.verify_chain()

    assert not result.ok
    assert result.first_bad_seq == chain


def test_missing_head_in_front_of_events_is_reported_and_blocks_writes(chain):
    AuditHead.objects.all().delete()

    result = audit.verify_chain()
    assert not result.ok
    assert result.first_bad_seq == 1
    with pytest.raises(RuntimeError, match="head is missing"), transaction.atomic():
        audit.record("auth.login")


def test_forged_event_appended_with_a_valid_hash_is_caught_by_the_head(chain):
    last = AuditEvent.objects.get(seq=chain)
    at = last.at + datetime.timedelta(seconds=1)
    canonical = audit.canonical_event(
        seq=chain + 1,
        at=at,
        actor_id=None,
        organisation_id=None,
        subject_id=None,
        action="auth.login",
        target_type="",
        target_id="",
        fields=[],
        context={},
    )
    AuditEvent.objects.create(
        seq=chain + 1,
        at=at,
        action="auth.login",
        prev_hash=last.hash,
        hash=audit.chain_hash(last.hash, canonical),
    )

    result = audit.verify_chain()

    assert not result.ok
    assert result.first_bad_seq == chain + 1


def test_forged_event_with_a_made_up_hash_is_named(chain):
    AuditEvent.objects.create(
        seq=chain + 1,
        at=AuditEvent.objects.get(seq=chain).at,
        action="auth.login",
        prev_hash=AuditEvent.objects.get(seq=chain).hash,
        hash="f" * 64,
    )
    AuditHead.objects.filter(pk=1).update(seq=chain + 1, hash="f" * 64)

    result = audit.verify_chain()

    assert not result.ok
    assert result.first_bad_seq == chain + 1


def test_reordering_two_events_breaks_the_chain_at_the_first_of_them(chain):
    swap_seq(3, 4)

    result = audit.verify_chain()

    assert not result.ok
    assert result.first_bad_seq == 3


def test_events_are_sequential_and_linked(chain):
    events = list(AuditEvent.objects.order_by("seq"))

    assert [event.seq for event in events] == list(range(1, chain + 1))
    assert events[0].prev_hash == audit.GENESIS_HASH
    for earlier, later in itertools.pairwise(events):
        assert later.prev_hash == earlier.hash


# --- the command --------------------------------------------------------------------------


def test_audit_verify_command_reports_an_intact_chain(chain, capsys):
    call_command("audit", "verify")

    assert f"{chain} events" in capsys.readouterr().out


def test_audit_verify_command_fails_naming_the_sequence_number(chain):
    AuditEvent.objects.filter(seq=5).update(action="survivor.view")

    with pytest.raises(CommandError, match=r"sequence number 5\b"):
        call_command("audit", "verify")


def test_audit_verify_command_fails_on_a_deleted_event(chain):
    AuditEvent.objects.filter(seq=2).delete()

    with pytest.raises(CommandError, match=r"sequence number 2\b"):
        call_command("audit", "verify")


# --- signed checkpoints -------------------------------------------------------------------


@pytest.fixture
def checkpoint_file(chain, tmp_path):
    path = tmp_path / "checkpoint.json"
    call_command("audit", "checkpoint", "--key", str(tmp_path / "signing.key"), "--out", str(path))
    return path


def test_checkpoint_is_signed_and_names_the_head(chain, checkpoint_file, tmp_path):
    data = json.loads(checkpoint_file.read_text())

    assert data["seq"] == chain
    assert data["hash"] == AuditHead.objects.get(pk=1).hash
    assert data["signature"] and data["public_key"]
    assert (tmp_path / "signing.key").stat().st_mode & 0o077 == 0  # private key not readable


def test_verify_accepts_its_own_checkpoint(checkpoint_file, capsys):
    call_command("audit", "verify", "--checkpoint", str(checkpoint_file))

    assert "intact" in capsys.readouterr().out


def test_verify_accepts_checkpoint_after_more_events(checkpoint_file, caseworker, home_org):
    make_survivor(caseworker, home_org)

    call_command("audit", "verify", "--checkpoint", str(checkpoint_file))


@pytest.mark.parametrize(
    "edit",
    [
        lambda data: data.update(hash="0" * 64),
        lambda data: data.update(seq=data["seq"] - 1),
        lambda data: data.update(at="2020-01-01T00:00:00+00:00"),
    ],
    ids=["hash", "seq", "time"],
)
def test_verify_rejects_a_modified_checkpoint(checkpoint_file, edit):
    data = json.loads(checkpoint_file.read_text())
    edit(data)
    checkpoint_file.write_text(json.dumps(data))

    with pytest.raises(CommandError, match="signature is not valid"):
        call_command("audit", "verify", "--checkpoint", str(checkpoint_file))


def test_verify_rejects_a_checkpoint_signed_by_another_key(checkpoint_file, tmp_path):
    other = audit.load_or_create_signing_key(tmp_path / "other.key")
    forged = audit.make_checkpoint(other)
    checkpoint_file.write_text(json.dumps(forged))
    trusted = json.loads(
        (tmp_path / "checkpoint.json").read_text()
    )  # the forged file now; take the key from a fresh good checkpoint instead
    good = audit.make_checkpoint(audit.load_or_create_signing_key(tmp_path / "signing.key"))
    assert trusted["public_key"] != good["public_key"]

    with pytest.raises(CommandError, match="signature is not valid"):
        call_command(
            "audit",
            "verify",
            "--checkpoint",
            str(checkpoint_file),
            "--public-key",
            good["public_key"],
        )


def test_verify_rejects_checkpoint_when_the_named_event_was_altered_and_rehashed(
    checkpoint_file,
):
    AuditEvent.objects.filter(seq=2).update(context={"forged": True})
    rewrite_chain_from(2)
    assert audit.verify_chain().ok  # a careful attacker repaired the chain itself

    with pytest.raises(CommandError, match="no longer has the hash the checkpoint signed"):
        call_command("audit", "verify", "--checkpoint", str(checkpoint_file))


def test_verify_with_checkpoint_still_fails_on_a_broken_chain(checkpoint_file):
    AuditEvent.objects.filter(seq=1).update(action="edited")

    with pytest.raises(CommandError, match=r"sequence number 1\b"):
        call_command("audit", "verify", "--checkpoint", str(checkpoint_file))


# --- no values in the chain ---------------------------------------------------------------

CANARIES = (
    "Wenceslas Quimby-Thornfield",
    "Quimby",
    "Thornfield",
    "Zaffre",
    "1979-11-23",
    "4477123",
)


def test_audit_events_never_contain_profile_values(
    caseworker, supervisor, org_admin, home_org, partner_org
):
    survivor = make_survivor(
        caseworker,
        home_org,
        alias="Zaffre",
        legal_name="Wenceslas Quimby-Thornfield",
        date_of_birth=datetime.date(1979, 11, 23),
        phone="+44 77123 4477123",
    )
    services.get_survivor(survivor.pk, by=caseworker)
    services.update_profile(survivor, by=caseworker, changes={"preferred_name": "Quimby"})
    services.search_survivors(by=caseworker, query="Zaffre")
    services.search_survivors(
        by=caseworker,
        query="Wenceslas Quimby-Thornfield",
        date_of_birth=datetime.date(1979, 11, 23),
    )
    services.find_possible_duplicates(
        by=caseworker,
        organisation=home_org,
        legal_name="Wenceslas Quimby-Thornfield",
        date_of_birth=datetime.date(1979, 11, 23),
    )
    services.record_consent(
        survivor,
        by=caseworker,
        recipient=partner_org,
        purpose="referral",
        categories=["identity"],
        method="verbal_witnessed",
        witness_name="Thornfield Zaffre",
    )
    services.list_caseload(by=caseworker)
    services.erase_survivor(survivor, by=org_admin, reason="Zaffre asked for erasure")

    rows = list(AuditEvent.objects.values())
    dump = json.dumps(rows, default=str).lower()
    assert len(rows) >= 9
    for canary in CANARIES:
        assert canary.lower() not in dump, canary


def test_audit_refuses_free_text_in_context():
    with transaction.atomic(), pytest.raises(ValueError, match="not free text"):
        audit.record("survivor.view", context={"note": "Maria called from her sister's phone"})


def test_audit_record_is_part_of_the_callers_transaction(caseworker):
    head_before = AuditHead.objects.get(pk=1).seq
    with pytest.raises(RuntimeError, match="rolled back"), transaction.atomic():
        audit.record("auth.login", actor=caseworker)
        raise RuntimeError("the action rolled back")

    assert AuditHead.objects.get(pk=1).seq == head_before
    assert not AuditEvent.objects.filter(action="auth.login").exists()


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_audit_record_outside_a_transaction_raises():
    AuditHead.objects.get_or_create(pk=1)  # a flushed database loses the migration's row
    assert not connection.in_atomic_block

    with pytest.raises(RuntimeError, match="inside the audited action's transaction"):
        audit.record("auth.login")
    assert not AuditEvent.objects.exists()


# --- the verifier's fast canonical form equals the recorder's ----------------------------------

_codes = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)


@given(
    seq=st.integers(min_value=1, max_value=10**12),
    at=st.datetimes(
        min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2100, 1, 1)
    ),
    actor=st.none() | st.uuids(),
    org=st.none() | st.uuids(),
    subject=st.none() | st.uuids(),
    action=_codes,
    target_type=_codes,
    target_id=_codes,
    fields=st.lists(_codes, max_size=4),
    context=st.dictionaries(_codes, st.none() | st.integers() | st.booleans() | _codes, max_size=4),
    driver=st.sampled_from(["sqlite_text", "sqlite_datetime", "psycopg"]),
)
def test_verifier_rebuilds_the_exact_canonical_text_from_raw_rows(
    seq, at, actor, org, subject, action, target_type, target_id, fields, context, driver
):
    at = at.replace(tzinfo=datetime.UTC)
    expected = audit.canonical_event(
        seq=seq,
        at=at,
        actor_id=actor,
        organisation_id=org,
        subject_id=subject,
        action=action,
        target_type=target_type,
        target_id=target_id,
        fields=fields,
        context=context,
    )
    if driver.startswith("sqlite"):  # sqlite3: hex UUIDs, naive UTC (text or parsed), JSON text
        ids = [value.hex if value else None for value in (actor, org, subject)]
        raw_at = at.replace(tzinfo=None)
        if driver == "sqlite_text":
            raw_at = str(raw_at)
    else:  # psycopg: UUID objects, aware datetimes, JSON text as PostgreSQL prints it
        ids = [actor, org, subject]
        raw_at = at
    row = (
        seq,
        raw_at,
        *ids,
        action,
        target_type,
        target_id,
        json.dumps(fields),
        json.dumps(context, separators=(", ", ": ")),
    )
    assert audit._canonical_from_row(row) == expected


# --- verification in spans and in worker processes ----------------------------------------


def relink(seq: int) -> None:
    """Point one event at a made-up predecessor and hash it on that: the event is consistent
    with its own prev_hash, only the link to the event before it is broken."""
    event = AuditEvent.objects.get(seq=seq)
    canonical = audit.canonical_event(
        seq=event.seq,
        at=event.at,
        actor_id=event.actor_id,
        organisation_id=event.organisation_id,
        subject_id=event.subject_id,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        fields=event.fields,
        context=event.context,
    )
    fake_prev = "e" * 64
    AuditEvent.objects.filter(seq=seq).update(
        prev_hash=fake_prev, hash=audit.chain_hash(fake_prev, canonical)
    )


def add_event_zero(chain: int) -> None:
    AuditEvent.objects.create(
        seq=0, at=AuditEvent.objects.get(seq=1).at, action="auth.login", prev_hash="0", hash="0"
    )


def rewrite_last(chain: int) -> None:
    AuditEvent.objects.filter(seq=chain).update(context={"shown": 0, "mine_only": False})
    rewrite_chain_from(chain, move_head=False)


# Each tampering, and the first bad seq one pass names (None: intact), given the chain length.
TAMPERING = {
    "intact": (lambda chain: None, lambda chain: None),
    "edited": (lambda chain: write_column(AuditEvent, "action", 3, "x"), lambda chain: 3),
    "relinked": (lambda chain: relink(4), lambda chain: 4),
    "deleted": (lambda chain: AuditEvent.objects.filter(seq=4).delete(), lambda chain: 4),
    "deleted_two": (
        lambda chain: AuditEvent.objects.filter(seq__in=[3, 4]).delete(),
        lambda chain: 3,
    ),
    "deleted_last": (
        lambda chain: AuditEvent.objects.filter(seq=chain).delete(),
        lambda chain: chain,
    ),
    "reordered": (lambda chain: swap_seq(3, 4), lambda chain: 3),
    "event_zero": (add_event_zero, lambda chain: 1),
    "rewritten_last": (rewrite_last, lambda chain: chain),
    "head_missing": (lambda chain: AuditHead.objects.all().delete(), lambda chain: 1),
}


@pytest.mark.parametrize("span_events", [1, 2, 3, 4])
@pytest.mark.parametrize("tampering", TAMPERING.values(), ids=TAMPERING.keys())
def test_verifying_in_spans_gives_the_answer_of_one_pass(chain, tampering, span_events):
    tamper, first_bad_seq = tampering
    tamper(chain)

    one_pass = audit.verify_chain(workers=1)
    in_spans = audit.verify_chain(workers=1, span_events=span_events, chunk_size=2)

    assert one_pass.first_bad_seq == first_bad_seq(chain)
    assert in_spans == one_pass


def test_verify_refuses_worker_processes_that_could_not_see_the_transaction(chain):
    with pytest.raises(ValueError, match="cannot read this chain"):
        audit.verify_chain(workers=2)


def test_short_chains_and_open_transactions_are_verified_in_one_process(chain, monkeypatch):
    assert audit.parallel_workers(chain) == 1  # shorter than PARALLEL_MIN_EVENTS
    monkeypatch.setattr(audit, "PARALLEL_MIN_EVENTS", 1)
    assert audit.parallel_workers(chain) == 1  # this test's transaction is not committed


def workers_cannot_open_the_test_database() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


# Earlier tests may leave a thread behind (tqdm's monitor): forking then warns, harmlessly here.
forks_despite_threads = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded:DeprecationWarning"
)


@forks_despite_threads
@pytest.mark.django_db(transaction=True, databases="__all__")
@pytest.mark.parametrize(
    "name", ["intact", "edited", "relinked", "deleted", "deleted_last", "event_zero"]
)
def test_worker_processes_give_the_answer_of_one_pass(chain, name):
    if workers_cannot_open_the_test_database():
        pytest.skip("worker processes cannot open an in-memory SQLite database")
    tamper, first_bad_seq = TAMPERING[name]
    tamper(chain)

    one_pass = audit.verify_chain(workers=1)
    in_workers = audit.verify_chain(workers=2, span_events=2)

    assert one_pass.first_bad_seq == first_bad_seq(chain)
    assert in_workers == one_pass
    assert audit.verify_chain(workers=1) == one_pass  # this process's connection still works


@forks_despite_threads
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_long_chains_are_verified_by_one_worker_per_cpu(chain, monkeypatch):
    if workers_cannot_open_the_test_database():
        pytest.skip("worker processes cannot open an in-memory SQLite database")
    monkeypatch.setattr(audit, "PARALLEL_MIN_EVENTS", chain)
    monkeypatch.setattr(audit, "_available_cpus", lambda: 3)
    # Other tests leave threads behind (tqdm's monitor); this one is about the length.
    monkeypatch.setattr(audit.threading, "active_count", lambda: 1)

    assert audit.parallel_workers(chain - 1) == 1
    assert audit.parallel_workers(chain) == 3
    result = audit.verify_chain()
    assert result.ok
    assert result.checked == chain


@forks_despite_threads
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_worker_that_dies_fails_the_verification_instead_of_hanging(chain, monkeypatch):
    if workers_cannot_open_the_test_database():
        pytest.skip("worker processes cannot open an in-memory SQLite database")
    monkeypatch.setattr(audit, "_verify_span", lambda *args: os._exit(1))  # as if killed

    with pytest.raises(BrokenProcessPool):
        audit.verify_chain(workers=2, span_events=2)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_process_running_other_threads_verifies_in_one_process(chain, monkeypatch):
    if workers_cannot_open_the_test_database():
        pytest.skip("worker processes cannot open an in-memory SQLite database")
    monkeypatch.setattr(audit, "PARALLEL_MIN_EVENTS", 1)
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert audit.parallel_workers(chain) == 1  # forking it could deadlock the workers
    finally:
        release.set()
        thread.join()


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_reading_the_chain_leaves_sqlites_write_lock_to_audited_actions(chain):
    if connection.vendor != "sqlite" or workers_cannot_open_the_test_database():
        pytest.skip("only a SQLite database file has a write lock other connections share")
    rows = audit._raw_rows(chunk_size=1)
    next(rows)  # the chain is being read
    writer = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")  # raises "database is locked" if verify held the lock
        writer.rollback()
    finally:
        writer.close()
        rows.close()


def test_events_at_whole_seconds_and_round_fractions_verify():
    # PostgreSQL prints 10:00:00.5 and 10:00:00 for these; SQLite stores 10:00:00 without ".000000".
    base = datetime.datetime(2025, 3, 1, 10, 0, tzinfo=datetime.UTC)
    with transaction.atomic():
        for microsecond in (0, 500000, 120, 999999, 100000):
            audit.record("auth.login", at=base.replace(microsecond=microsecond))

    assert audit.verify_chain().ok
    assert audit.verify_chain(workers=1, span_events=2).ok


def test_a_timestamp_stored_in_another_text_form_of_the_same_instant_verifies_on_sqlite(chain):
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite stores timestamps as text")
    at = AuditEvent.objects.get(seq=2).at
    write_column(AuditEvent, "at", 2, at.isoformat())  # "T" and "+00:00" instead of Django's form

    assert audit.verify_chain().ok
    write_column(AuditEvent, "at", 2, (at + datetime.timedelta(microseconds=1)).isoformat())
    assert audit.verify_chain().first_bad_seq == 2


def postgresql_timestamp_text(at: datetime.datetime) -> str:
    """`at AT TIME ZONE 'UTC'` as PostgreSQL prints it: fraction without trailing zeros."""
    text = at.strftime("%Y-%m-%d %H:%M:%S")
    return text + f".{at.microsecond:06d}".rstrip("0") if at.microsecond else text


@given(
    seq=st.integers(min_value=1, max_value=10**12),
    at=st.datetimes(
        min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2100, 1, 1)
    ),
    actor=st.none() | st.uuids(),
    org=st.none() | st.uuids(),
    subject=st.none() | st.uuids(),
    action=_codes,
    target_type=_codes,
    target_id=_codes,
    fields=st.lists(_codes, max_size=4),
    context=st.dictionaries(_codes, st.none() | st.integers() | st.booleans() | _codes, max_size=4),
    driver=st.sampled_from(["sqlite_text", "postgresql_text"]),
)
def test_verifier_rebuilds_the_exact_canonical_text_from_text_columns(
    seq, at, actor, org, subject, action, target_type, target_id, fields, context, driver
):
    at = at.replace(tzinfo=datetime.UTC)
    expected = audit.canonical_event(
        seq=seq,
        at=at,
        actor_id=actor,
        organisation_id=org,
        subject_id=subject,
        action=action,
        target_type=target_type,
        target_id=target_id,
        fields=fields,
        context=context,
    )
    if driver == "sqlite_text":  # what verify selects: CAST(at AS TEXT), hex UUIDs
        ids = [value.hex if value else None for value in (actor, org, subject)]
        raw_at = str(at.replace(tzinfo=None))
    else:  # CAST(... AS TEXT) of UUIDs and of at AT TIME ZONE 'UTC'
        ids = [str(value) if value else None for value in (actor, org, subject)]
        raw_at = postgresql_timestamp_text(at)
    row = (
        seq,
        raw_at,
        *ids,
        action,
        target_type,
        target_id,
        json.dumps(fields),
        json.dumps(context, separators=(", ", ": ")),
    )
    # Twice: the second answer comes from the verifier's memo of repeated values.
    assert audit._canonical_from_row(row) == expected
    assert audit._canonical_from_row(row) == expected


def test_a_progress_bar_leaves_no_thread_that_would_stop_parallel_verification():
    import io
    import threading

    from tqdm import tqdm

    before = threading.active_count()
    with tqdm(total=3, file=io.StringIO()) as bar:
        bar.update(3)
    assert threading.active_count() == before
    assert audit.parallel_workers(audit.PARALLEL_MIN_EVENTS) == (
        audit._available_cpus() if audit._workers_can_read_the_chain() else 1
    )
