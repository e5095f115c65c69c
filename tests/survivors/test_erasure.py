"""Erasure is crypto-shredding: the survivor's data key is deleted from the keystore, the
record can never be opened again, and the audit keeps ids only."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reclaim.core import crypto
from reclaim.core.errors import Forbidden, NotFound, RecordErased, ValidationFailed
from reclaim.core.models import AuditEvent, DataKey
from reclaim.core.routers import KEYSTORE_DB
from reclaim.survivors import services
from reclaim.survivors.models import Survivor
from tests.factories import make_survivor

pytestmark = pytest.mark.django_db(databases="__all__")

REASON = "Survivor asked for erasure at the office"


@pytest.fixture
def canary_survivor(caseworker, home_org):
    return make_survivor(caseworker, home_org, alias="Bellatrix", legal_name="Ottoline Brackenbury")


def has_data_key(survivor) -> bool:
    return DataKey.objects.using(KEYSTORE_DB).filter(owner_id=survivor.pk).exists()


def test_org_admin_erasure_deletes_the_data_key(canary_survivor, org_admin):
    assert has_data_key(canary_survivor)

    services.erase_survivor(canary_survivor, by=org_admin, reason=REASON)

    assert not has_data_key(canary_survivor)
    assert crypto.load_data_keys([canary_survivor.pk]) == {}


def test_erased_profile_can_no_longer_be_read(canary_survivor, org_admin):
    services.erase_survivor(canary_survivor, by=org_admin, reason=REASON)

    fetched = services.get_survivor(canary_survivor.pk, by=org_admin)
    assert fetched.is_erased
    with pytest.raises(RecordErased):
        services.read_profile(fetched)
    # Even bypassing the erased flag, the ciphertext has no key left to open it.
    with pytest.raises(RecordErased):
        Survivor.objects.get(pk=canary_survivor.pk).legal_name


def test_erasure_forgets_plaintext_held_on_the_erased_object(canary_survivor, org_admin):
    assert canary_survivor.legal_name == "Ottoline Brackenbury"  # plaintext cached in memory

    erased = services.erase_survivor(canary_survivor, by=org_admin, reason=REASON)

    with pytest.raises(RecordErased):
        erased.legal_name


def test_erasure_clears_the_blind_indexes(canary_survivor, org_admin, caseworker, home_org):
    def duplicates() -> list[str]:
        return services.find_possible_duplicates(
            by=caseworker,
            organisation=home_org,
            legal_name="Ottoline Brackenbury",
            date_of_birth=datetime.date(1994, 3, 14),
        )

    assert duplicates() == [canary_survivor.reference]
    assert services.search_survivors(by=org_admin, query="Bellatrix").visible == [canary_survivor]

    services.erase_survivor(canary_survivor, by=org_admin, reason=REASON)

    row = Survivor.objects.values("alias_index", "name_dob_index").get(pk=canary_survivor.pk)
    assert row == {"alias_index": "", "name_dob_index": ""}
    assert services.search_survivors(by=org_admin, query="Bellatrix").visible == []
    assert duplicates() == []


def test_erasure_is_audited_with_ids_only(canary_survivor, org_admin):
    services.erase_survivor(canary_survivor, by=org_admin, reason=REASON)

    event = AuditEvent.objects.get(action="survivor.erase")
    assert event.actor_id == org_admin.pk
    assert event.subject_id == canary_survivor.pk
    assert event.target_id == str(canary_survivor.pk)
    dumped = json.dumps(list(AuditEvent.objects.values()), default=str)
    for value in ("Ottoline", "Brackenbury", "Bellatrix", "1994-03-14", REASON):
        assert value not in dumped


def test_erased_survivor_leaves_every_caseload(canary_survivor, org_admin, caseworker):
    services.erase_survivor(canary_survivor, by=org_admin, reason=REASON)

    assert canary_survivor.pk not in {row.pk for row in services.list_caseload(by=caseworker)}


def test_caseworker_cannot_erase_and_nothing_changes(canary_survivor, caseworker):
    with pytest.raises(Forbidden):
        services.erase_survivor(canary_survivor, by=caseworker, reason=REASON)

    assert has_data_key(canary_survivor)
    row = Survivor.objects.get(pk=canary_survivor.pk)
    assert row.erased_at is None
    assert row.alias_index != ""
    assert row.legal_name == "Ottoline Brackenbury"
    assert not AuditEvent.objects.filter(action="survivor.erase").exists()


def test_another_organisations_supervisor_gets_not_found(canary_survivor, outsider):
    with pytest.raises(NotFound):
        services.erase_survivor(canary_survivor, by=outsider, reason=REASON)

    assert has_data_key(canary_survivor)


def test_erasure_needs_a_reason(canary_survivor, org_admin):
    with pytest.raises(ValidationFailed) as raised:
        services.erase_survivor(canary_survivor, by=org_admin, reason=" ")

    assert raised.value.field == "reason"
    assert has_data_key(canary_survivor)


def test_erasing_twice_says_already_erased(canary_survivor, org_admin):
    services.erase_survivor(canary_survivor, by=org_admin, reason=REASON)

    with pytest.raises(RecordErased):
        services.erase_survivor(canary_survivor, by=org_admin, reason=REASON)


def test_erasure_leaves_other_survivors_readable(canary_survivor, org_admin, caseworker, home_org):
    other = make_survivor(caseworker, home_org, legal_name="Still Here")

    services.erase_survivor(canary_survivor, by=org_admin, reason=REASON)

    assert services.read_profile(services.get_survivor(other.pk, by=caseworker))["legal_name"] == (
        "Still Here"
    )


def test_erase_survivor_command_erases_by_reference(canary_survivor, capsys):
    call_command("erase_survivor", canary_survivor.reference.lower(), reason=REASON)

    assert canary_survivor.reference in capsys.readouterr().out
    assert not has_data_key(canary_survivor)
    row = Survivor.objects.get(pk=canary_survivor.pk)
    assert row.is_erased
    assert row.name_dob_index == ""
    event = AuditEvent.objects.get(action="survivor.erase")
    assert event.actor_id is None
    assert event.context == {"via": "command"}


def test_erase_survivor_command_fails_for_an_unknown_reference(canary_survivor):
    with pytest.raises(CommandError):
        call_command("erase_survivor", "R-NOTREAL", reason=REASON)

    assert has_data_key(canary_survivor)


def test_erase_survivor_command_refuses_an_already_erased_record(canary_survivor, org_admin):
    services.erase_survivor(canary_survivor, by=org_admin, reason=REASON)

    with pytest.raises(CommandError, match="erased"):
        call_command("erase_survivor", canary_survivor.reference, reason=REASON)

    assert AuditEvent.objects.filter(action="survivor.erase").count() == 1


def test_erase_survivor_command_ends_open_break_glass_grants(canary_survivor, other_caseworker):
    services.open_break_glass(
        canary_survivor.reference, by=other_caseworker, reason="Crisis call at night, need plan"
    )
    assert services.get_survivor(canary_survivor.pk, by=other_caseworker)

    call_command("erase_survivor", canary_survivor.reference, reason=REASON)

    with pytest.raises(NotFound):
        services.get_survivor(canary_survivor.pk, by=other_caseworker)
