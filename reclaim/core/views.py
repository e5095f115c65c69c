"""Core pages: home redirect, health check, error pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from . import services


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("caseload")


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    health = services.check_health()
    return JsonResponse({"ok": health.ok, "checks": health.checks}, status=200 if health.ok else 503)


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": str(status)}, status=status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 400, "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 403, "You do not have permission to do this.")


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(request, 404, "Not found.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, "Something went wrong on our side. Nothing was saved.")
