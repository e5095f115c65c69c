"""Care fixtures: valid inputs for the services, so each test changes only what it tests."""

from __future__ import annotations

import pytest

from reclaim.core.models import AuditEvent


@pytest.fixture
def phq9_safe():
    return [1, 1, 2, 0, 1, 0, 1, 0, 0]


@pytest.fixture
def phq9_item9():
    return [1, 1, 2, 0, 1, 0, 1, 0, 1]


def audit_actions(subject_id=None):
    events = AuditEvent.objects.order_by("seq")
    if subject_id is not None:
        events = events.filter(subject_id=subject_id)
    return list(events.values_list("action", flat=True))
