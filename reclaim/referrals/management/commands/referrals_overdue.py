"""`reclaim referrals-overdue`: notify both sides of referrals that wait too long for an answer.

Run it from a scheduler (for example daily). Each overdue referral is announced once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reclaim.referrals import notifications, services


class Command(BaseCommand):
    help = (
        "Notify senders and recipients, once, about referrals sent more than "
        "RECLAIM_REFERRAL_OVERDUE_DAYS days ago (default 5) that have no answer yet."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        days = services.overdue_days()
        count = notifications.notify_overdue(overdue_days=days)
        self.stdout.write(f"{count} overdue referral(s) announced (no answer after {days} days).")
