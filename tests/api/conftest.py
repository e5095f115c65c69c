"""API test helpers: bearer tokens issued through the service, JSON calls, an MFA session."""

from __future__ import annotations

from typing import Any

import pytest

from reclaim.core.services import create_access_token


@pytest.fixture
def bearer():
    """`bearer(user)` -> request headers carrying a fresh personal access token for `user`."""

    def issue(user: Any, *, can_write: bool = True, **kwargs: Any) -> dict[str, str]:
        issued = create_access_token(by=user, name="tests", can_write=can_write, **kwargs)
        return {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}

    return issue


@pytest.fixture
def call(client):
    """`call("post", url, body, headers)` sends JSON and returns the response."""

    def send(method: str, url: str, body: Any = None, headers: dict | None = None, **kw: Any):
        if body is not None:
            kw.update(data=body, content_type="application/json")
        return getattr(client, method)(url, **kw, **(headers or {}))

    return send


def enable_mfa(user: Any) -> None:
    """Give a staff user a TOTP authenticator, as if they had enrolled."""
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
