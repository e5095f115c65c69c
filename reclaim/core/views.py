"""Core pages: home redirect, health check, error pages, API tokens, sessions, audit trail.

`shows_domain_errors` is the one place where a page turns a domain error into an HTTP answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import access, audit, services
from . import permissions as perm
from .errors import (
    DomainError,
    Forbidden,
    KeystoreUnavailable,
    NotFound,
    RecordErased,
    TamperedData,
    ValidationFailed,
)
from .forms import AccessTokenForm
from .models import User

View = Callable[..., HttpResponse]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's front door: the caseload for record keepers, the referral inbox for partner
    staff, the account page for everyone else (their own pages come with later apps)."""
    user = request.user
    if not user.is_authenticated or access.organisations_where(user, perm.SURVIVOR_VIEW):
        return redirect("caseload")
    if access.organisations_where(user, perm.REFERRAL_RECEIVE):
        return redirect("referral_inbox")
    return redirect("account")


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    health = services.check_health()
    return JsonResponse(
        {"ok": health.ok, "checks": health.checks}, status=200 if health.ok else 503
    )


# --- errors -------------------------------------------------------------------------------


def error_page(
    request: HttpRequest, status: int, message: str, *, title: str = "", kind: str = ""
) -> HttpResponse:
    if request.path.startswith("/api/"):
        codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 500: "server_error"}
        return JsonResponse({"detail": message, "code": codes.get(status, "error")}, status=status)
    context = {"status": status, "message": message, "title": title or _("Error"), "kind": kind}
    try:
        return render(request, "error.html", context, status=status)
    except Exception:  # the error page itself must never fail (database or template down)
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def domain_error_response(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The page for a domain error a view did not handle itself (after the rollback)."""
    if isinstance(exc, TamperedData):
        audit.report_tamper(exc, by=request.user)
        return error_page(
            request,
            409,
            _(
                "This record failed an integrity check and is not shown. The event was logged; "
                "please tell your administrator."
            ),
            title=_("Integrity error"),
            kind="integrity",
        )
    access.record_denial(exc.denied)
    if isinstance(exc, NotFound):
        return error_page(request, 404, _("Not found."), title=_("Not found"))
    if isinstance(exc, Forbidden):
        return error_page(
            request, 403, _("You do not have permission to do this."), title=_("Not allowed")
        )
    if isinstance(exc, RecordErased):
        return error_page(
            request,
            410,
            _("This record was erased at the survivor's request. No data is kept."),
            title=_("Erased record"),
            kind="erased",
        )
    if isinstance(exc, KeystoreUnavailable):
        return error_page(
            request,
            503,
            _(
                "Survivor records are unavailable: the encryption master key is missing or "
                "wrong, or the keystore cannot be reached. Nothing is shown until this is fixed."
            ),
            title=_("Records unavailable"),
        )
    if isinstance(exc, ValidationFailed):
        return error_page(request, 422, exc.detail, title=_("Please check your input"))
    return error_page(request, exc.status, exc.detail)


def shows_domain_errors(view: View) -> View:
    """Map domain errors raised by services to error pages (404, 403, 409, 410, 503…)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return domain_error_response(request, exc)

    return wrapper


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return error_page(request, 400, _("The request could not be understood."))


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return error_page(
        request, 403, _("You do not have permission to do this."), title=_("Not allowed")
    )


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return error_page(request, 404, _("Not found."), title=_("Not found"))


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500, _("Something went wrong on our side. Nothing was saved."))


# --- account: tokens and sessions ---------------------------------------------------------


@never_cache
@login_required
@shows_domain_errors
def access_tokens(request: HttpRequest) -> HttpResponse:
    """List, create (showing the secret once) and revoke personal API tokens."""
    form = AccessTokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.create_access_token(
                by=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                can_write=form.cleaned_data["can_write"],
                expires_at=form.expires_at(),
            )
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            form = AccessTokenForm()
    tokens = services.list_access_tokens(by=request.user)  # type: ignore[arg-type]
    status = 422 if form.errors else 200
    return render(
        request,
        "core/tokens.html",
        {"form": form, "issued": issued, "tokens": tokens},
        status=status,
    )


@require_POST
@login_required
@shows_domain_errors
def revoke_token(request: HttpRequest, token_id: str) -> HttpResponse:
    services.revoke_access_token(token_id, by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The token was revoked. It no longer works."))
    return redirect("access_tokens")


@require_POST
@login_required
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of this user (other devices too) and revoke their tokens."""
    services.log_out_everywhere(by=request.user)  # type: ignore[arg-type]
    logout(request)
    return redirect("account_login")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "core/account.html")


# --- audit --------------------------------------------------------------------------------


def actor_names(events: Iterable[Any]) -> dict[str, str]:
    """Usernames of the staff who acted in these events (ids are all the chain keeps)."""
    ids = {event.actor_id for event in events if event.actor_id}
    return {
        str(pk): name for pk, name in User.objects.filter(pk__in=ids).values_list("pk", "username")
    }


@login_required
@shows_domain_errors
def organisation_audit(request: HttpRequest) -> HttpResponse:
    """The audit trail of the organisations where the user may view it (newest first)."""
    try:
        before = int(request.GET.get("before", "")) or None
    except ValueError:
        before = None
    events = services.organisation_audit_trail(by=request.user, before_seq=before)  # type: ignore[arg-type]
    names = actor_names(events)
    rows = [(event, names.get(str(event.actor_id), "")) for event in events]
    older = events[-1].seq if len(events) == 200 else None
    return render(request, "core/audit.html", {"rows": rows, "older": older})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_page(
        request,
        403,
        _("This form expired or came from another site. Go back, reload the page and try again."),
    )
