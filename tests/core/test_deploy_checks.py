"""`manage.py check --deploy`: production-like settings pass Reclaim's own checks; each unsafe
setting is reported with its id. The password hasher order is checked on reclaim.settings."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

import reclaim.settings as production

pytestmark = pytest.mark.django_db(databases="__all__")

PRODUCTION_LIKE = {
    "DEBUG": False,
    "PASSWORD_HASHERS": production.PASSWORD_HASHERS,
    "RECLAIM_DEMO_RELAX_MFA": False,
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
}


def reclaim_problems() -> dict[str, str]:
    return {
        message.id: message.level
        for message in run_checks(include_deployment_checks=True)
        if message.id and message.id.startswith("reclaim.")
    }


def test_argon2_is_the_first_password_hasher_in_production_settings():
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@override_settings(**PRODUCTION_LIKE)
def test_production_like_settings_have_no_reclaim_problems():
    assert reclaim_problems() == {}


@override_settings(**PRODUCTION_LIKE)
def test_check_deploy_command_passes_with_production_like_settings(capsys):
    call_command("check", "--deploy", "--fail-level", "ERROR")

    assert "reclaim." not in capsys.readouterr().err


@override_settings(**{**PRODUCTION_LIKE, "RECLAIM_DEMO_RELAX_MFA": True})
def test_relaxed_mfa_is_a_deploy_error():
    assert "reclaim.E004" in reclaim_problems()
    with pytest.raises(SystemCheckError, match=r"reclaim\.E004"):
        call_command("check", "--deploy")


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"]}, "reclaim.E003"),
        ({"RECLAIM_MASTER_KEY": None}, "reclaim.E006"),
        ({"SECURE_CSP": {}}, "reclaim.E001"),
        ({"SECURE_CSP": {"script-src": ["'self'", "'unsafe-inline'"]}}, "reclaim.E002"),
        ({"SECURE_CSP": {"script-src": ["'self'", "'unsafe-eval'"]}}, "reclaim.E002"),
        ({"SECURE_CSP": {"img-src": ["*"]}}, "reclaim.E002"),
        ({"SESSION_COOKIE_AGE": 13 * 60 * 60}, "reclaim.W001"),
        ({"RECLAIM_IDLE_TIMEOUT_S": 31 * 60}, "reclaim.W002"),
    ],
    ids=[
        "hasher",
        "master-key",
        "no-csp",
        "unsafe-inline",
        "unsafe-eval",
        "wildcard",
        "session-age",
        "idle",
    ],
)
def test_each_unsafe_setting_is_reported(overrides, problem):
    with override_settings(**{**PRODUCTION_LIKE, **overrides}):
        assert problem in reclaim_problems()


def test_missing_mfa_middleware_is_a_deploy_error():
    from django.conf import settings

    middleware = [
        name
        for name in settings.MIDDLEWARE
        if name != "reclaim.core.middleware.RequireStaffMFAMiddleware"
    ]
    with override_settings(**PRODUCTION_LIKE, MIDDLEWARE=middleware):
        assert "reclaim.E005" in reclaim_problems()


def test_test_settings_put_a_fast_hasher_first_so_the_check_is_live():
    """The test settings prepend MD5; the deploy check must notice it (E003)."""
    assert "reclaim.E003" in reclaim_problems()
