"""Case notes: restricted notes need the extra permission, and the export selection rule."""

from __future__ import annotations

import pytest

from reclaim.care import services
from reclaim.care.models import CaseNote, NoteExportReason
from reclaim.core.errors import NotFound, ValidationFailed
from reclaim.core.models import AuditEvent
from tests.core.rawdb import read_column


@pytest.fixture
def notes(caseworker, survivor):
    standard = services.add_note(survivor, by=caseworker, body="Met at the library")
    restricted = services.add_note(
        survivor, by=caseworker, body="Disclosed details", sensitivity="restricted"
    )
    return standard, restricted


def test_notes_are_sealed_and_never_in_the_audit(notes):
    standard, _ = notes
    assert b"library" not in read_column(CaseNote, "body", standard.pk)
    assert not any("library" in str(e.context) for e in AuditEvent.objects.all())


def test_the_author_and_supervisors_read_restricted_notes(caseworker, supervisor, survivor, notes):
    for user in (caseworker, supervisor):
        listed = services.list_notes(survivor, by=user)
        assert len(listed.notes) == 2
        assert listed.hidden_restricted == 0


def test_a_teammate_does_not_see_someone_elses_restricted_note(teammate, survivor, notes):
    listed = services.list_notes(survivor, by=teammate)
    assert [n.body for n in listed.notes] == ["Met at the library"]
    assert listed.hidden_restricted == 1


def test_exports_leave_restricted_notes_out_by_default(supervisor, survivor, notes):
    chosen = services.select_notes_for_export(survivor, by=supervisor)
    assert [n.body for n in chosen] == ["Met at the library"]


def test_including_a_restricted_note_needs_a_recorded_reason(supervisor, survivor, notes):
    _, restricted = notes
    with pytest.raises(ValidationFailed) as error:
        services.select_notes_for_export(
            survivor, by=supervisor, include_restricted={restricted.pk: "court"}
        )
    assert error.value.field == f"include_restricted.{restricted.pk}"
    assert not NoteExportReason.objects.exists()
    chosen = services.select_notes_for_export(
        survivor,
        by=supervisor,
        include_restricted={restricted.pk: "Court order for the protection hearing"},
    )
    assert len(chosen) == 2
    reason = NoteExportReason.objects.get()
    assert reason.note == restricted
    assert b"Court" not in read_column(NoteExportReason, "reason", reason.pk)
    assert AuditEvent.objects.filter(
        action="care.note.export_include", target_id=str(restricted.pk)
    ).exists()


def test_the_survivors_own_export_never_has_restricted_notes(supervisor, survivor, notes):
    _, restricted = notes
    with pytest.raises(ValidationFailed):
        services.select_notes_for_export(
            survivor,
            by=supervisor,
            for_survivor=True,
            include_restricted={restricted.pk: "The survivor asked for everything"},
        )
    chosen = services.select_notes_for_export(survivor, by=supervisor, for_survivor=True)
    assert all(n.sensitivity == "standard" for n in chosen)


def test_a_teammate_cannot_include_a_restricted_note_they_cannot_read(teammate, survivor, notes):
    _, restricted = notes
    with pytest.raises(ValidationFailed):
        services.select_notes_for_export(
            survivor, by=teammate, include_restricted={restricted.pk: "I would like to see it"}
        )
    assert not NoteExportReason.objects.exists()


def test_an_empty_note_is_refused(caseworker, survivor):
    with pytest.raises(ValidationFailed) as error:
        services.add_note(survivor, by=caseworker, body="  ")
    assert error.value.field == "body"
    with pytest.raises(ValidationFailed) as error:
        services.add_note(survivor, by=caseworker, body="ok", sensitivity="secret")
    assert error.value.field == "sensitivity"
    assert not CaseNote.objects.exists()


@pytest.mark.parametrize("persona", ["other_caseworker", "outsider", "partner_staff"])
def test_out_of_scope_users_cannot_list_notes(request, survivor, notes, persona):
    with pytest.raises(NotFound):
        services.list_notes(survivor, by=request.getfixturevalue(persona))
