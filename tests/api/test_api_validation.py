"""Bad input answers a 4xx naming the field and writes nothing; no body ever causes a 5xx."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reclaim.core.models import AuditEvent
from reclaim.survivors import services
from reclaim.survivors.models import Case, Consent, SafeContactPreference, Survivor

URL = "/api/v1/survivors/"
TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
CONSENT = {
    "recipient_id": "{partner}",
    "purpose": "referral",
    "categories": ["contact"],
    "method": "written",
}

# (case, method, path, body, field named in the detail)
BAD_INPUT = [
    ("unknown field", "post", "", {"alias": "A", "favourite_colour": "blue"}, "favourite_colour"),
    ("unknown field on patch", "patch", "{id}", {"nickname": "A"}, "nickname"),
    ("wrong type", "post", "", {"alias": 123}, "alias"),
    ("wrong type in a list", "patch", "{id}", {"languages": "es"}, "languages"),
    (
        "wrong type for a flag",
        "put",
        "{id}/contact-preferences/email",
        {"may_contact": "yes"},
        "may_contact",
    ),
    ("10 kB+ string", "post", "", {"alias": "x" * 10_001}, "alias"),
    ("10 kB+ of multibyte text", "patch", "{id}", {"address": "é" * 5_001}, "address"),
    ("NUL byte", "post", "", {"legal_name": "Ana\x00Ruiz"}, "legal_name"),
    ("control character", "patch", "{id}", {"alias": "Ana\x07"}, "alias"),
    ("line break in a one-line field", "post", "", {"phone": "555\n0100"}, "phone"),
    ("lone surrogate", "post", "", {"alias": "\ud800"}, "alias"),
    (
        "naive datetime",
        "post",
        "{id}/consents",
        {**CONSENT, "given_at": "2026-01-01T09:00:00"},
        "given_at",
    ),
    (
        "naive expiry",
        "post",
        "{id}/consents",
        {**CONSENT, "expires_at": "2030-01-01T09:00:00"},
        "expires_at",
    ),
    (
        "future date of birth",
        "post",
        "",
        {"alias": "A", "date_of_birth": TOMORROW},
        "date_of_birth",
    ),
    (
        "future date of birth on patch",
        "patch",
        "{id}",
        {"date_of_birth": TOMORROW},
        "date_of_birth",
    ),
    ("date of birth before 1900", "post", "", {"date_of_birth": "1899-12-31"}, "date_of_birth"),
    ("not a date", "post", "", {"date_of_birth": "14/03/1994"}, "date_of_birth"),
    ("unknown gender", "post", "", {"gender": "Robot"}, "gender"),
    ("unknown case status", "patch", "cases/{case}", {"status": "Archived"}, "status"),
    ("null case status", "patch", "cases/{case}", {"status": None}, "status"),
    (
        "unknown exploitation type",
        "patch",
        "cases/{case}",
        {"exploitation_types": ["Chess"]},
        "exploitation_types.0",
    ),
    (
        "unknown consent purpose",
        "post",
        "{id}/consents",
        {**CONSENT, "purpose": "marketing"},
        "purpose",
    ),
    (
        "unknown data category",
        "post",
        "{id}/consents",
        {**CONSENT, "categories": ["shoe_size"]},
        "categories.0",
    ),
    ("no data category", "post", "{id}/consents", {**CONSENT, "categories": []}, "categories"),
    (
        "missing recipient",
        "post",
        "{id}/consents",
        {**CONSENT, "recipient_id": None},
        "recipient_id",
    ),
    (
        "unknown recipient",
        "post",
        "{id}/consents",
        {**CONSENT, "recipient_id": "00000000-0000-4000-8000-000000000000"},
        "recipient_id",
    ),
    (
        "recipient is the own organisation",
        "post",
        "{id}/consents",
        {**CONSENT, "recipient_id": "{home}"},
        "recipient",
    ),
    (
        "unknown country (service check)",
        "patch",
        "{id}",
        {"country_of_origin": "ZZ"},
        "country_of_origin",
    ),
    ("unknown language (service check)", "post", "", {"languages": ["qqq"]}, "languages"),
    ("intake date cleared", "patch", "{id}", {"intake_date": None}, "intake_date"),
    ("body is not an object", "post", "", ["alias", "A"], "body"),
    ("empty body", "post", "search", "", "body"),
]


def _fill(value, survivor, partner_org):
    if isinstance(value, str):
        return (
            value.replace("{id}", str(survivor.pk))
            .replace("{partner}", str(partner_org.pk))
            .replace("{case}", str(survivor.cases.get().pk))
            .replace("{home}", str(survivor.organisation_id))
        )
    if isinstance(value, dict):
        return {key: _fill(item, survivor, partner_org) for key, item in value.items()}
    return value


def _state(survivor):
    return (
        Survivor.objects.count(),
        Case.objects.count(),
        Consent.objects.count(),
        SafeContactPreference.objects.count(),
        services.read_profile(Survivor.objects.get(pk=survivor.pk)),
        list(Case.objects.values("status", "closure_reason")),
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    call, bearer, caseworker, survivor, partner_org, method, path, body, field
):
    headers = bearer(caseworker)
    before = _state(survivor)
    audit_before = AuditEvent.objects.exclude(action="survivor.view").count()
    response = call(
        method,
        URL + _fill(path, survivor, partner_org),
        _fill(body, survivor, partner_org),
        headers,
    )
    assert 400 <= response.status_code < 500, response.content
    payload = response.json()
    assert payload["detail"].startswith(f"{field}:"), payload
    assert payload["code"] == "invalid"
    assert _state(survivor) == before
    assert AuditEvent.objects.exclude(action="survivor.view").count() == audit_before


def test_search_query_errors_name_the_query_field(call, bearer, caseworker):
    response = call("post", f"{URL}search", {"query": "Ana\x00"}, bearer(caseworker))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("query:")


def test_malformed_json_is_a_400(call, bearer, caseworker):
    response = call("post", URL, "{not json", bearer(caseworker))
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "code"}
    assert not Survivor.objects.exists()


def test_every_validation_error_is_listed(call, bearer, caseworker):
    response = call("post", URL, {"alias": 1, "gender": "Robot"}, bearer(caseworker))
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"alias", "gender"}


def test_one_line_text_may_not_hold_a_line_break_but_a_reason_may(
    call, bearer, other_caseworker, survivor
):
    response = call(
        "post",
        f"{URL}break-glass",
        {
            "reference": survivor.reference,
            "reason": "Hotline call tonight.\nSurvivor in crisis, needs a bed.",
        },
        bearer(other_caseworker),
    )
    assert response.status_code == 201, response.content


json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=8,
)
profile_values = (
    json_values
    | st.dates().map(datetime.date.isoformat)
    | st.sampled_from(["Feminine", "es", "MX", "spa", "", " ", "\x00", "é" * 6000])
    | st.lists(st.sampled_from(["es", "en", "MX", "xx", ""]), max_size=3)
)
field_names = st.sampled_from(
    [
        "alias",
        "legal_name",
        "preferred_name",
        "pronouns",
        "date_of_birth",
        "gender",
        "languages",
        "citizenship",
        "country_of_origin",
        "phone",
        "email",
        "address",
        "code_word",
        "intake_date",
        "organisation_id",
        "assign_to",
    ]
) | st.text(max_size=12)
bodies = st.dictionaries(field_names, profile_values, max_size=6) | json_values


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
def test_arbitrary_json_to_create_never_causes_a_server_error(client, caseworker, body):
    from reclaim.core.services import create_access_token

    if not hasattr(caseworker, "_api_secret"):
        caseworker._api_secret = create_access_token(
            by=caseworker, name="fuzz", can_write=True
        ).secret
    response = client.post(
        URL,
        data=json.dumps(body),  # surrogates and all: escaped, as a real client would send them
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {caseworker._api_secret}",
    )
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert set(response.json()) >= {"detail", "code"}
    else:
        assert response.status_code == 201
