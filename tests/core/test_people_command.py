"""`reclaim create-organisation`: bootstrap an organisation and its first admin."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from reclaim.core.crypto import generate_master_key_entry
from reclaim.core.models import Membership, Organisation, Role, User


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("create_organisation", *args, stdout=out)
    return out.getvalue()


def test_creates_the_organisation_and_prints_a_working_password_once():
    output = _run(
        "--name", "Safe Harbor", "--type", "NGO", "--admin-username", "first.admin",
        "--admin-email", "first@example.org",
    )  # fmt: skip
    password = re.search(r"Temporary password \(shown only now\): (\S+)", output).group(1)
    admin = User.objects.get(username="first.admin")
    assert admin.check_password(password)
    assert output.count(password) == 1
    membership = Membership.objects.get(user=admin)
    assert membership.role == Role.ORG_ADMIN
    assert membership.organisation.name == "Safe Harbor"


def test_unknown_type_is_a_clear_error_listing_the_types():
    with pytest.raises(CommandError, match="LegalService"):
        _run("--name", "X", "--type", "Club", "--admin-username", "x.admin")
    assert not Organisation.objects.filter(name="X").exists()


def test_taken_name_is_a_clear_error(home_org):
    with pytest.raises(CommandError, match="name"):
        _run("--name", "Harbor House", "--type", "NGO", "--admin-username", "x.admin")
    assert not User.objects.filter(username="x.admin").exists()


def test_taken_username_is_a_clear_error(caseworker):
    with pytest.raises(CommandError, match="username"):
        _run("--name", "New Org", "--type", "NGO", "--admin-username", "caseworker")
    assert not Organisation.objects.filter(name="New Org").exists()


def test_works_with_production_settings_on_a_fresh_install(tmp_path):
    leaked = ("DJANGO_", "RECLAIM_", "DATABASE_URL", "PYTEST_", "COV_CORE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(leaked)}
    env["DJANGO_SECRET_KEY"] = "x" * 60
    env["RECLAIM_MASTER_KEY"] = generate_master_key_entry(1)

    def reclaim(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reclaim.cli", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    for database in ("default", "keystore"):
        assert reclaim("migrate", "--database", database, "-v0").returncode == 0
    result = reclaim(
        "create-organisation", "--name", "Safe Harbor", "--type", "NGO",
        "--admin-username", "first.admin",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Temporary password (shown only now): " in result.stdout
    refused = reclaim(
        "create-organisation", "--name", "Other", "--type", "Club", "--admin-username", "x",
    )  # fmt: skip
    assert refused.returncode != 0
    assert "is not one of" in refused.stderr
