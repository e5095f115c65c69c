"""Core services: personal access tokens, sessions, the organisation audit trail, health."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from . import access, audit, crypto, plain_sql
from . import permissions as perm
from .errors import DomainError, Forbidden, NotFound, ValidationFailed
from .models import AccessToken, AuditEvent, User
from .routers import KEYSTORE_DB
from .validation import check_aware, clean_text

TOKEN_PREFIX = "rcl_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class IssuedToken:
    token: AccessToken
    secret: str  # shown once, never stored


def create_access_token(
    *, by: User, name: str, can_write: bool, expires_at: datetime.datetime | None = None
) -> IssuedToken:
    """Issue a personal access token for the acting user. Only its SHA-256 digest is kept.

    Expiry is mandatory and capped (RECLAIM_TOKEN_MAX_DAYS). Audited as "token.create".
    """
    if not access.is_staff_user(by):
        raise Forbidden("Only staff accounts may create API tokens.")
    name = clean_text(name, field="name", max_bytes=100)
    if not name:
        raise ValidationFailed("name: give the token a name you will recognise.", field="name")
    now = timezone.now()
    longest = now + datetime.timedelta(days=settings.RECLAIM_TOKEN_MAX_DAYS)
    expires_at = (
        check_aware(expires_at, field="expires_at")
        if expires_at
        else now + datetime.timedelta(days=90)
    )
    if expires_at <= now:
        raise ValidationFailed("expires_at: must be in the future.", field="expires_at")
    if expires_at > longest:
        raise ValidationFailed(
            f"expires_at: tokens last at most {settings.RECLAIM_TOKEN_MAX_DAYS} days.",
            field="expires_at",
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = AccessToken.objects.create(
            user=by,
            name=name,
            prefix=secret[:12],
            digest=_digest(secret),
            can_write=bool(can_write),
            expires_at=expires_at,
        )
        audit.record("token.create", actor=by, target=token, context={"write": bool(can_write)})
    return IssuedToken(token, secret)


def list_access_tokens(*, by: User) -> list[AccessToken]:
    return list(AccessToken.objects.filter(user=by).order_by("-created_at"))


def revoke_access_token(token_id: Any, *, by: User) -> AccessToken:
    token = AccessToken.objects.filter(pk=token_id, user=by).first()
    if token is None:
        raise NotFound()
    with transaction.atomic():
        AccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit.record("token.revoke", actor=by, target=token)
    token.refresh_from_db()
    return token


def authenticate_token(secret: str) -> AccessToken | None:
    """The live token for this secret (not expired, not revoked, active user), or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = _live_token(_digest(secret))
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=5):
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def _live_token(digest: str) -> AccessToken | None:
    """The unrevoked, unexpired token with this digest, its user loaded, in one plain query:
    every API call makes it (plain_sql says why)."""
    token_width = plain_sql.width(AccessToken)
    quote = connections["default"].ops.quote_name
    sql = (
        f"SELECT {plain_sql.columns(AccessToken, 't')}, {plain_sql.columns(User, 'u')} "  # noqa: S608
        f"FROM {quote(AccessToken._meta.db_table)} t "
        f"JOIN {quote(User._meta.db_table)} u ON u.id = t.user_id "
        "WHERE t.digest = %s AND t.revoked_at IS NULL AND t.expires_at > %s"
    )
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, [digest, plain_sql.datetime_param(timezone.now())])
        row = cursor.fetchone()
    if row is None:
        return None
    token = plain_sql.instance(AccessToken, row[:token_width])
    token.user = plain_sql.instance(User, row[token_width:])
    return token


def log_out_everywhere(*, by: User) -> None:
    """End every session of this user on every server (their generation number moves on)."""
    with transaction.atomic():
        User.objects.filter(pk=by.pk).update(session_generation=F("session_generation") + 1)
        AccessToken.objects.filter(user=by, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit.record("auth.logout_everywhere", actor=by)
    by.refresh_from_db(fields=["session_generation"])


def organisation_audit_trail(
    *, by: User, limit: int = 200, before_seq: int | None = None
) -> list[AuditEvent]:
    """Recent events of the organisations where the user may view the audit. Audited itself."""
    organisations = access.organisations_where(by, perm.AUDIT_VIEW)
    if not organisations:
        raise Forbidden()
    events = AuditEvent.objects.filter(organisation_id__in=organisations)
    if before_seq:
        events = events.filter(seq__lt=before_seq)
    with transaction.atomic():
        rows = list(events.order_by("-seq")[:limit])
        audit.record("audit.view", actor=by, context={"shown": len(rows)})
    return rows


@dataclass
class Health:
    ok: bool
    checks: dict[str, str]


def check_health() -> Health:
    """Database, keystore and master key; a sentence for each problem, no secrets."""
    checks: dict[str, str] = {}
    for alias in ("default", KEYSTORE_DB):
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            checks[alias] = "ok"
        except Exception:  # any driver error means unreachable
            checks[alias] = "unreachable"
    if checks[KEYSTORE_DB] == "ok":
        try:
            crypto.verify_master_key()
            checks["master_key"] = "ok"
        except DomainError:
            checks["master_key"] = "missing or wrong"
    else:
        checks["master_key"] = "not checked"
    return Health(all(value == "ok" for value in checks.values()), checks)
