"""The shared input types of reclaim.core.schemas, checked on their own (the services check
again, so the API tests alone would not notice a schema that lets bad text through)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from pydantic import ValidationError

from reclaim.core.schemas import AwareDateTime, BirthDate, InputSchema, Line, LongText, ShortLine
from reclaim.survivors.schemas import ProfileIn


class Sample(InputSchema):
    line: Line = ""
    text: LongText = ""
    short: ShortLine = ""
    born: BirthDate | None = None
    at: AwareDateTime | None = None


def _error(**values):
    with pytest.raises(ValidationError) as caught:
        Sample(**values)
    (error,) = caught.value.errors()
    return error["loc"], error["msg"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"line": "a\x00b"}, "contains a NUL byte."),
        ({"text": "a\x00b"}, "contains a NUL byte."),
        ({"line": "bell\x07"}, "contains a control character."),
        ({"line": "two\nlines"}, "contains a control character."),
        ({"text": "escape\x1b[31m"}, "contains a control character."),
        ({"line": "del\x7f"}, "contains a control character."),
        ({"line": "é" * 5_001}, "is longer than 10000 bytes."),
        ({"short": "é" * 51}, "is longer than 100 bytes."),
    ],
)
def test_text_types_refuse_nul_control_characters_and_oversize_text(values, message):
    loc, msg = _error(**values)
    assert loc == tuple(values)
    assert msg == message


def test_text_types_accept_ordinary_text():
    sample = Sample(line="Marisol Quintero 🌻", text="first line\nsecond\tline", short="x" * 100)
    assert sample.text == "first line\nsecond\tline"


def test_character_limit_comes_before_the_byte_count():
    loc, msg = _error(line="x" * 10_001)
    assert loc == ("line",)
    assert "10000" in msg


def test_birth_date_may_be_today_but_not_tomorrow_nor_before_1900():
    today = timezone.localdate()
    assert Sample(born=today).born == today
    assert _error(born=today + datetime.timedelta(days=1)) == (
        ("born",),
        "cannot be in the future.",
    )
    assert _error(born=datetime.date(1899, 12, 31)) == (("born",), "is before 1900.")


def test_datetimes_need_a_time_zone():
    assert Sample(at="2026-01-31T09:00:00Z").at.tzinfo is not None
    loc, _ = _error(at="2026-01-31T09:00:00")
    assert loc == ("at",)


def test_input_schemas_refuse_unknown_fields():
    loc, msg = _error(colour="blue")
    assert loc == ("colour",)
    assert "Extra inputs" in msg


def test_picklist_values_reach_the_service_as_plain_strings():
    profile = ProfileIn(gender="PreferNotToSay")
    assert type(profile.model_dump()["gender"]) is str
