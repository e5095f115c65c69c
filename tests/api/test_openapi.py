"""The OpenAPI document at /api/v1/openapi.json is complete: every route, named and typed."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.shared_data import rolled_back_afterwards

EXPECTED_OPERATIONS = {
    ("get", "/api/v1/me"): "get_me",
    ("get", "/api/v1/tokens"): "list_tokens",
    ("post", "/api/v1/tokens"): "create_token",
    ("delete", "/api/v1/tokens/{token_id}"): "revoke_token",
    ("post", "/api/v1/sessions/logout-everywhere"): "log_out_everywhere",
    ("get", "/api/v1/audit"): "organisation_audit_trail",
    ("get", "/api/v1/survivors/"): "list_caseload",
    ("post", "/api/v1/survivors/"): "create_survivor",
    ("post", "/api/v1/survivors/search"): "search_survivors",
    ("post", "/api/v1/survivors/duplicate-check"): "check_duplicates",
    ("get", "/api/v1/survivors/break-glass"): "list_break_glass",
    ("post", "/api/v1/survivors/break-glass"): "open_break_glass",
    ("post", "/api/v1/survivors/break-glass/{grant_id}/review"): "review_break_glass",
    ("patch", "/api/v1/survivors/cases/{case_id}"): "update_case",
    ("post", "/api/v1/survivors/consents/{consent_id}/revoke"): "revoke_consent",
    ("get", "/api/v1/survivors/{survivor_id}"): "get_survivor",
    ("patch", "/api/v1/survivors/{survivor_id}"): "update_survivor",
    ("get", "/api/v1/survivors/{survivor_id}/contact-preferences"): "list_contact_preferences",
    (
        "put",
        "/api/v1/survivors/{survivor_id}/contact-preferences/{channel}",
    ): "set_contact_preference",
    ("get", "/api/v1/survivors/{survivor_id}/cases"): "list_cases",
    ("get", "/api/v1/survivors/{survivor_id}/consents"): "list_consents",
    ("post", "/api/v1/survivors/{survivor_id}/consents"): "record_consent",
    ("get", "/api/v1/survivors/{survivor_id}/audit"): "survivor_audit_trail",
    ("post", "/api/v1/survivors/{survivor_id}/erase"): "erase_survivor",
}


@pytest.fixture(scope="module")
def openapi(django_db_setup, django_db_blocker):
    """The served document, fetched once for the module's read-only checks (it takes seconds)."""
    with rolled_back_afterwards(django_db_blocker):
        response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield (method, path), operation


# Later apps' routes are checked by their own tests and by the authorisation matrix.
LATER_APPS = ("/api/v1/care", "/api/v1/directory", "/api/v1/referrals", "/api/v1/organisation")


def test_openapi_lists_every_route_with_its_operation_id(openapi):
    found = {key: operation["operationId"] for key, operation in _operations(openapi)}
    foundation = {key: value for key, value in found.items() if not key[1].startswith(LATER_APPS)}
    assert foundation == EXPECTED_OPERATIONS


def test_operation_ids_are_unique_across_the_whole_api(openapi):
    ids = [operation["operationId"] for _key, operation in _operations(openapi)]
    assert len(ids) == len(set(ids))


def test_every_operation_has_a_summary_a_success_schema_and_the_error_schema(openapi):
    for key, operation in _operations(openapi):
        assert operation.get("summary"), key
        responses = operation["responses"]
        success = [code for code in responses if code.startswith("2")]
        assert len(success) == 1, key
        assert "schema" in responses[success[0]]["content"]["application/json"], key
        error = responses["401"]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/ErrorOut"}, key


def test_every_operation_requires_authentication(openapi):
    for key, operation in _operations(openapi):
        assert operation.get("security"), key


def test_every_input_schema_refuses_unknown_fields(openapi):
    schemas = openapi["components"]["schemas"]
    inputs = [name for name in schemas if name.endswith("In")]
    assert {"SurvivorCreateIn", "ProfileIn", "ConsentIn", "CasePatchIn", "TokenIn"} <= set(inputs)
    for name in inputs:
        assert schemas[name].get("additionalProperties") is False, name


def test_picklists_list_their_allowed_values(openapi):
    schemas = openapi["components"]["schemas"]
    assert "PreferNotToSay" in schemas["Gender"]["enum"]
    assert set(schemas["CaseStatus"]["enum"]) == {"Active", "FollowUp", "Closed", "ClosedReferred"}
    categories = schemas["ConsentIn"]["properties"]["categories"]["items"]["enum"]
    assert "trafficking_history" in categories


def test_create_survivor_points_to_the_duplicate_check(openapi):
    create = openapi["paths"]["/api/v1/survivors/"]["post"]
    assert "/api/v1/survivors/duplicate-check" in create["description"]
