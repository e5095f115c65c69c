"""Referral fixtures: a consent from the survivor to the partner organisation, and referrals in
each state, made through the services so the rules and the audit run for real."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from reclaim.referrals import services
from reclaim.survivors import services as survivors


@pytest.fixture(autouse=True)
def _relaxed_mfa(settings):
    # Page and API tests log staff in with force_login; MFA has its own tests in core.
    settings.RECLAIM_DEMO_RELAX_MFA = True


def give_consent(survivor: Any, *, by: Any, recipient: Any, categories: list[str], **kw: Any):
    return survivors.record_consent(
        survivor,
        by=by,
        recipient=recipient,
        purpose=kw.pop("purpose", "referral"),
        categories=categories,
        method="written",
        **kw,
    )


@pytest.fixture
def consent(survivor, caseworker, partner_org):
    return give_consent(
        survivor, by=caseworker, recipient=partner_org, categories=["identity", "contact"]
    )


@pytest.fixture
def draft(survivor, caseworker, partner_org):
    return services.prepare_referral(
        survivor, by=caseworker, recipient=partner_org, categories=["identity", "contact"]
    )


@pytest.fixture
def sent(draft, consent, caseworker):
    return services.send_referral(draft, by=caseworker)


@pytest.fixture
def accepted(sent, partner_staff):
    return services.respond_to_referral(sent, by=partner_staff, status="accepted")


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)
