"""The transition table is the whole lifecycle rule: checked directly and with hypothesis."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reclaim.referrals import lifecycle
from reclaim.referrals.lifecycle import (
    NEEDS_REASON,
    RECIPIENT,
    SENDER,
    SIDES,
    TERMINAL,
    TRANSITIONS,
    ReasonCode,
    ReferralStatus,
)

STATUSES = st.sampled_from(ReferralStatus.values)
SIDE = st.sampled_from(SIDES)
REASONS = st.sampled_from(["", *ReasonCode.values, "made-up"])

pytestmark = pytest.mark.django_db(databases=[])


@given(current=STATUSES, target=STATUSES, side=SIDE, reason=REASONS)
def test_a_move_is_allowed_exactly_when_the_table_lists_it_for_that_side(
    current, target, side, reason
):
    listed = TRANSITIONS.get((current, target)) == side
    reason_ok = target not in NEEDS_REASON or reason in ReasonCode.values
    try:
        lifecycle.check_transition(current, target, side, reason=reason)
    except lifecycle.TransitionNotAllowed:
        allowed = False
    else:
        allowed = True
    assert allowed == (listed and reason_ok)


@given(current=STATUSES, side=SIDE)
def test_allowed_targets_match_the_table(current, side):
    expected = {to for (frm, to), who in TRANSITIONS.items() if frm == current and who == side}
    assert lifecycle.allowed_targets(current, side) == expected


@given(terminal=st.sampled_from(sorted(TERMINAL)), target=STATUSES, side=SIDE)
def test_nothing_leaves_a_finished_referral(terminal, target, side):
    with pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.check_transition(terminal, target, side, reason="other")


@given(target=st.text(max_size=20).filter(lambda s: s not in ReferralStatus.values), side=SIDE)
def test_unknown_statuses_are_refused(target, side):
    with pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.check_transition(ReferralStatus.REQUESTED, target, side, reason="other")


def test_only_the_sender_sends_and_cancels():
    sender_targets = {to for (_, to), who in TRANSITIONS.items() if who == SENDER}
    assert sender_targets == {ReferralStatus.REQUESTED, ReferralStatus.CANCELLED}


def test_only_the_recipient_answers_and_completes():
    recipient_targets = {to for (_, to), who in TRANSITIONS.items() if who == RECIPIENT}
    assert recipient_targets == {
        ReferralStatus.RECEIVED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.REJECTED,
        ReferralStatus.IN_PROGRESS,
        ReferralStatus.ON_HOLD,
        ReferralStatus.COMPLETED,
        ReferralStatus.FAILED,
    }


def test_every_status_is_reachable_from_draft():
    reached = {ReferralStatus.DRAFT}
    frontier = [ReferralStatus.DRAFT]
    while frontier:
        current = frontier.pop()
        for (frm, to), _who in TRANSITIONS.items():
            if frm == current and to not in reached:
                reached.add(to)
                frontier.append(to)
    assert reached == set(ReferralStatus.values)


def test_declining_without_a_reason_is_refused():
    with pytest.raises(lifecycle.TransitionNotAllowed, match="reason"):
        lifecycle.check_transition(ReferralStatus.REQUESTED, ReferralStatus.REJECTED, RECIPIENT)


NOW = datetime.datetime(2026, 11, 27, 12, 0, tzinfo=datetime.UTC)


@given(
    status=STATUSES,
    age_hours=st.integers(min_value=0, max_value=24 * 30),
    days=st.integers(min_value=1, max_value=20),
)
def test_overdue_means_sent_and_unanswered_for_the_configured_days(status, age_hours, days):
    sent_at = NOW - datetime.timedelta(hours=age_hours)
    expected = status == ReferralStatus.REQUESTED and age_hours >= days * 24
    assert lifecycle.is_overdue(status, sent_at, NOW, days) == expected


def test_a_draft_is_never_overdue():
    assert not lifecycle.is_overdue(ReferralStatus.DRAFT, None, NOW, 1)
