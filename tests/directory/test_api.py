"""The directory API at /api/v1/directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reclaim.core.models import AuditEvent
from reclaim.directory.models import Organization, Service
from tests.directory.factories import DirectoryOrganizationFactory, make_service

EXAMPLES = Path(__file__).parent / "data" / "hsds-3.0" / "examples"
API = "/api/v1/directory"


@pytest.fixture
def shelter(partner_org):
    provider = DirectoryOrganizationFactory(name="Casa Luz", platform_organisation=partner_org)
    return make_service(
        name="Refugio Luz",
        organization=provider,
        types=("safe_housing",),
        languages=("es",),
        latitude=40.42,
        longitude=-3.70,
        capacity_available=0,
    )


def test_search_returns_a_page_with_distance(login, caseworker, shelter):
    response = login(caseworker).get(
        f"{API}/services", {"q": "luz", "latitude": 40.4168, "longitude": -3.7038}
    )
    body = response.json()
    assert response.status_code == 200
    assert body["total"] == 1
    assert body["items"][0]["name"] == "Refugio Luz"
    assert body["items"][0]["platform_organisation_id"] == str(
        shelter.organization.platform_organisation_id
    )
    assert body["items"][0]["distance_km"] == pytest.approx(0.4, abs=0.1)


def test_word_search_says_when_more_services_match_than_it_counts(
    login, caseworker, shelter, monkeypatch
):
    from reclaim.directory.services import search

    make_service(name="Luz del Norte")
    monkeypatch.setattr(search, "COUNT_LIMIT", 1)
    body = login(caseworker).get(f"{API}/services", {"q": "luz", "limit": 1}).json()
    assert (body["total"], body["more"], len(body["items"])) == (1, True, 1)
    monkeypatch.setattr(search, "COUNT_LIMIT", 2)
    body = login(caseworker).get(f"{API}/services", {"q": "luz"}).json()
    assert (body["total"], body["more"]) == (2, False)


def test_search_with_an_unknown_type_names_the_field(login, caseworker):
    response = login(caseworker).get(f"{API}/services", {"service_type": "astrology"})
    assert response.status_code == 422
    assert response.json()["field"] == "service_type"


def test_match_gives_reasons_as_codes_and_text(login, caseworker, shelter):
    response = login(caseworker).post(
        f"{API}/match",
        {"needs": ["housing"], "languages": ["es"], "needs_open_capacity": True},
        content_type="application/json",
    )
    body = response.json()
    assert response.status_code == 200
    assert body["ranked"] == []
    assert body["excluded"][0]["reasons"] == [{"code": "full", "text": "full"}]


def test_match_with_a_survivor_uses_the_latest_assessment(login, caseworker, survivor, shelter):
    from reclaim.care import services as care_services

    care_services.record_assessment(survivor, by=caseworker, scores={"housing": 2})
    response = login(caseworker).post(
        f"{API}/match", {"survivor_id": str(survivor.pk)}, content_type="application/json"
    )
    assert response.json()["needs"] == ["housing"]


def test_match_for_a_survivor_out_of_scope_is_404(login, other_caseworker, survivor):
    response = login(other_caseworker).post(
        f"{API}/match",
        {"survivor_id": str(survivor.pk), "needs": ["housing"]},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="directory.match").exists()


def test_match_refuses_unknown_needs(login, caseworker):
    response = login(caseworker).post(
        f"{API}/match", {"needs": ["wizardry"]}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["field"] == "needs"


def test_admin_creates_updates_and_deletes_a_service(login, org_admin):
    client = login(org_admin)
    created = client.post(
        f"{API}/services",
        {"name": "Night shelter", "service_types": ["safe_housing"], "languages": ["es"]},
        content_type="application/json",
    )
    assert created.status_code == 201
    service_id = created.json()["id"]
    changed = client.patch(
        f"{API}/services/{service_id}",
        {"survivor_led": True, "gender_eligibility": "women"},
        content_type="application/json",
    )
    assert changed.json()["survivor_led"] is True
    assert changed.json()["service_types"] == ["safe_housing"]
    assert client.delete(f"{API}/services/{service_id}").status_code == 200
    assert not Service.objects.filter(pk=service_id).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"directory.service.create", "directory.service.update"} <= actions
    assert "directory.service.delete" in actions


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service_types": ["astrology"]}, "service_types"),
        ({"minimum_age": 30, "maximum_age": 18}, "minimum_age"),
        ({"status": "open"}, "status"),
        ({"name": ""}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_changes_name_the_field_and_change_nothing(login, org_admin, shelter, body, field):
    response = login(org_admin).patch(
        f"{API}/services/{shelter.pk}", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert field in response.json()["detail"]
    shelter.refresh_from_db()
    assert (shelter.name, shelter.minimum_age, shelter.status) == ("Refugio Luz", None, "active")


def test_caseworker_cannot_create_or_change(login, caseworker, shelter):
    client = login(caseworker)
    assert (
        client.post(f"{API}/services", {"name": "X"}, content_type="application/json").status_code
        == 403
    )
    assert (
        client.patch(
            f"{API}/services/{shelter.pk}", {"name": "X"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert Service.objects.get().name == "Refugio Luz"


def test_provider_staff_update_capacity(login, partner_staff, shelter):
    response = login(partner_staff).put(
        f"{API}/services/{shelter.pk}/capacity",
        {"available": 4, "unit": "beds"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["capacity_available"] == 4
    assert response.json()["capacity_fresh"] is True


def test_admin_links_a_provider_to_a_platform_organisation(login, org_admin, shelter, home_org):
    response = login(org_admin).patch(
        f"{API}/organizations/{shelter.organization_id}",
        {"platform_organisation_id": str(home_org.pk)},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Organization.objects.get(pk=shelter.organization_id).platform_organisation == home_org


def test_import_by_upload_reports_the_summary(login, org_admin):
    upload = SimpleUploadedFile(
        "services.json", (EXAMPLES / "service_list.json").read_bytes(), "application/json"
    )
    response = login(org_admin).post(f"{API}/import", {"file": upload})
    body = response.json()
    assert response.status_code == 200
    assert body["created"]["service"] == 1
    assert body["rejected"] == []


def test_import_without_a_file_names_the_field(login, org_admin):
    response = login(org_admin).post(f"{API}/import")
    assert response.status_code == 422
    assert response.json()["field"] == "file"


def test_service_types_lists_the_taxonomy(login, caseworker):
    body = login(caseworker).get(f"{API}/service-types").json()
    housing = next(item for item in body if item["code"] == "safe_housing")
    assert housing["needs"] == ["housing", "safety"]
    assert json.dumps(body)


def test_match_gives_totals_beside_the_shown_services(login, caseworker, shelter):
    make_service(name="Men's shelter", gender_eligibility="men")
    response = login(caseworker).post(
        f"{API}/match", {"needs": ["housing"], "gender": "woman"}, content_type="application/json"
    )
    body = response.json()
    assert (body["ranked_total"], body["excluded_total"]) == (
        len(body["ranked"]),
        len(body["excluded"]),
    )
    assert body["excluded_total"] == 1 and body["ranked_total"] >= 1
