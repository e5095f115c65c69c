"""The tamper-evident audit chain (DESIGN invariant 2).

Every event is appended inside the caller's transaction: lock the head row, hash, insert,
move the head. hash = SHA-256(prev_hash + canonical JSON of the event). Events carry ids,
codes and field names only, never values.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import json
import multiprocessing
import os
import re
import threading
import uuid
from collections.abc import Generator, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import psycopg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import connection, connections, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import AuditEvent, AuditHead

if TYPE_CHECKING:
    from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper

GENESIS_HASH = "0" * 64
SAFE_CONTEXT_TYPES = (int, bool, type(None))


def canonical_event(
    *,
    seq: int,
    at: datetime.datetime,
    actor_id: Any,
    organisation_id: Any,
    subject_id: Any,
    action: str,
    target_type: str,
    target_id: str,
    fields: list[str],
    context: dict[str, Any],
) -> str:
    return _canonical(
        seq,
        at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        str(actor_id) if actor_id else None,
        str(organisation_id) if organisation_id else None,
        str(subject_id) if subject_id else None,
        action,
        target_type,
        target_id,
        list(fields),
        context,
    )


def _canonical(
    seq: int,
    at_text: str,
    actor: str | None,
    org: str | None,
    subject: str | None,
    action: str,
    target_type: str,
    target_id: str,
    fields: list[str],
    context: dict[str, Any],
) -> str:
    body = {
        "seq": seq,
        "at": at_text,
        "actor": actor,
        "org": org,
        "subject": subject,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "fields": fields,
        "context": context,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def chain_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _is_code(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 64 and " " not in value


def _clean_context(context: dict[str, Any] | None) -> dict[str, Any]:
    """Only ids and codes may enter the chain: strings are limited to short code-like values."""
    cleaned: dict[str, Any] = {}
    for key, value in (context or {}).items():
        if isinstance(value, uuid.UUID):
            cleaned[key] = str(value)
        elif isinstance(value, SAFE_CONTEXT_TYPES) or _is_code(value):
            cleaned[key] = value
        elif isinstance(value, list | tuple) and all(
            isinstance(item, str) and len(item) <= 64 for item in value
        ):
            cleaned[key] = list(value)
        else:
            raise ValueError(f"audit context {key!r} must be an id or a code, not free text")
    return cleaned


def record(
    action: str,
    *,
    actor: Any = None,
    organisation_id: Any = None,
    subject_id: Any = None,
    target: Any = None,
    target_type: str = "",
    target_id: Any = "",
    fields: Iterable[str] = (),
    context: dict[str, Any] | None = None,
    at: datetime.datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the transaction of the audited action."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the audited action's transaction")
    if target is not None:
        target_type = target._meta.label_lower
        target_id = target.pk
    at = at or timezone.now()
    event_fields = sorted(set(fields))
    event_context = _clean_context(context)
    actor_id = getattr(actor, "pk", actor)
    # The critical section: lock the head, hash, insert, move the head.
    head_seq, head_hash = _locked_head()
    seq = head_seq + 1
    canonical = canonical_event(
        seq=seq,
        at=at,
        actor_id=actor_id,
        organisation_id=organisation_id,
        subject_id=subject_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id or ""),
        fields=event_fields,
        context=event_context,
    )
    digest = chain_hash(head_hash, canonical)
    event = AuditEvent(
        seq=seq,
        at=at,
        actor_id=actor_id,
        organisation_id=organisation_id,
        subject_id=subject_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id or ""),
        fields=event_fields,
        context=event_context,
        prev_hash=head_hash,
        hash=digest,
    )
    # Plain SQL for the two writes: every audited read passes here, and the ORM's insert and
    # update cost more CPU than the statements themselves (docs/performance.md, fifth run).
    columns = AuditEvent._meta.concrete_fields
    values = [
        column.get_db_prep_save(getattr(event, column.attname), connection) for column in columns
    ]
    statements = _statements()
    with connection.cursor() as cursor:
        if "insert_and_move_head" in statements:
            cursor.execute(statements["insert_and_move_head"], [seq, digest, *values])
        else:
            cursor.execute(statements["insert"], values)
            cursor.execute(statements["move_head"], [seq, digest])
    event._state.adding = False
    event._state.db = connection.alias
    return event


def _statements() -> dict[str, str]:
    """The append's SQL for the default database's vendor (written once per process)."""
    vendor = connection.vendor
    statements = _STATEMENTS.get(vendor)
    if statements is None:
        qn = connection.ops.quote_name
        event_table = qn(AuditEvent._meta.db_table)
        head_table = qn(AuditHead._meta.db_table)
        names = ", ".join(qn(str(column.column)) for column in AuditEvent._meta.concrete_fields)
        marks = ", ".join(["%s"] * len(AuditEvent._meta.concrete_fields))
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        statements = {
            "insert": f"INSERT INTO {event_table} ({names}) VALUES ({marks})",  # noqa: S608
            "move_head": (
                f"UPDATE {head_table} SET {qn('seq')} = %s, {qn('hash')} = %s "  # noqa: S608
                f"WHERE {qn('id')} = 1"
            ),
            "lock_head": (
                f"SELECT {qn('seq')}, {qn('hash')} FROM {head_table} "  # noqa: S608
                f"WHERE {qn('id')} = 1{lock}"
            ),
        }
        if vendor == "postgresql":
            # One round trip: the head moves in a data-modifying CTE of the insert.
            statements["insert_and_move_head"] = (
                f"WITH moved AS ({statements['move_head']} RETURNING 1) {statements['insert']}"
            )
        _STATEMENTS[vendor] = statements
    return statements


_STATEMENTS: dict[str, dict[str, str]] = {}


def _locked_head() -> tuple[int, str]:
    """The head's (seq, hash), locked until the end of the transaction."""
    with connection.cursor() as cursor:
        cursor.execute(_statements()["lock_head"])
        row = cursor.fetchone()
    if row is None:
        # An empty database (new, or flushed by a test) starts at genesis. A missing head in
        # front of existing events is tampering: refuse to write, verification names it.
        if AuditEvent.objects.exists():
            raise RuntimeError("the audit chain head is missing; run `reclaim audit verify`")
        AuditHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS_HASH})
        head = AuditHead.objects.select_for_update().get(pk=1)
        return head.seq, head.hash
    return int(row[0]), str(row[1])


def current_head() -> AuditHead:
    """The head row, or an unsaved genesis head when the chain has never been written."""
    return AuditHead.objects.filter(pk=1).first() or AuditHead(pk=1, seq=0, hash=GENESIS_HASH)


def record_separately(action: str, **kwargs: Any) -> None:
    """Record an event in its own transaction, for failures whose own transaction rolls back."""
    with transaction.atomic():
        record(action, **kwargs)


# --- verification ---------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""
    head_seq: int = 0
    head_hash: str = GENESIS_HASH


# Below this many events one pass in this process is about as fast: forking the workers and
# connecting costs ~0.1 s (measured), the pass verifies 100,000+ events/s.
PARALLEL_MIN_EVENTS = 100_000
# Several spans per worker: after a break, only the spans already started are finished.
SPANS_PER_WORKER = 8


_VERIFY_COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "organisation_id",
    "subject_id",
    "action",
    "target_type",
    "target_id",
    "fields",
    "context",
    "prev_hash",
    "hash",
)


class _SpanResult(NamedTuple):
    """One stretch of the chain checked on its own; its first link is checked by the caller."""

    checked: int
    first_prev_hash: str | None
    last_hash: str | None
    first_bad_seq: int | None = None
    problem: str = ""


def _verify_columns() -> str:
    """The columns verify reads, as text the canonical form is built from without conversions
    (the driver's UUID, datetime and JSON objects cost more than the hashing)."""
    if connection.vendor == "postgresql":
        return (
            "seq, CAST(at AT TIME ZONE 'UTC' AS TEXT), CAST(actor_id AS TEXT), "
            "CAST(organisation_id AS TEXT), CAST(subject_id AS TEXT), action, target_type, "
            "target_id, CAST(fields AS TEXT), CAST(context AS TEXT), prev_hash, hash"
        )
    if connection.vendor == "sqlite":  # an expression: no datetime converter for "at"
        return (
            "seq, CAST(at AS TEXT), actor_id, organisation_id, subject_id, action, target_type, "
            "target_id, fields, context, prev_hash, hash"
        )
    return ", ".join(_VERIFY_COLUMNS)


def _raw_rows(
    chunk_size: int, first: int | None = None, last: int | None = None
) -> Generator[tuple[Any, ...], None, None]:
    """The events from seq `first` to `last` (None: no bound) in order, straight from the driver."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    bounds = [("seq >= %s", first), ("seq <= %s", last)]
    where = " AND ".join(condition for condition, value in bounds if value is not None)
    params = [value for _, value in bounds if value is not None]
    sql = f"SELECT {_verify_columns()} FROM {table}"  # noqa: S608
    sql += f" WHERE {where} ORDER BY seq" if where else " ORDER BY seq"
    if connection.vendor == "sqlite":
        # One SELECT reads one snapshot. No transaction: ours begin IMMEDIATE, which would take
        # the write lock, block every audited action and serialise the workers.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(chunk_size):
                yield from rows
        return
    # In a transaction (savepoint) of its own: stopping early cancels a PostgreSQL stream, which
    # must not abort the caller's transaction.
    if connection.vendor == "postgresql" and psycopg.pq.version() >= 170000:
        # One query whose rows arrive in chunks while we hash: cheaper than a server-side
        # cursor's FETCH round trips (libpq 17 chunked rows mode).
        with transaction.atomic(), connection.cursor() as cursor:
            yield from cursor.cursor.stream(sql, params, size=chunk_size)
        return
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            yield from rows


def _uuid_text(value: Any) -> str | None:
    if not value:
        return None
    if isinstance(value, str) and len(value) == 32:  # SQLite stores UUIDs as 32 hex digits
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


# A UTC timestamp as SQLite stores it and PostgreSQL prints it (up to six fraction digits).
_TIMESTAMP_TEXT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?", re.ASCII
)
# What completes one of those texts, by its length, to the canonical six fraction digits.
_TIMESTAMP_ENDS = {19: ".000000+00:00"} | {
    length: "0" * (26 - length) + "+00:00" for length in range(21, 27)
}


def _at_text(value: Any) -> str:
    if isinstance(value, str):
        if _TIMESTAMP_TEXT.fullmatch(value):
            datetime.datetime.fromisoformat(value)  # a real date and time, or ValueError
            return value[:10] + "T" + value[11:] + _TIMESTAMP_ENDS[len(value)]
        value = parse_datetime(value)  # what SQLite's datetime converter would have made of it
    if isinstance(value, datetime.datetime):
        if timezone.is_naive(value):
            value = value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    text = str(value).replace(" ", "T", 1)
    if len(text) == 19:
        text += ".000000"
    return text + "+00:00"


def _json_text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _string_text(value: str | None) -> str:
    if value is None:
        return "null"
    # Code-like strings need no escaping; anything else goes through the JSON encoder.
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return _json_text(value)


# The JSON text of stored values, by raw value: actions, target types, actors, organisations,
# subjects and field lists repeat across events, so most rows are a few dictionary look-ups.
# Only str, UUID and None keys are stored: they equal no value of another type (1 == 1.0 does).
_MEMO_LIMIT = 65536
_STRING_TEXTS: dict[Any, str] = {}
_UUID_TEXTS: dict[Any, str] = {}
_STORED_JSON_TEXTS: dict[Any, str] = {}
_MEMO_KEY_TYPES = (str, uuid.UUID, type(None))


def _remember(memo: dict[Any, str], value: Any, text: str) -> str:
    if type(value) in _MEMO_KEY_TYPES:
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[value] = text
    return text


def _string_json(value: Any) -> str:
    return _remember(_STRING_TEXTS, value, _string_text(value))


def _uuid_json(value: Any) -> str:
    return _remember(_UUID_TEXTS, value, _string_text(_uuid_text(value)))


def _fields_json(value: Any) -> str:
    if isinstance(value, str):
        return _remember(_STORED_JSON_TEXTS, value, _json_text(json.loads(value)))
    return _json_text(list(value))


def _context_json(value: Any) -> str:
    if isinstance(value, str):
        return _remember(_STORED_JSON_TEXTS, value, _json_text(json.loads(value)))
    return _json_text(value)


def _canonical_from_row(row: tuple[Any, ...]) -> str:
    """The same text as canonical_event() for a raw row, built without a dict per event."""
    seq, at, actor, org, subject, action, ttype, tid, fields, context = row[:10]
    strings, uuids, stored = _STRING_TEXTS, _UUID_TEXTS, _STORED_JSON_TEXTS
    try:
        fields_text = stored.get(fields) or _fields_json(fields)
        context_text = stored.get(context) or _context_json(context)
    except TypeError:  # a driver that hands back JSON as lists and dicts (unhashable)
        fields_text, context_text = _fields_json(fields), _context_json(context)
    return (
        f'{{"action":{strings.get(action) or _string_json(action)},'
        f'"actor":{uuids.get(actor) or _uuid_json(actor)},'
        f'"at":"{_at_text(at)}","context":{context_text},"fields":{fields_text},'
        f'"org":{uuids.get(org) or _uuid_json(org)},"seq":{int(seq)},'
        f'"subject":{uuids.get(subject) or _uuid_json(subject)},'
        f'"target_id":{strings.get(tid) or _string_json(tid)},'
        f'"target_type":{strings.get(ttype) or _string_json(ttype)}}}'
    )


def _verify_span(
    first: int | None, last: int | None, chunk_size: int, progress: Any = None
) -> _SpanResult:
    """Check the events from seq `first` to `last` (None: the start or the end of the chain).

    Each event must follow the one before it and hash to its stored hash; the first one is
    hashed on its own stored prev_hash, which the caller compares with the span before.
    """
    expected = 1 if first is None else first
    first_prev_hash: str | None = None
    prev: str | None = None
    checked = 0
    sha256 = hashlib.sha256
    canonical_from_row = _canonical_from_row
    with contextlib.closing(_raw_rows(chunk_size, first, last)) as rows:
        for row in rows:
            seq, prev_hash, digest = row[0], row[10], row[11]
            if seq != expected:
                return _SpanResult(checked, first_prev_hash, prev, expected, _missing(expected))
            if checked == 0:
                first_prev_hash = prev = prev_hash
            canonical = canonical_from_row(row)
            if prev_hash != prev or sha256((prev_hash + canonical).encode()).hexdigest() != digest:
                return _SpanResult(checked, first_prev_hash, prev, seq, _mismatch(seq))
            prev = digest
            expected += 1
            checked += 1
            if progress is not None and checked % 10000 == 0:
                progress.update(10000)
    if last is not None and expected <= last:  # later spans hold events, so these are gone
        return _SpanResult(checked, first_prev_hash, prev, expected, _missing(expected))
    return _SpanResult(checked, first_prev_hash, prev)


def _missing(seq: int) -> str:
    return f"event {seq} is missing"


def _mismatch(seq: int) -> str:
    return f"event {seq} does not match its hash"


def _join_spans(
    starts: Iterable[int], spans: Iterable[_SpanResult], progress: Any = None
) -> VerifyResult:
    """Link the spans in order and compare the end with the head: the answer of one pass."""
    checked = 0
    prev = GENESIS_HASH
    for start, span in zip(starts, spans, strict=True):
        if span.checked and span.first_prev_hash != prev:
            return VerifyResult(False, checked, start, _mismatch(start))
        checked += span.checked
        if span.first_bad_seq is not None:
            return VerifyResult(False, checked, span.first_bad_seq, span.problem)
        if span.last_hash is not None:
            prev = span.last_hash
        if progress is not None:
            progress.update(span.checked)
    head = current_head()
    if head.seq != checked or head.hash != prev:
        if head.seq > checked:  # events cut off the end
            bad = checked + 1
        elif head.seq < checked:  # events appended past the head
            bad = head.seq + 1
        else:  # the last event was rewritten with a fresh hash
            bad = max(checked, 1)
        return VerifyResult(
            False, checked, bad, "the chain head does not match the last event (truncated?)"
        )
    return VerifyResult(True, checked, None, "", head.seq, head.hash)


def _plan_spans(last_seq: int, span_events: int) -> list[tuple[int | None, int | None]]:
    """Consecutive seq ranges covering everything: the first open below, the last open above."""
    ends = list(range(span_events, last_seq, span_events))
    firsts: list[int | None] = [None, *(end + 1 for end in ends)]
    lasts: list[int | None] = [*ends, None]
    return list(zip(firsts, lasts, strict=True))


def _available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _workers_can_read_the_chain() -> bool:
    """Worker processes open their own connections: they see only committed rows, and an
    in-memory SQLite database not at all. They are forked, so the platform must fork."""
    if connection.in_atomic_block or connection.vendor not in ("postgresql", "sqlite"):
        return False
    if (
        connection.vendor == "sqlite"
        and cast("SQLiteDatabaseWrapper", connection).is_in_memory_db()
    ):
        return False
    return "fork" in multiprocessing.get_all_start_methods()


def parallel_workers(last_seq: int) -> int:
    """How many processes `verify_chain` uses by default for a chain of `last_seq` events."""
    if last_seq < PARALLEL_MIN_EVENTS or not _workers_can_read_the_chain():
        return 1
    if threading.active_count() > 1:  # forking a process that runs threads can deadlock
        return 1
    return _available_cpus()


# The parent's connections, kept referenced in each forked worker so they are never closed.
_INHERITED_CONNECTIONS: list[Any] = []


def _start_worker() -> None:
    """First thing in a forked worker: put the parent's database connections aside unused.

    They share the parent's sockets and file locks: closing one would end the parent's session
    (PostgreSQL) or drop its locks (SQLite), and garbage collection would close them, so they
    stay referenced until the worker exits. Django opens a fresh connection on first use.
    """
    for wrapper in connections.all(initialized_only=True):
        if wrapper.connection is not None:
            _INHERITED_CONNECTIONS.append(wrapper.connection)
            wrapper.connection = None


def _verify_span_in_worker(span: tuple[int | None, int | None, int]) -> _SpanResult:
    first, last, chunk_size = span
    try:
        return _verify_span(first, last, chunk_size)
    finally:
        connection.close()  # the worker's own connection, opened for this span


def _verify_in_processes(
    spans: list[tuple[int | None, int | None]], workers: int, chunk_size: int, progress: Any
) -> VerifyResult:
    starts = [1 if first is None else first for first, _ in spans]
    context = multiprocessing.get_context("fork")
    # An executor, not a Pool: a worker that dies (killed, out of memory) fails the
    # verification with BrokenProcessPool instead of leaving it waiting forever.
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker) as pool:
        futures = [
            pool.submit(_verify_span_in_worker, (first, last, chunk_size)) for first, last in spans
        ]
        try:
            return _join_spans(starts, (future.result() for future in futures), progress)
        finally:  # after a break the spans not started are not needed
            for future in futures:
                future.cancel()


def verify_chain(
    chunk_size: int = 2000,
    progress: Any = None,
    *,
    workers: int | None = None,
    span_events: int | None = None,
) -> VerifyResult:
    """Recompute the whole chain. Names the first sequence number where it breaks.

    Long chains are checked in spans of `span_events` events by `workers` forked processes,
    each with its own connection; the answer is the same as one pass in order. By default:
    one worker per CPU from PARALLEL_MIN_EVENTS events on, unless the workers could not read
    the chain or this process runs other threads (see parallel_workers). With one worker,
    spans (if given) are checked one after another in this process.
    Raises ValueError when more than one worker is asked for and they could not see the chain
    (inside a transaction, in-memory SQLite).
    """
    last_seq = AuditEvent.objects.aggregate(last=Max("seq"))["last"] or 0
    if workers is None:
        workers = parallel_workers(last_seq)
    elif workers > 1 and not _workers_can_read_the_chain():
        raise ValueError("worker processes cannot read this chain: use one worker")
    if span_events is None:
        span_events = -(-last_seq // (workers * SPANS_PER_WORKER)) if workers > 1 else 0
    if span_events <= 0 or last_seq <= span_events:
        spans: list[tuple[int | None, int | None]] = [(None, None)]
    else:
        spans = _plan_spans(last_seq, span_events)
    if workers > 1 and len(spans) > 1:
        return _verify_in_processes(spans, min(workers, len(spans)), chunk_size, progress)
    starts = [1 if first is None else first for first, _ in spans]
    # One at a time, and only while the chain holds: a break ends the verification.
    results = (_verify_span(first, last, chunk_size, progress) for first, last in spans)
    return _join_spans(starts, results)


# --- signed checkpoints ---------------------------------------------------------------------


def load_or_create_signing_key(path: str | Path) -> Ed25519PrivateKey:
    path = Path(path)
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return key
    key = Ed25519PrivateKey.generate()
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return key


def checkpoint_message(seq: int, digest: str, at: str) -> bytes:
    return f"reclaim-audit-checkpoint|{seq}|{digest}|{at}".encode()


def make_checkpoint(signing_key: Ed25519PrivateKey) -> dict[str, Any]:
    head = current_head()
    at = timezone.now().isoformat()
    signature = signing_key.sign(checkpoint_message(head.seq, head.hash, at))
    public = signing_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return {
        "seq": head.seq,
        "hash": head.hash,
        "at": at,
        "signature": base64.b64encode(signature).decode(),
        "public_key": base64.b64encode(public).decode(),
    }


def verify_checkpoint(checkpoint: dict[str, Any], public_key_b64: str | None = None) -> str | None:
    """Check a checkpoint's signature and that the chain still holds that hash at that seq.

    Returns None when good, or a sentence saying what is wrong.
    """
    public_raw = base64.b64decode(public_key_b64 or checkpoint["public_key"])
    public = Ed25519PublicKey.from_public_bytes(public_raw)
    seq, digest = int(checkpoint["seq"]), str(checkpoint["hash"])
    try:
        public.verify(
            base64.b64decode(checkpoint["signature"]),
            checkpoint_message(seq, digest, str(checkpoint["at"])),
        )
    except InvalidSignature:
        return "the checkpoint's signature is not valid"
    if seq == 0:
        return None
    stored = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first()
    if stored is None:
        return f"event {seq} named by the checkpoint is missing"
    if stored != digest:
        return f"event {seq} no longer has the hash the checkpoint signed"
    return None


def report_tamper(error: Any, *, by: Any) -> None:
    """Audit a ciphertext that failed to open (own transaction: the read rolled back)."""
    record_separately(
        "integrity.failure",
        actor=by if getattr(by, "is_authenticated", False) else None,
        target_type=error.table,
        target_id=str(error.row_id),
        fields=[error.field_name],
    )
