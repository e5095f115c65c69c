"""Case notes, standard or restricted, and the rule for putting notes in an export.

A restricted note is read only by its author and by roles with care.note.restricted
(supervisors, organisation admins). Exports leave restricted notes out unless each one is
included on purpose with a recorded reason; the survivor's own export never has them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from reclaim.core import access
from reclaim.core import permissions as perm
from reclaim.core.errors import ValidationFailed
from reclaim.core.validation import check_choice, clean_text

from ..models import CaseNote, NoteExportReason, Sensitivity
from ._common import event, require_on_survivor, rows_of_survivor, seal_with

NOTE_BYTES = 10_000
REASON_MIN_CHARS = 10
REASON_BYTES = 500


@dataclass
class NoteList:
    notes: list[CaseNote]
    # Restricted notes this user may not read: counted so nobody thinks the record is complete.
    hidden_restricted: int


def add_note(
    survivor: Any, *, by: Any, body: str, sensitivity: str = Sensitivity.STANDARD
) -> CaseNote:
    """Write a case note. Requires care.record; audits "care.note.add" (never the text)."""
    require_on_survivor(by, perm.CARE_RECORD, survivor)
    level = check_choice(sensitivity, Sensitivity.values, field="sensitivity")
    text = (
        clean_text(body, field="body", max_bytes=NOTE_BYTES, multiline=True)
        if body is not None
        else ""
    )
    if not text:
        raise ValidationFailed("body: the note is empty.", field="body")
    with transaction.atomic():
        note = CaseNote(
            survivor=survivor,
            organisation_id=survivor.organisation_id,
            author=by,
            sensitivity=level,
        )
        seal_with(survivor, note)
        note.body = text
        note.save()
        event(
            "care.note.add",
            by=by,
            survivor=survivor,
            target=note,
            fields=["body"],
            context={"sensitivity": level},
        )
    return note


def _readable(by: Any, organisation_id: Any) -> Q:
    if access.can(by, perm.CARE_NOTE_RESTRICTED, organisation_id):
        return Q()
    return Q(sensitivity=Sensitivity.STANDARD) | Q(author=by)


def list_notes(survivor: Any, *, by: Any) -> NoteList:
    """Notes the user may read, newest first, and how many restricted ones are hidden."""
    in_scope = rows_of_survivor(CaseNote, survivor, by=by, action=perm.CARE_VIEW)
    rule = _readable(by, survivor.organisation_id)
    with transaction.atomic():
        notes = list(in_scope.filter(rule).select_related("author"))
        hidden = in_scope.exclude(rule).count() if rule else 0
        event(
            "care.note.list",
            by=by,
            survivor=survivor,
            fields=["body"],
            context={"shown": len(notes), "hidden_restricted": hidden},
        )
    seal_with(survivor, *notes)
    return NoteList(notes, hidden)


def select_notes_for_export(
    survivor: Any,
    *,
    by: Any,
    include_restricted: Mapping[Any, str] | None = None,
    for_survivor: bool = False,
) -> list[CaseNote]:
    """The notes an export may carry: all standard notes; a restricted note only when listed
    in `include_restricted` ({note id: reason}) by someone who may read it, with a reason of
    at least 10 characters. `for_survivor=True` (the survivor's own export) never includes
    restricted notes. Each inclusion is audited with its note id ("care.note.export_include").
    """
    in_scope = rows_of_survivor(CaseNote, survivor, by=by, action=perm.CARE_VIEW)
    wanted = {str(key): reason for key, reason in (include_restricted or {}).items()}
    if wanted and for_survivor:
        raise ValidationFailed(
            "include_restricted: the survivor's own export never includes restricted notes.",
            field="include_restricted",
        )
    with transaction.atomic():
        chosen = list(in_scope.filter(sensitivity=Sensitivity.STANDARD))
        if wanted:
            restricted = {
                str(note.pk): note
                for note in in_scope.filter(sensitivity=Sensitivity.RESTRICTED, pk__in=list(wanted))
            }
            may_read_all = access.can(by, perm.CARE_NOTE_RESTRICTED, survivor.organisation_id)
            for note_id, reason in wanted.items():
                field = f"include_restricted.{note_id}"
                note = restricted.get(note_id)
                if note is None or not (may_read_all or note.author_id == by.pk):
                    raise ValidationFailed(
                        f"{field}: no restricted note you may read.", field=field
                    )
                text = clean_text(reason or "", field=field, max_bytes=REASON_BYTES)
                if len(text) < REASON_MIN_CHARS:
                    raise ValidationFailed(
                        f"{field}: give a reason of at least {REASON_MIN_CHARS} characters.",
                        field=field,
                    )
                chosen.append(note)
                record = NoteExportReason(
                    survivor=survivor,
                    organisation_id=survivor.organisation_id,
                    note=note,
                    included_by=by,
                )
                seal_with(survivor, record)
                record.reason = text
                record.save()
                event(
                    "care.note.export_include",
                    by=by,
                    survivor=survivor,
                    target=note,
                    fields=["body"],
                    context={"reason_given": True},
                )
        event(
            "care.note.export_select",
            by=by,
            survivor=survivor,
            fields=["body"],
            context={"notes": len(chosen)},
        )
    chosen.sort(key=lambda note: note.created_at)
    seal_with(survivor, *chosen)
    return chosen
