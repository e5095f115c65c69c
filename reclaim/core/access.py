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
from django.db import connection, models
from django.db.models import BooleanField, QuerySet
from django.utils import timezone

from . import audit, plain_sql
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
        cached = plain_sql.select(
            Membership, "t.user_id = %s AND t.is_active", [plain_sql.uuid_param(user.pk)]
        )
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


class SurvivorVisibility(plain_sql.ConditionSQL):
    """The visibility rule as one SQL condition on the query's survivor table.

    Written as SQL here, once, rather than composed from Q and Exists objects: building and
    compiling those cost about 3 ms of CPU on every read (a single profile read's query itself
    takes under 1 ms), the largest part of an API request (docs/performance.md, fifth run).
    tests/core/test_access_scope.py checks it against an oracle of the rule.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(
        self,
        *,
        user_id: Any,
        org_wide: tuple[Any, ...],
        caseload_orgs: tuple[Any, ...],
        team_ids: tuple[Any, ...],
        as_survivor: bool,
        at: Any,
    ) -> None:
        super().__init__("survivor visibility", (), output_field=BooleanField())
        self.user_id = user_id
        self.org_wide = org_wide
        self.caseload_orgs = caseload_orgs
        self.team_ids = team_ids
        self.as_survivor = as_survivor
        self.at = at

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        return self.sql_on(compiler.quote_name(plain_sql.base_alias(compiler.query)), connection)

    def sql_on(self, survivor_table: str, connection: Any) -> tuple[str, tuple[Any, ...]]:
        """The condition over the survivor table known in the SQL as `survivor_table`."""
        qn = connection.ops.quote_name
        native_uuid = connection.features.has_native_uuid_field

        def uid(value: Any) -> Any:
            value = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
            return value if native_uuid else value.hex

        def among(column: str, values: tuple[Any, ...]) -> tuple[str, list[Any]]:
            return f"{column} IN ({', '.join(['%s'] * len(values))})", [uid(v) for v in values]

        case_table = qn(apps.get_model("survivors", "Case")._meta.db_table)
        member_table = qn(Membership._meta.db_table)
        grant_table = qn(BreakGlassGrant._meta.db_table)
        own_column = f"{survivor_table}.{qn('organisation_id')}"
        survivor_id = f"{survivor_table}.{qn('id')}"
        parts: list[str] = []
        params: list[Any] = []
        if self.org_wide:
            sql, values = among(own_column, self.org_wide)
            parts.append(sql)
            params += values
        if self.caseload_orgs:
            in_orgs, org_values = among(own_column, self.caseload_orgs)
            assignee = f"vis_case.{qn('assigned_to_id')}"
            assigned = f"{assignee} = %s"
            assigned_params = [uid(self.user_id)]
            if self.team_ids:
                in_teams, team_values = among(f"vis_member.{qn('team_id')}", self.team_ids)
                teammates = (
                    f"SELECT vis_member.{qn('user_id')} FROM {member_table} vis_member "  # noqa: S608
                    f"WHERE {in_teams} AND vis_member.{qn('is_active')}"
                )
                # One IN list, not "= me OR IN (teammates)": under that OR PostgreSQL read
                # every case of the network (a sequential scan, 30 ms at 100,000 survivors).
                assigned = f"{assignee} IN (SELECT %s UNION ALL {teammates})"
                assigned_params += team_values
            # Each planner gets the form it plans well (docs/performance.md, sixth run).
            # SQLite starts from the user's few cases only for IN (subquery); with EXISTS it
            # tested every survivor of the organisation. PostgreSQL probes EXISTS by index
            # (and a caseload page starts from the user's cases); with IN (subquery) it built
            # a hashed set and tested every survivor of the organisation against it.
            if connection.vendor == "sqlite":
                has_case = (
                    f"{survivor_id} IN (SELECT vis_case.{qn('survivor_id')} "  # noqa: S608
                    f"FROM {case_table} vis_case WHERE {assigned})"
                )
                has_grant = (
                    f"{survivor_id} IN (SELECT vis_grant.{qn('survivor_id')} "  # noqa: S608
                    f"FROM {grant_table} vis_grant WHERE vis_grant.{qn('user_id')} = %s "
                    f"AND vis_grant.{qn('granted_at')} <= %s "
                    f"AND vis_grant.{qn('expires_at')} > %s)"
                )
            else:
                has_case = (
                    f"EXISTS (SELECT 1 FROM {case_table} vis_case "  # noqa: S608
                    f"WHERE vis_case.{qn('survivor_id')} = {survivor_id} AND {assigned})"
                )
                has_grant = (
                    f"EXISTS (SELECT 1 FROM {grant_table} vis_grant "  # noqa: S608
                    f"WHERE vis_grant.{qn('user_id')} = %s "
                    f"AND vis_grant.{qn('survivor_id')} = {survivor_id} "
                    f"AND vis_grant.{qn('granted_at')} <= %s "
                    f"AND vis_grant.{qn('expires_at')} > %s)"
                )
            at = connection.ops.adapt_datetimefield_value(self.at)
            parts.append(f"({in_orgs} AND ({has_case} OR {has_grant}))")
            params += [*org_values, *assigned_params, uid(self.user_id), at, at]
        if self.as_survivor:
            parts.append(f"{survivor_table}.{qn('portal_user_id')} = %s")
            params.append(uid(self.user_id))
        return "(" + " OR ".join(parts) + ")", tuple(params)


def survivor_visibility(user: Any, *, at: Any = None) -> SurvivorVisibility | None:
    """The condition, on Survivor, of every survivor this user may see; None when none."""
    own = memberships(user)
    org_wide = {m.organisation_id for m in own if m.role in ORGANISATION_WIDE_ROLES}
    caseload = [m for m in own if m.role in CASELOAD_ROLES and m.organisation_id not in org_wide]
    as_survivor = any(m.role == Role.SURVIVOR for m in own)
    if not (org_wide or caseload or as_survivor):
        return None
    return SurvivorVisibility(
        user_id=user.pk,
        org_wide=tuple(sorted(org_wide, key=str)),
        caseload_orgs=tuple(sorted({m.organisation_id for m in caseload}, key=str)),
        team_ids=tuple(sorted({m.team_id for m in caseload if m.team_id}, key=str)),
        as_survivor=as_survivor,
        at=at or timezone.now(),
    )


def scope[ModelT: models.Model](
    user: Any, model: type[ModelT], *, at: Any = None
) -> QuerySet[ModelT]:
    """Every row of `model` this user may see. The start of every survivor-data query."""
    path = getattr(model, "access_survivor_field", None)
    if path is None:
        raise TypeError(f"{model.__name__} does not declare access_survivor_field")
    visible = survivor_visibility(user, at=at)
    if visible is None:
        return model._default_manager.none()
    if path == "":
        return model._default_manager.filter(visible)
    survivors = _survivor_model()._default_manager.filter(visible).values("pk")
    return model._default_manager.filter(**{f"{path}__in": survivors})


def visible_survivor(user: Any, survivor_id: Any, *, at: Any = None) -> Any:
    """The survivor with this id if the user may see it, else None (also for a malformed id).

    The same rule as scope(user, Survivor), read with plain SQL: every profile read and API
    call on a record starts here (plain_sql says why)."""
    visible = survivor_visibility(user, at=at)
    if visible is None:
        return None
    try:
        wanted = survivor_id if isinstance(survivor_id, uuid.UUID) else uuid.UUID(str(survivor_id))
    except ValueError:
        return None
    condition, params = visible.sql_on("t", connection)
    found = plain_sql.select(
        _survivor_model(), f"t.id = %s AND {condition}", [plain_sql.uuid_param(wanted), *params]
    )
    return found[0] if found else None


def survivors_where(
    user: Any, condition: str, params: list[Any], *, at: Any = None
) -> list[tuple[Any, bool]]:
    """Survivors matching `condition` (SQL over the survivor table aliased `t`), each with
    whether this user may see it: one plain-SQL query for searches, which must also say what
    lies outside the caseload (for break-the-glass) without showing it."""
    visible = survivor_visibility(user, at=at)
    seen_sql, seen_params = visible.sql_on("t", connection) if visible else ("1 = 0", ())
    model = _survivor_model()
    table = connection.ops.quote_name(model._meta.db_table)
    sql = (
        f"SELECT {plain_sql.columns(model, 't')}, CASE WHEN {seen_sql} THEN 1 ELSE 0 END "  # noqa: S608
        f"FROM {table} t WHERE {condition}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*seen_params, *params])
        rows = cursor.fetchall()
    width = plain_sql.width(model)
    return [(plain_sql.instance(model, row[:width]), bool(row[width])) for row in rows]


def scope_of_survivor[ModelT: models.Model](
    user: Any, model: type[ModelT], survivor: Any, *, action: str, at: Any = None
) -> QuerySet[ModelT]:
    """require(user, action, survivor), then the rows of `model` that belong to that survivor:
    scope(user, model) narrowed to one record, without the survivor subquery."""
    path = getattr(model, "access_survivor_field", None)
    if not path:
        raise TypeError(f"{model.__name__} does not declare a path to a survivor")
    if visible_survivor(user, survivor.pk, at=at) is None:
        raise NotFound(denied=denial(user, action, survivor))
    if not can(user, action, survivor.organisation_id):
        raise Forbidden(denied=denial(user, action, survivor))
    return model._default_manager.filter(**{path: survivor.pk})


def require(user: Any, action: str, obj: models.Model) -> None:
    """Raise NotFound if `obj` is outside the user's scope, Forbidden if the role may not act."""
    model = type(obj)
    if model is _survivor_model():
        in_scope = visible_survivor(user, obj.pk) is not None
    else:
        in_scope = scope(user, model).filter(pk=obj.pk).exists()
    if not in_scope:
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
