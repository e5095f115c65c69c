"""Helpers every care service shares: the access gate, the audit event, the data key."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from reclaim.core import access, audit
from reclaim.core.errors import NotFound, RecordErased, ValidationFailed
from reclaim.core.fields import data_key_for, set_data_key


def require_on_survivor(by: Any, action: str, survivor: Any) -> None:
    """In scope (else NotFound), allowed (else Forbidden), and not erased (else RecordErased)."""
    access.require(by, action, survivor)
    if survivor.is_erased:
        raise RecordErased()


def rows_of_survivor[RowT: models.Model](
    model: type[RowT], survivor: Any, *, by: Any, action: str
) -> models.QuerySet[RowT]:
    """require_on_survivor, then the survivor's rows of `model` (one visibility check)."""
    rows = access.scope_of_survivor(by, model, survivor, action=action)
    if survivor.is_erased:
        raise RecordErased()
    return rows


def get_scoped[RowT: models.Model](model: type[RowT], row_id: Any, *, by: Any, action: str) -> RowT:
    """One row in the user's scope that they may act on; the same NotFound for missing ids."""
    row = access.scope(by, model).filter(pk=row_id).select_related("survivor").first()
    if row is None:
        raise NotFound(
            denied=access.denial(
                by, action, target_type=model._meta.label_lower, target_id=str(row_id)
            )
        )
    access.require(by, action, row)
    if row.survivor.is_erased:  # type: ignore[attr-defined]
        raise RecordErased()
    return row


def seal_with(survivor: Any, *rows: models.Model) -> None:
    """Give new rows the survivor's data key, so sealing needs no keystore query per row."""
    key = data_key_for(survivor)
    for row in rows:
        set_data_key(row, key)


def event(
    action: str,
    *,
    by: Any,
    survivor: Any,
    target: Any = None,
    fields: list[str] | tuple[str, ...] = (),
    context: dict[str, Any] | None = None,
) -> None:
    audit.record(
        action,
        actor=by,
        organisation_id=survivor.organisation_id,
        subject_id=survivor.pk,
        target=target if target is not None else survivor,
        fields=fields,
        context=context,
    )


def check_date(value: Any, *, field: str, not_future: bool = False) -> datetime.date:
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise ValidationFailed(f"{field}: must be a date (YYYY-MM-DD).", field=field)
    if not_future and value > timezone.localdate():
        raise ValidationFailed(f"{field}: cannot be in the future.", field=field)
    return value


def optional_date(value: Any, *, field: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    return check_date(value, field=field)


def check_bool_or_none(value: Any, *, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValidationFailed(f"{field}: must be true, false or empty.", field=field)


LANGUAGE_CODE_MAX = 12


def check_interpreter(used: Any, language: Any) -> tuple[bool | None, str]:
    """Whether an interpreter was used and in which language (a short code like "es")."""
    used = check_bool_or_none(used, field="interpreter_used")
    language = (language or "").strip()
    if language:
        if len(language) > LANGUAGE_CODE_MAX or not language.replace("-", "").isalpha():
            raise ValidationFailed(
                "interpreter_language: use a language code such as es or pt-BR.",
                field="interpreter_language",
            )
        if used is False:
            raise ValidationFailed(
                "interpreter_language: no interpreter was used.", field="interpreter_language"
            )
    return used, language
