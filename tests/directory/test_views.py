"""Directory pages: search, detail, capacity, edit, import, Find services, and /hsds/."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reclaim.care import services as care_services
from reclaim.core.models import AuditEvent
from reclaim.directory import hsds
from reclaim.directory.models import Service
from tests.directory.factories import DirectoryOrganizationFactory, make_service

EXAMPLES = Path(__file__).parent / "data" / "hsds-3.0" / "examples"


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
        gender_eligibility="women",
        capacity_available=2,
        capacity_unit="beds",
    )


@pytest.fixture
def men_only():
    return make_service(name="Men's shelter", types=("safe_housing",), gender_eligibility="men")


# --- search and detail ----------------------------------------------------------------------


def test_search_page_lists_matching_services(login, caseworker, shelter, men_only):
    response = login(caseworker).get("/directory/", {"q": "refugio"})
    assert response.status_code == 200
    assert b"Refugio Luz" in response.content
    assert b"Men&#x27;s shelter" not in response.content


def test_search_page_says_when_more_services_match_than_it_lists(
    login, caseworker, shelter, monkeypatch
):
    from reclaim.directory.services import search

    make_service(name="Luz del Norte")
    monkeypatch.setattr(search, "COUNT_LIMIT", 1)
    page = login(caseworker).get("/directory/", {"q": "luz"}).content.decode()
    assert "Services (more than 1)" in page
    assert "Only the first 1 can be listed" in page
    monkeypatch.setattr(search, "COUNT_LIMIT", 2)
    page = login(caseworker).get("/directory/", {"q": "luz"}).content.decode()
    assert "Services (2)" in page and "more than" not in page


def test_htmx_search_returns_only_the_form_and_results(login, caseworker, shelter):
    response = login(caseworker).get("/directory/", {"q": "luz"}, headers={"HX-Request": "true"})
    assert b"<html" not in response.content
    assert b'id="directory-search"' in response.content
    assert "HX-Request" in response["Vary"]


def test_search_form_errors_are_shown_next_to_the_field(login, caseworker, shelter):
    response = login(caseworker).get("/directory/", {"latitude": "40"})
    assert response.status_code == 422
    assert b"Give both latitude and longitude" in response.content


def test_detail_page_shows_eligibility_and_capacity(login, caseworker, shelter):
    response = login(caseworker).get(f"/directory/services/{shelter.pk}/")
    assert response.status_code == 200
    assert b"Women only" in response.content
    # A caseworker may not report this provider's capacity.
    assert b"Report open places" not in response.content


def test_provider_staff_report_capacity_and_it_is_audited(login, partner_staff, shelter):
    response = login(partner_staff).post(
        f"/directory/services/{shelter.pk}/capacity/", {"available": "0"}
    )
    assert response.status_code == 302
    shelter.refresh_from_db()
    assert shelter.capacity_available == 0
    assert shelter.capacity_updated_at is not None
    event = AuditEvent.objects.filter(action="directory.capacity.update").latest("seq")
    assert event.target_id == str(shelter.pk)


def test_other_staff_cannot_report_capacity(login, caseworker, shelter):
    response = login(caseworker).post(
        f"/directory/services/{shelter.pk}/capacity/", {"available": "9"}
    )
    assert response.status_code == 403
    shelter.refresh_from_db()
    assert shelter.capacity_available == 2


# --- editing --------------------------------------------------------------------------------


def _form(service, **changes):
    data = {
        "name": service.name,
        "status": "active",
        "service_types": ["safe_housing"],
        "languages": "es, en",
        "gender_eligibility": "women",
        "capacity_unit": "beds",
        "free_of_charge": "unknown",
    }
    data.update(changes)
    return data


def test_admin_edits_a_service_and_the_change_is_audited(login, org_admin, shelter, home_org):
    data = _form(shelter, name="Refugio Luz Norte", survivor_led="on")
    data["platform_organisation"] = str(home_org.pk)
    response = login(org_admin).post(f"/directory/services/{shelter.pk}/edit/", data)
    assert response.status_code == 302
    shelter.refresh_from_db()
    assert shelter.name == "Refugio Luz Norte"
    assert shelter.survivor_led is True
    assert sorted(shelter.languages.values_list("code", flat=True)) == ["en", "es"]
    assert shelter.organization.platform_organisation == home_org
    event = AuditEvent.objects.filter(action="directory.service.update").latest("seq")
    assert "name" in event.fields
    assert "Refugio" not in json.dumps(event.context)


def test_invalid_edit_shows_the_error_and_saves_nothing(login, org_admin, shelter):
    data = _form(shelter, name="Changed", minimum_age="30", maximum_age="18")
    response = login(org_admin).post(f"/directory/services/{shelter.pk}/edit/", data)
    assert response.status_code == 422
    assert b"above the maximum age" in response.content
    shelter.refresh_from_db()
    assert shelter.name == "Refugio Luz"


def test_caseworker_cannot_edit(login, caseworker, shelter):
    response = login(caseworker).post(
        f"/directory/services/{shelter.pk}/edit/", _form(shelter, name="Hijacked")
    )
    assert response.status_code == 403
    shelter.refresh_from_db()
    assert shelter.name == "Refugio Luz"


def test_admin_adds_a_service(login, org_admin):
    data = _form(Service(name="New clinic"), service_types=["medical"], gender_eligibility="all")
    response = login(org_admin).post("/directory/services/new/", data)
    assert response.status_code == 302
    assert Service.objects.get(name="New clinic").service_types.get().code == "medical"


def test_import_page_shows_created_and_rejected(login, org_admin):
    documents = [
        json.loads((EXAMPLES / "service_full.json").read_text()),
        {"id": "not-a-uuid", "name": "Broken", "status": "active"},
    ]
    upload = SimpleUploadedFile("directory.json", json.dumps(documents).encode())
    response = login(org_admin).post("/directory/import/", {"file": upload})
    assert response.status_code == 200
    assert b"is not a UUID" in response.content
    assert Service.objects.filter(name="Community Counselling").exists()


def test_import_page_refuses_broken_json_next_to_the_field(login, org_admin):
    upload = SimpleUploadedFile("directory.json", b"{nope")
    response = login(org_admin).post("/directory/import/", {"file": upload})
    assert response.status_code == 422
    assert b"is not valid JSON" in response.content


# --- find services --------------------------------------------------------------------------


def test_find_services_prefills_needs_from_the_latest_assessment(
    login, caseworker, survivor, shelter
):
    care_services.record_assessment(survivor, by=caseworker, scores={"housing": 1, "employment": 4})
    response = login(caseworker).get(f"/directory/find/{survivor.pk}/")
    assert response.status_code == 200
    assert response.context["form"].initial["needs"] == ["housing"]


def test_find_services_ranks_with_reasons_and_refer_links(
    login, caseworker, survivor, shelter, men_only
):
    response = login(caseworker).post(
        f"/directory/find/{survivor.pk}/",
        {"needs": ["housing"], "languages": "es", "gender": "woman"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "speaks Spanish" in content
    assert "2 beds available" in content
    assert f"/referrals/new/?survivor={survivor.pk}&amp;service={shelter.pk}" in content
    assert "Men&#x27;s shelter</a>: men only" in content
    assert AuditEvent.objects.filter(action="directory.match", subject_id=survivor.pk).exists()


def test_find_services_for_someone_elses_survivor_is_not_found(login, outsider, survivor):
    response = login(outsider).post(f"/directory/find/{survivor.pk}/", {"needs": ["housing"]})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="directory.match").exists()


# --- the public HSDS API --------------------------------------------------------------------


def test_hsds_services_page_has_the_hsds_shape_without_login(client, shelter, men_only):
    response = client.get("/hsds/services", {"per_page": 1, "page": 2})
    body = response.json()
    assert response.status_code == 200
    assert {key: body[key] for key in ("total_items", "total_pages", "page_number", "size")} == {
        "total_items": 2,
        "total_pages": 2,
        "page_number": 2,
        "size": 1,
    }
    assert body["last_page"] is True
    assert hsds.schema_errors("service", body["contents"][0]) == []


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [document["name"] for document in response.json()["contents"]]


def test_hsds_search_finds_services_by_their_words_without_login(client, shelter, men_only):
    response = client.get("/hsds/services", {"search": "refugio"})
    assert _names(response) == ["Refugio Luz"]
    body = response.json()
    assert (body["total_items"], body["total_pages"]) == (1, 1)
    document = body["contents"][0]
    assert hsds.schema_errors("service", document) == []
    # Safe housing stays unpublished on the search path too.
    assert "latitude" not in document["service_at_locations"][0]["location"]
    assert _names(client.get("/hsds/services", {"search": "shelter"})) == ["Men's shelter"]
    assert _names(client.get("/hsds/services", {"search": "nothing-like-it"})) == []


def test_hsds_filters_by_organization_and_by_modification_time(client, shelter, men_only):
    by_provider = {"organization_id": str(shelter.organization_id)}
    assert _names(client.get("/hsds/services", by_provider)) == ["Refugio Luz"]
    assert _names(client.get("/hsds/services", {**by_provider, "search": "shelter"})) == []
    since = shelter.updated_at - datetime.timedelta(minutes=1)
    after = men_only.updated_at + datetime.timedelta(minutes=1)
    assert _names(client.get("/hsds/services", {"modified_after": since.isoformat()})) == [
        "Men's shelter",
        "Refugio Luz",
    ]
    assert _names(client.get("/hsds/services", {"modified_after": after.isoformat()})) == []


@pytest.mark.parametrize(
    ("name", "value"), [("organization_id", "not-an-id"), ("modified_after", "yesterday")]
)
def test_hsds_bad_filters_are_a_400_naming_the_parameter(client, name, value):
    response = client.get("/hsds/services", {name: value})
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{name}:")


def test_hsds_never_publishes_where_safe_housing_is(client, shelter):
    document = client.get(f"/hsds/services/{shelter.pk}").json()
    location = document["service_at_locations"][0]["location"]
    assert "latitude" not in location
    assert "longitude" not in location
    assert hsds.schema_errors("service", document) == []


def test_hsds_bad_paging_is_a_400(client):
    assert client.get("/hsds/services", {"per_page": "1000"}).status_code == 400
    assert client.get("/hsds/services", {"page": "x"}).status_code == 400


def test_hsds_organization_and_missing_ids(client, shelter):
    organization = client.get(f"/hsds/organizations/{shelter.organization_id}").json()
    assert organization["name"] == "Casa Luz"
    assert hsds.schema_errors("organization", organization) == []
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/hsds/services/{missing}").status_code == 404


def test_a_page_past_the_end_shows_the_last_page(login, caseworker, shelter):
    response = login(caseworker).get("/directory/", {"page": "9"})
    assert response.status_code == 200
    assert b"Refugio Luz" in response.content


def test_find_services_shows_the_best_and_says_how_many_fit_and_were_left_out(
    login, caseworker, survivor
):
    from reclaim.directory.services.service_matching import MATCH_LIMIT

    for number in range(MATCH_LIMIT + 2):
        make_service(name=f"Shelter {number:02}")
    for number in range(MATCH_LIMIT + 1):
        make_service(name=f"Men's house {number:02}", gender_eligibility="men")
    response = login(caseworker).post(
        f"/directory/find/{survivor.pk}/", {"needs": ["housing"], "gender": "woman"}
    )
    content = response.content.decode()
    assert f"The best {MATCH_LIMIT} of {MATCH_LIMIT + 2} services that fit." in content
    assert f"{MATCH_LIMIT + 1} services left out; these {MATCH_LIMIT} came closest:" in content
    assert content.count("/referrals/new/") + content.count("does not receive referrals") == (
        MATCH_LIMIT
    )
