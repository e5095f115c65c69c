"""The care pages speak Spanish: every catalogue entry is translated and compiled."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

import reclaim.care
from tests.ui.conftest import logged_in

CATALOGUE = Path(reclaim.care.__file__).parent / "locale" / "es" / "LC_MESSAGES"


def test_every_message_has_a_spanish_translation():
    entries = CATALOGUE.joinpath("django.po").read_text().split("\n\n")[1:]
    empty = re.compile(r'^msgstr(\[\d\])? ""\n(?!")', re.MULTILINE)
    untranslated = [e for e in entries if empty.search(e + "\n")]
    assert untranslated == []
    assert CATALOGUE.joinpath("django.mo").stat().st_mtime >= (
        CATALOGUE.joinpath("django.po").stat().st_mtime - 1
    )


def test_the_care_page_renders_in_spanish(caseworker, survivor):
    client = logged_in(caseworker)
    with translation.override("es"):
        response = client.get(f"/care/survivors/{survivor.pk}/", HTTP_ACCEPT_LANGUAGE="es")
    body = response.content.decode()
    assert "Necesidades actuales" in body
    assert "Notas del caso" in body
