"""The `reclaim` console command (reclaim/cli.py) and `reclaim demo` run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from reclaim import cli, seed


@pytest.fixture
def captured_argv(monkeypatch):
    """Run cli.main without Django: record what it would hand to Django's command line."""
    import django.core.management

    seen: list[list[str]] = []
    monkeypatch.setattr(
        django.core.management, "execute_from_command_line", lambda argv: seen.append(argv)
    )
    monkeypatch.delenv("RECLAIM_DEMO", raising=False)
    return seen


@pytest.mark.parametrize(
    ("typed", "runs"),
    [
        ("erase-survivor", "erase_survivor"),
        ("rotate-master-key", "rotate_master_key"),
        ("audit", "audit"),
        ("--help", "--help"),
    ],
)
def test_hyphenated_command_names_run_the_django_command(captured_argv, typed, runs):
    cli.main(["reclaim", typed, "verify-this-stays"])

    assert captured_argv == [["reclaim", runs, "verify-this-stays"]]


def test_only_the_command_name_is_rewritten_not_its_arguments(captured_argv):
    cli.main(["reclaim", "erase-survivor", "R-ABC-123", "--reason", "asked-by-survivor"])

    assert captured_argv[0][2:] == ["R-ABC-123", "--reason", "asked-by-survivor"]


def test_demo_creates_its_secrets_file_once_and_reuses_it(captured_argv, monkeypatch, tmp_path):
    monkeypatch.setenv("RECLAIM_DATA_DIR", str(tmp_path))
    for name in ("DJANGO_SECRET_KEY", "RECLAIM_MASTER_KEY"):
        monkeypatch.setenv(name, os.environ.get(name, ""))

    cli.main(["reclaim", "demo", "--no-serve"])
    env_file = tmp_path / cli.DEMO_ENV_FILE
    first = env_file.read_text()
    cli.main(["reclaim", "demo", "--no-serve"])

    assert os.environ["RECLAIM_DEMO"] == "1"
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert {line.split("=", 1)[0] for line in first.splitlines()} == {
        "DJANGO_SECRET_KEY",
        "RECLAIM_MASTER_KEY",
    }
    assert env_file.read_text() == first


def _clean_environment() -> dict[str, str]:
    """The environment of a fresh shell: none of the test settings' secrets or databases."""
    leaked = ("DJANGO_", "RECLAIM_", "DATABASE_URL", "PYTEST_", "COV_CORE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(leaked)}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_reclaim_demo_sets_up_a_fresh_directory_and_prints_the_logins(tmp_path):
    command = [sys.executable, "-m", "reclaim.cli", "demo", "--no-serve", "--survivors", "5"]

    result = subprocess.run(
        command,
        cwd=tmp_path,
        env=_clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "reclaim-demo.env").exists()
    assert (tmp_path / "reclaim.sqlite3").exists()
    assert (tmp_path / "reclaim-keystore.sqlite3").exists()
    # The pages' own stylesheet and script were collected (served by WhiteNoise in the demo).
    manifest = json.loads((tmp_path / "staticfiles" / "staticfiles.json").read_text())
    assert {"reclaim/reclaim.css", "reclaim/reclaim.js"} <= set(manifest["paths"])
    assert seed.DEMO_PASSWORD in result.stdout
    for account in seed.ACCOUNTS:
        assert account.username in result.stdout
    assert "5 synthetic survivors" in result.stdout

    again = subprocess.run(
        command,
        cwd=tmp_path,
        env=_clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert "5 synthetic survivors (0 added now)" in again.stdout


def test_makemigrations_check_runs_without_a_production_secret(tmp_path):
    """A migration check reads the models only; other commands still refuse without a secret."""
    env = _clean_environment()  # no secret, no master key, no database URL
    check = [sys.executable, "-m", "reclaim.cli", "makemigrations", "--check", "--dry-run"]

    result = subprocess.run(
        check, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    refused = subprocess.run(
        [sys.executable, "-m", "reclaim.cli", "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert "No changes detected" in result.stdout
    assert refused.returncode != 0
    assert "DJANGO_SECRET_KEY" in refused.stderr
