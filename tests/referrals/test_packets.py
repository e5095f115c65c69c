"""The pure packet rule: a field is shared exactly when its category was consented."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from reclaim.core.fields import DATA_CATEGORIES, encrypted_fields
from reclaim.referrals.packets import display_value, select_fields
from reclaim.survivors.models import Survivor

CATEGORIES = st.sets(st.sampled_from(DATA_CATEGORIES))
VALUES = st.dictionaries(
    st.text(min_size=1, max_size=12),
    st.tuples(st.sampled_from(DATA_CATEGORIES), st.text(max_size=20)),
    max_size=12,
)


@given(values=VALUES, consented=CATEGORIES)
def test_a_field_is_shared_exactly_when_its_category_is_consented(values, consented):
    shared = select_fields(values, consented)
    assert {item.name for item in shared} == {
        name for name, (category, _value) in values.items() if category in consented
    }
    assert all(item.category in consented for item in shared)


@given(values=VALUES)
def test_nothing_is_shared_without_categories(values):
    assert select_fields(values, set()) == []


def test_every_survivor_field_has_a_category_the_packet_understands():
    assert {f.category for f in encrypted_fields(Survivor)} <= set(DATA_CATEGORIES)


def test_values_are_shown_in_plain_text():
    assert display_value(None) == "—"
    assert display_value(["es", "en"]) == "es, en"
    assert display_value(datetime.date(2020, 1, 2)) == "2020-01-02"
