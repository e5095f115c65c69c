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

    "Tell it once": survivors who already consented to share with one of the recipients are
    referred first, under that consent (its purpose and categories). Only when there are not
    enough of them is an electronic consent recorded for others. Safe to run again: a
    survivor who already has a referral to that organisation is skipped.
    """
    now = now or timezone.now()
    if not recipients or how_many <= 0:
        return []
    existing = {
        (row.survivor_id, row.recipient_id)
        for row in services.list_referrals(by=sender, box="sent", limit=10_000)
    }
    caseload = survivors.list_caseload(by=sender, limit=max(how_many * 10, 50))
    with_consent, without = [], []
    for survivor in caseload:
        consent = _consent_to_a_recipient(survivor, sender, recipients, now)
        if consent is not None:
            if (survivor.pk, consent.recipient_id) not in existing:
                with_consent.append((survivor, consent))
        else:
            without.append(survivor)
    created: list[Referral] = []
    for survivor, consent in with_consent[:how_many]:
        story = STORIES[len(created) % len(STORIES)]
        organisation = next(org for org in recipients if org.pk == consent.recipient_id)
        created.append(
            _tell(story, survivor, sender, organisation, recipients[organisation], now, consent)
        )
    partners = list(recipients.items())
    for index, survivor in enumerate(without):
        if len(created) >= how_many:
            break
        organisation, responder = partners[index % len(partners)]
        if (survivor.pk, organisation.pk) in existing:
            continue
        story = STORIES[len(created) % len(STORIES)]
        created.append(_tell(story, survivor, sender, organisation, responder, now, None))
    return created


def _consent_to_a_recipient(
    survivor: Any, sender: Any, recipients: Mapping[Organisation, Any], now: datetime.datetime
) -> Any:
    wanted = {org.pk for org in recipients}
    for consent in survivors.list_consents(survivor, by=sender):
        if consent.recipient_id in wanted and consent.is_active_at(now):
            return consent
    return None


def _tell(
    story: DemoStory,
    survivor: Any,
    sender: Any,
    organisation: Organisation,
    responder: Any,
    now: datetime.datetime,
    consent: Any,
) -> Referral:
    if consent is None:
        consent = survivors.record_consent(
            survivor,
            by=sender,
            recipient=organisation,
            purpose="referral",
            categories=list(story.categories),
            method="electronic",
            given_at=now - datetime.timedelta(days=story.sent_days_ago + 1),
        )
    # Least data: a demo referral shares the consented categories but not trafficking history.
    categories = [c for c in consent.categories if c != "trafficking_history"] or list(
        consent.categories
    )
    # Steps happen in order, never before the consent was given, never in the future.
    earliest = consent.given_at + datetime.timedelta(minutes=1)
    planned = [story.sent_days_ago + 1, story.sent_days_ago, *(ago for _s, _r, ago in story.steps)]
    times: list[datetime.datetime] = []
    for ago in planned:
        floor = times[-1] + datetime.timedelta(minutes=1) if times else earliest
        times.append(min(max(now - datetime.timedelta(days=ago), floor), now))
    referral = services.prepare_referral(
        survivor,
        by=sender,
        recipient=organisation,
        categories=categories,
        purpose=consent.purpose,
        at=times[0],
    )
    services.send_referral(referral, by=sender, at=times[1])
    for (status, reason, _ago), at in zip(story.steps, times[2:], strict=True):
        services.respond_to_referral(referral, by=responder, status=status, reason=reason, at=at)
    return referral
