"""The batched HSDS import gives the same directory, counts, rejections and warnings as the
record-at-a-time path; the fast schema check agrees with the full one; the raw-text
pre-check never lets through what the per-record walk would refuse."""

from __future__ import annotations

import copy
import io
import itertools
import json
import uuid
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reclaim.directory import hsds
from reclaim.directory.models import (
    Location,
    Organization,
    Service,
    ServiceLanguage,
    ServiceMatchRow,
    ServiceType,
)
from reclaim.directory.services import hsds_bulk, hsds_io, match_rows
from reclaim.directory.services import search_rows as search_row_writer
from tests.directory.test_hsds import example, our_service, write_json

TIMESTAMPS = {"created_at", "updated_at"}


def _rows(model: Any) -> list[dict[str, Any]]:
    names = [f.attname for f in model._meta.concrete_fields if f.name not in TIMESTAMPS]
    if model in (ServiceLanguage, ServiceType, ServiceMatchRow):  # our keys, fresh each import
        names.remove("id")
    return sorted(
        (dict(zip(names, row, strict=True)) for row in model.objects.values_list(*names)),
        key=lambda row: json.dumps(row, sort_keys=True, default=str),
    )


def search_rows() -> list[tuple[Any, ...]]:
    """Each service's search rows, by service (the triggers' or the bulk writer's)."""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT service_id::text, search_name, active, name_vector::text, "
            "search_vector::text FROM directory_service_search ORDER BY 1"
        )
    else:
        sql = (
            "SELECT k.service_id, k.search_name, f.service_id, f.name, f.body, f.hidden "
            "FROM directory_service_fts_key k "
            "LEFT JOIN directory_service_fts f ON f.rowid = k.id ORDER BY 1"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def directory_snapshot() -> dict[str, Any]:
    """Every table an import writes (those it refreshes the statistics of), and the search
    rows."""
    return {model.__name__: _rows(model) for model in hsds_io.DIRECTORY_TABLES} | {
        "search": search_rows()
    }


def _renamed_copy(document: dict[str, Any], name: str) -> dict[str, Any]:
    """The same service under a new id (same organisation and location)."""
    twin = copy.deepcopy(document)
    twin["id"] = str(uuid.uuid4())
    twin["name"] = name
    for link in twin.get("service_at_locations", []):
        link["id"] = str(uuid.uuid4())
        link["service_id"] = twin["id"]
    for language in twin.get("languages", []):
        language["id"] = str(uuid.uuid4())
        language["service_id"] = twin["id"]
    for attribute in twin.get("attributes", []):
        attribute["id"] = str(uuid.uuid4())
        attribute["link_id"] = twin["id"]
    return twin


def scenario() -> tuple[list[Any], list[Any]]:
    """(a first import, a second import) covering every branch of the batched writer."""
    full = example("service_full.json")
    existing = our_service(name="Existing shelter")
    first = [existing, full]

    kept_attributes = {k: v for k, v in existing.items() if k != "attributes"}
    kept_attributes["name"] = "Existing shelter, renamed"
    org_id = str(uuid.uuid4())
    organization_document = {"id": org_id, "name": "Refugio", "description": "A partner"}
    far_away = _renamed_copy(full, "Far away")
    far_away["service_at_locations"][0]["location"] = {
        **far_away["service_at_locations"][0]["location"],
        "id": str(uuid.uuid4()),
        "latitude": 95,
        "longitude": 10,
    }
    far_away["service_at_locations"][0]["location_id"] = far_away["service_at_locations"][0][
        "location"
    ]["id"]
    place = {"id": str(uuid.uuid4()), "name": "Site", "location_type": "physical"}
    sited = our_service(
        name="Sited shelter",
        service_at_locations=[
            {"id": str(uuid.uuid4()), "location": place | {"latitude": 29.7, "longitude": -95.3}}
        ],
    )
    first.append(sited)
    moved = our_service(
        name="Moves the sited shelter's site",
        service_at_locations=[
            {"id": str(uuid.uuid4()), "location": place | {"latitude": 45.5, "longitude": -73.5}}
        ],
    )
    duplicate = our_service(name="Twin")
    second = [
        kept_attributes,  # an update without our attributes or types: they are kept
        _renamed_copy(full, "Shares the organisation"),  # same embedded organisation
        our_service(organization_id=str(uuid.uuid4())),  # organisation nowhere
        our_service(
            service_at_locations=[{"id": str(uuid.uuid4()), "location_id": str(uuid.uuid4())}]
        ),  # location nowhere
        duplicate,
        {**duplicate, "name": "Twin again"},  # the same id twice
        far_away,  # coordinates out of range: a warning
        organization_document,  # an organisation document between services
        our_service(name="Belongs to Refugio", organization_id=org_id),
        our_service(name="Uses an existing location")
        | {
            "service_at_locations": [
                {
                    "id": str(uuid.uuid4()),
                    "location_id": full["service_at_locations"][0]["location"]["id"],
                }
            ]
        },
        moved,  # the sited shelter's site moves: its match rows move with it
        our_service(name="Bad"),
    ]
    second[-1]["name"] = 7  # a schema rejection
    return first, second


def _import_both(tmp_path, first, second) -> tuple[list[str], dict[str, Any]]:
    hsds_io.import_hsds(write_json(tmp_path, first, "first.json"))
    summary = hsds_io.import_hsds(write_json(tmp_path, second, "second.json"))
    return summary.lines(), directory_snapshot()


def _clear_directory() -> None:
    Service.objects.all().delete()
    Location.objects.all().delete()
    Organization.objects.all().delete()


def test_batched_import_equals_the_record_at_a_time_path(tmp_path, monkeypatch):
    first, second = scenario()
    monkeypatch.setattr(hsds_io, "BATCH_SERVICES", 3)  # several batches, one partly filled
    batched = _import_both(tmp_path, first, second)

    _clear_directory()

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise IntegrityError("refused")

    monkeypatch.setattr(hsds_bulk, "write_services", refused)
    one_by_one = _import_both(tmp_path, first, second)

    assert batched[0] == one_by_one[0]
    assert batched[1] == one_by_one[1]
    # and the scenario exercised what it means to (so the equality says something)
    lines = batched[0]
    assert "rejected: 4" in lines
    assert any("appears twice" in line for line in lines)
    assert any("matches no organization" in line for line in lines)
    assert any("matches no location" in line for line in lines)
    assert any("out of range" in line for line in lines)
    sited = ServiceMatchRow.objects.filter(service__name="Sited shelter")
    assert {(row.latitude, row.longitude) for row in sited} == {(45.5, -73.5)}
    assert len(batched[1]["search"]) == Service.objects.count()


def test_an_update_without_our_attributes_keeps_capacity_and_types(tmp_path):
    document = our_service()
    hsds_io.import_hsds(write_json(tmp_path, [document]))
    update = {k: v for k, v in document.items() if k != "attributes"} | {"name": "Renamed"}
    summary = hsds_io.import_hsds(write_json(tmp_path, [update]))

    service = Service.objects.get()
    assert summary.updated["service"] == 1
    assert (service.name, service.capacity_available) == ("Renamed", 4)
    assert [row.code for row in service.service_types.all()] == ["safe_housing"]
    assert "renamed" in service.search_document and "safe housing" in service.search_document


def test_a_row_believed_new_that_exists_makes_the_batch_redo_record_by_record(
    tmp_path, monkeypatch
):
    # New rows are plainly inserted; had another session inserted one meanwhile, the
    # database refuses the batch and each record is saved on its own, as an update.
    document = our_service()
    hsds_io.import_hsds(write_json(tmp_path, [document]))
    monkeypatch.setattr(hsds_bulk, "_existing", lambda model, ids: set())
    update = {**document, "name": "Renamed"}
    summary = hsds_io.import_hsds(write_json(tmp_path, [update]))

    assert not summary.rejected and summary.updated["service"] == 1
    assert list(Service.objects.values_list("name", flat=True)) == ["Renamed"]


def test_services_spread_over_batches_are_all_imported_and_searchable(tmp_path, monkeypatch):
    monkeypatch.setattr(hsds_io, "BATCH_SERVICES", 2)
    documents = [our_service(name=f"Shelter number {n}") for n in range(5)]
    summary = hsds_io.import_hsds(write_json(tmp_path, documents))

    assert summary.created["service"] == 5 and not summary.rejected
    assert ServiceType.objects.count() == 5
    assert all("shelter number" in s.search_document for s in Service.objects.all())


def test_a_refused_batch_rejects_only_the_record_at_fault(tmp_path, monkeypatch):
    # A refusal the parser cannot foresee: the batch is redone one record at a time.
    calls = []

    def refuse_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise IntegrityError("refused")

    monkeypatch.setattr(hsds_bulk, "write_services", refuse_once)
    good = our_service(name="Good")
    bad = our_service(name="Bad")
    monkeypatch.setattr(
        Service,
        "full_clean",
        lambda self, **kw: (
            (_ for _ in ()).throw(IntegrityError("x")) if self.name == "Bad" else None
        ),
    )
    summary = hsds_io.import_hsds(write_json(tmp_path, [good, bad]))

    assert calls and [r.reason for r in summary.rejected] == [
        "the database refused it (IntegrityError)"
    ]
    assert list(Service.objects.values_list("name", flat=True)) == ["Good"]


# --- rows the batch derives: the same as reading the services back --------------------------

FLAGS = ("free_of_charge", "survivor_led", "trauma_informed", "lgbtq_affirming",
         "interpretation_available", "female_staff_available", "immigration_status_required",
         "serves_trafficking_survivors")  # fmt: skip


def _attribute(taxonomy: str, code: str, value: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "value": value,
        "taxonomy_term": {
            "id": str(uuid.uuid4()),
            "code": code,
            "name": code,
            "description": code,
            "taxonomy": taxonomy,
        },
    }


@st.composite
def service_documents(draw: Any) -> dict[str, Any]:
    """A service with any mix of our attributes, types, languages and sites."""
    attributes = [
        _attribute("reclaim-service-types", code, "true")
        for code in draw(st.sets(st.sampled_from(sorted(hsds.SERVICE_TYPE_CODES)), max_size=3))
    ]
    for flag in draw(st.sets(st.sampled_from(FLAGS))):
        attributes.append(
            _attribute("reclaim-attributes", flag, draw(st.sampled_from(["true", "false"])))
        )
    for code, values in (
        ("gender_eligibility", hsds.CHOICE_ATTRIBUTES["gender_eligibility"]),
        ("capacity_available", ("0", "3")),
        ("wait_time_days", ("0", "20")),
    ):
        if draw(st.booleans()):
            attributes.append(_attribute("reclaim-attributes", code, draw(st.sampled_from(values))))
    sites = []
    for _ in range(draw(st.integers(0, 3))):
        location: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "name": "Site",
            "location_type": "physical",
        }
        if draw(st.booleans()):
            location |= {
                "latitude": draw(st.floats(-60, 60).map(lambda x: round(x, 5))),
                "longitude": draw(st.floats(-170, 170).map(lambda x: round(x, 5))),
            }
        sites.append({"id": str(uuid.uuid4()), "location": location})
    ages = draw(st.sampled_from([{}, {"minimum_age": 18}, {"minimum_age": 12, "maximum_age": 24}]))
    return our_service(
        name=draw(st.sampled_from(["Clinic", "ÉCOLE Ñandú", "Shelter " + "x" * 300][:2])),
        status=draw(st.sampled_from(["active", "inactive"])),
        attributes=attributes,
        languages=[
            {"id": str(uuid.uuid4()), "code": code}
            for code in draw(st.sets(st.sampled_from(["en", "es", "xx", "ti"]), max_size=3))
        ],
        service_at_locations=sites,
        **ages,
    )


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(documents=st.lists(service_documents(), min_size=1, max_size=4))
def test_match_rows_derived_from_the_batch_equal_those_read_back(db, tmp_path, documents):
    with transaction.atomic():
        summary = hsds_io.import_hsds(write_json(tmp_path, documents))
        assert not summary.rejected
        keys = match_rows._keys(Service.objects.values_list("pk", flat=True))
        written = _rows(ServiceMatchRow)
        ServiceMatchRow.objects.all().delete()
        match_rows.insert_match_rows(match_rows.build_match_rows(keys))
        assert written == _rows(ServiceMatchRow)
        transaction.set_rollback(True)


# --- the search-row triggers stand aside only for the bulk writer -----------------------------


def _deferral_is_on() -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_setting(%s, true)", [search_row_writer.DEFERRED_SETTING])
            return cursor.fetchone()[0] == "on"
        cursor.execute(f"SELECT count(*) FROM {search_row_writer.DEFERRED_TABLE}")
        return cursor.fetchone()[0] > 0


def test_after_a_bulk_import_the_triggers_keep_search_rows_again(tmp_path):
    hsds_io.import_hsds(write_json(tmp_path, [our_service(name="Bulk shelter")]))
    assert not _deferral_is_on()
    service = Service.objects.get()
    Service.objects.filter(pk=service.pk).update(
        name="Renamed", search_document="renamed night shelter"
    )
    rows = search_rows()
    assert len(rows) == 1 and "renamed" in rows[0][1]


def test_a_failed_bulk_write_undoes_the_deferral(tmp_path):
    with transaction.atomic():
        with pytest.raises(RuntimeError), search_row_writer.deferred([], []):
            assert _deferral_is_on()
            raise RuntimeError("the batch failed")
        assert not _deferral_is_on()


# --- the fast schema check ------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


def _paths(document: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _paths(value, (*prefix, index))
    return found


def _replaced(document: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    copied = copy.copy(document)
    copied[path[0]] = _replaced(document[path[0]], path[1:], value)
    return copied


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_fast_check_agrees_with_the_official_validator(data):
    schema = data.draw(st.sampled_from(["service", "organization"]))
    base = example("service_full.json")
    if schema == "organization":
        base = base["organization"]
    path = data.draw(st.sampled_from(_paths(base)))
    value = data.draw(JSON_VALUES)
    document = _replaced(base, path, value)
    full = not list(hsds.validator(schema).iter_errors(document))
    assert hsds.is_schema_valid(schema, document) is full
    assert (hsds.schema_errors(schema, document) == []) is full


def test_numbers_beyond_64_bits_still_get_an_answer():
    document = example("service_full.json") | {"minimum_age": 2**80}
    assert hsds.is_schema_valid("service", document)  # a number, as far as the schema goes


# --- the raw-text pre-check -----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(text=st.text(), ascii_only=st.booleans())
def test_text_that_passes_the_pre_check_passes_the_full_walk(text, ascii_only):
    document = {"name": text, "nested": [{text: text}]}
    raw = json.dumps(document, ensure_ascii=ascii_only)
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        return  # not text a UTF-8 file can hold; such a file never decodes
    if not hsds.suspicious_text(raw):
        hsds.check_storable(json.loads(raw), "")


@pytest.mark.parametrize("value", ["nul\x00here", "lone\ud800surrogate"])
def test_a_file_holding_what_no_database_stores_is_checked_record_by_record(tmp_path, value):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([our_service(description=value), our_service()]))
    summary = hsds_io.import_hsds(path)
    assert [r.reason for r in summary.rejected] == [
        "description: contains a NUL byte or an invalid character"
    ]
    assert Service.objects.count() == 1


def test_a_large_import_refreshes_the_planner_statistics(tmp_path, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(hsds_io, "ANALYZE_AFTER", 2)
    with CaptureQueriesContext(connection) as small:
        hsds_io.import_hsds(write_json(tmp_path, [our_service()], "one.json"))
    with CaptureQueriesContext(connection) as large:
        hsds_io.import_hsds(write_json(tmp_path, [our_service(), our_service()], "two.json"))

    def analyzed(queries: Any) -> set[str]:
        return {q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")}

    assert not analyzed(small)
    assert any("directory_service" in sql for sql in analyzed(large))
    if connection.vendor == "postgresql":
        # A sample of the directory's own tables, the default for the match rows, and the
        # session's default again afterwards.
        sqls = [q["sql"] for q in large.captured_queries]
        targets = {
            sql.split()[1]: before.rsplit(" ", 1)[-1]
            for before, sql in itertools.pairwise(sqls)
            if sql.startswith("ANALYZE") and "default_statistics_target" in before
        }
        match_rows = connection.ops.quote_name(ServiceMatchRow._meta.db_table)
        assert targets.pop(match_rows) == "DEFAULT"
        assert targets and set(targets.values()) == {str(hsds_io.IMPORT_STATISTICS_TARGET)}
        with connection.cursor() as cursor:
            cursor.execute("SHOW default_statistics_target")
            assert cursor.fetchone()[0] == "100"


def test_an_import_that_grows_the_directory_by_less_than_a_tenth_keeps_the_statistics(
    tmp_path, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(hsds_io, "ANALYZE_AFTER", 2)
    hsds_io.import_hsds(write_json(tmp_path, [our_service() for _ in range(25)], "many.json"))
    with CaptureQueriesContext(connection) as queries:
        summary = hsds_io.import_hsds(
            write_json(tmp_path, [our_service(), our_service()], "two.json")
        )
    assert summary.created["service"] == 2
    assert not summary.analyzed
    assert not [q for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]


@pytest.mark.parametrize(("created", "stale"), [(1, False), (2, True), (3, True)])
def test_statistics_are_stale_from_a_tenth_of_the_directory(monkeypatch, created, stale):
    monkeypatch.setattr(hsds_io, "ANALYZE_AFTER", 2)
    Service.objects.bulk_create(Service(name=f"Service {n}") for n in range(20))
    assert hsds_io.statistics_stale(created) is stale  # 2 of 20 rows is a tenth


def test_statistics_are_not_stale_below_a_tenth(monkeypatch):
    monkeypatch.setattr(hsds_io, "ANALYZE_AFTER", 2)
    Service.objects.bulk_create(Service(name=f"Service {n}") for n in range(21))
    assert not hsds_io.statistics_stale(2)


@pytest.mark.django_db(transaction=True)
def test_a_large_import_leaves_match_and_search_rows_vacuumed_on_postgresql(tmp_path, monkeypatch):
    # Outside a transaction (as `reclaim import-hsds` runs), so VACUUM may run.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(hsds_io, "ANALYZE_AFTER", 2)
    with CaptureQueriesContext(connection) as queries:
        hsds_io.import_hsds(write_json(tmp_path, [our_service(), our_service()], "two.json"))
    vacuumed = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("VACUUM")]
    assert ServiceMatchRow.objects.count() == 6  # each: housing, safety and the any-need row
    if connection.vendor == "postgresql":
        assert any(ServiceMatchRow._meta.db_table in sql for sql in vacuumed)
        assert any("directory_service_search" in sql for sql in vacuumed)
    else:
        assert not vacuumed


@pytest.mark.django_db(transaction=True)
def test_an_import_gives_sqlite_a_large_page_cache_only_while_it_runs(tmp_path, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cache_size() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return int(cursor.fetchone()[0])

    seen: list[int] = []
    real_import = hsds_io.import_source

    def spying(*args: Any, **kwargs: Any) -> Any:
        if connection.vendor == "sqlite":
            seen.append(cache_size())
        return real_import(*args, **kwargs)

    monkeypatch.setattr(hsds_io, "import_source", spying)
    before = cache_size() if connection.vendor == "sqlite" else None
    with CaptureQueriesContext(connection) as queries:
        hsds_io.import_hsds(write_json(tmp_path, [our_service()], "one.json"))
    pragmas = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("PRAGMA")]
    if connection.vendor == "sqlite":
        assert seen == [-65536]
        assert cache_size() == before
    else:
        assert pragmas == []


def test_the_cycle_collector_is_off_only_while_a_file_is_imported(tmp_path, monkeypatch):
    import gc

    seen: list[bool] = []
    real_import = hsds_io.import_source

    def spying(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real_import(*args, **kwargs)

    monkeypatch.setattr(hsds_io, "import_source", spying)
    hsds_io.import_hsds(write_json(tmp_path, [our_service()], "one.json"))
    assert seen == [False] and gc.isenabled()

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the import failed")

    monkeypatch.setattr(hsds_io, "import_source", failing)
    with pytest.raises(RuntimeError):
        hsds_io.import_hsds(write_json(tmp_path, [our_service()], "two.json"))
    assert gc.isenabled()


def test_a_batch_writes_its_search_rows_in_name_order(tmp_path):
    # A search sorts every row whose name holds the words: rows of similar names written
    # together share pages (docs/performance.md, seventh run).
    names = ["Shelter C", "Clinic B", "Shelter A", "Clinic A", "Shelter B"]
    hsds_io.import_hsds(write_json(tmp_path, [our_service(name=name) for name in names]))
    if connection.vendor == "postgresql":
        order = "SELECT search_name FROM directory_service_search ORDER BY ctid"
    else:
        order = "SELECT search_name FROM directory_service_fts_key ORDER BY id"
    with connection.cursor() as cursor:
        cursor.execute(order)
        written = [row[0] for row in cursor.fetchall()]
    assert written == sorted(name.casefold() for name in names)


def test_rebuilding_the_derived_rows_repairs_what_sql_behind_our_back_broke(tmp_path):
    from django.core.management import call_command

    documents = [our_service(name=f"Shelter {n}") for n in range(3)]
    hsds_io.import_hsds(write_json(tmp_path, documents))
    before = directory_snapshot()
    assert before["search"] and before["ServiceMatchRow"]
    with connection.cursor() as cursor:  # a restore that left out the derived tables
        if connection.vendor == "postgresql":
            cursor.execute("DELETE FROM directory_service_search")
        else:
            cursor.execute("DELETE FROM directory_service_fts")
        cursor.execute(f"DELETE FROM {ServiceMatchRow._meta.db_table}")
        cursor.execute(  # and a change made with SQL: its match rows are stale
            f"UPDATE {Service._meta.db_table} SET capacity_available = 0"
        )
    broken = directory_snapshot()
    assert broken["ServiceMatchRow"] == []

    out = io.StringIO()
    call_command("rebuild_directory_rows", stdout=out)

    after = directory_snapshot()
    assert after["search"] == before["search"]
    assert {row["capacity_available"] for row in after["ServiceMatchRow"]} == {0}
    assert len(after["ServiceMatchRow"]) == len(before["ServiceMatchRow"])
    assert "3 services" in out.getvalue()
