"""Staff UI fixtures: each persona logs in with a real TOTP authenticator (MFA is enforced)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client


def logged_in(user) -> Client:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    # As ReclaimAccountAdapter.login does on a real login ("log out everywhere" relies on it).
    session = client.session
    session["reclaim_generation"] = user.session_generation
    session.save()
    return client


@pytest.fixture
def login():
    """login(user) -> a test client with that staff user logged in and enrolled in MFA."""
    return logged_in
