"""Persona-by-route authorisation matrix, generated from the URL patterns and the API routes.

`test_every_route_is_in_the_matrix` fails when someone adds a route without deciding who may
use it. The matrix itself is the policy in one table; each cell is requested for real.
"""

from __future__ import annotations

import datetime
import importlib
import json

import pytest
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from reclaim.api import api
from reclaim.core.access import forget_memberships
from reclaim.core.models import AccessToken, BreakGlassGrant
from reclaim.core.services import create_access_token
from reclaim.survivors import services
from tests.authz_common import FORBIDDEN, LOGIN, NOT_FOUND, OK, PERSONAS
from tests.authz_common import expect as _expect
from tests.shared_data import rolled_back_afterwards

# Who may do what, by kind of route.
POLICY = {
    "public": dict.fromkeys(PERSONAS, OK),
    # Any signed-in staff member (their own account, their own caseload or search).
    "staff": _expect(OK),
    # Opening a record: the caseload owner and the organisation's supervisors and admins.
    "record": _expect(OK, other_caseworker=NOT_FOUND, outsider=NOT_FOUND, partner_staff=NOT_FOUND),
    "record_audit": _expect(
        OK,
        caseworker=FORBIDDEN,
        other_caseworker=NOT_FOUND,
        outsider=NOT_FOUND,
        partner_staff=NOT_FOUND,
    ),
    "erase": _expect(
        OK,
        caseworker=FORBIDDEN,
        supervisor=FORBIDDEN,
        other_caseworker=NOT_FOUND,
        outsider=NOT_FOUND,
        partner_staff=NOT_FOUND,
    ),
    # Creating records needs survivor.create somewhere; partner staff have it nowhere.
    "create": _expect(OK, partner_staff=FORBIDDEN),
    # Supervision queues: supervisors and admins (the outsider supervises their own org).
    "supervision": _expect(
        OK, caseworker=FORBIDDEN, other_caseworker=FORBIDDEN, partner_staff=FORBIDDEN
    ),
    # Reviewing one grant: a grant outside your review scope does not exist for you.
    "grant_review": _expect(
        OK,
        caseworker=NOT_FOUND,
        other_caseworker=NOT_FOUND,
        partner_staff=NOT_FOUND,
        outsider=NOT_FOUND,
    ),
    # Logging out everywhere succeeds by sending you to the login page.
    "logout": dict.fromkeys(PERSONAS, LOGIN),
    # The caseworker's own token.
    "own_token": _expect(NOT_FOUND, caseworker=OK),
}

# (method, route as declared) -> kind. UI routes are Django patterns; API routes are OpenAPI.
MATRIX = {
    ("GET", ""): "staff",
    ("GET", "healthz"): "public",
    ("GET", "account/"): "staff",
    ("GET", "account/tokens/"): "staff",
    ("POST", "account/tokens/<uuid:token_id>/revoke/"): "own_token",
    ("POST", "account/logout-everywhere/"): "logout",
    ("GET", "audit/"): "supervision",
    ("GET", "caseload/"): "staff",
    ("GET", "survivors/search/"): "staff",
    ("POST", "survivors/break-glass/"): "staff",
    ("GET", "survivors/new/"): "create",
    ("GET", "survivors/<uuid:survivor_id>/"): "record",
    ("GET", "survivors/<uuid:survivor_id>/edit/"): "record",
    ("GET", "survivors/<uuid:survivor_id>/erase/"): "erase",
    ("POST", "survivors/<uuid:survivor_id>/contact/"): "record",
    ("POST", "survivors/<uuid:survivor_id>/cases/<uuid:case_id>/"): "record",
    ("POST", "survivors/<uuid:survivor_id>/consents/"): "record",
    ("POST", "survivors/<uuid:survivor_id>/consents/<uuid:consent_id>/revoke/"): "record",
    ("GET", "supervision/break-glass/"): "supervision",
    ("POST", "supervision/break-glass/<uuid:grant_id>/review/"): "grant_review",
    ("GET", "/api/v1/me"): "staff",
    ("GET", "/api/v1/tokens"): "staff",
    ("POST", "/api/v1/tokens"): "staff",
    ("DELETE", "/api/v1/tokens/{token_id}"): "own_token",
    ("POST", "/api/v1/sessions/logout-everywhere"): "staff",
    ("GET", "/api/v1/audit"): "supervision",
    ("GET", "/api/v1/survivors/"): "staff",
    ("POST", "/api/v1/survivors/"): "create",
    ("POST", "/api/v1/survivors/search"): "staff",
    ("POST", "/api/v1/survivors/duplicate-check"): "create",
    ("GET", "/api/v1/survivors/break-glass"): "supervision",
    ("POST", "/api/v1/survivors/break-glass"): "staff",
    ("POST", "/api/v1/survivors/break-glass/{grant_id}/review"): "grant_review",
    ("PATCH", "/api/v1/survivors/cases/{case_id}"): "record",
    ("POST", "/api/v1/survivors/consents/{consent_id}/revoke"): "record",
    ("GET", "/api/v1/survivors/{survivor_id}"): "record",
    ("PATCH", "/api/v1/survivors/{survivor_id}"): "record",
    ("GET", "/api/v1/survivors/{survivor_id}/contact-preferences"): "record",
    ("PUT", "/api/v1/survivors/{survivor_id}/contact-preferences/{channel}"): "record",
    ("GET", "/api/v1/survivors/{survivor_id}/cases"): "record",
    ("GET", "/api/v1/survivors/{survivor_id}/consents"): "record",
    ("POST", "/api/v1/survivors/{survivor_id}/consents"): "record",
    ("GET", "/api/v1/survivors/{survivor_id}/audit"): "record_audit",
    ("POST", "/api/v1/survivors/{survivor_id}/erase"): "erase",
}
# Valid bodies for API writes, so the access decision (not input validation) is what answers.
BODIES = {
    ("POST", "/api/v1/survivors/duplicate-check"): {
        "legal_name": "Ana Example",
        "date_of_birth": "1990-01-01",
    },
    ("PUT", "/api/v1/survivors/{survivor_id}/contact-preferences/{channel}"): {"may_contact": True},
    ("POST", "/api/v1/survivors/{survivor_id}/consents"): {
        "recipient_id": "{partner_org_id}",
        "purpose": "referral",
        "categories": ["identity"],
        "method": "written",
    },
    ("POST", "/api/v1/survivors/{survivor_id}/erase"): {"reason": "The survivor asked us to."},
}
# Each later app declares its own rows in tests/<app>/authz.py: MATRIX and BODIES (same shapes as
# above), POLICY (extra kinds, built with _expect), and make_ids(people, ids) -> extra ids that
# its routes and bodies name. The route-coverage test below still fails for any undeclared route.
APP_MATRIX_MODULES = (
    "tests.core.authz",
    "tests.care.authz",
    "tests.directory.authz",
    "tests.referrals.authz",
)
_APP_ID_MAKERS = []
for _name in APP_MATRIX_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as missing:
        if not missing.name or not _name.startswith(missing.name):
            raise
        continue
    POLICY.update(getattr(_module, "POLICY", {}))
    MATRIX.update(_module.MATRIX)
    BODIES.update(getattr(_module, "BODIES", {}))
    if hasattr(_module, "make_ids"):
        _APP_ID_MAKERS.append(_module.make_ids)

# Routes served by libraries with their own tests (login, MFA, language switch).
LIBRARY_PREFIXES = ("accounts/", "i18n/")
# For UI routes that answer both GET and POST, the GET is the one the matrix exercises.


def _django_routes() -> set[str]:
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return {
        route
        for route in walk(get_resolver().url_patterns)
        if not route.startswith(("api/v1/", *LIBRARY_PREFIXES))
    }


def _api_routes() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    }


def test_every_route_is_in_the_matrix():
    declared_ui = {route for (_method, route) in MATRIX if not route.startswith("/api/")}
    declared_api = {key for key in MATRIX if key[1].startswith("/api/")}
    assert _django_routes() == declared_ui
    assert _api_routes() == declared_api


def _build_world() -> tuple[dict, dict]:
    """The personas of tests/conftest.py, one record with a case, consent, grant and token, and
    each app's rows (tests/<app>/authz.py)."""
    from tests.factories import OrganisationFactory, TeamFactory, make_survivor, member

    home_org = OrganisationFactory(name="Harbor House", org_type="NGO")
    partner_org = OrganisationFactory(name="Justice Legal Aid", org_type="LegalService")
    team = TeamFactory(organisation=home_org, name="North")
    caseworker = member(home_org, "case_manager", team=team, username="caseworker")
    teammate = member(home_org, "case_manager", team=team, username="teammate")
    supervisor = member(home_org, "supervisor", username="supervisor")
    org_admin = member(home_org, "org_admin", username="org_admin")
    other_caseworker = member(home_org, "case_manager", username="other_caseworker")
    outsider = member(partner_org, "supervisor", username="outsider")
    partner_staff = member(partner_org, "partner_staff", username="partner_staff")
    survivor = make_survivor(caseworker, home_org)

    case = services.list_cases(survivor, by=caseworker)[0]
    consent = services.record_consent(
        survivor,
        by=caseworker,
        recipient=partner_org,
        purpose="referral",
        categories=["identity"],
        method="written",
    )
    grant = BreakGlassGrant.objects.create(
        user=teammate,
        organisation_id=survivor.organisation_id,
        survivor_id=survivor.pk,
        reason="Survivor called the hotline and needs help tonight.",
        granted_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    token = create_access_token(by=caseworker, name="matrix", can_write=True).token
    ids = {
        "survivor_id": survivor.pk,
        "case_id": case.pk,
        "consent_id": consent.pk,
        "grant_id": grant.pk,
        "token_id": token.pk,
        "channel": "phone_call",
        "partner_org_id": partner_org.pk,
    }
    people = {
        "anonymous": None,
        "caseworker": caseworker,
        "supervisor": supervisor,
        "org_admin": org_admin,
        "other_caseworker": other_caseworker,
        "outsider": outsider,
        "partner_staff": partner_staff,
    }
    context = {**people, "survivor": survivor, "partner_org": partner_org, "teammate": teammate}
    for make_ids in _APP_ID_MAKERS:
        ids.update(make_ids(context, dict(ids)))
    return ids, people


@pytest.fixture(scope="module")
def _shared_world(django_db_setup, django_db_blocker):
    """The world, built once per module (per xdist worker), not for each of ~1,100 cells:
    each cell runs in its own savepoint, so every cell still sees the same fresh world."""
    with rolled_back_afterwards(django_db_blocker):
        with override_settings(RECLAIM_DEMO_RELAX_MFA=True):
            world = _build_world()
        yield world


@pytest.fixture
def world(settings, _shared_world):
    settings.RECLAIM_DEMO_RELAX_MFA = True
    ids, people = _shared_world
    for user in people.values():
        if user is not None:
            # Per-request caches on the shared user objects must not outlive one cell.
            forget_memberships(user)
    return ids, people


def _url(route: str, ids: dict) -> str:
    if route.startswith("/api/"):
        return route.format(**{key: str(value) for key, value in ids.items()})
    url = "/" + route
    for key, value in ids.items():
        url = url.replace(f"<uuid:{key}>", str(value))
    return url


def _outcome(response, is_api: bool) -> str:
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if status == 401 or (status == 302 and "/accounts/login/" in response.get("Location", "")):
        return LOGIN
    if status in (403, 404):
        return str(status)
    return OK


CELLS = [(key, persona) for key in MATRIX for persona in PERSONAS]


@pytest.mark.parametrize(
    ("route_key", "persona"), CELLS, ids=[f"{k[0]} {k[1]} as {p}" for k, p in CELLS]
)
def test_route_answers_each_persona_as_the_policy_says(client, world, route_key, persona):
    ids, people = world
    method, route = route_key
    user = people[persona]
    if user is not None:
        client.force_login(user)
    is_api = route.startswith("/api/")
    url = _url(route, ids)
    kwargs = {}
    if is_api and method != "GET":
        body = json.dumps(BODIES.get(route_key, {}))
        for key, value in ids.items():
            body = body.replace("{" + key + "}", str(value))
        kwargs = {"content_type": "application/json", "data": body}
    response = getattr(client, method.lower())(url, **kwargs)
    expected = POLICY[MATRIX[route_key]][persona]
    assert _outcome(response, is_api) == expected, (response.status_code, response.content[:300])
    if expected in (NOT_FOUND, FORBIDDEN) and user is not None and "survivor_id" in route:
        # Nothing about the record leaks in a denial.
        assert b"Marisol" not in response.content


def test_denied_record_reads_leave_an_audit_event(client, world):
    from reclaim.core.models import AuditEvent

    ids, people = world
    client.force_login(people["outsider"])
    before = AuditEvent.objects.filter(action="access.denied").count()
    response = client.get(f"/survivors/{ids['survivor_id']}/")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="access.denied").count() == before + 1


def test_tokens_of_others_are_untouched_by_denied_revokes(client, world):
    ids, people = world
    client.force_login(people["supervisor"])
    client.delete(f"/api/v1/tokens/{ids['token_id']}")
    assert AccessToken.objects.get(pk=ids["token_id"]).revoked_at is None
