"""Shared fixtures: factories and named personas (caseworker, supervisor, partner_staff,
survivor, outsider). Every test may touch both databases (main and keystore)."""

from __future__ import annotations

import pytest

from reclaim.core import crypto


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db(databases="__all__"))


@pytest.fixture(autouse=True)
def _fresh_key_caches():
    crypto.forget_cached_keys()
    yield
    crypto.forget_cached_keys()
