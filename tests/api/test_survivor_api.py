"""The survivor record through the JSON API, as a case manager's integration would use it."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from reclaim.core.models import AuditEvent
from reclaim.survivors import services
from reclaim.survivors.models import Case, Consent, Survivor
from tests.factories import make_survivor

URL = "/api/v1/survivors/"


@pytest.fixture
def cw(bearer, caseworker):
    return bearer(caseworker)


def test_case_manager_creates_reads_patches_and_manages_consent(call, cw, caseworker, partner_org):
    created = call(
        "post",
        URL,
        {
            "alias": "Luz",
            "legal_name": "Luz Ortega Ríos",
            "date_of_birth": "1990-05-01",
            "gender": "Feminine",
            "languages": ["spa", "en"],
            "citizenship": ["mx"],
            "pronouns": "she/her",
        },
        cw,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    survivor_id = uuid.UUID(body["id"])
    assert body["alias"] == "Luz"
    assert body["legal_name"] == "Luz Ortega Ríos"
    assert body["languages"] == ["es", "en"]
    assert body["citizenship"] == ["MX"]
    assert body["intake_date"] == timezone.localdate().isoformat()
    assert body["reference"].startswith("R-")
    case = Case.objects.get(survivor_id=survivor_id)
    assert case.assigned_to == caseworker

    read = call("get", f"{URL}{survivor_id}", headers=cw)
    assert read.status_code == 200
    assert read.json()["date_of_birth"] == "1990-05-01"
    assert read.json()["gender"] == "Feminine"

    patched = call("patch", f"{URL}{survivor_id}", {"phone": "+1 555 0199", "pronouns": None}, cw)
    assert patched.status_code == 200, patched.content
    assert patched.json()["phone"] == "+1 555 0199"
    assert patched.json()["pronouns"] is None
    assert patched.json()["alias"] == "Luz"  # fields left out are kept
    update = AuditEvent.objects.filter(action="survivor.update", subject_id=survivor_id).get()
    assert update.fields == ["phone", "pronouns"]

    recorded = call(
        "post",
        f"{URL}{survivor_id}/consents",
        {
            "recipient_id": str(partner_org.pk),
            "purpose": "referral",
            "categories": ["contact", "identity"],
            "method": "written",
        },
        cw,
    )
    assert recorded.status_code == 201, recorded.content
    consent = recorded.json()
    assert consent["state"] == "active"
    assert consent["categories"] == ["contact", "identity"]
    assert consent["recipient_name"] == "Justice Legal Aid"
    assert "Justice Legal Aid" in consent["summary"]
    assert services.allows(survivor_id, partner_org, ["identity"], "referral")

    listed = call("get", f"{URL}{survivor_id}/consents", headers=cw)
    assert [row["id"] for row in listed.json()] == [consent["id"]]

    revoked = call("post", f"{URL}consents/{consent['id']}/revoke", headers=cw)
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["state"] == "revoked"
    assert revoked.json()["revoked_at"] is not None
    assert not services.allows(survivor_id, partner_org, ["identity"], "referral")

    again = call("post", f"{URL}consents/{consent['id']}/revoke", headers=cw)
    assert again.status_code == 422
    assert again.json()["detail"].startswith("consent:")


def test_responses_never_carry_ciphertext(call, cw, survivor):
    raw = Survivor.objects.filter(pk=survivor.pk).values_list("legal_name", flat=True).get()
    response = call("get", f"{URL}{survivor.pk}", headers=cw)
    assert response.status_code == 200
    assert bytes(raw).hex() not in response.content.decode()
    assert response.json()["legal_name"] == "Marisol Quintero Vega"
    assert set(response.json()) >= {"id", "reference", "alias", "legal_name", "date_of_birth"}


def test_consent_summary_speaks_the_requested_language(
    call, cw, survivor, partner_org, monkeypatch
):
    consent = services.record_consent(
        survivor,
        by=survivor.cases.get().assigned_to,
        recipient=partner_org,
        purpose="referral",
        categories=["contact"],
        method="written",
    )
    asked = []
    real = services.consent_summary
    monkeypatch.setattr(
        services,
        "consent_summary",
        lambda c, language="en": asked.append(language) or real(c, language),
    )
    response = call("get", f"{URL}{survivor.pk}/consents?lang=es", headers=cw)
    assert response.status_code == 200
    assert response.json()[0]["id"] == str(consent.pk)
    assert asked == ["es"]
    refused = call("get", f"{URL}{survivor.pk}/consents?lang=fr", headers=cw)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("lang:")


def test_verbal_consent_without_witness_is_refused_naming_the_field(
    call, cw, survivor, partner_org
):
    response = call(
        "post",
        f"{URL}{survivor.pk}/consents",
        {
            "recipient_id": str(partner_org.pk),
            "purpose": "referral",
            "categories": ["contact"],
            "method": "verbal_witnessed",
        },
        cw,
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("witness_name:")
    assert not Consent.objects.exists()


def test_caseload_pages_with_a_maximum(call, cw, caseworker, home_org):
    for alias in ("Ana", "Bea", "Cleo"):
        make_survivor(caseworker, home_org, alias=alias, legal_name=alias)
    first = call("get", f"{URL}?limit=2", headers=cw).json()
    second = call("get", f"{URL}?limit=2&offset=2", headers=cw).json()
    assert len(first["items"]) == 2
    assert first["has_more"] is True
    assert len(second["items"]) == 1
    assert second["has_more"] is False
    assert {row["alias"] for row in first["items"] + second["items"]} == {"Ana", "Bea", "Cleo"}
    too_many = call("get", f"{URL}?limit=101", headers=cw)
    assert too_many.status_code == 422
    assert too_many.json()["detail"].startswith("limit:")


def test_caseload_mine_only_false_shows_the_teams_records(
    call, bearer, caseworker, teammate, home_org
):
    make_survivor(teammate, home_org, alias="Teammate's")
    token = bearer(caseworker)
    mine = call("get", URL, headers=token).json()["items"]
    team = call("get", f"{URL}?mine_only=false", headers=token).json()["items"]
    assert mine == []
    assert [row["alias"] for row in team] == ["Teammate's"]


def test_search_finds_by_alias_and_lists_outside_caseload_references(
    call, bearer, survivor, other_caseworker
):
    found = call(
        "post", f"{URL}search", {"query": "Marisol"}, bearer(survivor.cases.get().assigned_to)
    )
    assert found.status_code == 200
    assert [row["id"] for row in found.json()["results"]] == [str(survivor.pk)]
    other = call("post", f"{URL}search", {"query": "Marisol"}, bearer(other_caseworker)).json()
    assert other == {"results": [], "outside_caseload": [survivor.reference]}


def test_duplicate_check_answers_references_only(call, cw, survivor):
    response = call(
        "post",
        f"{URL}duplicate-check",
        {"legal_name": "marisol quintero vega", "date_of_birth": "1994-03-14"},
        cw,
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"possible_duplicates": [survivor.reference]}


def test_supervisor_creates_and_assigns_to_a_case_manager(call, bearer, supervisor, caseworker):
    response = call(
        "post", URL, {"alias": "Noor", "assign_to": str(caseworker.pk)}, bearer(supervisor)
    )
    assert response.status_code == 201, response.content
    assert Case.objects.get(survivor_id=response.json()["id"]).assigned_to == caseworker


def test_assigning_to_someone_outside_the_organisation_is_refused(
    call, bearer, supervisor, outsider
):
    response = call(
        "post", URL, {"alias": "Noor", "assign_to": str(outsider.pk)}, bearer(supervisor)
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("assign_to:")
    assert not Survivor.objects.exists()


def test_contact_preference_is_set_and_listed(call, cw, survivor):
    url = f"{URL}{survivor.pk}/contact-preferences"
    put = call("put", f"{url}/text_message", {"may_contact": True, "safe_times": "after 6pm"}, cw)
    assert put.status_code == 200, put.content
    assert put.json()["vague_only"] is True
    listed = call("get", url, headers=cw).json()
    assert [(row["channel"], row["may_contact"], row["safe_times"]) for row in listed] == [
        ("text_message", True, "after 6pm")
    ]
    unknown = call("put", f"{url}/pigeon", {"may_contact": True}, cw)
    assert unknown.status_code == 422
    assert unknown.json()["detail"].startswith("channel:")


def test_closing_a_case_needs_a_reason_and_then_closes_it(call, cw, survivor):
    case = survivor.cases.get()
    url = f"{URL}cases/{case.pk}"
    refused = call("patch", url, {"status": "Closed"}, cw)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("closure_reason:")
    case.refresh_from_db()
    assert case.status == "Active"
    closed = call("patch", url, {"status": "Closed", "closure_reason": "GoalsMet"}, cw)
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "Closed"
    assert closed.json()["closed_on"] == timezone.localdate().isoformat()
    cases = call("get", f"{URL}{survivor.pk}/cases", headers=cw).json()
    assert [row["status"] for row in cases] == ["Closed"]


def test_case_trafficking_details_are_recorded_but_never_required(call, cw, survivor):
    case = survivor.cases.get()
    response = call(
        "patch",
        f"{URL}cases/{case.pk}",
        {
            "exploitation_types": ["SexualExploitation", "ForcedLabour"],
            "control_methods": ["DebtBondage"],
            "trafficking_status": None,
        },
        cw,
    )
    assert response.status_code == 200, response.content
    assert response.json()["exploitation_types"] == ["ForcedLabour", "SexualExploitation"]
    assert response.json()["control_methods"] == ["DebtBondage"]
    assert response.json()["trafficking_status"] is None


def test_erased_record_answers_410(call, bearer, org_admin, survivor):
    admin = bearer(org_admin)
    erased = call("post", f"{URL}{survivor.pk}/erase", {"reason": "survivor request"}, admin)
    assert erased.status_code == 200, erased.content
    assert erased.json()["erased_at"] is not None
    gone = call("get", f"{URL}{survivor.pk}", headers=admin)
    assert gone.status_code == 410
    assert gone.json()["code"] == "erased"


def test_case_manager_may_not_erase(call, cw, survivor):
    response = call("post", f"{URL}{survivor.pk}/erase", {"reason": "survivor request"}, cw)
    assert response.status_code == 403
    survivor.refresh_from_db()
    assert survivor.erased_at is None


def test_supervisor_reads_a_records_audit_trail_without_values(call, bearer, supervisor, survivor):
    response = call("get", f"{URL}{survivor.pk}/audit", headers=bearer(supervisor))
    assert response.status_code == 200
    events = response.json()
    assert {"survivor.create", "case.open", "survivor.view"} <= {e["action"] for e in events}
    assert set(events[0]) == {
        "seq",
        "at",
        "actor_id",
        "action",
        "target_type",
        "target_id",
        "fields",
    }
    assert "Marisol" not in response.content.decode()


def test_case_manager_may_not_read_the_audit_trail(call, cw, survivor):
    assert call("get", f"{URL}{survivor.pk}/audit", headers=cw).status_code == 403


def test_break_glass_opens_a_record_for_review(
    call, bearer, other_caseworker, supervisor, survivor
):
    token = bearer(other_caseworker)
    assert call("get", f"{URL}{survivor.pk}", headers=token).status_code == 404
    opened = call(
        "post",
        f"{URL}break-glass",
        {
            "reference": survivor.reference,
            "reason": "Survivor called the hotline in crisis tonight",
        },
        token,
    )
    assert opened.status_code == 201, opened.content
    assert opened.json() == {"survivor_id": str(survivor.pk)}
    assert call("get", f"{URL}{survivor.pk}", headers=token).status_code == 200

    supervisor_token = bearer(supervisor)
    queue = call("get", f"{URL}break-glass", headers=supervisor_token).json()
    assert [(g["survivor_id"], g["user_id"]) for g in queue] == [
        (str(survivor.pk), str(other_caseworker.pk))
    ]
    reviewed = call(
        "post", f"{URL}break-glass/{queue[0]['id']}/review", {"note": "Justified"}, supervisor_token
    )
    assert reviewed.status_code == 200, reviewed.content
    assert reviewed.json()["reviewed_by_id"] == str(supervisor.pk)
    assert call("get", f"{URL}break-glass", headers=supervisor_token).json() == []


def test_break_glass_needs_a_reason(call, bearer, other_caseworker, survivor):
    response = call(
        "post",
        f"{URL}break-glass",
        {"reference": survivor.reference, "reason": "need"},
        bearer(other_caseworker),
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("reason:")


def test_future_intake_date_is_refused(call, cw):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = call("post", URL, {"alias": "Ivy", "intake_date": tomorrow}, cw)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("intake_date:")


def test_member_of_two_organisations_must_name_one(call, bearer, caseworker, partner_org, home_org):
    from reclaim.core.models import Membership

    Membership.objects.create(user=caseworker, organisation=partner_org, role="case_manager")
    token = bearer(caseworker)
    unnamed = call("post", URL, {"alias": "Ivy"}, token)
    assert unnamed.status_code == 422
    assert unnamed.json()["detail"].startswith("organisation_id:")
    named = call("post", URL, {"alias": "Ivy", "organisation_id": str(partner_org.pk)}, token)
    assert named.status_code == 201, named.content
    assert named.json()["organisation_id"] == str(partner_org.pk)
    assert Survivor.objects.get().organisation_id == partner_org.pk
