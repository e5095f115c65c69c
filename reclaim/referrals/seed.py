"""Demo referrals between the demo organisations, made through the services (consents,
sending, answers, history, notifications and audit all happen for real).

Made-up data only: this is called by the demo seeding, never against real records.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from reclaim.core.models import Organisation
from reclaim.survivors import services as survivors

from . import services
from .models import Referral


@dataclass(frozen=True)
class DemoStory:
    categories: tuple[str, ...]
    # Days ago the referral was sent, then the recipient's steps (status, reason, days ago).
    sent_days_ago: int
    steps: tuple[tuple[str, str, int], ...] = ()


STORIES: Sequence[DemoStory] = (
    DemoStory(
        ("identity", "legal_immigration"),
        20,
        (("received", "", 19), ("accepted", "", 18), ("in-progress", "", 15)),
    ),
    DemoStory(("identity", "contact"), 8),  # no answer yet: overdue
    DemoStory(("identity", "health"), 30, (("accepted", "", 29), ("completed", "", 10))),
    DemoStory(("identity",), 12, (("rejected", "no_capacity", 11),)),
    DemoStory(("identity", "contact", "location"), 2, (("received", "", 1),)),
    DemoStory(("identity", "employment"), 25, (("accepted", "", 24), ("on-hold", "", 5))),
)


def seed_referrals(
    *,
    sender: Any,
    recipients: Mapping[Organisation, Any],
    how_many: int = 6,
    now: datetime.datetime | None = None,
) -> list[Referral]:
    """Create up to `how_many` demo referrals from `sender`'s caseload to the `recipients`
    (organisation -> the partner staff user who answers), in a mix of states: waiting and
    overdue, received, accepted, in progress, on hold, completed and declined.

    Records an electronic consent for each where none covers it. Safe to run again: a survivor
    who already has a referral to that organisation is skipped.
    """
    now = now or timezone.now()
    partners = list(recipients.items())
    if not partners or how_many <= 0:
        return []
    existing = {
        (row.survivor_id, row.recipient_id)
        for row in services.list_referrals(by=sender, box="sent", limit=10_000)
    }
    created: list[Referral] = []
    caseload = survivors.list_caseload(by=sender, limit=how_many * 3)
    for index, survivor in enumerate(caseload):
        if len(created) >= how_many:
            break
        organisation, responder = partners[index % len(partners)]
        if (survivor.pk, organisation.pk) in existing:
            continue
        story = STORIES[len(created) % len(STORIES)]
        created.append(_tell(story, survivor, sender, organisation, responder, now))
    return created


def _tell(
    story: DemoStory,
    survivor: Any,
    sender: Any,
    organisation: Organisation,
    responder: Any,
    now: datetime.datetime,
) -> Referral:
    def days_ago(days: int) -> datetime.datetime:
        return now - datetime.timedelta(days=days)

    categories = list(story.categories)
    if not survivors.allows(
        survivor, organisation, categories, "referral", days_ago(story.sent_days_ago)
    ):
        survivors.record_consent(
            survivor,
            by=sender,
            recipient=organisation,
            purpose="referral",
            categories=categories,
            method="electronic",
            given_at=days_ago(story.sent_days_ago + 1),
        )
    referral = services.prepare_referral(
        survivor,
        by=sender,
        recipient=organisation,
        categories=categories,
        at=days_ago(story.sent_days_ago + 1),
    )
    services.send_referral(referral, by=sender, at=days_ago(story.sent_days_ago))
    for status, reason, ago in story.steps:
        services.respond_to_referral(
            referral, by=responder, status=status, reason=reason, at=days_ago(ago)
        )
    return referral
