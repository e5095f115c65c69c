"""Login glue for django-allauth: throttling per (username, IP), and audited logins."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction
from django.http import HttpRequest

from . import audit


class ReclaimAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are created by organisation admins, never by sign-up.
        return False

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # Keyed on username AND address: failures from elsewhere cannot lock the user out.
        login = str(credentials.get("username", credentials.get("email", ""))).lower()
        return f"{login}|{self.get_client_ip(request)}"

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        request.session["reclaim_generation"] = user.session_generation
        with transaction.atomic():
            audit.record("auth.login", actor=user)

    def set_password(self, user: Any, password: str) -> None:
        # The person chose their own password: a temporary one no longer stands.
        with transaction.atomic():
            user.set_password(password)
            user.must_change_password = False
            user.save(update_fields=["password", "must_change_password"])
            audit.record("auth.password_change", actor=user)

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        # The attempted username is not recorded: it may be a survivor's name typed by mistake.
        with transaction.atomic():
            audit.record("auth.login_failed", context={"method": "password"})
