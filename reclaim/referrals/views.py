"""Staff pages for referrals: Refer, the inbox, one survivor's referrals, a referral's detail
(preview or packet, next steps, history) and notifications.

Each view parses its input, calls services, renders. URLs carry opaque UUIDs only. A consent
that no longer allows sharing, or a step the lifecycle refuses, is shown as a message on the
referral page (and a denial is audited); other domain errors become error pages in one place.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from reclaim.core import access
from reclaim.core import permissions as perm
from reclaim.core.errors import ConsentRequired, DomainError, RecordErased, ValidationFailed
from reclaim.core.models import Organisation
from reclaim.core.views import permission_denied, shows_domain_errors
from reclaim.survivors import services as survivors
from reclaim.survivors.picklists import DATA_CATEGORY_LABELS

from . import lifecycle, notifications, services
from .errors import PacketClosed, TransitionNotAllowed
from .forms import CancelForm, ReferralConsentForm, ReferralForm, RespondForm
from .lifecycle import RECIPIENT, SENDER, ReferralStatus
from .models import Referral

BOXES = ("received", "sent")
FORM_FIELDS = {"recipient_id": "recipient", "service_id": "service"}


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _rows(referrals: list[Referral]) -> list[dict[str, Any]]:
    allowed = services.consent_allows_each(referrals)
    return [
        {
            "referral": referral,
            "status_label": ReferralStatus(referral.status).label,
            "overdue": services.is_overdue(referral),
            "consent_allows": allowed[referral.pk],
        }
        for referral in referrals
    ]


def _category_labels(categories: list[str]) -> list[str]:
    return [str(DATA_CATEGORY_LABELS.get(name, name)) for name in categories]


# --- Refer ----------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@shows_domain_errors
def new_referral(request: HttpRequest) -> HttpResponse:
    """Prepare a referral for `?survivor=<uuid>` (and optionally `&service=<uuid>` from the
    directory). Saving makes a draft; its page shows exactly what will be shared."""
    if not access.organisations_where(request.user, perm.REFERRAL_SEND):
        return permission_denied(request)
    survivor_id = _uuid(request.GET.get("survivor"))
    if survivor_id is None:
        return render(request, "referrals/new.html", {"survivor": None})
    survivor = survivors.get_survivor(survivor_id, by=request.user)
    service_id = _uuid(request.GET.get("service"))
    service_name = ""
    service_error = ""
    if service_id is not None:
        try:
            _organisation_id, service_name = services.describe_service(service_id)
        except ValidationFailed as exc:
            service_error = exc.detail
            service_id = None
    recipients = Organisation.objects.exclude(pk=survivor.organisation_id).order_by("name")
    form = ReferralForm(
        request.POST or None,
        recipients=recipients,
        initial={"service": service_id},
    )
    if service_name:
        # The directory service names the organisation; nothing to choose.
        form.fields["recipient"].widget = forms.HiddenInput()
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.prepare_referral(
                survivor,
                by=request.user,
                categories=form.cleaned_data["categories"],
                recipient=form.cleaned_data["recipient"],
                service_id=form.cleaned_data["service"],
                purpose=form.cleaned_data["purpose"],
            )
        except ValidationFailed as exc:
            # The service names API fields; the form calls them without the "_id".
            exc.field = FORM_FIELDS.get(exc.field or "", exc.field)
            form.add_service_error(exc)
        else:
            return redirect("referral_detail", referral_id=referral.pk)
    context = {
        "survivor": survivor,
        "alias": survivors.display_alias(survivor),
        "form": form,
        "service_name": service_name,
        "service_error": service_error,
    }
    return render(request, "referrals/new.html", context, status=422 if form.errors else 200)


# --- lists ----------------------------------------------------------------------------------


@never_cache
@login_required
@vary_on_headers("HX-Request")
@shows_domain_errors
def inbox(request: HttpRequest) -> HttpResponse:
    """Referrals addressed to my organisations, and those my organisations sent."""
    receives = bool(access.organisations_where(request.user, perm.REFERRAL_RECEIVE))
    sends = bool(access.organisations_where(request.user, perm.REFERRAL_VIEW))
    box = request.GET.get("box") or ("received" if receives or not sends else "sent")
    if box not in BOXES:
        box = "received"
    referrals = services.list_referrals(by=request.user, box=box)
    context = {
        "box": box,
        "rows": _rows(referrals),
        "receives": receives,
        "sends": sends,
        "unread": notifications.count_unread_notifications(by=request.user),
        "overdue_days": services.overdue_days(),
    }
    template = "referrals/inbox.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        template += "#list"
    return render(request, template, context)


@never_cache
@login_required
@shows_domain_errors
def survivor_referrals(request: HttpRequest, survivor_id: Any) -> HttpResponse:
    """One survivor's referrals (the record's "Referrals" link)."""
    survivor = survivors.get_survivor(survivor_id, by=request.user)
    referrals = services.list_referrals(by=request.user, box="sent", survivor=survivor)
    context = {
        "survivor": survivor,
        "alias": survivors.display_alias(survivor),
        "rows": _rows(referrals),
        "may_refer": access.can(request.user, perm.REFERRAL_SEND, survivor.organisation_id),
    }
    return render(request, "referrals/survivor.html", context)


# --- one referral ---------------------------------------------------------------------------


def _detail_context(request: HttpRequest, referral: Referral, **forms: Any) -> dict[str, Any]:
    by = request.user
    seen_from = services.sides(referral, by=by)
    consent_ok = services.consent_allows(referral)
    packet = None
    packet_problem = ""
    try:
        packet = services.read_packet(referral, by=by)
    except (ConsentRequired, PacketClosed) as refused:
        access.record_denial(refused.denied)
        packet_problem = "closed" if isinstance(refused, PacketClosed) else "consent"
    except RecordErased:
        packet_problem = "erased"
    recipient_targets: set[str] = set()
    if RECIPIENT in seen_from and access.can(by, perm.REFERRAL_RESPOND, referral.recipient_id):
        recipient_targets = set(lifecycle.allowed_targets(referral.status, RECIPIENT))
        if not consent_ok:
            recipient_targets &= {ReferralStatus.REJECTED, ReferralStatus.FAILED}
    may_send = SENDER in seen_from and access.can(by, perm.REFERRAL_SEND, referral.organisation_id)
    may_cancel = may_send and ReferralStatus.CANCELLED in lifecycle.allowed_targets(
        referral.status, SENDER
    )
    return {
        "referral": referral,
        "status_label": ReferralStatus(referral.status).label,
        "is_sender": SENDER in seen_from,
        "is_recipient": RECIPIENT in seen_from,
        "category_labels": _category_labels(referral.categories),
        "consent_ok": consent_ok,
        "overdue": services.is_overdue(referral),
        "packet": packet,
        "packet_problem": packet_problem,
        "history": services.list_history(referral, by=by),
        "may_send": may_send and referral.status == ReferralStatus.DRAFT,
        "may_cancel": may_cancel,
        "respond_form": forms.get("respond_form")
        or (RespondForm(targets=recipient_targets) if recipient_targets else None),
        "cancel_form": forms.get("cancel_form") or (CancelForm() if may_cancel else None),
        "consent_form": forms.get("consent_form")
        or (
            ReferralConsentForm()
            if may_send and referral.status == ReferralStatus.DRAFT and not consent_ok
            else None
        ),
    }


@never_cache
@login_required
@shows_domain_errors
def referral_detail(request: HttpRequest, referral_id: Any) -> HttpResponse:
    """Status, what is shared (a preview before sending), next steps and history."""
    referral = services.get_referral(referral_id, by=request.user)
    return render(request, "referrals/detail.html", _detail_context(request, referral))


def _refused(request: HttpRequest, exc: DomainError) -> None:
    """A step the page offers but that the rules refuse now: say why on the page."""
    access.record_denial(exc.denied)
    if isinstance(exc, ConsentRequired):
        messages.error(
            request,
            _(
                "There is no valid consent that covers this organisation and this information. "
                "Nothing was shared."
            ),
        )
    else:
        messages.error(request, _("This step is not possible for the referral as it is now."))


@never_cache
@login_required
@require_POST
@shows_domain_errors
def send(request: HttpRequest, referral_id: Any) -> HttpResponse:
    referral = services.get_referral(referral_id, by=request.user)
    try:
        services.send_referral(referral, by=request.user)
    except (ConsentRequired, TransitionNotAllowed) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The referral was sent."))
    return redirect("referral_detail", referral_id=referral.pk)


@never_cache
@login_required
@require_POST
@shows_domain_errors
def cancel(request: HttpRequest, referral_id: Any) -> HttpResponse:
    referral = services.get_referral(referral_id, by=request.user)
    services.require_sender(referral, by=request.user)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_referral(
                referral,
                by=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except TransitionNotAllowed as exc:
            _refused(request, exc)
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The referral was cancelled."))
            return redirect("referral_detail", referral_id=referral.pk)
    if not form.errors:
        return redirect("referral_detail", referral_id=referral.pk)
    context = _detail_context(request, referral, cancel_form=form)
    return render(request, "referrals/detail.html", context, status=422)


@never_cache
@login_required
@require_POST
@shows_domain_errors
def respond(request: HttpRequest, referral_id: Any) -> HttpResponse:
    """The recipient's next step: received, accept, decline (with a reason), complete…"""
    referral = services.get_referral(referral_id, by=request.user)
    services.require_recipient(referral, by=request.user)
    targets = lifecycle.allowed_targets(referral.status, RECIPIENT)
    form = RespondForm(request.POST, targets=targets)
    if form.is_valid():
        try:
            services.respond_to_referral(
                referral,
                by=request.user,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except (ConsentRequired, TransitionNotAllowed) as exc:
            _refused(request, exc)
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The referral was updated."))
            return redirect("referral_detail", referral_id=referral.pk)
    if not form.errors:
        return redirect("referral_detail", referral_id=referral.pk)
    context = _detail_context(request, referral, respond_form=form)
    return render(request, "referrals/detail.html", context, status=422)


@never_cache
@login_required
@require_POST
@shows_domain_errors
def record_consent(request: HttpRequest, referral_id: Any) -> HttpResponse:
    """Record the survivor's consent to exactly this referral, from its draft page."""
    referral = services.get_referral(referral_id, by=request.user)
    services.require_sender(referral, by=request.user)
    form = ReferralConsentForm(request.POST)
    if form.is_valid():
        try:
            services.record_consent_for_referral(
                referral,
                by=request.user,
                method=form.cleaned_data["method"],
                witness_name=form.cleaned_data["witness_name"],
                expires_at=form.expires_at(),
            )
        except ValidationFailed as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The consent was recorded. You can send the referral now."))
            return redirect("referral_detail", referral_id=referral.pk)
    context = _detail_context(request, referral, consent_form=form)
    return render(request, "referrals/detail.html", context, status=422)


# --- notifications --------------------------------------------------------------------------


@never_cache
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    rows = [
        (notice, notifications.notification_text(notice.kind))
        for notice in notifications.list_notifications(by=request.user)
    ]
    return render(request, "referrals/notifications.html", {"rows": rows})


@never_cache
@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    notifications.mark_notifications_read(by=request.user)
    return redirect("referral_notifications")
