"""EncryptedField: a model field whose column only ever holds AES-GCM ciphertext.

Reading the attribute opens the value with the owner's data key; assigning plaintext seals it
when the row is saved. Serialisation (dumpdata, backups) sees ciphertext only. A model with
encrypted fields defines `sealing_owner_id()` (the survivor whose key seals the row).
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models

from . import crypto
from .errors import RecordErased, TamperedData

DATA_CATEGORIES = (
    "identity",
    "contact",
    "location",
    "health",
    "mental_health",
    "legal_immigration",
    "trafficking_history",
    "education",
    "employment",
    "financial",
)
KINDS = ("text", "date", "json")
_PLAIN = "_plain_"
KEY_ATTR = "_sealing_key"


class SealedDescriptor:
    def __init__(self, field: EncryptedField) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        store = instance.__dict__
        name = self.field.attname
        if _PLAIN + name in store:
            return store[_PLAIN + name]
        if name not in store:  # deferred column
            instance.refresh_from_db(fields=[name])
        blob = store.get(name)
        if blob is None:
            return None
        value = self.field.open_value(instance, bytes(blob))
        store[_PLAIN + name] = value
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        store = instance.__dict__
        name = self.field.attname
        if value is None or isinstance(value, bytes | memoryview):
            # From the database (or an explicit NULL): ciphertext, opened lazily on read.
            store[name] = value
            store.pop(_PLAIN + name, None)
            return
        store[_PLAIN + name] = self.field.check_plain(value)
        store[name] = _PENDING


class _Pending:
    def __repr__(self) -> str:
        return "<sealed on save>"


_PENDING = _Pending()


class EncryptedField(models.BinaryField):
    descriptor_class = SealedDescriptor  # type: ignore[assignment]
    # For django-stubs: the attribute holds plaintext (str, date or JSON), not bytes.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def __init__(self, *args: Any, category: str, kind: str = "text", **kwargs: Any) -> None:
        if category not in DATA_CATEGORIES:
            raise ValueError(f"unknown data category {category!r}")
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        self.category = category
        self.kind = kind
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["category"] = self.category
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        # Django's refresh_from_db copies each attribute through the descriptor, which would
        # open every sealed value (and fail on an erased record). Refresh ciphertext instead.
        if not cls._meta.abstract and "refresh_from_db" not in cls.__dict__:
            cls.refresh_from_db = _refresh_keeping_ciphertext  # type: ignore[method-assign]

    # --- plaintext <-> bytes -------------------------------------------------------------

    def check_plain(self, value: Any) -> Any:
        if self.kind == "text" and not isinstance(value, str):
            raise TypeError(f"{self.name} takes text")
        if self.kind == "date" and not isinstance(value, datetime.date):
            raise TypeError(f"{self.name} takes a date")
        return value

    def _encode(self, value: Any) -> bytes:
        if self.kind == "date":
            return value.isoformat().encode()
        if self.kind == "json":
            return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        return str(value).encode()

    def _decode(self, raw: bytes) -> Any:
        text = raw.decode()
        if self.kind == "date":
            return datetime.date.fromisoformat(text)
        if self.kind == "json":
            return json.loads(text)
        return text

    def associated_data(self, instance: models.Model) -> bytes:
        owner = instance.sealing_owner_id()  # type: ignore[attr-defined]
        return f"{instance._meta.db_table}|{self.name}|{instance.pk}|{owner}".encode()

    # --- sealing and opening -------------------------------------------------------------

    def open_value(self, instance: models.Model, blob: bytes) -> Any:
        key = data_key_for(instance)
        try:
            raw = crypto.open_sealed(key, blob, self.associated_data(instance))
        except crypto.OpenFailed:
            raise TamperedData(instance._meta.db_table, self.name, instance.pk) from None
        return self._decode(raw)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        store = model_instance.__dict__
        if store.get(self.attname) is _PENDING:
            value = store[_PLAIN + self.attname]
            if value is None:
                store[self.attname] = None
            else:
                key = data_key_for(model_instance)
                store[self.attname] = crypto.seal(
                    key, self._encode(value), self.associated_data(model_instance)
                )
        return store.get(self.attname)

    def value_from_object(self, obj: models.Model) -> Any:
        # Serialisers and dumps get the ciphertext, never the plaintext.
        return self.pre_save(obj, add=False)


def data_key_for(instance: models.Model) -> bytes:
    key = instance.__dict__.get(KEY_ATTR)
    if key is None:
        owner = instance.sealing_owner_id()  # type: ignore[attr-defined]
        key = crypto.load_data_keys([owner]).get(owner)
        if key is None:
            raise RecordErased()
        instance.__dict__[KEY_ATTR] = key
    return key


def attach_data_keys(instances: Iterable[models.Model]) -> None:
    """Load the data keys for many rows in one keystore query (caseload pages, exports)."""
    rows = [row for row in instances if KEY_ATTR not in row.__dict__]
    owners: set[uuid.UUID] = {row.sealing_owner_id() for row in rows}  # type: ignore[attr-defined]
    keys = crypto.load_data_keys(owners)
    for row in rows:
        key = keys.get(row.sealing_owner_id())  # type: ignore[attr-defined]
        if key is not None:
            row.__dict__[KEY_ATTR] = key


def _refresh_keeping_ciphertext(
    self: models.Model,
    using: str | None = None,
    fields: Iterable[str] | None = None,
    from_queryset: Any = None,
) -> None:
    """refresh_from_db for models with sealed fields: plain columns reload as usual, sealed
    columns reload as ciphertext (opened on the next read). A full refresh also forgets the
    cached data key, so an erased record cannot be opened from an object held in memory."""
    sealed = {field.attname for field in encrypted_fields(type(self))}
    deferred = self.get_deferred_fields()
    if fields is None:
        wanted = {f.attname for f in self._meta.concrete_fields} - deferred
    else:
        wanted = set(fields)
    plain = sorted(wanted - sealed)
    if fields is None:
        self._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    if plain:
        models.Model.refresh_from_db(self, using=using, fields=plain, from_queryset=from_queryset)
    to_reload = sorted(wanted & sealed)
    if to_reload:
        if from_queryset is None:
            from_queryset = type(self)._base_manager.db_manager(using, hints={"instance": self})
        elif using is not None:
            from_queryset = from_queryset.using(using)
        row = from_queryset.filter(pk=self.pk).values_list(*to_reload).get()
        for name, value in zip(to_reload, row, strict=True):
            setattr(self, name, value)  # bytes or None: stored as ciphertext, plaintext dropped
    if fields is None:
        self.__dict__.pop(KEY_ATTR, None)


def set_data_key(instance: models.Model, key: bytes) -> None:
    instance.__dict__[KEY_ATTR] = key


def encrypted_fields(model: type[models.Model]) -> list[EncryptedField]:
    return [field for field in model._meta.concrete_fields if isinstance(field, EncryptedField)]
