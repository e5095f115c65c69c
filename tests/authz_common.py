"""Personas and outcomes shared by the authorisation matrix and the apps' rows of it."""

from __future__ import annotations

PERSONAS = (
    "anonymous",
    "caseworker",
    "supervisor",
    "org_admin",
    "other_caseworker",
    "outsider",
    "partner_staff",
)
OK, NOT_FOUND, FORBIDDEN, LOGIN = "ok", "404", "403", "login"


def expect(default: str, **overrides: str) -> dict[str, str]:
    cells = dict.fromkeys(PERSONAS, default)
    cells["anonymous"] = LOGIN
    cells.update(overrides)
    return cells
