"""In-app notifications about referrals: a small "bell" list per user.

A notification holds a kind code and the referral id, nothing else; its text is generic wording
chosen from the kind when shown. Never personal data, never email or anything that leaves the
process. Created by the referral services inside the transaction of the step they announce.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reclaim.core import audit
from reclaim.core import permissions as perm
from reclaim.core.models import Membership

from .lifecycle import SENDER, ReferralStatus
from .models import Notification, Referral


def _members_who_may(organisation_id: Any, action: str) -> list[Any]:
    memberships = Membership.objects.filter(
        organisation_id=organisation_id, is_active=True, user__is_active=True
    ).select_related("user")
    users = {m.user_id: m.user for m in memberships if perm.role_allows(m.role, action)}
    return list(users.values())


def notify_other_side(referral: Referral, *, side: str, by: Any, at: datetime.datetime) -> None:
    """In-app notices (kind code and referral id only; never personal data, never email)."""
    if side == SENDER:
        users = _members_who_may(referral.recipient_id, perm.REFERRAL_RECEIVE)
    else:
        users = [referral.created_by] if referral.created_by_id else []
    kind = f"referral.{referral.status}"
    Notification.objects.bulk_create(
        [
            Notification(user=user, referral=referral, kind=kind, created_at=at)
            for user in users
            if user is not None and user.pk != getattr(by, "pk", None)
        ]
    )


# Generic wording only: a notification never says who the survivor is or why.
NOTIFICATION_TEXTS = {
    "referral.requested": _("A new referral was sent to your organisation."),
    "referral.cancelled": _("A referral to your organisation was cancelled."),
    "referral.received": _("A referral you sent was marked as received."),
    "referral.accepted": _("A referral you sent was accepted."),
    "referral.rejected": _("A referral you sent was declined."),
    "referral.in-progress": _("A referral you sent is in progress."),
    "referral.on-hold": _("A referral you sent is on hold."),
    "referral.completed": _("A referral you sent was completed."),
    "referral.failed": _("A referral you sent could not be completed."),
    "referral.overdue": _("A referral you sent has had no answer for several days."),
    "referral.overdue.recipient": _(
        "A referral to your organisation is waiting for an answer for several days."
    ),
}


def notification_text(kind: str) -> str:
    return str(NOTIFICATION_TEXTS.get(kind, _("A referral changed.")))


def list_notifications(*, by: Any, limit: int = 50) -> list[Notification]:
    """The user's own notifications, newest first."""
    return list(Notification.objects.filter(user=by).order_by("-created_at")[:limit])


def count_unread_notifications(*, by: Any) -> int:
    return Notification.objects.filter(user=by, read_at__isnull=True).count()


def mark_notifications_read(*, by: Any, at: datetime.datetime | None = None) -> int:
    """Mark every unread notification of the user as read; returns how many."""
    return Notification.objects.filter(user=by, read_at__isnull=True).update(
        read_at=at or timezone.now()
    )


def notify_overdue(*, overdue_days: int, at: datetime.datetime | None = None) -> int:
    """Tell both sides, once, about each sent referral unanswered for `overdue_days` days.

    For a scheduled job (`reclaim referrals-overdue`); reads no survivor data. Audits one
    "referral.overdue.notify" event with the number of referrals. Returns that number.
    """
    at = at or timezone.now()
    cutoff = at - datetime.timedelta(days=overdue_days)
    with transaction.atomic():
        waiting = list(
            Referral.objects.select_for_update()
            .filter(status=ReferralStatus.REQUESTED, sent_at__lte=cutoff)
            .exclude(notifications__kind="referral.overdue")
        )
        rows = []
        for referral in waiting:
            if referral.created_by_id:
                rows.append(
                    Notification(
                        user_id=referral.created_by_id,
                        referral=referral,
                        kind="referral.overdue",
                        created_at=at,
                    )
                )
            rows += [
                Notification(
                    user=user, referral=referral, kind="referral.overdue.recipient", created_at=at
                )
                for user in _members_who_may(referral.recipient_id, perm.REFERRAL_RECEIVE)
            ]
        Notification.objects.bulk_create(rows)
        audit.record("referral.overdue.notify", context={"referrals": len(waiting)})
    return len(waiting)
