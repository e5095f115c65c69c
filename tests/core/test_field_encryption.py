"""Field encryption (DESIGN invariant 3): ciphertext at rest, bound to its row and field,
per-survivor data keys wrapped by a versioned master key, fail closed, blind indexes."""

from __future__ import annotations

import base64
import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reclaim.core import crypto
from reclaim.core.errors import KeystoreUnavailable, TamperedData
from reclaim.core.models import DataKey, SystemKey
from reclaim.core.routers import KEYSTORE_DB
from reclaim.survivors import services
from reclaim.survivors.models import Survivor
from tests.core.rawdb import read_column, write_column
from tests.factories import make_survivor, member

pytestmark = pytest.mark.django_db(databases="__all__")
OLD_KEY = "1:" + "A" * 43
NEW_KEY_ONLY = "2:" + base64.urlsafe_b64encode(b"\x42" * 32).decode().rstrip("=")
ROTATION_RING = f"{OLD_KEY},{NEW_KEY_ONLY}"
pure = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def fresh_profile(survivor: Survivor, user) -> dict:
    """Read the profile the way a page does: a new fetch, no cached plaintext or key."""
    return services.read_profile(services.get_survivor(survivor.pk, by=user))


# --- ciphertext at rest -------------------------------------------------------------------


def test_database_column_holds_ciphertext_not_plaintext(caseworker, home_org):
    survivor = make_survivor(caseworker, home_org, legal_name="Orsolya Vantablack")

    stored = read_column(Survivor, "legal_name", survivor.pk)

    assert isinstance(stored, bytes)
    assert b"Orsolya" not in stored
    assert b"Orsolya Vantablack" not in stored
    assert stored[:1] == crypto.BLOB_VERSION
    for column, plaintext in (("date_of_birth", b"1994-03-14"), ("phone", b"0100 777")):
        assert plaintext not in read_column(Survivor, column, survivor.pk)
    assert fresh_profile(survivor, caseworker)["legal_name"] == "Orsolya Vantablack"


def test_same_plaintext_seals_to_different_ciphertexts(caseworker, home_org):
    first = make_survivor(caseworker, home_org, legal_name="Same Name")
    second = make_survivor(caseworker, home_org, legal_name="Same Name")

    assert read_column(Survivor, "legal_name", first.pk) != read_column(
        Survivor, "legal_name", second.pk
    )


# --- tampering ----------------------------------------------------------------------------


def test_bit_flip_in_stored_ciphertext_raises_tampered_data(caseworker, home_org):
    survivor = make_survivor(caseworker, home_org)
    blob = bytearray(read_column(Survivor, "legal_name", survivor.pk))
    blob[-5] ^= 0x01
    write_column(Survivor, "legal_name", survivor.pk, bytes(blob))

    row = Survivor.objects.get(pk=survivor.pk)
    with pytest.raises(TamperedData) as raised:
        row.legal_name

    assert raised.value.field_name == "legal_name"
    assert raised.value.row_id == survivor.pk


def test_bit_flip_is_refused_through_get_survivor_and_read_profile(caseworker, home_org):
    survivor = make_survivor(caseworker, home_org)
    blob = bytearray(read_column(Survivor, "phone", survivor.pk))
    blob[1 + crypto.NONCE_BYTES] ^= 0x80  # first ciphertext byte
    write_column(Survivor, "phone", survivor.pk, bytes(blob))

    with pytest.raises(TamperedData):
        fresh_profile(survivor, caseworker)


def test_legal_name_swapped_between_two_survivors_rows_is_detected(caseworker, home_org):
    first = make_survivor(caseworker, home_org, legal_name="First Person")
    second = make_survivor(caseworker, home_org, legal_name="Second Person")
    first_blob = read_column(Survivor, "legal_name", first.pk)
    second_blob = read_column(Survivor, "legal_name", second.pk)
    write_column(Survivor, "legal_name", first.pk, second_blob)
    write_column(Survivor, "legal_name", second.pk, first_blob)

    for survivor in (first, second):
        with pytest.raises(TamperedData):
            fresh_profile(survivor, caseworker)


def test_value_copied_into_another_field_of_the_same_row_is_detected(caseworker, home_org):
    survivor = make_survivor(caseworker, home_org, alias="Mari", legal_name="Hidden Legal Name")
    write_column(Survivor, "alias", survivor.pk, read_column(Survivor, "legal_name", survivor.pk))

    row = Survivor.objects.get(pk=survivor.pk)
    assert row.legal_name == "Hidden Legal Name"  # the original is intact
    with pytest.raises(TamperedData) as raised:
        row.alias
    assert raised.value.field_name == "alias"


def test_truncated_ciphertext_is_tampered_data_not_a_crash(caseworker, home_org):
    survivor = make_survivor(caseworker, home_org)
    write_column(Survivor, "legal_name", survivor.pk, b"\x01short")

    with pytest.raises(TamperedData):
        Survivor.objects.get(pk=survivor.pk).legal_name


# --- master key: fail closed --------------------------------------------------------------


def test_wrong_master_key_makes_records_unavailable(caseworker, home_org):
    survivor = make_survivor(caseworker, home_org)
    wrong = "1:" + base64.urlsafe_b64encode(b"\x07" * 32).decode().rstrip("=")

    with override_settings(RECLAIM_MASTER_KEY=wrong):
        crypto.forget_cached_keys()
        with pytest.raises(KeystoreUnavailable):
            fresh_profile(survivor, caseworker)
        with pytest.raises(KeystoreUnavailable):
            crypto.verify_master_key()
        with pytest.raises(KeystoreUnavailable):
            crypto.blind_index("alias", str(home_org.pk), "Marisol")
    crypto.forget_cached_keys()
    assert fresh_profile(survivor, caseworker)["alias"] == "Marisol"


@pytest.mark.parametrize("missing", [None, ""])
def test_missing_master_key_fails_closed_for_reads_and_writes(caseworker, home_org, missing):
    survivor = make_survivor(caseworker, home_org)
    count_before = Survivor.objects.count()

    with override_settings(RECLAIM_MASTER_KEY=missing):
        crypto.forget_cached_keys()
        with pytest.raises(KeystoreUnavailable):
            fresh_profile(survivor, caseworker)
        with pytest.raises(KeystoreUnavailable):
            make_survivor(caseworker, home_org, legal_name="Never Stored")
    assert Survivor.objects.count() == count_before


def test_keystore_rows_hold_only_wrapped_keys(caseworker, home_org):
    survivor = make_survivor(caseworker, home_org)
    row = DataKey.objects.using(KEYSTORE_DB).get(owner_id=survivor.pk)
    real_key = crypto.load_data_keys([survivor.pk])[survivor.pk]

    assert real_key not in bytes(row.wrapped)
    assert len(bytes(row.wrapped)) == 1 + crypto.NONCE_BYTES + 32 + 16


# --- rotation -----------------------------------------------------------------------------


def test_rotation_rewraps_every_key_and_records_stay_readable(caseworker, home_org):
    first = make_survivor(caseworker, home_org, legal_name="Before Rotation One")
    second = make_survivor(caseworker, home_org, legal_name="Before Rotation Two")
    crypto.blind_index("alias", "x", "y")  # make sure the blind-index system key exists
    keys_before = crypto.load_data_keys([first.pk, second.pk])

    with override_settings(RECLAIM_MASTER_KEY=ROTATION_RING):
        crypto.forget_cached_keys()
        rewrapped = crypto.rotate_master_key()
        assert rewrapped >= 4  # two data keys, the check value and the blind-index key
        assert set(DataKey.objects.using(KEYSTORE_DB).values_list("master_version", flat=True)) == {
            2
        }
        assert set(
            SystemKey.objects.using(KEYSTORE_DB).values_list("master_version", flat=True)
        ) == {2}
        assert fresh_profile(first, caseworker)["legal_name"] == "Before Rotation One"
        assert crypto.rotate_master_key() == 0  # nothing left to do: resumable and idempotent

    with override_settings(RECLAIM_MASTER_KEY=NEW_KEY_ONLY):
        crypto.forget_cached_keys()
        assert fresh_profile(first, caseworker)["legal_name"] == "Before Rotation One"
        assert fresh_profile(second, caseworker)["legal_name"] == "Before Rotation Two"
        assert crypto.load_data_keys([first.pk, second.pk]) == keys_before
        # New records are sealed under the new version too.
        third = make_survivor(caseworker, home_org, legal_name="After Rotation")
        assert DataKey.objects.using(KEYSTORE_DB).get(owner_id=third.pk).master_version == 2


def test_old_master_key_alone_cannot_open_rotated_keys(caseworker, home_org):
    survivor = make_survivor(caseworker, home_org)
    with override_settings(RECLAIM_MASTER_KEY=ROTATION_RING):
        crypto.forget_cached_keys()
        crypto.rotate_master_key()

    with override_settings(RECLAIM_MASTER_KEY=OLD_KEY):
        crypto.forget_cached_keys()
        with pytest.raises(KeystoreUnavailable):
            fresh_profile(survivor, caseworker)


def test_removing_old_version_before_rotation_fails_closed(caseworker, home_org):
    survivor = make_survivor(caseworker, home_org)

    with override_settings(RECLAIM_MASTER_KEY=NEW_KEY_ONLY):
        crypto.forget_cached_keys()
        with pytest.raises(KeystoreUnavailable):
            fresh_profile(survivor, caseworker)


# --- blind indexes ------------------------------------------------------------------------


def test_blind_index_ignores_case_accents_and_spacing(home_org):
    org = str(home_org.pk)
    reference = crypto.blind_index("name+dob", org, "José Núñez", "1990-01-02")

    for variant in ("jose nunez", "  JOSÉ   NÚÑEZ ", "Jose\tNunez", "JOSE NUNEZ"):
        assert crypto.blind_index("name+dob", org, variant, "1990-01-02") == reference
    assert crypto.blind_index("name+dob", org, "Jose Nunes", "1990-01-02") != reference
    assert crypto.blind_index("name+dob", org, "Jose Nunez", "1990-01-03") != reference


def test_blind_index_differs_between_organisations_and_purposes(home_org, partner_org):
    home = crypto.blind_index("alias", str(home_org.pk), "Marisol")

    assert crypto.blind_index("alias", str(partner_org.pk), "Marisol") != home
    assert crypto.blind_index("name", str(home_org.pk), "Marisol") != home
    assert "marisol" not in home.lower()


def test_blind_index_stored_on_row_is_not_plaintext_and_finds_duplicates(caseworker, home_org):
    survivor = make_survivor(
        caseworker, home_org, legal_name="Ana Lucía Ortiz", date_of_birth=datetime.date(1988, 7, 1)
    )
    stored = read_column(Survivor, "name_dob_index", survivor.pk)

    assert len(stored) == 64
    assert "ortiz" not in stored.lower()
    assert services.find_possible_duplicates(
        by=caseworker,
        organisation=home_org,
        legal_name="ana lucia  ORTIZ",
        date_of_birth=datetime.date(1988, 7, 1),
    ) == [survivor.reference]


def test_duplicate_check_does_not_cross_organisations(caseworker, home_org, partner_org):
    make_survivor(
        caseworker, home_org, legal_name="Ana Ortiz", date_of_birth=datetime.date(1988, 7, 1)
    )
    partner_case_manager = member(partner_org, "case_manager")

    assert (
        services.find_possible_duplicates(
            by=partner_case_manager,
            organisation=partner_org,
            legal_name="Ana Ortiz",
            date_of_birth=datetime.date(1988, 7, 1),
        )
        == []
    )


# --- primitives (hypothesis) --------------------------------------------------------------

KEY = bytes(range(32))


@pure
@given(plaintext=st.binary(max_size=512), aad=st.binary(max_size=64))
def test_seal_then_open_returns_the_plaintext(plaintext, aad):
    assert crypto.open_sealed(KEY, crypto.seal(KEY, plaintext, aad), aad) == plaintext


@pure
@given(plaintext=st.binary(max_size=256), aad=st.binary(max_size=32), data=st.data())
def test_any_single_byte_change_in_a_sealed_blob_fails_to_open(plaintext, aad, data):
    blob = bytearray(crypto.seal(KEY, plaintext, aad))
    position = data.draw(st.integers(0, len(blob) - 1), label="position")
    blob[position] ^= data.draw(st.integers(1, 255), label="xor")

    with pytest.raises(crypto.OpenFailed):
        crypto.open_sealed(KEY, bytes(blob), aad)


@pure
@given(plaintext=st.binary(max_size=64), aad=st.binary(max_size=32), other=st.binary(max_size=32))
def test_sealed_blob_does_not_open_under_other_associated_data(plaintext, aad, other):
    if other == aad:
        return
    with pytest.raises(crypto.OpenFailed):
        crypto.open_sealed(KEY, crypto.seal(KEY, plaintext, aad), other)


@pure
@given(blob=st.binary(max_size=40))
def test_open_rejects_short_or_garbage_blobs(blob):
    with pytest.raises(crypto.OpenFailed):
        crypto.open_sealed(KEY, blob, b"aad")


def _encode(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


@pure
@given(
    ring=st.dictionaries(st.integers(1, 10_000), st.binary(min_size=32, max_size=32), min_size=1),
    separator=st.sampled_from([",", "\n", " , ", ",\n"]),
)
def test_parse_keyring_reads_back_every_versioned_key(ring, separator):
    text = separator.join(f"{version}:{_encode(key)}" for version, key in ring.items())

    parsed = crypto.parse_keyring(text)

    assert parsed.keys == ring
    assert parsed.current_version == max(ring)


@pure
@given(key=st.binary(min_size=32, max_size=32))
def test_parse_keyring_treats_a_bare_key_as_version_one(key):
    assert crypto.parse_keyring(_encode(key)).keys == {1: key}


@pure
@given(key=st.binary(max_size=64).filter(lambda k: len(k) != 32))
def test_parse_keyring_refuses_keys_that_are_not_32_bytes(key):
    with pytest.raises(KeystoreUnavailable):
        crypto.parse_keyring(f"1:{_encode(key)}")


@pure
@given(text=st.text(max_size=80))
def test_parse_keyring_never_returns_a_short_key(text):
    try:
        parsed = crypto.parse_keyring(text)
    except KeystoreUnavailable:
        return
    assert parsed.keys
    assert all(len(key) == 32 for key in parsed.keys.values())


@pytest.mark.parametrize("text", ["", " ", ",", "\n\n", "x:AAAA", "1:not base64!"])
def test_parse_keyring_refuses_empty_or_malformed_text(text):
    with pytest.raises(KeystoreUnavailable):
        crypto.parse_keyring(text)


# --- refresh and deferred loading ---------------------------------------------------------


def test_refresh_from_db_reloads_ciphertext_without_opening_it(caseworker, home_org):
    survivor = make_survivor(caseworker, home_org, legal_name="Before Refresh")
    write_column(Survivor, "legal_name", survivor.pk, b"\x01" + b"\x00" * 40)  # damaged

    survivor.refresh_from_db()  # must not open (and fail on) any sealed value

    with pytest.raises(TamperedData):
        survivor.legal_name
    assert survivor.alias == "Marisol"


def test_refresh_from_db_sees_changes_made_elsewhere(caseworker, home_org):
    survivor = make_survivor(caseworker, home_org, alias="Old Alias")
    other_copy = Survivor.objects.get(pk=survivor.pk)
    services.update_profile(other_copy, by=caseworker, changes={"alias": "New Alias"})
    assert survivor.alias == "Old Alias"

    survivor.refresh_from_db()

    assert survivor.alias == "New Alias"


def test_deferred_sealed_field_loads_and_opens_on_access(caseworker, home_org):
    survivor = make_survivor(caseworker, home_org, legal_name="Deferred Name")

    row = Survivor.objects.only("id", "reference", "organisation").get(pk=survivor.pk)

    assert row.legal_name == "Deferred Name"
    assert row.get_deferred_fields() >= {"alias"}


def test_rotate_master_key_command_rewraps_and_reports(caseworker, home_org):
    survivor = make_survivor(caseworker, home_org, legal_name="Command Rotation")
    out, err = io.StringIO(), io.StringIO()
    with override_settings(RECLAIM_MASTER_KEY=ROTATION_RING):
        crypto.forget_cached_keys()
        call_command("rotate_master_key", stdout=out, stderr=err)
    assert "under master key version 2" in out.getvalue()
    assert set(DataKey.objects.using(KEYSTORE_DB).values_list("master_version", flat=True)) == {2}
    with override_settings(RECLAIM_MASTER_KEY=NEW_KEY_ONLY):
        crypto.forget_cached_keys()
        assert fresh_profile(survivor, caseworker)["legal_name"] == "Command Rotation"


def test_rotate_master_key_command_refuses_a_wrong_key_with_a_message(caseworker, home_org):
    make_survivor(caseworker, home_org)
    with override_settings(RECLAIM_MASTER_KEY=NEW_KEY_ONLY):
        crypto.forget_cached_keys()
        with pytest.raises(CommandError):
            call_command("rotate_master_key", stdout=io.StringIO(), stderr=io.StringIO())
    crypto.forget_cached_keys()
    assert set(DataKey.objects.using(KEYSTORE_DB).values_list("master_version", flat=True)) == {1}
