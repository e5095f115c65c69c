"""Session lifetime rules and MFA enforcement for staff."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from . import access

# Paths a staff user without MFA may still reach: enrolment itself, logout, assets, health.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/")


class SessionLifetimeMiddleware:
    """Idle timeout, absolute lifetime and "log out everywhere", all checked on the server."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            session = request.session
            started = session.setdefault("reclaim_started", now)
            last_seen = session.get("reclaim_seen", now)
            # Pinned at first sight, so a session opened without the adapter's login (admin
            # login-as, a test client) is still ended by "log out everywhere".
            generation = session.setdefault("reclaim_generation", user.session_generation)
            expired = (
                now - last_seen > settings.RECLAIM_IDLE_TIMEOUT_S
                or now - started > settings.SESSION_COOKIE_AGE
                or generation != user.session_generation
            )
            if expired:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                return redirect(f"{settings.LOGIN_URL_PATH}?expired=1")
            # Touch at most once a minute, so reads do not write the session every time.
            if now - last_seen >= 60 or "reclaim_seen" not in session:
                session["reclaim_seen"] = now
        return self.get_response(request)


def has_mfa(user: object) -> bool:
    from allauth.mfa.utils import is_mfa_enabled

    return bool(is_mfa_enabled(user))


# Paths open to someone who must first choose their own password.
PASSWORD_CHANGE_EXEMPT_PREFIXES = (
    "/accounts/password/change/",
    "/accounts/logout/",
    "/static/",
    "/healthz",
    "/i18n/",
)


def api_refusal(detail: str, code: str) -> HttpResponse:
    """403 for an API call from a session that must first finish a step in the app."""
    from django.http import JsonResponse

    return JsonResponse({"detail": detail, "code": code}, status=403)


class RequirePasswordChangeMiddleware:
    """Someone holding a temporary password (handed over by an admin) chooses their own
    before reaching any page: the admin who set it must not be able to use the account."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(PASSWORD_CHANGE_EXEMPT_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return api_refusal(
                    "Choose your own password (in the app) before using the API.",
                    "password_change_required",
                )
            from django.contrib import messages
            from django.utils.translation import gettext as _

            messages.info(
                request,
                _("You are using a temporary password. Choose your own to continue."),
                fail_silently=True,
            )
            return redirect("account_change_password")
        return self.get_response(request)


class RequireStaffMFAMiddleware:
    """A staff user without TOTP is sent to enrol before seeing any page or record."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not settings.RECLAIM_DEMO_RELAX_MFA
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
            and access.is_staff_user(user)
            and not has_mfa(user)
        ):
            if request.path.startswith("/api/"):
                return api_refusal(
                    "Set up two-step login (MFA) before using the API.", "mfa_required"
                )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
