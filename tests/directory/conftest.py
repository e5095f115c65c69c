from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def login(settings):
    """login(user) -> a client with that user logged in (MFA relaxed as in the matrix)."""
    settings.RECLAIM_DEMO_RELAX_MFA = True

    def log_in(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return log_in
