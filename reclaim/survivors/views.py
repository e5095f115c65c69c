"""Staff pages of the survivor record. Each view parses its input, calls one service, renders.

Domain errors become pages in one place (`shows_domain_errors`); a form's ValidationFailed is
shown next to the field it names. URLs carry opaque UUIDs only, never names or references.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from reclaim.core import access
from reclaim.core import permissions as perm
from reclaim.core.errors import ValidationFailed
from reclaim.core.models import Organisation
from reclaim.core.views import (
    actor_names,
    page_not_found,
    permission_denied,
    shows_domain_errors,
)

from . import services
from .forms import (
    BreakGlassForm,
    CaseForm,
    ConsentForm,
    ContactPreferenceForm,
    EraseForm,
    NewSurvivorForm,
    ProfileForm,
    ReviewForm,
    SearchForm,
)
from .models import Survivor
from .picklists import CaseStatus, ContactChannel, Gender, country_codes, language_codes

PAGE_SIZE = 50
TABS = ("profile", "case", "consents", "audit")


def _sees_whole_organisation(user: Any) -> bool:
    return any(m.role in perm.ORGANISATION_WIDE_ROLES for m in access.memberships(user))


# --- caseload and search ------------------------------------------------------------------


@never_cache
@login_required
@shows_domain_errors
def caseload(request: HttpRequest) -> HttpResponse:
    """My caseload; supervisors and admins may switch to the whole organisation."""
    may_see_all = _sees_whole_organisation(request.user)
    show_all = may_see_all and request.GET.get("show") == "all"
    total = services.count_caseload(by=request.user, mine_only=not show_all)
    page = Paginator(range(total), PAGE_SIZE).get_page(request.GET.get("page"))
    survivors = services.list_caseload(
        by=request.user,
        mine_only=not show_all,
        limit=PAGE_SIZE,
        offset=page.start_index() - 1 if total else 0,
    )
    rows = [
        {
            "survivor": survivor,
            "alias": services.display_alias(survivor),
            "status": _status_label(survivor.current_case_status),  # type: ignore[attr-defined]
        }
        for survivor in survivors
    ]
    context = {
        "rows": rows,
        "page": page,
        "show_all": show_all,
        "may_see_all": may_see_all,
        "total": total,
    }
    return render(request, "survivors/caseload.html", context)


def _status_label(status: str | None) -> str:
    return str(CaseStatus(status).label) if status else ""


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def search(request: HttpRequest) -> HttpResponse:
    """Exact search. A POST form, so search terms (names, dates of birth) stay out of URLs."""
    form = SearchForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.search_survivors(
                by=request.user,
                query=form.cleaned_data["query"],
                date_of_birth=form.cleaned_data["date_of_birth"],
            )
        except ValidationFailed as exc:
            form.add_service_error(exc)
    context: dict[str, Any] = {"form": form, "result": result}
    if result is not None:
        context["visible"] = [(s, services.display_alias(s)) for s in result.visible]
        context["outside"] = [
            (reference, BreakGlassForm(initial={"reference": reference}, prefix=reference))
            for reference in result.outside_caseload
        ]
    return render(request, "survivors/search.html", context, status=422 if form.errors else 200)


@never_cache
@login_required
@require_POST
@shows_domain_errors
def break_glass(request: HttpRequest) -> HttpResponse:
    """Emergency access to a record outside the caseload, with a written reason."""
    prefix = request.POST.get("prefix") or None
    form = BreakGlassForm(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            survivor = services.open_break_glass(
                form.cleaned_data["reference"], by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.warning(
                request,
                _("Emergency access is open for one hour. Your supervisor will review it."),
            )
            return redirect("survivor_record", survivor_id=survivor.pk)
    return render(
        request, "survivors/break_glass.html", {"form": form, "prefix": prefix}, status=422
    )


# --- intake -------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def new_survivor(request: HttpRequest) -> HttpResponse:
    """Intake. Warns about possible duplicates (same legal name and date of birth) first."""
    organisations = list(
        Organisation.objects.filter(
            pk__in=access.organisations_where(request.user, perm.SURVIVOR_CREATE)
        )
    )
    if not organisations:
        return permission_denied(request)
    form = NewSurvivorForm(request.POST or None, organisations=organisations)
    duplicates: list[str] = []
    if request.method == "POST" and form.is_valid():
        organisation = form.chosen_organisation()
        profile = form.profile()
        try:
            if (
                profile["legal_name"]
                and profile["date_of_birth"]
                and not form.cleaned_data["create_anyway"]
            ):
                duplicates = services.find_possible_duplicates(
                    by=request.user,
                    organisation=organisation,
                    legal_name=profile["legal_name"],
                    date_of_birth=profile["date_of_birth"],
                )
            if not duplicates:
                survivor = services.create_survivor(
                    by=request.user, organisation=organisation, profile=profile
                )
                messages.success(request, _("The record was created."))
                return redirect("survivor_record", survivor_id=survivor.pk)
        except ValidationFailed as exc:
            form.add_service_error(exc)
    form.offer_create_anyway(bool(duplicates))
    status = 422 if form.errors else 200
    return render(
        request, "survivors/new.html", {"form": form, "duplicates": duplicates}, status=status
    )


# --- the record ---------------------------------------------------------------------------


@never_cache
@login_required
@vary_on_headers("HX-Request")
@shows_domain_errors
def survivor_record(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    """The record with its tabs; an htmx request gets only the chosen tab's partial."""
    tab = request.GET.get("tab", "profile")
    if tab not in TABS:
        tab = "profile"
    survivor = services.get_survivor(survivor_id, by=request.user)
    context = _record_context(request, survivor, tab)
    template = "survivors/record.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        template += "#tabs"  # the tab bar and the chosen panel, swapped in place
    return render(request, template, context)


def _record_context(
    request: HttpRequest, survivor: Survivor, tab: str, **forms: Any
) -> dict[str, Any]:
    user = request.user
    profile = services.read_profile(survivor)  # raises RecordErased for an erased record
    org_id = survivor.organisation_id
    can_audit = access.can(user, perm.AUDIT_VIEW, org_id)
    if tab == "audit" and not can_audit:
        tab = "profile"
    context: dict[str, Any] = {
        "survivor": survivor,
        "alias": services.display_alias(survivor),
        "tab": tab,
        "tabs": [t for t in TABS if t != "audit" or can_audit],
        "can_edit": access.can(user, perm.SURVIVOR_EDIT, org_id),
        "can_erase": access.can(user, perm.SURVIVOR_ERASE, org_id),
        "can_consent": access.can(user, perm.CONSENT_RECORD, org_id),
        "can_revoke": access.can(user, perm.CONSENT_REVOKE, org_id),
        "can_edit_case": access.can(user, perm.CASE_EDIT, org_id),
        "can_audit": can_audit,
    }
    if tab == "profile":
        countries = country_codes()
        languages = language_codes()
        context["profile"] = profile
        context["language_names"] = [languages.get(c, c) for c in profile["languages"] or []]
        context["citizenship_names"] = [countries.get(c, c) for c in profile["citizenship"] or []]
        context["country_name"] = countries.get(profile["country_of_origin"] or "", "")
        context["gender_label"] = dict(Gender.choices).get(profile["gender"] or "", "")
        preferences = {p.channel: p for p in services.list_contact_preferences(survivor, by=user)}
        context["preferences"] = [
            (label, preferences.get(value)) for value, label in ContactChannel.choices
        ]
        context["contact_form"] = forms.get("contact_form") or ContactPreferenceForm()
    elif tab == "case":
        cases = services.list_cases(survivor, by=user)
        bound = forms.get("case_form")
        context["cases"] = [
            (
                case,
                bound
                if bound is not None and str(forms.get("case_id")) == str(case.pk)
                else CaseForm(
                    initial={
                        "status": case.status,
                        "closure_reason": case.closure_reason,
                        "trafficking_status": case.trafficking_status or "",
                        "exploitation_types": case.exploitation_types or [],
                        "control_methods": case.control_methods or [],
                    },
                    prefix=str(case.pk),
                ),
            )
            for case in cases
        ]
    elif tab == "consents":
        language = (get_language() or "en")[:2]
        context["consents"] = [
            (consent, services.consent_state(consent), services.consent_summary(consent, language))
            for consent in services.list_consents(survivor, by=user)
        ]
        context["consent_form"] = forms.get("consent_form") or ConsentForm(
            home_organisation_id=org_id
        )
    elif tab == "audit":
        events = services.survivor_audit_trail(survivor, by=user)
        names = actor_names(events)
        context["events"] = [(event, names.get(str(event.actor_id), "")) for event in events]
    return context


def _render_tab_with_errors(
    request: HttpRequest, survivor: Survivor, tab: str, **forms: Any
) -> HttpResponse:
    context = _record_context(request, survivor, tab, **forms)
    return render(request, "survivors/record.html", context, status=422)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def edit_profile(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    survivor = services.get_survivor(survivor_id, by=request.user, purpose="view")
    profile = services.read_profile(survivor)
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_from(profile))
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_profile(survivor, by=request.user, changes=form.profile())
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            if changed:
                messages.success(request, _("The profile was saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("survivor_record", survivor_id=survivor.pk)
    status = 422 if form.errors else 200
    return render(
        request, "survivors/edit.html", {"form": form, "survivor": survivor}, status=status
    )


@login_required
@require_POST
@shows_domain_errors
def set_contact_preference(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    survivor = services.get_survivor(survivor_id, by=request.user)
    form = ContactPreferenceForm(request.POST)
    if form.is_valid():
        try:
            services.set_contact_preference(
                survivor,
                by=request.user,
                channel=form.cleaned_data["channel"],
                may_contact=form.cleaned_data["may_contact"],
                vague_only=form.cleaned_data["vague_only"],
                safe_times=form.cleaned_data["safe_times"] or None,
            )
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The contact preference was saved."))
            return redirect("survivor_record", survivor_id=survivor.pk)
    return _render_tab_with_errors(request, survivor, "profile", contact_form=form)


@login_required
@require_POST
@shows_domain_errors
def update_case(request: HttpRequest, survivor_id: Any, case_id: Any) -> HttpResponse:
    survivor = services.get_survivor(survivor_id, by=request.user)
    case = services.get_case(case_id, by=request.user)
    if case.survivor_id != survivor.pk:
        return page_not_found(request)
    form = CaseForm(request.POST, prefix=str(case.pk))
    if form.is_valid():
        try:
            services.update_case(case, by=request.user, changes=form.changes())
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The case was saved."))
            return redirect(_tab_url(survivor, "case"))
    return _render_tab_with_errors(request, survivor, "case", case_form=form, case_id=case.pk)


@login_required
@require_POST
@shows_domain_errors
def record_consent(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    survivor = services.get_survivor(survivor_id, by=request.user)
    form = ConsentForm(request.POST, home_organisation_id=survivor.organisation_id)
    if form.is_valid():
        try:
            services.record_consent(
                survivor,
                by=request.user,
                recipient=form.cleaned_data["recipient"],
                purpose=form.cleaned_data["purpose"],
                categories=form.cleaned_data["categories"],
                method=form.cleaned_data["method"],
                witness_name=form.cleaned_data["witness_name"],
                expires_at=form.expires_at(),
            )
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The consent was recorded."))
            return redirect(_tab_url(survivor, "consents"))
    return _render_tab_with_errors(request, survivor, "consents", consent_form=form)


@login_required
@require_POST
@shows_domain_errors
def revoke_consent(request: HttpRequest, survivor_id: Any, consent_id: Any) -> HttpResponse:
    survivor = services.get_survivor(survivor_id, by=request.user)
    consent = services.get_consent(consent_id, by=request.user)
    if consent.survivor_id != survivor.pk:
        return page_not_found(request)
    try:
        services.revoke_consent(consent, by=request.user)
    except ValidationFailed:
        messages.info(request, _("This consent was already revoked."))
    else:
        messages.success(request, _("The consent was revoked. Sharing stops now."))
    return redirect(_tab_url(survivor, "consents"))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def erase(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    """Crypto-shred a record (organisation admins). Needs a reason and a confirmation."""
    survivor = services.get_survivor(survivor_id, by=request.user)
    services.read_profile(survivor)  # an already erased record shows as erased
    if not access.can(request.user, perm.SURVIVOR_ERASE, survivor.organisation_id):
        return permission_denied(request)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.erase_survivor(survivor, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The record was erased."))
            return redirect("caseload")
    status = 422 if form.errors else 200
    return render(
        request, "survivors/erase.html", {"form": form, "survivor": survivor}, status=status
    )


def _tab_url(survivor: Survivor, tab: str) -> str:
    return f"{reverse('survivor_record', kwargs={'survivor_id': survivor.pk})}?tab={tab}"


# --- supervision --------------------------------------------------------------------------


@never_cache
@login_required
@shows_domain_errors
def break_glass_queue(request: HttpRequest) -> HttpResponse:
    """Emergency accesses waiting for a supervisor's review."""
    grants = services.list_break_glass_for_review(by=request.user)
    return render(
        request,
        "survivors/break_glass_queue.html",
        {"grants": [(grant, ReviewForm(prefix=str(grant.pk))) for grant in grants]},
    )


@login_required
@require_POST
@shows_domain_errors
def review_break_glass(request: HttpRequest, grant_id: Any) -> HttpResponse:
    form = ReviewForm(request.POST, prefix=str(grant_id))
    if not form.is_valid():
        messages.error(
            request,
            _("The review note could not be saved: %(error)s") % {"error": form.errors.as_text()},
        )
        return redirect("break_glass_queue")
    try:
        services.review_break_glass(grant_id, by=request.user, note=form.cleaned_data["note"])
    except ValidationFailed:
        messages.info(request, _("This access was already reviewed."))
    else:
        messages.success(request, _("Marked as reviewed."))
    return redirect("break_glass_queue")
