"""A raw dump of the databases (what a stolen backup holds) contains no survivor's name, date
of birth or phone number: only ciphertext, blind indexes and ids."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess

import pytest
from django.db import connections

from reclaim.core.routers import KEYSTORE_DB
from reclaim.survivors import services
from tests.factories import make_survivor

CANARY_SURVIVORS = [
    {
        "alias": "Zinnowbright",
        "legal_name": "Xanthippe Vorobyova-Quell",
        "preferred_name": "Xanthe Quell",
        "date_of_birth": datetime.date(1983, 9, 27),
        "phone": "+1 555 867 5309",
        "email": "xanthippe.quell@example.org",
        "address": "77 Larkspur Crescent, Dunmorrow",
    },
    {
        "alias": "Plumtreader",
        "legal_name": "Ignatius Pettigrew-Nakamura",
        "date_of_birth": datetime.date(2001, 2, 9),
        "phone": "+44 7911 123456",
        "code_word": "heliotrope",
    },
]


def canary_strings() -> list[str]:
    strings: list[str] = []
    for profile in CANARY_SURVIVORS:
        for name, value in profile.items():
            if name == "date_of_birth":
                strings += [value.isoformat(), value.strftime("%d/%m/%Y"), value.strftime("%Y%m%d")]
            elif name == "phone":
                strings += [value, "".join(ch for ch in value if ch.isdigit())]
            else:
                strings += [
                    value,
                    *[part for part in value.replace(",", " ").split() if len(part) > 5],
                ]
    return strings


def pg_dump_path() -> str:
    for candidate in ("/usr/lib/postgresql/15/bin/pg_dump", shutil.which("pg_dump")):
        if candidate and os.path.exists(candidate):
            return candidate
    pytest.skip("pg_dump is not installed")


def raw_dump(alias: str) -> str:
    connection = connections[alias]
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    if connection.vendor == "postgresql":
        config = connection.settings_dict
        command = [pg_dump_path(), "--data-only", "--no-owner", "--dbname", config["NAME"]]
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if config.get(key):
                command += [flag, str(config[key])]
        env = {**os.environ, "PGPASSWORD": config.get("PASSWORD") or ""}
        return subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    pytest.skip(f"no raw dump for {connection.vendor}")


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_raw_database_dumps_contain_no_survivor_values(caseworker, org_admin, home_org):
    survivors = [make_survivor(caseworker, home_org, **profile) for profile in CANARY_SURVIVORS]
    # Reads, searches and updates also leave traces (audit, indexes) that must stay clean.
    for survivor in survivors:
        services.read_profile(services.get_survivor(survivor.pk, by=caseworker))
    services.search_survivors(by=caseworker, query="Zinnowbright")
    services.update_profile(survivors[1], by=caseworker, changes={"pronouns": "he/him"})

    main = raw_dump("default")
    keystore = raw_dump(KEYSTORE_DB)

    # The dumps really hold the rows (references are not personal data) and the keys.
    for survivor in survivors:
        assert survivor.reference in main
    assert "datakey" in keystore.lower()
    for canary in canary_strings():
        assert canary.lower() not in main.lower(), f"{canary!r} found in the main database dump"
        assert canary.lower() not in keystore.lower(), f"{canary!r} found in the keystore dump"
