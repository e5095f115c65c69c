"""HSDS 3.0 import and export: the official examples, idempotency, bad input, schema validity."""

from __future__ import annotations

import copy
import csv
import io
import json
import uuid
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from reclaim.core.errors import Forbidden, ValidationFailed
from reclaim.core.models import AuditEvent
from reclaim.directory import hsds
from reclaim.directory.models import Location, Organization, Service, ServiceAtLocation
from reclaim.directory.services import hsds_io
from tests.directory.factories import make_service

DATA = Path(__file__).parent / "data" / "hsds-3.0"
EXAMPLES = DATA / "examples"
EXAMPLE_SERVICE_ID = uuid.UUID("ac148810-d857-441c-9679-408f346de14b")


def example(name: str):
    return json.loads((EXAMPLES / name).read_text())


def write_json(tmp_path: Path, data, name="directory.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def our_service(**overrides):
    document = {
        "id": str(uuid.uuid4()),
        "name": "Casa Segura shelter",
        "status": "active",
        "languages": [{"id": str(uuid.uuid4()), "code": "es", "name": "Spanish"}],
        "attributes": [
            {
                "id": str(uuid.uuid4()),
                "value": "true",
                "taxonomy_term": {
                    "id": str(uuid.uuid4()),
                    "code": "safe_housing",
                    "name": "Safe housing",
                    "description": "Safe housing",
                    "taxonomy": "reclaim-service-types",
                },
            },
            {
                "id": str(uuid.uuid4()),
                "value": "4",
                "taxonomy_term": {
                    "id": str(uuid.uuid4()),
                    "code": "capacity_available",
                    "name": "capacity available",
                    "description": "capacity available",
                    "taxonomy": "reclaim-attributes",
                },
            },
        ],
    }
    document.update(overrides)
    return document


# --- the official examples ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "service_full.json",
        "service_list.json",
        "organization_full.json",
        "organization_list.json",
    ],
)
def test_official_json_examples_import_without_rejections(name):
    summary = hsds_io.import_hsds(EXAMPLES / name)
    assert summary.rejected == []
    assert sum(summary.created.values()) >= 1


def test_official_service_example_keeps_its_fields_languages_and_location():
    hsds_io.import_hsds(EXAMPLES / "service_full.json")

    service = Service.objects.get(pk=EXAMPLE_SERVICE_ID)
    assert service.name == "Community Counselling"
    assert (service.minimum_age, service.maximum_age) == (12, 100)
    assert service.organization.name == "Example Organization Inc."
    assert [row.code for row in service.languages.all()] == ["ur"]
    assert service.hsds_extra["phones"][0]["number"] == '"+44 1234 234567"'
    assert ServiceAtLocation.objects.filter(service=service).count() == 1


def test_out_of_range_coordinates_are_dropped_with_a_warning():
    summary = hsds_io.import_hsds(EXAMPLES / "csv")
    location = Location.objects.get()
    assert (location.latitude, location.longitude) == (None, None)
    assert any("out of range" in warning for warning in summary.warnings)


def test_official_csv_example_imports_and_reports_its_broken_references():
    summary = hsds_io.import_hsds(EXAMPLES / "csv")

    assert summary.created["service"] == 1
    assert summary.created["organization"] == 1
    reasons = [item.reason for item in summary.rejected]
    # Upstream's example points at rows that are not in the package.
    assert any(r.startswith("locations.csv row 2: organization_id 985e4a42") for r in reasons)
    assert any(r.startswith("attributes.csv row 2: link_id f28dd44b") for r in reasons)
    assert any(r.startswith("contacts.csv row 2: service_at_location_id") for r in reasons)
    assert Service.objects.get(pk=EXAMPLE_SERVICE_ID).hsds_extra["cost_options"][0]["amount"] == 35


def test_import_is_idempotent_same_ids_update():
    first = hsds_io.import_hsds(EXAMPLES / "service_full.json")
    counts = (Service.objects.count(), Organization.objects.count(), Location.objects.count())

    second = hsds_io.import_hsds(EXAMPLES / "service_full.json")

    assert first.created["service"] == 1
    assert second.created["service"] == 0
    assert second.updated["service"] == 1
    assert (Service.objects.count(), Organization.objects.count(), Location.objects.count()) == (
        counts
    )


def test_reimport_keeps_the_platform_link_an_admin_set(home_org):
    hsds_io.import_hsds(EXAMPLES / "service_full.json")
    Organization.objects.update(platform_organisation=home_org)

    hsds_io.import_hsds(EXAMPLES / "service_full.json")

    assert Organization.objects.get().platform_organisation == home_org


def test_import_is_audited_once_with_the_counts():
    before = AuditEvent.objects.filter(action="directory.import").count()
    hsds_io.import_hsds(EXAMPLES / "service_full.json")
    event = AuditEvent.objects.filter(action="directory.import").latest("seq")
    assert AuditEvent.objects.filter(action="directory.import").count() == before + 1
    assert event.context == {"created": 3, "updated": 0, "rejected": 0}


# --- bad input ------------------------------------------------------------------------------


def test_broken_json_is_refused_with_its_position(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"id": ')
    with pytest.raises(ValidationFailed) as error:
        hsds_io.import_hsds(path)
    assert error.value.field == "file"
    assert "line 1" in error.value.detail
    assert Service.objects.count() == 0


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path, settings):
    settings.RECLAIM_HSDS_MAX_IMPORT_BYTES = 1000
    path = write_json(tmp_path, [our_service(description="x" * 2000)])
    with pytest.raises(ValidationFailed) as error:
        hsds_io.import_hsds(path)
    assert "the limit is" in error.value.detail
    assert Service.objects.count() == 0


def test_a_zip_that_unpacks_over_the_limit_is_refused(settings, org_admin):
    settings.RECLAIM_HSDS_MAX_IMPORT_BYTES = 5000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datapackage.json", "{}")
        archive.writestr("services.csv", "id,name,status\n" + "a" * 100_000)
    upload = SimpleUploadedFile("dir.zip", buffer.getvalue())
    assert upload.size < 5000
    with pytest.raises(ValidationFailed, match="the limit is"):
        hsds_io.import_hsds_upload(upload, by=org_admin)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"name": 42}, "name: 42 is not of type 'string'"),
        ({"status": "open"}, "status: 'open' is not one of"),
        ({"minimum_age": "twelve"}, "minimum_age: 'twelve' is not of type 'number'"),
        ({"minimum_age": 30, "maximum_age": 18}, "minimum_age: is above maximum_age"),
        ({"id": "not-a-uuid"}, "id: 'not-a-uuid' is not a UUID"),
        ({"description": "bad\x00byte"}, "description: contains a NUL byte"),
        ({"organization_id": str(uuid.uuid4())}, "organization_id: "),
    ],
)
def test_invalid_records_are_rejected_with_the_field_and_the_rest_imported(
    tmp_path, change, reason
):
    good = our_service()
    bad = our_service(**change)
    summary = hsds_io.import_hsds(write_json(tmp_path, [bad, good]))

    assert len(summary.rejected) == 1
    assert reason in summary.rejected[0].reason
    assert list(Service.objects.values_list("pk", flat=True)) == [uuid.UUID(good["id"])]


def test_missing_required_fields_are_rejected(tmp_path):
    document = our_service()
    del document["status"]
    document["service_at_locations"] = []
    summary = hsds_io.import_hsds(write_json(tmp_path, [document]))
    assert summary.rejected[0].reason == "service: 'status' is a required property"
    assert Service.objects.count() == 0


def test_unknown_service_type_in_our_taxonomy_is_rejected(tmp_path):
    document = our_service()
    document["attributes"][0]["taxonomy_term"]["code"] = "astrology"
    summary = hsds_io.import_hsds(write_json(tmp_path, [document]))
    assert summary.rejected[0].reason == "attributes.0: unknown service type 'astrology'"
    assert Service.objects.count() == 0


def test_duplicate_ids_in_one_file_keep_the_first_and_reject_the_second(tmp_path):
    first = our_service(name="First")
    second = our_service(id=first["id"], name="Second")
    summary = hsds_io.import_hsds(write_json(tmp_path, [first, second]))
    assert Service.objects.get().name == "First"
    assert "appears twice" in summary.rejected[0].reason


def test_a_rejected_record_leaves_nothing_half_imported(tmp_path):
    # The organisation and location are valid; the service-at-location id is not.
    document = example("service_full.json")
    document["service_at_locations"][0]["id"] = "nope"
    summary = hsds_io.import_hsds(write_json(tmp_path, [document]))
    assert len(summary.rejected) == 1
    assert (Service.objects.count(), Organization.objects.count(), Location.objects.count()) == (
        0,
        0,
        0,
    )


def test_reclaim_attributes_are_read_into_columns(tmp_path):
    document = our_service()
    hsds_io.import_hsds(write_json(tmp_path, [document]))
    service = Service.objects.get()
    assert service.capacity_available == 4
    assert [row.code for row in service.service_types.all()] == ["safe_housing"]


def test_upload_needs_a_directory_editor(caseworker):
    upload = SimpleUploadedFile("dir.json", json.dumps([our_service()]).encode())
    with pytest.raises(Forbidden):
        hsds_io.import_hsds_upload(upload, by=caseworker)
    assert Service.objects.count() == 0


def test_upload_of_a_zipped_datapackage_imports(org_admin):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in (EXAMPLES / "csv").iterdir():
            archive.write(path, f"nested/{path.name}")
    summary = hsds_io.import_hsds_upload(
        SimpleUploadedFile("dir.zip", buffer.getvalue()), by=org_admin
    )
    assert summary.created["service"] == 1


# --- export ---------------------------------------------------------------------------------


def test_json_export_validates_against_the_official_service_schema(tmp_path):
    hsds_io.import_hsds(EXAMPLES / "service_full.json")
    hsds_io.import_hsds(EXAMPLES / "csv")
    make_service(
        name="Refugio",
        types=("safe_housing", "counseling"),
        languages=("es",),
        latitude=40.4,
        longitude=-3.7,
        survivor_led=True,
        capacity_available=2,
        gender_eligibility="women",
    )
    out = tmp_path / "export.json"

    call_command("export_hsds", str(out), format="json", stdout=io.StringIO())

    documents = json.loads(out.read_text())
    assert len(documents) == 2
    for document in documents:
        assert hsds.schema_errors("service", document) == []


def test_exported_json_reimports_to_the_same_export(tmp_path):
    hsds_io.import_hsds(EXAMPLES / "service_full.json")
    make_service(name="Refugio", types=("counseling",), languages=("es",), survivor_led=True)
    first = hsds_io.export_services()
    write_json(tmp_path, first, "first.json")

    summary = hsds_io.import_hsds(tmp_path / "first.json")

    assert summary.rejected == []
    assert hsds_io.export_services() == first


def test_csv_export_has_the_official_tables_and_round_trips(tmp_path):
    hsds_io.import_hsds(EXAMPLES / "service_full.json")
    make_service(name="Refugio", types=("counseling",), languages=("es",), latitude=1, longitude=2)
    before = hsds_io.export_services()

    call_command("export_hsds", str(tmp_path / "csv"), format="csv", stdout=io.StringIO())

    package = json.loads((tmp_path / "csv" / "datapackage.json").read_text())
    for resource in package["resources"]:
        with (tmp_path / "csv" / resource["path"]).open() as handle:
            rows = list(csv.DictReader(handle))
            header = list(rows[0]) if rows else None
        fields = resource["schema"]["fields"]
        if header is not None:
            assert header == [spec["name"] for spec in fields]
        for row in rows:
            for spec in fields:
                if spec.get("constraints", {}).get("required"):
                    assert row[spec["name"]], (resource["name"], spec["name"])
                if "enum" in spec.get("constraints", {}) and row[spec["name"]]:
                    assert row[spec["name"]] in spec["constraints"]["enum"]
    Service.objects.all().delete()
    summary = hsds_io.import_hsds(tmp_path / "csv")
    # Only the upstream example's dangling parents (in no package) are reported again.
    upstream_parents = ("parent_organization_id cd09a387", "parent_id 0bc248fa")
    assert len(summary.rejected) == 2
    assert all(any(p in item.reason for p in upstream_parents) for item in summary.rejected)
    after = hsds_io.export_services()
    assert [doc["id"] for doc in after] == [doc["id"] for doc in before]
    for document in after:
        assert hsds.schema_errors("service", document) == []


def test_import_command_prints_the_summary(capsys):
    out = io.StringIO()
    call_command("import_hsds", str(EXAMPLES / "csv"), stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "service: 1 created, 0 updated" in text
    assert "rejected:" in text


def test_service_documents_do_not_share_mutable_state():
    make_service(name="A")
    first = hsds_io.export_services()
    copy.deepcopy(first)[0]["attributes"].clear()
    assert hsds_io.export_services() == first
