"""Playwright driving Debian's chromium (/usr/bin/chromium) against pytest-django's live_server.

Skipped on a developer machine without chromium; in CI (CI=true) a missing browser fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (install Debian's chromium)"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # (fixtures, assertions) are still synchronous, so Django must allow them here.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield launched
            launched.close()


@pytest.fixture
def plain_http(settings):
    """The live server speaks plain HTTP: let the session and CSRF cookies travel over it."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.RECLAIM_DEMO_RELAX_MFA = True


@pytest.fixture
def open_page(browser, live_server, plain_http):
    """open_page(user) -> a page in a fresh browser context, logged in as that user."""
    contexts = []

    def open_as(user: Any, password: str) -> Any:
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("input[name=login]", user.username)
        page.fill("input[name=password]", password)
        login_form = page.locator("form", has=page.locator("input[name=login]"))
        login_form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        return page

    yield open_as
    for context in contexts:
        context.close()
