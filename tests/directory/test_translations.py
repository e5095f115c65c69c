"""The directory speaks Spanish: every entry translated, and the compiled catalogue current."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

from django.utils import translation

import reclaim.directory
from reclaim.directory.matching import Candidate, Preferences, rank_services

CATALOGUE = Path(reclaim.directory.__file__).parent / "locale" / "es" / "LC_MESSAGES"


def _unescape(text: str) -> str:
    return text.replace('\\"', '"')


def _entries() -> list[str]:
    return CATALOGUE.joinpath("django.po").read_text().split("\n\n")[1:]


def test_every_message_has_a_spanish_translation():
    empty = re.compile(r'^msgstr(\[\d\])? ""\n(?!")', re.MULTILINE)
    assert [entry for entry in _entries() if empty.search(entry + "\n")] == []


def test_the_compiled_catalogue_holds_every_message():
    with CATALOGUE.joinpath("django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    single = re.compile(r'^msgid "(.+)"\nmsgstr "(.*)"$', re.MULTILINE)
    pairs = [match.groups() for entry in _entries() if (match := single.search(entry))]
    assert len(pairs) > 100
    for msgid, msgstr in pairs:
        assert compiled.gettext(_unescape(msgid)) == _unescape(msgstr)


def test_reasons_read_in_spanish():
    shelter = Candidate(
        id=1, name="Casa", service_types=frozenset({"safe_housing"}), languages=frozenset({"es"})
    )
    result = rank_services([shelter], ["housing"], Preferences(languages=("es",), gender="man"))
    with translation.override("es"):
        assert [reason.text for reason in result.ranked[0].reasons][:1] == ["ayuda con: Vivienda"]


def test_the_directory_page_renders_in_spanish(login, caseworker):
    client = login(caseworker)
    response = client.get("/directory/", HTTP_ACCEPT_LANGUAGE="es")
    assert "Directorio de servicios" in response.content.decode()
