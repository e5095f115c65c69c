"""The tamper-evident audit chain (DESIGN invariant 2).

Every event is appended inside the caller's transaction: lock the head row, hash, insert,
move the head. hash = SHA-256(prev_hash + canonical JSON of the event). Events carry ids,
codes and field names only, never values.
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent, AuditHead

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
    head = _locked_head()
    seq = head.seq + 1
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
    digest = chain_hash(head.hash, canonical)
    event = AuditEvent.objects.create(
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
        prev_hash=head.hash,
        hash=digest,
    )
    AuditHead.objects.filter(pk=1).update(seq=seq, hash=digest)
    return event


def _locked_head() -> AuditHead:
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # An empty database (new, or flushed by a test) starts at genesis. A missing head in
        # front of existing events is tampering: refuse to write, verification names it.
        if AuditEvent.objects.exists():
            raise RuntimeError("the audit chain head is missing; run `reclaim audit verify`")
        AuditHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS_HASH})
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


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


def _raw_rows(chunk_size: int) -> Iterator[tuple[Any, ...]]:
    """The chain in order, straight from the driver: the ORM's per-value converters (UUID,
    datetime, JSON) cost more than the hashing, so verify normalises raw values itself."""
    columns = ", ".join(_VERIFY_COLUMNS)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} ORDER BY seq")  # noqa: S608
        while rows := cursor.fetchmany(chunk_size):
            yield from rows


def _uuid_text(value: Any) -> str | None:
    if not value:
        return None
    if isinstance(value, str) and len(value) == 32:  # SQLite stores UUIDs as 32 hex digits
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


def _at_text(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        if timezone.is_naive(value):
            value = value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    # SQLite: "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC.
    text = str(value).replace(" ", "T", 1)
    if len(text) == 19:
        text += ".000000"
    return text + "+00:00"


@functools.lru_cache(maxsize=65536)
def _canonical_json_text(raw: str) -> str:
    """A stored JSON value (fields, context) in canonical form; few distinct values repeat a lot."""
    return _json_text(json.loads(raw))


def _json_text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _string_text(value: str | None) -> str:
    if value is None:
        return "null"
    # Code-like strings need no escaping; anything else goes through the JSON encoder.
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return _json_text(value)


def _canonical_from_row(row: tuple[Any, ...]) -> str:
    """The same text as canonical_event() for a raw row, built without a dict per event."""
    seq, at, actor, org, subject, action, ttype, tid, fields, context = row[:10]
    fields_text = (
        _canonical_json_text(fields) if isinstance(fields, str) else _json_text(list(fields))
    )
    context_text = (
        _canonical_json_text(context) if isinstance(context, str) else _json_text(context)
    )
    return (
        f'{{"action":{_string_text(action)},"actor":{_string_text(_uuid_text(actor))},'
        f'"at":"{_at_text(at)}","context":{context_text},"fields":{fields_text},'
        f'"org":{_string_text(_uuid_text(org))},"seq":{int(seq)},'
        f'"subject":{_string_text(_uuid_text(subject))},"target_id":{_string_text(tid)},'
        f'"target_type":{_string_text(ttype)}}}'
    )


def verify_chain(chunk_size: int = 20000, progress: Any = None) -> VerifyResult:
    """Recompute the whole chain. Names the first sequence number where it breaks."""
    expected_seq = 1
    prev = GENESIS_HASH
    checked = 0
    sha256 = hashlib.sha256
    for row in _raw_rows(chunk_size):
        seq, prev_hash, digest = row[0], row[10], row[11]
        if seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"event {expected_seq} is missing")
        canonical = _canonical_from_row(row)
        if prev_hash != prev or sha256((prev + canonical).encode()).hexdigest() != digest:
            return VerifyResult(False, checked, seq, f"event {seq} does not match its hash")
        prev = digest
        expected_seq += 1
        checked += 1
        if progress is not None and checked % 10000 == 0:
            progress.update(10000)
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
