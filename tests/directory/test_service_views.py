"""The services of a result page: loaded in one query, showing what the full load shows."""

from __future__ import annotations

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reclaim.directory.models import ServiceLanguage
from reclaim.directory.services.entries import (
    language_codes,
    service_type_codes,
    service_view,
    service_views_queryset,
    services_queryset,
)
from reclaim.directory.taxonomy import SERVICE_TYPE_CODES
from tests.directory.factories import make_service

type_sets = st.lists(st.sampled_from(sorted(SERVICE_TYPE_CODES)), max_size=4, unique=True)
# Languages as an import can leave them: none, repeated, or a row without a code.
language_lists = st.lists(st.sampled_from(["en", "es", "fr", "zh-hant", ""]), max_size=4)


# Each example rolls its services back (the `db` fixture is shared by the examples).
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shapes=st.lists(st.tuples(type_sets, language_lists), min_size=1, max_size=4))
def test_a_page_shows_what_the_full_load_shows(db, shapes):
    with transaction.atomic():
        ids = []
        for number, (types, languages) in enumerate(shapes):
            service = make_service(name=f"Service {number}", types=tuple(types), languages=())
            ServiceLanguage.objects.bulk_create(
                ServiceLanguage(service=service, code=code) for code in languages
            )
            ids.append(service.pk)
        listed = service_views_queryset().in_bulk(ids)
        full = services_queryset().in_bulk(ids)
        for pk, (types, languages) in zip(ids, shapes, strict=True):
            assert service_view(listed[pk]) == service_view(full[pk])
            assert service_type_codes(listed[pk]) == sorted(types)
            assert language_codes(listed[pk]) == sorted({code for code in languages if code})
        transaction.set_rollback(True)


def test_a_page_of_services_is_one_query_whatever_its_size(db):
    ids = [
        make_service(name=f"Service {n}", types=("counseling", "legal"), languages=("en", "es")).pk
        for n in range(6)
    ]
    for page in (ids[:1], ids):
        with CaptureQueriesContext(connection) as queries:
            views = [service_view(s) for s in service_views_queryset().in_bulk(page).values()]
        assert len(queries) == 1
        assert all(view["service_types"] == ["counseling", "legal"] for view in views)
        assert all(view["languages"] == ["en", "es"] for view in views)
