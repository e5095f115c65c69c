"""Login through allauth over HTTP: MFA enrolment and the code step for staff, throttling per
(username, address), audited logins without usernames, idle and absolute session limits, and
"log out everywhere"."""

from __future__ import annotations

import json
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.conf import settings
from django.test import Client
from django.urls import reverse

from reclaim.core import services as core_services
from reclaim.core.models import AuditEvent
from tests.factories import TEST_PASSWORD, member

pytestmark = pytest.mark.django_db(databases="__all__")

LOGIN_URL = "/accounts/login/"
IP_A = "192.0.2.10"
IP_B = "198.51.100.20"


def post_login(client: Client, username: str, password: str = TEST_PASSWORD):
    return client.post(LOGIN_URL, {"login": username, "password": password})


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def current_code(secret: str, steps_ago: int = 0) -> str:
    # The middle counter: with a tolerance of one step, the code stays valid if the step
    # turns before it is checked.
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2] - steps_ago))


@pytest.fixture
def enrolled(caseworker):
    """The caseworker with a TOTP authenticator; returns its secret."""
    secret = generate_totp_secret()
    TOTP.activate(caseworker, secret)
    return secret


def full_login(user, secret: str, ip: str = IP_A) -> Client:
    client = Client(REMOTE_ADDR=ip)
    assert post_login(client, user.username).status_code == 302
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302, response.content[:500]
    assert is_logged_in(client)
    return client


# --- MFA ----------------------------------------------------------------------------------


def test_staff_without_totp_is_sent_to_enrolment_before_any_record_page(caseworker, survivor):
    client = Client(REMOTE_ADDR=IP_A)
    post_login(client, "caseworker")
    assert is_logged_in(client)

    for path in (
        reverse("home"),
        reverse("caseload"),
        reverse("survivor_record", args=[survivor.pk]),
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("mfa_activate_totp"), path


def test_staff_without_totp_gets_mfa_required_from_the_api(caseworker):
    client = Client(REMOTE_ADDR=IP_A)
    post_login(client, "caseworker")

    response = client.get("/api/v1/survivors/")

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


def test_staff_can_enrol_in_totp_and_then_reach_the_caseload(caseworker):
    client = Client(REMOTE_ADDR=IP_A)
    post_login(client, "caseworker")
    # allauth asks for the password again before adding an authenticator.
    response = client.get(reverse("mfa_activate_totp"))
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
        response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]

    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=caseworker, type="totp").exists()
    assert client.get(reverse("caseload")).status_code == 200


@pytest.mark.parametrize(("steps_ago", "accepted"), [(-1, True), (1, True), (2, False)])
def test_a_code_one_step_off_is_accepted_two_steps_off_is_not(monkeypatch, steps_ago, accepted):
    from allauth.mfa.totp.internal import auth as totp_auth

    secret = generate_totp_secret()
    now = 1_800_000_015  # the middle of a 30-second step, fixed: no race with the clock
    monkeypatch.setattr(totp_auth.time, "time", lambda: now)
    code = format_hotp_value(hotp_value(secret, now // 30 - steps_ago))
    assert totp_auth.validate_totp_code(secret, code) is accepted


def test_login_with_totp_requires_the_code_step(caseworker, enrolled):
    client = Client(REMOTE_ADDR=IP_A)

    response = post_login(client, "caseworker")

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert not is_logged_in(client)
    assert client.get(reverse("caseload"))["Location"].startswith(LOGIN_URL)
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_wrong_totp_code_does_not_log_in(caseworker, enrolled):
    client = Client(REMOTE_ADDR=IP_A)
    post_login(client, "caseworker")
    wrong = f"{(int(current_code(enrolled)) + 1) % 1_000_000:06d}"

    response = client.post(reverse("mfa_authenticate"), {"code": wrong})

    assert response.status_code == 200
    assert not is_logged_in(client)


def test_correct_totp_code_logs_in_and_opens_the_caseload(caseworker, enrolled):
    client = full_login(caseworker, enrolled)

    assert client.get(reverse("home"))["Location"] == reverse("caseload")
    assert client.get(reverse("caseload")).status_code == 200
    assert client.session["reclaim_generation"] == caseworker.session_generation
    assert AuditEvent.objects.filter(action="auth.login", actor_id=caseworker.pk).count() == 1


# --- throttling ---------------------------------------------------------------------------


@pytest.fixture
def locked_out_from_a(caseworker, teammate):
    """LOGIN_ATTEMPTS_PER_WINDOW wrong passwords for "caseworker" from address A."""
    client = Client(REMOTE_ADDR=IP_A)
    for _attempt in range(settings.LOGIN_ATTEMPTS_PER_WINDOW):
        response = post_login(client, "caseworker", "wrong password")
        assert response.status_code == 200
        assert not is_logged_in(client)
    return client


def test_username_is_blocked_from_the_address_after_too_many_failures(locked_out_from_a):
    response = post_login(Client(REMOTE_ADDR=IP_A), "caseworker")  # the right password now

    assert response.status_code == 200
    assert b"Too many failed login attempts" in response.content


def test_fewer_failures_than_the_limit_do_not_block(caseworker):
    client = Client(REMOTE_ADDR=IP_A)
    for _attempt in range(settings.LOGIN_ATTEMPTS_PER_WINDOW - 1):
        post_login(client, "caseworker", "wrong password")

    assert post_login(client, "caseworker").status_code == 302
    assert is_logged_in(client)


def test_same_username_from_another_address_can_still_log_in(locked_out_from_a):
    client = Client(REMOTE_ADDR=IP_B)

    assert post_login(client, "caseworker").status_code == 302
    assert is_logged_in(client)


def test_another_username_from_the_same_address_can_still_log_in(locked_out_from_a):
    client = Client(REMOTE_ADDR=IP_A)

    assert post_login(client, "teammate").status_code == 302
    assert is_logged_in(client)


def test_throttle_key_ignores_username_case(locked_out_from_a):
    response = post_login(Client(REMOTE_ADDR=IP_A), "CaseWorker")

    assert b"Too many failed login attempts" in response.content


# --- audit --------------------------------------------------------------------------------


def test_failed_and_successful_logins_are_audited_without_the_username(home_org):
    member(home_org, "case_manager", username="quillon.canary")

    post_login(Client(REMOTE_ADDR=IP_A), "quillon.canary", "wrong password")
    post_login(Client(REMOTE_ADDR=IP_A), "no.such.person.canary", "wrong password")
    post_login(Client(REMOTE_ADDR=IP_A), "quillon.canary")

    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 2
    assert AuditEvent.objects.filter(action="auth.login").count() == 1
    dump = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert "canary" not in dump
    assert IP_A not in dump


# --- session lifetime ---------------------------------------------------------------------


def age_session(client: Client, **ages_s: int) -> None:
    session = client.session
    now = int(time.time())
    for key, age in ages_s.items():
        session[f"reclaim_{key}"] = now - age
    session.save()


def assert_ended(response, client: Client) -> None:
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?expired=1"
    assert not is_logged_in(client)


def test_idle_session_is_logged_out(caseworker, enrolled):
    client = full_login(caseworker, enrolled)
    age_session(client, seen=settings.RECLAIM_IDLE_TIMEOUT_S + 1)

    assert_ended(client.get(reverse("caseload")), client)


def test_session_used_within_the_idle_timeout_stays(caseworker, enrolled):
    client = full_login(caseworker, enrolled)
    age_session(client, seen=settings.RECLAIM_IDLE_TIMEOUT_S - 30)

    assert client.get(reverse("caseload")).status_code == 200
    assert is_logged_in(client)
    assert int(time.time()) - client.session["reclaim_seen"] < 5  # activity moves the clock


def test_session_ends_at_its_absolute_lifetime_even_when_active(caseworker, enrolled):
    client = full_login(caseworker, enrolled)
    age_session(client, started=settings.SESSION_COOKIE_AGE + 1, seen=10)

    assert_ended(client.get(reverse("caseload")), client)


def test_api_request_on_an_idle_session_is_anonymous(caseworker, enrolled):
    client = full_login(caseworker, enrolled)
    age_session(client, seen=settings.RECLAIM_IDLE_TIMEOUT_S + 1)

    response = client.get("/api/v1/survivors/")

    assert response.status_code in (401, 403)
    assert not is_logged_in(client)


def test_log_out_everywhere_ends_another_existing_session(caseworker):
    first, second = Client(REMOTE_ADDR=IP_A), Client(REMOTE_ADDR=IP_B)
    for client in (first, second):
        post_login(client, "caseworker")
        assert client.get(reverse("home"))["Location"] == reverse("mfa_activate_totp")

    core_services.log_out_everywhere(by=caseworker)

    assert_ended(second.get(reverse("home")), second)
    assert_ended(first.get(reverse("home")), first)
    assert AuditEvent.objects.filter(action="auth.logout_everywhere").count() == 1


def test_log_out_everywhere_ends_sessions_not_opened_by_the_login_form(caseworker, enrolled):
    client = Client()
    client.force_login(caseworker)
    assert client.get(reverse("caseload")).status_code == 200

    core_services.log_out_everywhere(by=caseworker)

    assert_ended(client.get(reverse("caseload")), client)


def test_logging_in_again_after_log_out_everywhere_works(caseworker):
    client = Client(REMOTE_ADDR=IP_A)
    post_login(client, "caseworker")
    core_services.log_out_everywhere(by=caseworker)
    assert_ended(client.get(reverse("home")), client)

    post_login(client, "caseworker")

    assert is_logged_in(client)
    assert client.get(reverse("home"))["Location"] == reverse("mfa_activate_totp")
