"""A temporary password (new account, admin reset, first admin) must be replaced by the person
before they reach anything: the admin who handed it over must not be able to use the account."""

from __future__ import annotations

import pytest
from django.test import Client

from reclaim.core import people
from reclaim.core.models import AuditEvent, User

pytestmark = pytest.mark.django_db(databases="__all__")

CHANGE_URL = "/accounts/password/change/"
NEW_PASSWORD = "a long passphrase of my own 42"


@pytest.fixture(autouse=True)
def no_mfa_step(settings):
    # Two-step enrolment is tested elsewhere; here only the password rule is in the way.
    settings.RECLAIM_DEMO_RELAX_MFA = True


@pytest.fixture
def newcomer(home_org, org_admin):
    membership, password = people.add_member(
        home_org, by=org_admin, username="newcomer", email="", role="case_manager"
    )
    return membership, password


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_new_account_must_choose_its_own_password_before_any_page(newcomer):
    membership, _password = newcomer
    client = logged_in(membership.user)
    for path in ("/", "/survivors/", "/accounts/2fa/", "/directory/"):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="es")
        assert response.status_code == 302, path
        assert response["Location"] == CHANGE_URL, path
    page = client.get(CHANGE_URL, HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 200
    assert "contraseña temporal".encode() in page.content


def test_the_api_answers_403_with_a_code_until_the_password_is_changed(newcomer):
    membership, _password = newcomer
    response = logged_in(membership.user).get("/api/v1/survivors")
    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"


def test_choosing_a_password_lifts_the_rule_and_is_audited(newcomer):
    membership, password = newcomer
    client = logged_in(membership.user)
    response = client.post(
        CHANGE_URL,
        {"oldpassword": password, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(pk=membership.user_id)
    assert not user.must_change_password
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="auth.password_change", actor_id=user.pk).exists()
    assert client.get("/").get("Location") != CHANGE_URL


def test_a_wrong_current_password_changes_nothing(newcomer):
    membership, password = newcomer
    client = logged_in(membership.user)
    response = client.post(
        CHANGE_URL, {"oldpassword": "not it", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 200  # the form again, with the error
    user = User.objects.get(pk=membership.user_id)
    assert user.must_change_password and user.check_password(password)


def test_an_admin_reset_and_a_first_admin_get_temporary_passwords(home_org, org_admin, caseworker):
    membership = caseworker.memberships.get(organisation=home_org)
    assert not caseworker.must_change_password
    people.reset_password(membership, by=org_admin)
    assert User.objects.get(pk=caseworker.pk).must_change_password
    _organisation, admin, _password = people.create_organisation(
        name="Harbor House North",
        org_type="NGO",
        admin_username="north_admin",
        admin_email="",
    )
    assert User.objects.get(pk=admin.pk).must_change_password


def test_accounts_without_a_temporary_password_are_not_held_up(caseworker):
    response = logged_in(caseworker).get("/")
    assert response.get("Location") != CHANGE_URL
