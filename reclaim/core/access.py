"""The one access layer (DESIGN invariant 1): `scope` says what a user may see, `require` what
they may do. Every read of survivor data starts from `scope`; out of scope is `NotFound`.

Survivor-data models declare `access_survivor_field` (the path to the survivor, "" for the
survivor itself) and carry `organisation_id`. Visibility is decided on the survivor:
- organisation admins and supervisors see their organisation's survivors;
- case managers see survivors whose case is assigned to them or to someone in their team, and
  those they opened with break-the-glass in the last hour;
- a survivor sees their own record; everyone else sees none (partners get consented packets).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from . import audit
from .errors import Forbidden, NotFound
from .models import BreakGlassGrant, Membership, Role
from .permissions import CASELOAD_ROLES, ORGANISATION_WIDE_ROLES, role_allows

_CACHE_ATTR = "_reclaim_memberships"


def memberships(user: Any) -> list[Membership]:
    """Active memberships of a user, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user, is_active=True))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_memberships(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_in(user: Any, organisation_id: Any) -> set[str]:
    return {m.role for m in memberships(user) if m.organisation_id == organisation_id}


def can(user: Any, action: str, organisation_id: Any) -> bool:
    """Whether any of the user's roles in that organisation grants the action."""
    return any(role_allows(role, action) for role in roles_in(user, organisation_id))


def organisations_where(user: Any, action: str) -> list[uuid.UUID]:
    return sorted(
        {m.organisation_id for m in memberships(user) if role_allows(m.role, action)},
        key=str,
    )


def is_staff_user(user: Any) -> bool:
    return any(m.role != Role.SURVIVOR for m in memberships(user))


def _survivor_model() -> type[models.Model]:
    return apps.get_model("survivors", "Survivor")


def survivor_visibility(user: Any, *, at: Any = None) -> Q:
    """The Q object, on Survivor, of every survivor this user may see."""
    at = at or timezone.now()
    own = memberships(user)
    visible = Q(pk__in=[])
    org_wide = {m.organisation_id for m in own if m.role in ORGANISATION_WIDE_ROLES}
    if org_wide:
        visible |= Q(organisation_id__in=org_wide)
    caseload = [m for m in own if m.role in CASELOAD_ROLES and m.organisation_id not in org_wide]
    if caseload:
        case_model = apps.get_model("survivors", "Case")
        team_ids = {m.team_id for m in caseload if m.team_id}
        mine = Q(assigned_to=user)
        if team_ids:
            mine |= Q(
                assigned_to__memberships__team_id__in=team_ids,
                assigned_to__memberships__is_active=True,
            )
        assigned = case_model.objects.filter(mine, survivor=OuterRef("pk"))
        grants = BreakGlassGrant.objects.filter(
            user=user, survivor_id=OuterRef("pk"), granted_at__lte=at, expires_at__gt=at
        )
        visible |= Q(organisation_id__in={m.organisation_id for m in caseload}) & (
            Exists(assigned) | Exists(grants)
        )
    if any(m.role == Role.SURVIVOR for m in own):
        visible |= Q(portal_user=user)
    return visible


def scope[ModelT: models.Model](
    user: Any, model: type[ModelT], *, at: Any = None
) -> QuerySet[ModelT]:
    """Every row of `model` this user may see. The start of every survivor-data query."""
    path = getattr(model, "access_survivor_field", None)
    if path is None:
        raise TypeError(f"{model.__name__} does not declare access_survivor_field")
    visible = survivor_visibility(user, at=at)
    if path == "":
        return model._default_manager.filter(visible)
    survivors = _survivor_model()._default_manager.filter(visible).values("pk")
    return model._default_manager.filter(**{f"{path}__in": survivors})


def require(user: Any, action: str, obj: models.Model) -> None:
    """Raise NotFound if `obj` is outside the user's scope, Forbidden if the role may not act."""
    model = type(obj)
    if not scope(user, model).filter(pk=obj.pk).exists():
        raise NotFound(denied=denial(user, action, obj))
    if not can(user, action, obj.organisation_id):  # type: ignore[attr-defined]
        raise Forbidden(denied=denial(user, action, obj))


def require_in_organisation(user: Any, action: str, organisation_id: Any) -> None:
    """For actions that create survivor data or act on the organisation as a whole."""
    if not can(user, action, organisation_id):
        raise Forbidden(
            denied={
                "actor": user,
                "action": action,
                "target_type": "core.organisation",
                "target_id": organisation_id,
                "organisation_id": organisation_id,
            }
        )


def denial(user: Any, action: str, obj: Any = None, **target: Any) -> dict[str, Any]:
    """What an edge records when it turns a denial into a 404/403 (after the rollback)."""
    if obj is not None:
        target = {"target_type": obj._meta.label_lower, "target_id": obj.pk}
    return {"actor": user, "action": action, **target}


def record_denial(details: dict[str, Any] | None) -> None:
    """Audit a denial in its own transaction (the denied action's transaction rolled back)."""
    if not details:
        return
    actor = details.get("actor")
    audit.record_separately(
        "access.denied",
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        organisation_id=details.get("organisation_id"),
        target_type=details.get("target_type", ""),
        target_id=details.get("target_id", ""),
        context={"attempted": details.get("action", "")},
    )


# --- referrals: rows addressed to an organisation (added with the referrals app) ---------


def received_scope[ModelT: models.Model](
    user: Any, model: type[ModelT], *, action: str
) -> QuerySet[ModelT]:
    """Rows of `model` addressed to an organisation where one of the user's roles grants
    `action` (the model names the recipient in `access_recipient_field`).

    This is how partner staff reach a referral sent to them without any scope on the survivor
    record; whatever survivor data the row leads to is still gated by consent at every read.
    """
    path = getattr(model, "access_recipient_field", None)
    if path is None:
        raise TypeError(f"{model.__name__} does not declare access_recipient_field")
    return model._default_manager.filter(**{f"{path}__in": organisations_where(user, action)})
