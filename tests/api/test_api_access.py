"""Who may call what: persona x route denials, token kinds, sessions, MFA and CSRF."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from reclaim.core.models import AccessToken, AuditEvent
from reclaim.core.services import revoke_access_token
from reclaim.survivors import services
from reclaim.survivors.models import Case, Consent, SafeContactPreference, Survivor
from tests.api.conftest import enable_mfa

URL = "/api/v1/survivors/"

# Every route that names one survivor, with a body that would succeed for the case manager.
SURVIVOR_ROUTES = [
    ("get", "{id}", None),
    ("patch", "{id}", {"alias": "Changed"}),
    ("get", "{id}/contact-preferences", None),
    ("put", "{id}/contact-preferences/phone_call", {"may_contact": True}),
    ("get", "{id}/cases", None),
    ("get", "{id}/consents", None),
    (
        "post",
        "{id}/consents",
        {
            "recipient_id": "{partner}",
            "purpose": "referral",
            "categories": ["contact"],
            "method": "written",
        },
    ),
    ("get", "{id}/audit", None),
    ("post", "{id}/erase", {"reason": "survivor request"}),
]


def _fill(value, survivor, partner_org):
    if isinstance(value, str):
        return value.replace("{id}", str(survivor.pk)).replace("{partner}", str(partner_org.pk))
    if isinstance(value, dict):
        return {key: _fill(item, survivor, partner_org) for key, item in value.items()}
    return value


def _snapshot(survivor):
    return (
        services.read_profile(Survivor.objects.get(pk=survivor.pk)),
        list(Case.objects.filter(survivor=survivor).values("status", "assigned_to")),
        Consent.objects.count(),
        SafeContactPreference.objects.count(),
    )


@pytest.mark.parametrize("persona", ["outsider", "other_caseworker", "partner_staff"])
@pytest.mark.parametrize(("method", "path", "body"), SURVIVOR_ROUTES)
def test_survivor_outside_scope_answers_404_and_the_denial_is_audited(
    request, call, bearer, survivor, partner_org, persona, method, path, body
):
    user = request.getfixturevalue(persona)
    headers = bearer(user)
    before = _snapshot(survivor)
    response = call(
        method,
        URL + _fill(path, survivor, partner_org),
        _fill(body, survivor, partner_org),
        headers,
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert survivor.reference not in response.content.decode()
    denial = AuditEvent.objects.filter(action="access.denied", actor_id=user.pk).get()
    assert denial.target_id == str(survivor.pk)
    assert _snapshot(survivor) == before


@pytest.mark.parametrize("persona", ["outsider", "other_caseworker"])
def test_case_of_another_caseload_answers_404_and_is_audited(
    request, call, bearer, survivor, persona
):
    user = request.getfixturevalue(persona)
    case = survivor.cases.get()
    response = call("patch", f"{URL}cases/{case.pk}", {"status": "FollowUp"}, bearer(user))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(
        action="access.denied", actor_id=user.pk, target_id=str(case.pk)
    ).exists()
    case.refresh_from_db()
    assert case.status == "Active"


@pytest.mark.parametrize("persona", ["outsider", "other_caseworker"])
def test_consent_of_another_caseload_cannot_be_revoked(
    request, call, bearer, caseworker, survivor, partner_org, persona
):
    consent = services.record_consent(
        survivor,
        by=caseworker,
        recipient=partner_org,
        purpose="referral",
        categories=["contact"],
        method="written",
    )
    user = request.getfixturevalue(persona)
    response = call("post", f"{URL}consents/{consent.pk}/revoke", headers=bearer(user))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(
        action="access.denied", actor_id=user.pk, target_id=str(consent.pk)
    ).exists()
    consent.refresh_from_db()
    assert consent.revoked_at is None


WRITES = [
    ("post", "", {"alias": "New"}),
    *[route for route in SURVIVOR_ROUTES if route[0] != "get"],
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_read_only_token_cannot_write_and_changes_nothing(
    call, bearer, caseworker, survivor, partner_org, method, path, body
):
    headers = bearer(caseworker, can_write=False)
    before = (_snapshot(survivor), Survivor.objects.count(), AuditEvent.objects.count())
    response = call(
        method,
        URL + _fill(path, survivor, partner_org),
        _fill(body, survivor, partner_org),
        headers,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert (_snapshot(survivor), Survivor.objects.count(), AuditEvent.objects.count()) == before


def test_staff_without_a_caseload_role_cannot_open_records(call, bearer, partner_staff):
    response = call("post", URL, {"alias": "New"}, bearer(partner_staff))
    assert response.status_code == 403
    assert not Survivor.objects.exists()
    assert AuditEvent.objects.filter(action="access.denied", actor_id=partner_staff.pk).exists()


def test_case_manager_cannot_see_the_break_glass_review_queue(call, bearer, caseworker):
    response = call("get", f"{URL}break-glass", headers=bearer(caseworker))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_read_only_token_can_read(call, bearer, caseworker, survivor):
    response = call("get", f"{URL}{survivor.pk}", headers=bearer(caseworker, can_write=False))
    assert response.status_code == 200


def test_expired_token_answers_401(call, bearer, caseworker, survivor):
    headers = bearer(caseworker)
    AccessToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = call("get", f"{URL}{survivor.pk}", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_revoked_token_answers_401(call, bearer, caseworker, survivor):
    headers = bearer(caseworker)
    revoke_access_token(AccessToken.objects.get().pk, by=caseworker)
    response = call("get", f"{URL}{survivor.pk}", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "header", ["", "Bearer ", "Bearer rcl_not-a-token", "Basic Y2FzZXdvcmtlcg=="]
)
def test_missing_or_unknown_credentials_answer_401(call, survivor, header):
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    response = call("get", f"{URL}{survivor.pk}", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert not AuditEvent.objects.filter(action="survivor.view").exists()


def test_staff_session_with_mfa_may_use_the_api(client, caseworker, survivor):
    enable_mfa(caseworker)
    client.force_login(caseworker)
    response = client.get(f"{URL}{survivor.pk}")
    assert response.status_code == 200
    assert response.json()["alias"] == "Marisol"


def test_staff_session_without_mfa_is_blocked(client, caseworker, survivor):
    client.force_login(caseworker)
    response = client.get(f"{URL}{survivor.pk}")
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
    assert not AuditEvent.objects.filter(action="survivor.view").exists()


def test_session_writes_need_the_csrf_token(caseworker, survivor):
    enable_mfa(caseworker)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(caseworker)
    url = f"{URL}{survivor.pk}"
    refused = browser.patch(url, {"alias": "Changed"}, content_type="application/json")
    assert refused.status_code == 403
    assert services.read_profile(Survivor.objects.get(pk=survivor.pk))["alias"] == "Marisol"
    secret = "a" * 32
    browser.cookies["csrftoken"] = secret
    accepted = browser.patch(
        url, {"alias": "Changed"}, content_type="application/json", HTTP_X_CSRFTOKEN=secret
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["alias"] == "Changed"


def test_read_only_token_may_search_because_search_is_a_read(call, bearer, caseworker, survivor):
    headers = bearer(caseworker, can_write=False)
    response = call("post", "/api/v1/survivors/search", {"query": survivor.reference}, headers)
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == [str(survivor.pk)]
