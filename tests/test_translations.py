"""The Spanish catalogues are current: every user-facing string in the code and templates is in a
catalogue, translated (not fuzzy), and the committed .mo files are compiled from the .po files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "reclaim"
needs_gettext = pytest.mark.skipif(
    shutil.which("msgattrib") is None and os.environ.get("CI") != "true",
    reason="GNU gettext is not installed (CI has it)",
)


def _entries(po: Path, *flags: str) -> list[str]:
    """msgids that msgattrib selects with these flags (the header entry left out)."""
    output = subprocess.run(
        ["msgattrib", *flags, str(po)], capture_output=True, text=True, check=True
    ).stdout
    msgids, current = [], None
    for line in [*output.splitlines(), ""]:
        if line.startswith("msgid "):
            current = [line.removeprefix("msgid ").strip('"')]
        elif current is not None and line.startswith('"'):
            current.append(line.strip('"'))
        elif current is not None:
            if "".join(current):  # the header has an empty msgid
                msgids.append("".join(current))
            current = None
    return msgids


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    """A copy of the package with its catalogues regenerated from the current sources."""
    copy = tmp_path_factory.mktemp("catalogues") / "reclaim"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    subprocess.run(
        ["django-admin", "makemessages", "-l", "es", "--no-obsolete", "-i", "*/migrations/*"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    return copy


def _catalogues(base: Path) -> list[Path]:
    return sorted(base.glob("**/locale/es/LC_MESSAGES/django.po"))


@needs_gettext
def test_every_string_is_translated_to_spanish(regenerated):
    problems = {}
    for po in _catalogues(regenerated):
        missing = _entries(po, "--untranslated", "--no-fuzzy") + _entries(po, "--only-fuzzy")
        if missing:
            problems[str(po.relative_to(regenerated))] = missing
    assert not problems, f"untranslated or fuzzy strings (run makemessages -l es): {problems}"


@needs_gettext
def test_the_catalogues_in_the_repository_are_the_regenerated_ones(regenerated):
    committed = {po.relative_to(PACKAGE) for po in _catalogues(PACKAGE)}
    assert committed == {po.relative_to(regenerated) for po in _catalogues(regenerated)}
    for relative in committed:
        ours = set(_entries(PACKAGE / relative))
        current = set(_entries(regenerated / relative))
        assert current <= ours, f"{relative} lacks {sorted(current - ours)[:10]}"


@needs_gettext
def test_compiled_catalogues_match_their_sources(tmp_path):
    for po in _catalogues(PACKAGE):
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo} is missing: run compilemessages"
        fresh = tmp_path / "fresh.mo"
        subprocess.run(["msgfmt", "-o", str(fresh), str(po)], check=True)
        assert fresh.read_bytes() == mo.read_bytes(), f"{mo} is stale: run compilemessages"
