"""The JSON API at /api/v1/: mounts each app's router and maps domain errors to HTTP once."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from reclaim.core import access, audit, services
from reclaim.core.errors import DomainError, Forbidden, TamperedData

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Reads sent as POST only to keep names and dates of birth out of URLs.
READ_ONLY_POST_OPERATIONS = {"search", "duplicate_check"}  # url names


class TokenAuth(HttpBearer):
    """`Authorization: Bearer rcl_…` personal access tokens; read-only tokens may only read."""

    openapi_description = "Personal access token (create one under Account → API tokens)."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        record = services.authenticate_token(token)
        if record is None:
            return None
        match = getattr(request, "resolver_match", None)
        operation = match.url_name if match else None
        is_read = request.method in SAFE_METHODS or operation in READ_ONLY_POST_OPERATIONS
        if not is_read and not record.can_write:
            raise Forbidden("This token is read-only; create a token with write access.")
        request.user = record.user
        return record.user


api = NinjaAPI(
    title="Reclaim API",
    version="1",
    description=(
        "Survivor records, cases, consents and audit. Every call is scoped to what the caller "
        "may see (out of scope answers 404) and audited. Errors are "
        '`{"detail": "...", "code": "..."}`.'
    ),
    urls_namespace="api",
    auth=[TokenAuth(), django_auth],
)


def error_body(
    request: HttpRequest, status: int, detail: str, code: str, **extra: Any
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code, **extra}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, TamperedData):
        audit.report_tamper(exc, by=request.user)
    access.record_denial(exc.denied)
    extra = {"field": exc.field} if exc.field else {}
    return error_body(request, exc.status, exc.detail, exc.code, **extra)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        # loc starts with where the value came from (body/query/path), then the schema name.
        location = [str(part) for part in error.get("loc", ())][1:]
        if location[:1] == ["payload"]:
            location = location[1:]
        field = ".".join(location) or "body"
        errors.append({"field": field, "message": str(error.get("msg", "is not valid"))})
    first = errors[0] if errors else {"field": "body", "message": "is not valid"}
    return error_body(
        request, 422, f"{first['field']}: {first['message']}", "invalid", errors=errors
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_body(request, 401, "Log in or send a valid access token.", "unauthenticated")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_body(request, exc.status_code, str(exc), "error")


def mount_routers() -> None:
    from reclaim.care.api import router as care_router
    from reclaim.core.api import router as core_router
    from reclaim.directory.api import router as directory_router
    from reclaim.referrals.api import router as referrals_router
    from reclaim.survivors.api import router as survivors_router

    api.add_router("/", core_router)
    api.add_router("/survivors", survivors_router)
    api.add_router("/care", care_router)
    api.add_router("/directory", directory_router)
    api.add_router("/referrals", referrals_router)
    api.add_router("/organisation", "reclaim.core.people_api.router")


mount_routers()
__all__ = ["api"]
