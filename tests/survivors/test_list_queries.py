"""Lists of survivors read a fixed number of queries, however many rows they show: no row
loads a column or a relation on its own (`list_caseload` loads `CASELOAD_COLUMNS` only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reclaim.core.services import create_access_token
from tests.factories import make_survivor
from tests.ui.conftest import logged_in


def _queries(fetch: Callable[[], Any]) -> int:
    """Queries on both databases (the keystore holds the data keys) for one request."""
    with (
        CaptureQueriesContext(connections["default"]) as main,
        CaptureQueriesContext(connections["keystore"]) as keys,
    ):
        response = fetch()
    assert response.status_code == 200
    return len(main.captured_queries) + len(keys.captured_queries)


def _grows_by_nothing(fetch: Callable[[], Any], add_rows: Callable[[int], None]) -> None:
    add_rows(2)
    fetch()  # warm per-process caches (system keys, content types)
    few = _queries(fetch)
    add_rows(6)
    assert _queries(fetch) == few


@pytest.mark.parametrize("show_all", [False, True])
def test_the_caseload_page_reads_as_much_for_eight_rows_as_for_two(
    caseworker, supervisor, home_org, show_all
):
    client = logged_in(supervisor if show_all else caseworker)
    url = reverse("caseload") + ("?show=all" if show_all else "")

    def add_rows(count: int) -> None:
        for number in range(count):
            make_survivor(caseworker, home_org, alias=f"Alias {number}", legal_name="Name")

    _grows_by_nothing(lambda: client.get(url), add_rows)


def test_the_api_caseload_reads_as_much_for_eight_rows_as_for_two(client, caseworker, home_org):
    token = create_access_token(by=caseworker, name="tests", can_write=False).secret
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def add_rows(count: int) -> None:
        for number in range(count):
            make_survivor(caseworker, home_org, alias=f"Alias {number}", legal_name="Name")

    _grows_by_nothing(lambda: client.get("/api/v1/survivors/", **headers), add_rows)
