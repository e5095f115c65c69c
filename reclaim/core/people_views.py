"""People administration pages for organisation admins: members, roles, teams.

Each view parses its input, calls one `core.people` service, renders. Temporary passwords are
rendered once in the answer to the POST that made them: never in a URL, a message or a log.
Anyone who administers no organisation gets 403 on the lists; members and teams outside the
admin's organisations are 404.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import people
from .errors import Conflict, Forbidden, ValidationFailed
from .forms import SafeTextForm
from .models import Membership, Organisation, Role, Team, User
from .views import shows_domain_errors

ServiceErrors = (ValidationFailed, Conflict, Forbidden)


def _role_choices(organisation: Organisation, user: User) -> list[tuple[str, str]]:
    labels = dict(Role.choices)
    return [(role, str(labels[role])) for role in people.roles_you_may_give(organisation, by=user)]


def _team_field(organisation: Organisation) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=gettext_lazy("Team"),
        queryset=Team.objects.filter(organisation=organisation).order_by("name"),
        required=False,
        empty_label=gettext_lazy("No team"),
        help_text=gettext_lazy("Case managers see the caseload of everyone in their team."),
    )


class MemberForm(SafeTextForm):
    username = forms.CharField(
        label=gettext_lazy("Username"),
        max_length=150,
        help_text=gettext_lazy("Letters, digits and @ . + - _ only. They log in with it."),
    )
    email = forms.EmailField(label=gettext_lazy("Email (optional)"), required=False, max_length=254)
    role = forms.ChoiceField(label=gettext_lazy("Role"))

    def __init__(self, organisation: Organisation, user: User, *args: Any, **kwargs: Any) -> None:
        # The most common role first; the admin role must be a deliberate choice.
        kwargs.setdefault("initial", {"role": Role.CASE_MANAGER})
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = _role_choices(organisation, user)
        self.fields["team"] = _team_field(organisation)


class ChangeMemberForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"))

    def __init__(self, membership: Membership, user: User, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"role": membership.role, "team": membership.team_id})
        super().__init__(*args, **kwargs)
        choices = _role_choices(membership.organisation, user)
        if membership.role not in dict(choices):
            # An admin membership seen by someone who may not give that role: shown, not offered.
            choices.insert(0, (membership.role, str(Role(membership.role).label)))
        cast(forms.ChoiceField, self.fields["role"]).choices = choices
        self.fields["team"] = _team_field(membership.organisation)

    def add_service_error(self, exc: ValidationFailed | Conflict | Forbidden) -> None:
        self.add_error(exc.field if exc.field in self.fields else None, exc.detail)


class TeamForm(SafeTextForm):
    name = forms.CharField(label=gettext_lazy("Team name"), max_length=120)


def _organisation_from(request: HttpRequest, managed: list[Organisation]) -> Organisation:
    """The organisation the page is about: `?organisation=<id>` or the first one managed."""
    wanted = request.GET.get("organisation") or request.POST.get("organisation")
    if wanted:
        return people.get_organisation(_uuid_or_none(wanted), by=request.user)  # type: ignore[arg-type]
    return managed[0]


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# --- members ------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def people_list(request: HttpRequest) -> HttpResponse:
    """Members with role, team, active and MFA; the add-member form (password shown once)."""
    user: User = request.user  # type: ignore[assignment]
    managed = people.list_managed_organisations(by=user)
    organisation = _organisation_from(request, managed)
    form = MemberForm(organisation, user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership, password = people.add_member(
                organisation,
                by=user,
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                team=form.cleaned_data["team"],
            )
        except ServiceErrors as exc:
            form.add_service_error(exc)
        else:
            return render(
                request,
                "core/people/password.html",
                {"membership": membership, "password": password, "new_account": True},
            )
    rows = people.list_members(organisation, by=user)
    return render(
        request,
        "core/people/list.html",
        {"organisation": organisation, "managed": managed, "rows": rows, "form": form},
        status=422 if form.errors else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def member_detail(request: HttpRequest, membership_id: Any) -> HttpResponse:
    """One member: change role or team; links to deactivate, reset password or MFA."""
    user: User = request.user  # type: ignore[assignment]
    membership = people.get_membership(membership_id, by=user)
    form = ChangeMemberForm(membership, user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            people.change_member(
                membership, by=user, role=form.cleaned_data["role"], team=form.cleaned_data["team"]
            )
        except ServiceErrors as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("people_member", membership_id=membership.pk)
    row = people.member_row(membership, by=user)
    return render(
        request,
        "core/people/member.html",
        {"row": row, "membership": membership, "form": form},
        status=422 if form.errors else 200,
    )


CONFIRMATIONS = {
    "deactivate": (
        gettext_lazy("Deactivate this member?"),
        gettext_lazy(
            "They are logged out on every device at once, their API tokens stop working and "
            "they can no longer log in here. The survivors assigned to them stay assigned to "
            "them: reassign their caseload separately."
        ),
        gettext_lazy("Deactivate"),
    ),
    "reset_password": (
        gettext_lazy("Reset this member's password?"),
        gettext_lazy(
            "Their current password stops working and they are logged out everywhere. You get a "
            "temporary password to hand over in person."
        ),
        gettext_lazy("Reset password"),
    ),
    "reset_mfa": (
        gettext_lazy("Reset this member's two-step login?"),
        gettext_lazy(
            "Their authenticator app, recovery codes and security keys are removed and they are "
            "logged out everywhere. At their next login they must set up two-step login again. "
            "Do this only when you have checked who is asking, in person or by a call you made."
        ),
        gettext_lazy("Reset two-step login"),
    ),
}


def _confirm(request: HttpRequest, membership: Membership, kind: str) -> HttpResponse:
    title, explanation, button = CONFIRMATIONS[kind]
    return render(
        request,
        "core/people/confirm.html",
        {"membership": membership, "title": title, "explanation": explanation, "button": button},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def deactivate_member(request: HttpRequest, membership_id: Any) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    membership = people.get_membership(membership_id, by=user)
    if request.method == "GET":
        return _confirm(request, membership, "deactivate")
    people.deactivate_member(membership, by=user)
    messages.success(request, _("The member was deactivated and logged out everywhere."))
    return redirect("people_member", membership_id=membership.pk)


@login_required
@require_POST
@shows_domain_errors
def reactivate_member(request: HttpRequest, membership_id: Any) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    membership = people.get_membership(membership_id, by=user)
    people.reactivate_member(membership, by=user)
    messages.success(request, _("The member is active again."))
    return redirect("people_member", membership_id=membership.pk)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def reset_password(request: HttpRequest, membership_id: Any) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    membership = people.get_membership(membership_id, by=user)
    if request.method == "GET":
        return _confirm(request, membership, "reset_password")
    password = people.reset_password(membership, by=user)
    return render(
        request,
        "core/people/password.html",
        {"membership": membership, "password": password, "new_account": False},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def reset_mfa(request: HttpRequest, membership_id: Any) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    membership = people.get_membership(membership_id, by=user)
    if request.method == "GET":
        return _confirm(request, membership, "reset_mfa")
    people.reset_mfa(membership, by=user)
    messages.success(
        request, _("Two-step login was reset. They set it up again at their next login.")
    )
    return redirect("people_member", membership_id=membership.pk)


# --- teams --------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def team_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    managed = people.list_managed_organisations(by=user)
    organisation = _organisation_from(request, managed)
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            people.create_team(organisation, by=user, name=form.cleaned_data["name"])
        except ServiceErrors as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The team was created."))
            return redirect(f"{request.path}?organisation={organisation.pk}")
    teams = people.list_teams(organisation, by=user)
    return render(
        request,
        "core/people/teams.html",
        {"organisation": organisation, "managed": managed, "teams": teams, "form": form},
        status=422 if form.errors else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def team_detail(request: HttpRequest, team_id: Any) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    team = people.get_team(team_id, by=user)
    form = TeamForm(request.POST or None, initial={"name": team.name})
    if request.method == "POST" and form.is_valid():
        try:
            people.rename_team(team, by=user, name=form.cleaned_data["name"])
        except ServiceErrors as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The team was renamed."))
            return redirect(f"{reverse('people_teams')}?organisation={team.organisation_id}")
    return render(
        request,
        "core/people/team.html",
        {"team": team, "form": form},
        status=422 if form.errors else 200,
    )
