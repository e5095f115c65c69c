"""Teams (caseload groups): list, create, rename."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from reclaim.core import audit
from reclaim.core.errors import Conflict, ValidationFailed
from reclaim.core.models import Organisation, Team, User
from reclaim.core.validation import clean_text

from .rules import require_manage


def list_teams(organisation: Organisation, *, by: User) -> list[Team]:
    """The organisation's teams by name, each annotated with `active_members`."""
    require_manage(by, organisation)
    teams = Team.objects.filter(organisation=organisation).annotate(
        active_members=Count("members", filter=Q(members__is_active=True))
    )
    return list(teams.order_by("name"))


def _clean_team_name(name: str) -> str:
    name = clean_text(name, field="name", max_bytes=120).strip()
    if not name:
        raise ValidationFailed("name: give the team a name.", field="name")
    return name


def _team_name_taken() -> Conflict:
    return Conflict("name: there is already a team with this name.", field="name")


def create_team(organisation: Organisation, *, by: User, name: str) -> Team:
    """A new team (caseload group) in the organisation. Needs `org.manage` (else `NotFound`);
    names are unique per organisation (`Conflict`). Audited as "team.create"."""
    require_manage(by, organisation)
    name = _clean_team_name(name)
    try:
        with transaction.atomic():
            if Team.objects.filter(organisation=organisation, name__iexact=name).exists():
                raise _team_name_taken()
            team = Team.objects.create(organisation=organisation, name=name)
            audit.record(
                "team.create",
                actor=by,
                organisation_id=organisation.pk,
                target=team,
                fields=["name"],
            )
    except IntegrityError as exc:
        raise _team_name_taken() from exc
    return team


def rename_team(team: Team, *, by: User, name: str) -> Team:
    """Rename a team. Needs `org.manage` in its organisation (else `NotFound`); names are
    unique per organisation (`Conflict`). Audited as "team.rename"."""
    require_manage(by, team.organisation)
    name = _clean_team_name(name)
    try:
        with transaction.atomic():
            clash = Team.objects.filter(organisation_id=team.organisation_id, name__iexact=name)
            if clash.exclude(pk=team.pk).exists():
                raise _team_name_taken()
            Team.objects.filter(pk=team.pk).update(name=name)
            audit.record(
                "team.rename",
                actor=by,
                organisation_id=team.organisation_id,
                target=team,
                fields=["name"],
            )
    except IntegrityError as exc:
        raise _team_name_taken() from exc
    team.refresh_from_db()
    return team
