"""Field encryption, per-survivor data keys, the master keyring and blind indexes.

DESIGN invariant 3. Every sensitive value is sealed with AES-256-GCM under a data key that
belongs to one survivor; the associated data binds it to table, field, row and owner, so a value
copied into another row fails to open. Data keys are wrapped by a versioned master key and live
in the separate keystore database: erasing a survivor deletes one key. Everything fails closed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import DatabaseError, connections, transaction

from . import plain_sql
from .errors import KeystoreUnavailable
from .routers import KEYSTORE_DB

BLOB_VERSION = b"\x01"
NONCE_BYTES = 12
CHECK_PLAINTEXT = b"reclaim master key check v1"


class OpenFailed(Exception):
    """Raised by open_sealed when authentication fails; callers turn it into TamperedData."""


@dataclass(frozen=True)
class MasterKeyring:
    keys: dict[int, bytes]

    @property
    def current_version(self) -> int:
        return max(self.keys)

    def key(self, version: int) -> bytes:
        try:
            return self.keys[version]
        except KeyError:
            raise KeystoreUnavailable(
                f"Master key version {version} is not in RECLAIM_MASTER_KEY; keep old versions "
                "until `reclaim rotate-master-key` has finished."
            ) from None


def parse_keyring(text: str) -> MasterKeyring:
    """Parse "1:<base64 32 bytes>,2:<...>" (commas or newlines). A bare key is version 1."""
    keys: dict[int, bytes] = {}
    for raw_entry in text.replace("\n", ",").split(","):
        entry = raw_entry.strip()
        if not entry:
            continue
        version_text, sep, encoded = entry.partition(":")
        if not sep:
            version_text, encoded = "1", entry
        try:
            version = int(version_text.lstrip("v"))
            key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError as exc:
            raise KeystoreUnavailable("RECLAIM_MASTER_KEY is not in the form 1:<base64>") from exc
        if len(key) != 32:
            raise KeystoreUnavailable("Each master key must be 32 bytes (base64 of 32 bytes).")
        keys[version] = key
    if not keys:
        raise KeystoreUnavailable("RECLAIM_MASTER_KEY (or RECLAIM_MASTER_KEY_FILE) is not set.")
    return MasterKeyring(keys)


def generate_master_key_entry(version: int = 1) -> str:
    return f"{version}:" + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


@lru_cache(maxsize=4)
def _parse_cached(text: str) -> MasterKeyring:
    return parse_keyring(text)


def keyring() -> MasterKeyring:
    return _parse_cached(settings.RECLAIM_MASTER_KEY or "")


# --- primitives ---------------------------------------------------------------------------


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return BLOB_VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    blob = bytes(blob)
    if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != BLOB_VERSION:
        raise OpenFailed("malformed ciphertext")
    try:
        return AESGCM(key).decrypt(blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :], aad)
    except InvalidTag as exc:
        raise OpenFailed("authentication failed") from exc


def _wrap(master: MasterKeyring, version: int, key: bytes, label: str) -> bytes:
    return seal(master.key(version), key, f"wrap|{label}".encode())


def _unwrap(master: MasterKeyring, version: int, wrapped: bytes, label: str) -> bytes:
    try:
        return open_sealed(master.key(version), wrapped, f"wrap|{label}".encode())
    except OpenFailed:
        raise KeystoreUnavailable() from None


# --- system keys and the master-key check -------------------------------------------------

_system_keys: dict[str, bytes] = {}
_system_lock = threading.Lock()


def _system_key(name: str, *, create: bool = True) -> bytes:
    from .models import SystemKey

    cached = _system_keys.get(name)
    if cached is not None:
        return cached
    master = keyring()
    with _system_lock:
        try:
            row = SystemKey.objects.using(KEYSTORE_DB).filter(name=name).first()
            if row is None:
                if not create:
                    raise KeystoreUnavailable()
                value = CHECK_PLAINTEXT if name == "check" else secrets.token_bytes(32)
                version = master.current_version
                row, _ = SystemKey.objects.using(KEYSTORE_DB).get_or_create(
                    name=name,
                    defaults={
                        "master_version": version,
                        "wrapped": _wrap(master, version, value, f"system:{name}"),
                    },
                )
        except DatabaseError as exc:
            raise KeystoreUnavailable() from exc
        value = _unwrap(master, row.master_version, bytes(row.wrapped), f"system:{name}")
        _system_keys[name] = value
        return value


def verify_master_key() -> None:
    """Raise KeystoreUnavailable unless the keyring opens the keystore's check value."""
    if _system_key("check") != CHECK_PLAINTEXT:
        raise KeystoreUnavailable()


def forget_cached_keys() -> None:
    """Drop process caches (tests, and after a keystore restore)."""
    _system_keys.clear()
    _parse_cached.cache_clear()


# --- data keys ----------------------------------------------------------------------------


def create_data_key(owner_id: uuid.UUID) -> bytes:
    """Create and store the data key for one survivor; committed to the keystore at once."""
    from .models import DataKey

    verify_master_key()
    master = keyring()
    key = secrets.token_bytes(32)
    version = master.current_version
    with transaction.atomic(using=KEYSTORE_DB):
        DataKey.objects.using(KEYSTORE_DB).create(
            owner_id=owner_id,
            master_version=version,
            wrapped=_wrap(master, version, key, f"data:{owner_id}"),
        )
    return key


def load_data_keys(owner_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, bytes]:
    """Unwrap the data keys of these owners in one keystore query. Shredded keys are absent."""
    from .models import DataKey

    ids = {owner_id for owner_id in owner_ids if owner_id is not None}
    if not ids:
        return {}
    verify_master_key()
    master = keyring()
    keystore = connections[KEYSTORE_DB]
    owners = [plain_sql.uuid_param(owner_id, using=KEYSTORE_DB) for owner_id in ids]
    where, params = plain_sql.among("owner_id", owners, using=KEYSTORE_DB)
    table = keystore.ops.quote_name(DataKey._meta.db_table)
    try:
        # Plain SQL: profile and caseload reads load keys on every request (see plain_sql).
        with keystore.cursor() as cursor:
            cursor.execute(
                f"SELECT owner_id, master_version, wrapped FROM {table} WHERE {where}",  # noqa: S608
                params,
            )
            rows = cursor.fetchall()
    except DatabaseError as exc:
        raise KeystoreUnavailable() from exc
    keys = {}
    for owner, version, wrapped in rows:
        owner_id = owner if isinstance(owner, uuid.UUID) else uuid.UUID(owner)
        keys[owner_id] = _unwrap(master, version, bytes(wrapped), f"data:{owner_id}")
    return keys


def shred_data_key(owner_id: uuid.UUID) -> bool:
    """Delete one survivor's data key (crypto-shredding). Returns whether a key was deleted."""
    from .models import DataKey

    deleted, _ = DataKey.objects.using(KEYSTORE_DB).filter(owner_id=owner_id).delete()
    return deleted > 0


def rotate_master_key(progress: object | None = None) -> int:
    """Re-wrap every data and system key under the newest master key version.

    Each key is re-wrapped in its own small transaction, so a run can stop and resume.
    Returns how many keys were re-wrapped.
    """
    from .models import DataKey, SystemKey

    master = keyring()
    version = master.current_version
    count = 0
    for model, prefix in ((SystemKey, "system"), (DataKey, "data")):
        pk_name = model._meta.pk.name
        stale = model.objects.using(KEYSTORE_DB).exclude(master_version=version)
        for pk in stale.values_list(pk_name, flat=True).iterator(chunk_size=2000):
            with transaction.atomic(using=KEYSTORE_DB):
                row = model.objects.using(KEYSTORE_DB).select_for_update().get(pk=pk)
                label = f"{prefix}:{pk}"
                key = _unwrap(master, row.master_version, bytes(row.wrapped), label)
                row.wrapped = _wrap(master, version, key, label)
                row.master_version = version
                row.save(update_fields=["wrapped", "master_version"])
            count += 1
            if progress is not None and hasattr(progress, "update"):
                progress.update(1)
    forget_cached_keys()
    return count


# --- blind indexes ------------------------------------------------------------------------


def normalise_for_index(text: str) -> str:
    """Case-, accent- and spacing-insensitive form, so "José  Núñez" matches "jose nunez"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def blind_index(purpose: str, *parts: str) -> str:
    """Keyed HMAC-SHA256 of normalised parts; exact-match search without storing plaintext."""
    key = _system_key("blind-index")
    message = "\x1f".join([purpose, *(normalise_for_index(part) for part in parts)])
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
