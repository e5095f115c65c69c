"""Deploy checks Django does not make: CSP, session age, Argon2 first, MFA for staff."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def reclaim_deploy_checks(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    problems: list[Any] = []
    csp = getattr(settings, "SECURE_CSP", {}) or {}
    if (
        "django.middleware.csp.ContentSecurityPolicyMiddleware" not in settings.MIDDLEWARE
        or not csp
    ):
        problems.append(Error("A Content Security Policy must be set.", id="reclaim.E001"))
    elif any("'unsafe-" in str(v) or "*" in str(v) for values in csp.values() for v in values):
        # 'unsafe-inline', 'unsafe-eval' and 'unsafe-hashes' all reopen script injection.
        problems.append(
            Error("The CSP must not allow 'unsafe-…' sources or wildcards.", id="reclaim.E002")
        )
    if settings.SESSION_COOKIE_AGE > 12 * 60 * 60:
        problems.append(Warning("Sessions should last at most 12 hours.", id="reclaim.W001"))
    if settings.RECLAIM_IDLE_TIMEOUT_S > 30 * 60:
        problems.append(
            Warning("Staff idle timeout should be 30 minutes or less.", id="reclaim.W002")
        )
    if not settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher"):
        problems.append(Error("Argon2 must be the first password hasher.", id="reclaim.E003"))
    if settings.RECLAIM_DEMO_RELAX_MFA:
        problems.append(
            Error("MFA is relaxed (demo mode); never deploy the demo.", id="reclaim.E004")
        )
    if "reclaim.core.middleware.RequireStaffMFAMiddleware" not in settings.MIDDLEWARE:
        problems.append(Error("Staff MFA enforcement middleware is missing.", id="reclaim.E005"))
    if not settings.RECLAIM_MASTER_KEY:
        problems.append(Error("RECLAIM_MASTER_KEY (or _FILE) is not set.", id="reclaim.E006"))
    return problems
